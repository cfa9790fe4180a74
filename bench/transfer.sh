#!/usr/bin/env bash
# Benchmarks hubcat send/recv against iperf3, ncat, socat and raw Go stream
# paths over loopback, all in one run, and prints a Markdown table with
# ratios. Installs iperf3, ncat and socat when missing.
#
#   bench/transfer.sh            # 4 GiB sparse file
#   SIZE_GIB=2 bench/transfer.sh # smaller
#
# hubcat receives into tmpfs (/dev/shm) so the disk does not set the pace;
# every anchor that only discards is marked so.
set -euo pipefail
cd "$(dirname "$0")/.."

size_gib=${SIZE_GIB:-4}
size=$((size_gib << 30))
port=${PORT:-19431}
work=$(mktemp -d)
shm=$(mktemp -d /dev/shm/hubcat-bench.XXXXXX)
trap 'rm -rf "$work" "$shm"' EXIT

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
file="$work/data.img"
truncate -s "$size" "$file"
cat "$file" >/dev/null # warm the page cache path for the sparse file
# Fault tmpfs memory in once (and free it) so the first tool that writes
# there does not pay the VM's first-touch cost for fresh pages.
dd if=/dev/zero of="$shm/warm" bs=1M count=$((size_gib * 1024 + 256)) status=none
rm -f "$shm/warm"

now() { date +%s.%N; }
results=()

# measure NAME RECEIVER_CMD SENDER_CMD: starts the receiver, waits until the
# port answers, runs the sender, waits for the receiver; wall time from
# sender start to receiver exit.
measure() {
  local name=$1 recv=$2 send=$3
  bash -c "$recv" >"$work/recv.out" 2>"$work/recv.err" &
  local rpid=$!
  for _ in $(seq 1 200); do
    if grep -q "listening on" "$work/recv.err" 2>/dev/null || ss -ltn 2>/dev/null | grep -q ":$port "; then break; fi
    sleep 0.02
  done
  local t0 t1
  t0=$(now)
  bash -c "$send" >"$work/send.out" 2>"$work/send.err" || { echo "bench: $name sender failed: $(cat "$work/send.err")" >&2; }
  wait "$rpid" || echo "bench: $name receiver failed: $(cat "$work/recv.err")" >&2
  t1=$(now)
  local rate
  rate=$(python3 -c "print(round($size/($t1-$t0)/1e9, 3))")
  results+=("$name|$rate")
  printf '%-44s %6s GB/s\n' "$name" "$rate" >&2
  rm -rf "${shm:?}"/in
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
  results+=("iperf3 single stream (memory → discard)|$rate")
  printf '%-44s %6s GB/s\n' "iperf3 single stream" "$rate" >&2
  port=$((port + 1))
}

iperf_rate
measure "ncat < file (→ /dev/null)" \
  "ncat -l 127.0.0.1 $port >/dev/null" "ncat --send-only 127.0.0.1 $port < $file"
measure "ncat < file (→ tmpfs file)" \
  "ncat -l 127.0.0.1 $port > $shm/in" "ncat --send-only 127.0.0.1 $port < $file"
measure "socat file → /dev/null" \
  "socat -u TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr OPEN:/dev/null" "socat -u OPEN:$file TCP:127.0.0.1:$port"
measure "Go sendfile → splice receiver" \
  "$work/xferpath -listen 127.0.0.1:$port -recv splice" "$work/xferpath -connect 127.0.0.1:$port -file $file -send sendfile"
measure "Go 32 KiB read/write → splice receiver" \
  "$work/xferpath -listen 127.0.0.1:$port -recv splice" "$work/xferpath -connect 127.0.0.1:$port -file $file -send rw"
measure "Go 256 KiB read/write → 256 KiB read loop" \
  "$work/xferpath -listen 127.0.0.1:$port -buf 262144" "$work/xferpath -connect 127.0.0.1:$port -file $file -send rw -buf 262144"
measure "hubcat send/recv (SHA-256, → tmpfs file)" \
  "$work/hubcat recv --listen 127.0.0.1:$port --token bench $shm/in" "$work/hubcat send --token bench $file 127.0.0.1:$port"
measure "bare Go crypto/tls stream (→ discard)" \
  "$work/xferpath -listen 127.0.0.1:$port -tls -buf 262144" "$work/xferpath -connect 127.0.0.1:$port -file $file -tls -buf 262144"
measure "ncat --ssl < file (→ /dev/null)" \
  "ncat --ssl -l 127.0.0.1 $port >/dev/null" "ncat --ssl --send-only 127.0.0.1 $port < $file"
measure "hubcat send/recv --tls (SHA-256, → tmpfs)" \
  "$work/hubcat recv --tls --listen 127.0.0.1:$port --token bench $shm/in" "$work/hubcat send --tls --insecure --token bench $file 127.0.0.1:$port"

# Markdown table with ratios to the anchors the issue names.
python3 - "$size_gib" "${results[@]}" <<'PY'
import sys
gib, rows = sys.argv[1], [r.split("|") for r in sys.argv[2:]]
rate = {name: float(v) for name, v in rows}
def find(prefix):
    return next(v for k, v in rate.items() if k.startswith(prefix))
iperf, gotls = find("iperf3"), find("bare Go crypto/tls")
print(f"{gib} GiB sparse file over 127.0.0.1, one run:\n")
print("| path | GB/s | × iperf3 | × Go TLS |")
print("|---|---:|---:|---:|")
for name, v in rows:
    v = float(v)
    print(f"| {name} | {v:.2f} | {v/iperf:.2f} | {v/gotls:.2f} |")
PY
