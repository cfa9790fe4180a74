#!/usr/bin/env bash
# Benchmarks hubcat send/recv against iperf3, ncat, socat and raw Go stream
# paths over loopback, all in one run, and prints a Markdown table with
# ratios. Installs iperf3, ncat and socat when missing.
#
#   bench/transfer.sh            # 4 GiB file of random bytes
#   SIZE_GIB=2 bench/transfer.sh # smaller
#   BASE=81db7e0~1 bench/transfer.sh  # also hubcat built from that git ref,
#                                     # run alternately with this tree's
#
# The source is a file of random bytes on disk, read warm from the page
# cache by every tool. hubcat writes a new file to disk (as a user's
# transfer does); ncat and socat are measured writing the same kind of file
# and discarding, and every anchor that discards is marked so.
set -euo pipefail
cd "$(dirname "$0")/.."

size_gib=${SIZE_GIB:-4}
size=$((size_gib << 30))
port=${PORT:-19431}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

need=()
for pair in iperf3:iperf3 ncat:ncat socat:socat python3:python3; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "bench: installing ${need[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

go build -o "$work/hubcat" ./cmd/hubcat
go build -o "$work/xferpath" ./bench/xferpath
base=${BASE:-}
if [ -n "$base" ]; then
  mkdir "$work/base"
  git archive "$base" | tar -x -C "$work/base"
  (cd "$work/base" && go build -o "$work/hubcat-base" ./cmd/hubcat)
fi
file="$work/data.bin"
head -c "$size" /dev/urandom >"$file"
sync
cat "$file" >/dev/null # every tool reads the source from the page cache

now() { date +%s.%N; }
results=()

# measure NAME RECEIVER_CMD SENDER_CMD: starts the receiver, waits until the
# port answers, runs the sender, waits for the receiver; wall time from
# sender start to receiver exit, and the CPU time (user + system) of both
# sides, which a busy machine disturbs much less than the wall time.
measure() {
  local name=$1 recv=$2 send=$3
  /usr/bin/time -f '%U %S' -o "$work/recv.time" bash -c "$recv" >"$work/recv.out" 2>"$work/recv.err" &
  local rpid=$!
  for _ in $(seq 1 200); do
    if grep -q "listening on" "$work/recv.err" 2>/dev/null || ss -ltn 2>/dev/null | grep -q ":$port "; then break; fi
    sleep 0.02
  done
  local t0 t1
  t0=$(now)
  /usr/bin/time -f '%U %S' -o "$work/send.time" bash -c "$send" >"$work/send.out" 2>"$work/send.err" || { echo "bench: $name sender failed: $(cat "$work/send.err")" >&2; }
  wait "$rpid" || echo "bench: $name receiver failed: $(cat "$work/recv.err")" >&2
  t1=$(now)
  local rate cpu
  rate=$(python3 -c "print(round($size/($t1-$t0)/1e9, 3))")
  cpu=$(cat "$work/recv.time" "$work/send.time" | python3 -c "import sys; v=[float(x) for l in sys.stdin if l[:1].isdigit() for x in l.split()]; print(round(sum(v)/$size_gib, 2))")
  results+=("$name|$rate|$cpu")
  printf '%-44s %6s GB/s %6s CPU-s/GiB\n' "$name" "$rate" "$cpu" >&2
  rm -rf "${work:?}"/in "${work:?}"/in.file
  sync
  port=$((port + 1))
}

iperf_rate() {
  iperf3 -s -1 -p "$port" >/dev/null 2>&1 &
  local spid=$!
  for _ in $(seq 1 200); do ss -ltn | grep -q ":$port " && break; sleep 0.02; done
  local bps
  bps=$(iperf3 -c 127.0.0.1 -p "$port" -n "$size" -J | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])')
  wait "$spid" || true
  local rate
  rate=$(python3 -c "print(round($bps/8/1e9, 3))")
  results+=("iperf3 single stream (memory → discard)|$rate|")
  printf '%-44s %6s GB/s\n' "iperf3 single stream" "$rate" >&2
  port=$((port + 1))
}

iperf_rate
measure "ncat < file (→ /dev/null)" \
  "ncat -l 127.0.0.1 $port >/dev/null" "ncat --send-only 127.0.0.1 $port < $file"
measure "ncat < file (→ new file on disk)" \
  "ncat -l 127.0.0.1 $port > $work/in.file" "ncat --send-only 127.0.0.1 $port < $file"
measure "socat file → new file on disk" \
  "socat -u TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr CREATE:$work/in.file" "socat -u OPEN:$file TCP:127.0.0.1:$port"
measure "Go sendfile → splice receiver (→ discard)" \
  "$work/xferpath -listen 127.0.0.1:$port -recv splice" "$work/xferpath -connect 127.0.0.1:$port -file $file -send sendfile"
measure "Go 32 KiB read/write → splice receiver (→ discard)" \
  "$work/xferpath -listen 127.0.0.1:$port -recv splice" "$work/xferpath -connect 127.0.0.1:$port -file $file -send rw"
measure "Go 1 MiB read/write, SHA-256 both sides (→ discard)" \
  "$work/xferpath -listen 127.0.0.1:$port -buf 1048576 -sha256" "$work/xferpath -connect 127.0.0.1:$port -file $file -send rw -buf 1048576 -sha256"
tok=bench-token-0123456789
hubcat_rows() { # BINARY LABEL [--tls]
  local bin=$1 label=$2 tls=${3:-} ins=
  [ -n "$tls" ] && ins=--insecure
  measure "hubcat$label send/recv ${tls:+--tls }(SHA-256, → new file on disk)" \
    "$bin recv $tls --listen 127.0.0.1:$port --token $tok $work/in" "$bin send $tls $ins --token $tok $file 127.0.0.1:$port"
}
[ -n "$base" ] && hubcat_rows "$work/hubcat-base" " @$base"
hubcat_rows "$work/hubcat" ""
measure "bare Go crypto/tls stream (→ discard)" \
  "$work/xferpath -listen 127.0.0.1:$port -tls -buf 262144" "$work/xferpath -connect 127.0.0.1:$port -file $file -tls -buf 262144"
measure "hubcat's Noise/AES-GCM stream (→ discard)" \
  "$work/xferpath -listen 127.0.0.1:$port -noise -buf 262144" "$work/xferpath -connect 127.0.0.1:$port -file $file -noise -buf 262144"
measure "ncat --ssl < file (→ /dev/null)" \
  "ncat --ssl -l 127.0.0.1 $port >/dev/null" "ncat --ssl --send-only 127.0.0.1 $port < $file"
[ -n "$base" ] && hubcat_rows "$work/hubcat-base" " @$base" --tls
hubcat_rows "$work/hubcat" "" --tls
if [ -n "$base" ]; then # a second round, in the other order
  hubcat_rows "$work/hubcat" " (2nd)"
  hubcat_rows "$work/hubcat-base" " @$base (2nd)"
fi

# Markdown table with ratios to the anchors the issue names, and with BASE
# set, this tree's hubcat against the base's, by wall time and CPU time.
python3 - "$size_gib" "${results[@]}" <<'PY'
import re, sys
gib, rows = sys.argv[1], [r.split("|") for r in sys.argv[2:]]
rate = {name: float(v) for name, v, _ in rows}
def find(prefix):
    return next(v for k, v in rate.items() if k.startswith(prefix))
iperf, gotls = find("iperf3"), find("bare Go crypto/tls")
print(f"{gib} GiB file of random bytes over 127.0.0.1, one run:\n")
print("| path | GB/s | × iperf3 | × Go TLS | CPU-s/GiB (both sides) |")
print("|---|---:|---:|---:|---:|")
for name, v, cpu in rows:
    v = float(v)
    print(f"| {name} | {v:.2f} | {v/iperf:.2f} | {v/gotls:.2f} | {cpu} |")
base = {}
for name, v, cpu in rows:
    m = re.match(r"hubcat( @\S+)?( \(2nd\))? send/recv (--tls )?", name)
    if m:
        base.setdefault((bool(m[1]), bool(m[3])), []).append((float(v), float(cpu)))
for tls in (False, True):
    old, new = base.get((True, tls)), base.get((False, tls))
    if old and new:
        o = [sum(x[i] for x in old) / len(old) for i in (0, 1)]
        n = [sum(x[i] for x in new) / len(new) for i in (0, 1)]
        print(f"\nhubcat{' --tls' if tls else ''} after/before: {n[0]/o[0]:.2f}× the rate, {n[1]/o[1]:.2f}× the CPU per GiB (mean of {len(new)} and {len(old)} runs)", end="")
print(f"\nhubcat's Noise stream / bare Go TLS: {find('hubcat' + chr(39) + 's Noise')/gotls:.2f}×")
PY
