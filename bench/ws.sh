#!/usr/bin/env bash
# WebSocket chat benchmark (issue 12): hubcat's web listener against a
# Node.js broadcast server on the npm package ws (bench/ws-broadcast.js),
# with hubcat's own TCP line protocol on the same workloads as the yardstick,
# all in one run with "hubcat bench chat" as the load generator.
#
#   bench/ws.sh              # W2, W4, W5-1k, W5-10k; records "## WebSocket" in bench/RESULTS.md
#   bench/ws.sh --rounds 5   # hubcat's runs repeated 5 times (default 3), the median kept
#   bench/ws.sh --quick      # scaled-down smoke run, one round, nothing recorded
#
# Systems: hubcat (TCP lines, as in bench/chat.sh), hubcat-ws (the same hub
# through /ws, JSON protocol v1) and node-ws (ws@8.23 relaying every text
# message to the other clients). Every server runs on 127.0.0.1, a fresh
# process per workload and system. Loopback runs on a shared machine vary
# by a fifth from one to the next, so hubcat's two systems run in
# alternation, rounds times each, and the table shows each one's median run
# (by deliveries/s for W4, p99 for W2, memory per client for W5); node-ws
# runs once.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
rounds=3
systems="hubcat hubcat-ws node-ws"
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1; rounds=1 ;;
    --rounds) rounds=$2; shift ;;
    --systems) systems=$2; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "ws.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
out=$(mktemp -d /tmp/hubcat-ws.XXXXXX)

need=()
for pair in node:nodejs npm:npm ss:iproute2; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "ws.sh: installing ${need[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
npm install --silent --no-audit --no-fund --prefix "$out/node" ws@8.23 >/dev/null
go build -o "$out/hubcat" ./cmd/hubcat
go build -o "$out/chatplot" ./bench/chatplot

# Workloads: name, load generator arguments, what only WebSocket clients
# add (W4-ws runs with a small window: 16 messages in flight per sender
# instead of 64), and the summary field that picks the median run.
if [ $quick = 1 ]; then
  workloads=(
    "W2|--clients 200 --senders 10 --rate 20 --duration 2s||p99_ms"
    "W4|--clients 50 --senders 50 --rate 0 --duration 2s|--window 16|deliveries_per_sec"
    "W5-1k|--clients 1000 --senders 0 --duration 1s||rss_per_client_bytes"
  )
else
  workloads=(
    "W2|--clients 1000 --senders 20 --rate 20 --duration 10s||p99_ms"
    "W4|--clients 200 --senders 200 --rate 0 --duration 10s|--window 16|deliveries_per_sec"
    "W5-1k|--clients 1000 --senders 0 --duration 3s||rss_per_client_bytes"
    "W5-10k|--clients 10000 --senders 0 --duration 3s||rss_per_client_bytes"
  )
fi

port=17500
pid=""
cut -d' ' -f1-3 /proc/loadavg >"$out/load-start"
git rev-parse --short HEAD >"$out/commit" 2>/dev/null || true

# start SYSTEM: runs it on fresh loopback ports; sets port (where the load
# generator connects) and pid.
start() {
  port=$((port + 2))
  case $1 in # exec, so $! is the server itself
    hubcat) exec "$out/hubcat" serve --data none --web off --listen "tcp://127.0.0.1:$port" --flood-rate 0 --max-per-ip 0 --max-clients 0 --log-level warn ;;
    hubcat-ws) exec "$out/hubcat" serve --data none --web "127.0.0.1:$port" --listen "tcp://127.0.0.1:$((port + 1))" --flood-rate 0 --max-per-ip 0 --max-clients 0 --log-level warn ;;
    node-ws) NODE_PATH=$out/node/node_modules exec node bench/ws-broadcast.js "$port" ;;
  esac >>"$out/$1.log" 2>&1 &
  pid=$!
  listening "$1"
}

# shellcheck source=bench/chatrun.sh
. bench/chatrun.sh

# median RUN KEY: copies RUN.rN.json, the run whose KEY is the median of
# the rounds, to RUN.json.
median() {
  local run=$1 key=$2 f
  f=$(for j in "$run".r*.json; do
    printf '%s %s\n' "$(grep -o "\"$key\": *[0-9.e+-]*" "$j" | head -n 1 | sed 's/.*: *//')" "$j"
  done | sort -g | awk '{ f[NR] = $2 } END { print f[int((NR + 1) / 2)] }')
  cp "$f" "$run.json"
}

names=()
for w in "${workloads[@]}"; do
  IFS='|' read -r name args wsargs key <<<"$w"
  names+=("$name")
  for r in $(seq "$rounds"); do
    for sys in $systems; do
      case $sys in
        hubcat) extra="--greeting" ;;
        node-ws) [ "$r" = 1 ] || continue; extra="--proto ws $wsargs" ;;
        *) extra="--proto ws $wsargs" ;;
      esac
      measure "$sys" "$args $extra" "$out/${name}_$sys.r$r.json"
    done
  done
  for sys in $systems; do median "$out/${name}_$sys" "$key"; done
done
cut -d' ' -f1-3 /proc/loadavg >"$out/load-end"

"$out/chatplot" -dir "$out" -systems "${systems// /,}" -workloads "${names[*]}" >"$out/table.md"
cat "$out/table.md"
echo "summaries and logs in $out" >&2
[ $quick = 1 ] && exit 0

section=$out/section.md
{
  echo "## WebSocket"
  echo
  echo "\`bench/ws.sh\` on $(date -u +%Y-%m-%d) (hubcat at commit $(cat "$out/commit" 2>/dev/null || echo unknown)), $(nproc) cores shared by the servers, the load generator"
  echo "and other work (load average $(cat "$out/load-start") at the start, $(cat "$out/load-end") at the end; compare ratios from this run)."
  echo "hubcat and hubcat-ws ran in alternation, $rounds times each; each row is the median run (by deliveries/s for W4, p99 for W2,"
  echo "memory per client for W5), every run's summary is kept in the run's directory; node-ws ran once."
  echo "hubcat: the TCP line protocol (the yardstick); hubcat-ws: the same hub through its web listener (\`/ws\`, JSON"
  echo "protocol v1, one event per WebSocket message); node-ws: Node.js $(node --version) with ws@8.23 relaying each message"
  echo "to the other clients (bench/ws-broadcast.js). W2 (W2-ws for the WebSocket systems): 1,000 clients, 20 senders × 20/s;"
  echo "W4 (W4-ws): 200 clients all sending, window 64 on TCP and 16 on WebSocket; W5: 1,000 and 10,000 idle clients held."
  echo "Ratios are against hubcat over TCP."
  echo
  cat "$out/table.md"
} >"$section"
record WebSocket "$section"
