#!/usr/bin/env bash
# Chat hub benchmark (issue 5): hubcat serve side by side with ncat --chat,
# nats-server and the seed 001 threaded server (bench/seedchat.py), on the
# same workloads in one run, with "hubcat bench chat" as the load generator.
#
#   bench/chat.sh                 # full W1–W5; records bench/RESULTS.md and charts
#   bench/chat.sh --quick         # scaled-down smoke run, nothing recorded
#   bench/chat.sh --systems "hubcat nats" --workloads "W2 W4"
#   bench/chat.sh --systems "hubcat hubcat-data" --workloads "W2 W4"   # durable history's cost;
#                                 # nothing is recorded (see RESULTS.md, issue 14)
#   bench/chat.sh --repeat 3      # each run three times, interleaved; the median counts
#   bench/chat.sh --baseline main~1 --systems "hubcat-base hubcat" --workloads W4
#                                 # hubcat built from a git revision runs as system
#                                 # hubcat-base, like hubcat; nothing is recorded
#   bench/chat.sh --replot /tmp/hubcat-chat.XXXX   # table, charts and record from a past run
#
# Every server runs on 127.0.0.1, a fresh process per workload and system.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
replot=0
repeat=1
systems="hubcat ncat nats seed"
only=""
out=""
baseline=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --systems) systems=$2; shift ;;
    --workloads) only=$2; shift ;;
    --out) out=$2; shift ;;
    --replot) out=$2 replot=1; shift ;;
    --repeat) repeat=$2; shift ;;
    --baseline) baseline=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "chat.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
out=${out:-$(mktemp -d /tmp/hubcat-chat.XXXXXX)}
mkdir -p "$out"

# Anchors, installed when missing.
need=()
for pair in ncat:ncat nats-server:nats-server python3:python3 ss:iproute2; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "chat.sh: installing ${need[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

go build -o "$out/hubcat" ./cmd/hubcat
go build -o "$out/chatplot" ./bench/chatplot

# The baseline: the revision built in a temporary worktree, run as the
# system hubcat-base (first in line unless --systems places it).
if [ -n "$baseline" ] && [ $replot = 0 ]; then
  src=$out/base-src
  git worktree add -q --detach "$src" "$baseline"
  built=0
  (cd "$src" && go build -o "$out/hubcat-base" ./cmd/hubcat) && built=1
  git worktree remove --force "$src"
  [ $built = 1 ] || { echo "chat.sh: cannot build the baseline $baseline" >&2; exit 1; }
  git rev-parse --short "$baseline^{commit}" >"$out/baseline"
  # Run it memory-only and without the web listener, as hubcat runs,
  # where the revision has those flags.
  help=$("$out/hubcat-base" serve -h 2>&1 || true)
  for flag in "--data none" "--web off"; do
    [[ $help != *"${flag% *} "* ]] || printf '%s ' "$flag"
  done >"$out/baseline-flags"
fi
if [ -n "$baseline" ] && [[ " $systems " != *" hubcat-base "* ]]; then
  systems="hubcat-base $systems"
fi
if [[ " $systems " == *" hubcat-base "* ]] && [ ! -x "$out/hubcat-base" ]; then
  echo "chat.sh: system hubcat-base needs --baseline REV" >&2
  exit 2
fi

# Workloads: name and load generator arguments.
if [ $quick = 1 ]; then
  workloads=(
    "W1|--clients 50 --senders 5 --rate 50 --duration 2s"
    "W2|--clients 200 --senders 10 --rate 20 --duration 2s"
    "W2-1k|--clients 200 --senders 10 --rate 20 --duration 2s --size 1024"
    "W2-stall|--clients 200 --senders 10 --rate 20 --duration 2s --size 1024 --stalled 1"
    "W3|--clients 500 --senders 5 --rate 10 --duration 2s"
    "W4|--clients 50 --senders 50 --rate 0 --duration 2s"
    "W5-500|--clients 500 --senders 0 --duration 1s"
    "W5-2k|--clients 2000 --senders 0 --duration 1s"
  )
else
  workloads=(
    "W1|--clients 100 --senders 10 --rate 50 --duration 10s"
    "W2|--clients 1000 --senders 20 --rate 20 --duration 10s"
    "W2-1k|--clients 1000 --senders 20 --rate 20 --duration 10s --size 1024"
    "W2-stall|--clients 1000 --senders 20 --rate 20 --duration 10s --size 1024 --stalled 1"
    "W3|--clients 5000 --senders 10 --rate 10 --duration 10s"
    "W4|--clients 200 --senders 200 --rate 0 --duration 10s"
    "W5-1k|--clients 1000 --senders 0 --duration 3s"
    "W5-10k|--clients 10000 --senders 0 --duration 3s"
    "W5-19.9k|--clients 19900 --senders 0 --duration 3s"
  )
fi

port=17300
pid=""
[ $replot = 1 ] || cut -d' ' -f1-3 /proc/loadavg >"$out/load-start"
[ $replot = 1 ] || git rev-parse --short HEAD >"$out/commit" 2>/dev/null || true

# start SYSTEM: runs it on a fresh loopback port; sets port and pid.
start() {
  port=$((port + 1))
  case $1 in # exec, so $! is the server itself (for --pid and kill)
    hubcat) exec "$out/hubcat" serve --data none --web off --listen "tcp://127.0.0.1:$port" --flood-rate 0 --max-per-ip 0 --max-clients 0 --log-level warn ;;
    hubcat-data) exec "$out/hubcat" serve --data "$out/data-$port" --web off --listen "tcp://127.0.0.1:$port" --flood-rate 0 --max-per-ip 0 --max-clients 0 --log-level warn ;;
    # shellcheck disable=SC2046 # the baseline's flags split into words
    hubcat-base) exec "$out/hubcat-base" serve $(cat "$out/baseline-flags") --listen "tcp://127.0.0.1:$port" --flood-rate 0 --max-per-ip 0 --max-clients 0 --log-level warn ;;
    ncat) exec ncat -l --chat --max-conns 100000 127.0.0.1 "$port" </dev/null ;;
    nats) exec nats-server -a 127.0.0.1 -p "$port" ;;
    seed) exec python3 bench/seedchat.py "$port" ;;
  esac >>"$out/$1.log" 2>&1 &
  pid=$!
  listening "$1"
}

# How the load generator talks to each system.
flags_for() {
  case $1 in
    hubcat|hubcat-data|hubcat-base) echo "--greeting" ;;
    ncat) echo "--greeting --dial-concurrency 8" ;; # ncat's listen backlog is 10
    nats) echo "--proto nats" ;;
    seed) echo "" ;;
  esac
}

# shellcheck source=bench/chatrun.sh
. bench/chatrun.sh

names=()
selected=()
for w in "${workloads[@]}"; do
  name=${w%%|*}
  if [ -n "$only" ] && ! [[ " $only " == *" ${name%%-*} "* || " $only " == *" $name "* ]]; then
    continue
  fi
  names+=("$name")
  selected+=("$w")
done

# Repetitions go round all workloads and systems in turn, so a burst of
# other load on the machine hits every system alike.
if [ $replot = 0 ]; then
  echo "$repeat" >"$out/repeat"
  for rep in $(seq "$repeat"); do
    for w in "${selected[@]}"; do
      name=${w%%|*} args=${w#*|}
      for sys in $systems; do
        json="$out/${name}_$sys.json"
        [ "$repeat" = 1 ] || json="$out/${name}_$sys.$rep.json"
        measure "$sys" "$args $(flags_for "$sys")" "$json"
      done
    done
  done
fi

[ $replot = 1 ] || cut -d' ' -f1-3 /proc/loadavg >"$out/load-end"
charts=$out
[ $quick = 1 ] || [ -n "$baseline" ] || [[ " $systems " == *" hubcat-data "* ]] || charts=bench
"$out/chatplot" -dir "$out" -charts "$charts" -systems "${systems// /,}" -workloads "${names[*]}" >"$out/table.md"
cat "$out/table.md"
echo "summaries and logs in $out; charts in $charts" >&2
[ $quick = 1 ] && exit 0
if [[ " $systems " == *" hubcat-data "* ]]; then
  # Durable history's cost is recorded by hand in its own section (issue 14).
  echo "not recorded: hubcat-data runs belong in the issue 14 section of bench/RESULTS.md (load average $(cat "$out/load-start") at the start, $(cat "$out/load-end") at the end)" >&2
  exit 0
fi
if [ -n "$baseline" ]; then
  echo "not recorded: a run against the baseline $(cat "$out/baseline" 2>/dev/null || echo "$baseline") (load average $(cat "$out/load-start") at the start, $(cat "$out/load-end") at the end)" >&2
  exit 0
fi

# Record: replace the "## Chat" section of bench/RESULTS.md.
section=$out/section.md
{
  echo "## Chat"
  echo
  echo "\`bench/chat.sh\` on $(date -u +%Y-%m-%d) (hubcat at commit $(cat "$out/commit" 2>/dev/null || echo unknown)), $(nproc) cores shared by the hub and the load generator"
  echo "(and by other work on the machine: load average $(cat "$out/load-start" 2>/dev/null) at the start, $(cat "$out/load-end" 2>/dev/null) at the end;"
  echo "compare ratios from the same run, and expect run-to-run noise in the latencies)."
  echo "Workloads: W1 100 clients, 10 senders × 50/s; W2 1,000 clients, 20 × 20/s; W3 5,000 clients,"
  echo "10 × 10/s; W4 200 clients all sending flat out (window of 64 per sender); W5 idle clients held."
  echo "W2-1k is W2 with 1 KiB lines; W2-stall is W2-1k with one client that stops reading when sending"
  echo "begins (its deliveries are not counted; the others' p99 should match W2-1k)."
  reps=$(cat "$out/repeat" 2>/dev/null || echo 1)
  [ "$reps" = 1 ] || echo "Each row is the median of $reps interleaved runs (by p99; idle runs by connect time)."
  echo "Ratios are against hubcat. Latency charts: $(for n in "${names[@]}"; do [ -f "bench/chat-${n,,}.png" ] && printf '[%s](chat-%s.png) ' "$n" "${n,,}"; done)"
  echo
  cat "$out/table.md"
  echo "The last two columns extrapolate the hub's RSS linearly from the idle runs. Beyond memory, 100k"
  echo "clients need a file limit above 100k (here it is 20,000 and cannot be raised, hence 19.9k) and"
  echo "the kernel's own socket memory (a few KiB per idle TCP connection, not in the hub's RSS); 1M"
  echo "clients need ulimit -n and fs.nr_open above 1M, and for loopback tests more source addresses"
  echo "than ports: the load generator spreads clients over 127.0.0.1–254 (about 28k ports each)."
} >"$section"
record Chat "$section"
