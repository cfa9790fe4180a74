#!/usr/bin/env bash
# IRC benchmark (issue 15): hubcat serve --irc side by side with Debian's
# ngircd and inspircd, one channel, "hubcat bench chat --proto irc" as the
# load generator, each server fresh per workload, in one run.
#
#   bench/irc.sh            # I1 and I2; prints a markdown table
#   bench/irc.sh --quick    # scaled down
#
# I1: 1,000 clients in one channel, 20 senders at 20 lines/s each, 10 s.
# I2: 200 clients, all sending as fast as their window of 64 allows, 10 s.
# Flood control is off where the server allows it: hubcat --flood-rate 0,
# inspircd commandrate/fakelag/threshold/sendq raised. ngircd's throttling
# (a few commands a second per client) cannot be configured away.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
need ngircd:ngircd inspircd:inspircd ss:iproute2 python3:python3
build_hubcat
out=$(mktemp -d /tmp/hubcat-irc.XXXXXX)

if [ "${1:-}" = --quick ]; then
  workloads=("I1|--clients 200 --senders 10 --rate 20 --duration 3s" "I2|--clients 50 --senders 50 --rate 0 --duration 3s")
else
  workloads=("I1|--clients 1000 --senders 20 --rate 20 --duration 10s" "I2|--clients 200 --senders 200 --rate 0 --duration 10s")
fi

# config SYSTEM PORT writes the server's configuration.
config() {
  case $1 in
    ngircd) cat >"$out/ngircd.conf" <<CONF
[Global]
	Name = bench.local
	Info = bench
	Listen = 127.0.0.1
	Ports = $2
[Limits]
	MaxConnections = 0
	MaxConnectionsIP = 0
	MaxJoins = 0
	MaxNickLength = 12
	PingTimeout = 600
	PongTimeout = 600
[Options]
	DNS = no
	Ident = no
	PAM = no
CONF
    ;;
    inspircd) cat >"$out/inspircd.conf" <<CONF
<server name="bench.local" description="bench" network="bench">
<admin name="bench" nick="bench" email="bench@bench.local">
<bind address="127.0.0.1" port="$2" type="clients">
<connect name="main" allow="*" maxchans="100" localmax="100000" globalmax="100000" maxlocal="100000" maxglobal="100000" maxconnwarn="off" limit="100000" commandrate="100000000" fakelag="off" threshold="100000000" recvq="1048576" sendq="16777216" softsendq="16777216" hardsendq="16777216" timeout="60" pingfreq="600" resolvehostnames="no" useident="no">
<limits maxnick="30" maxchan="64">
<performance somaxconn="4096" netbuffersize="65536" clonesonconnect="no">
<pid file="$out/inspircd.pid">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$out/inspircd.log">
CONF
    ;;
  esac
}

# start SYSTEM: runs it on a fresh port; sets port and pid.
start() {
  port=$(free_port)
  config "$1" "$port"
  case $1 in # exec, so $! is the server itself (for --pid and kill)
    hubcat) exec "$HUBCAT" serve --data none --listen tcp://127.0.0.1:0 --irc "127.0.0.1:$port" --flood-rate 0 --max-per-ip 0 --max-clients 0 --log-level warn ;;
    ngircd) exec ngircd -n -f "$out/ngircd.conf" ;;
    inspircd) exec inspircd --config "$out/inspircd.conf" --nofork --runasroot ;;
  esac >>"$out/$1.log" 2>&1 &
  pid=$!
  wait_listen "$port"
}

stop() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

for w in "${workloads[@]}"; do
  name=${w%%|*} args=${w#*|}
  for sys in hubcat ngircd inspircd; do
    echo "== $name $sys: $args" >&2
    start "$sys"
    # shellcheck disable=SC2086
    "$HUBCAT" bench chat --addr "127.0.0.1:$port" --proto irc $args --join-timeout 120s \
      --pid "$pid" --label "$sys" --json "$out/${name}_$sys.json" >"$out/${name}_$sys.txt" 2>"$out/bench.err" ||
      echo "   failed: $(tail -n 1 "$out/bench.err")" >&2
    stop
  done
done

python3 - "$out" "${workloads[@]%%|*}" <<'PY'
import json, os, sys
out, names = sys.argv[1], sys.argv[2:]
print("| workload | server | joined | deliveries/s | lost | p50 ms | p99 ms | max ms | server CPU s | ×hubcat deliveries/s | ×hubcat p99 |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for n in names:
    rows = {}
    for s in ("hubcat", "ngircd", "inspircd"):
        p = os.path.join(out, f"{n}_{s}.json")
        rows[s] = json.load(open(p)) if os.path.exists(p) else None
    base = rows["hubcat"]
    for s, r in rows.items():
        if not r:
            print(f"| {n} | {s} | failed | | | | | | | | |"); continue
        l, hub = r["latency"], r.get("hub") or {}
        ratio_d = f'{r["deliveries_per_sec"] / base["deliveries_per_sec"]:.2f}' if base else ""
        ratio_p = f'{l["p99_ms"] / base["latency"]["p99_ms"]:.2f}' if base else ""
        print(f'| {n} | {s} | {r["joined"]} | {r["deliveries_per_sec"]:,.0f} | {r["lost"]} | {l["p50_ms"]:.2f} | {l["p99_ms"]:.2f} | {l["max_ms"]:.1f} | {hub.get("cpu_seconds", 0):.2f} | {ratio_d} | {ratio_p} |')
PY
echo "summaries and logs in $out" >&2
