#!/usr/bin/env bash
# WebSocket chat benchmark (issue 12): hubcat's web listener against a
# Node.js broadcast server on the npm package ws (bench/ws-broadcast.js),
# with hubcat's own TCP line protocol on the same workloads as the yardstick,
# all in one run with "hubcat bench chat" as the load generator.
#
#   bench/ws.sh            # W2, W4, W5-1k, W5-10k; records "## WebSocket" in bench/RESULTS.md
#   bench/ws.sh --quick    # scaled-down smoke run, nothing recorded
#
# Systems: hubcat (TCP lines, as in bench/chat.sh), hubcat-ws (the same hub
# through /ws, JSON protocol v1) and node-ws (ws@8.23 relaying every text
# message to the other clients). Every server runs on 127.0.0.1, a fresh
# process per workload and system.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
systems="hubcat hubcat-ws node-ws"
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --systems) systems=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
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

# Workloads: name, load generator arguments, and what only WebSocket
# clients add (W4-ws runs with a small window: 16 messages in flight per
# sender instead of 64).
if [ $quick = 1 ]; then
  workloads=(
    "W2|--clients 200 --senders 10 --rate 20 --duration 2s|"
    "W4|--clients 50 --senders 50 --rate 0 --duration 2s|--window 16"
    "W5-1k|--clients 1000 --senders 0 --duration 1s|"
  )
else
  workloads=(
    "W2|--clients 1000 --senders 20 --rate 20 --duration 10s|"
    "W4|--clients 200 --senders 200 --rate 0 --duration 10s|--window 16"
    "W5-1k|--clients 1000 --senders 0 --duration 3s|"
    "W5-10k|--clients 10000 --senders 0 --duration 3s|"
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

names=()
for w in "${workloads[@]}"; do
  IFS='|' read -r name args wsargs <<<"$w"
  names+=("$name")
  for sys in $systems; do
    case $sys in
      hubcat) extra="--greeting" ;;
      *) extra="--proto ws $wsargs" ;;
    esac
    measure "$sys" "$args $extra" "$out/${name}_$sys.json"
  done
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
  echo "hubcat: the TCP line protocol (the yardstick); hubcat-ws: the same hub through its web listener (\`/ws\`, JSON"
  echo "protocol v1, one event per WebSocket message); node-ws: Node.js $(node --version) with ws@8.23 relaying each message"
  echo "to the other clients (bench/ws-broadcast.js). W2 (W2-ws for the WebSocket systems): 1,000 clients, 20 senders × 20/s;"
  echo "W4 (W4-ws): 200 clients all sending, window 64 on TCP and 16 on WebSocket; W5: 1,000 and 10,000 idle clients held."
  echo "Ratios are against hubcat over TCP."
  echo
  cat "$out/table.md"
} >"$section"
record WebSocket "$section"
