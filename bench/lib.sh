# Helpers shared by the bench scripts: installing anchors, building hubcat,
# free ports, waiting for listeners and timing. Source it; do not run it.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$BENCH_DIR/out
mkdir -p "$OUT"

# need CMD:PKG... installs the Debian packages whose commands are missing.
need() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "bench: installing ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# build_hubcat builds the binary under test into $OUT.
build_hubcat() {
  (cd "$BENCH_DIR/.." && go build -o "$OUT/hubcat" ./cmd/hubcat)
  HUBCAT=$OUT/hubcat
}

# free_port prints a loopback port nothing listens on.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_listen PORT [udp] waits until something listens on 127.0.0.1:PORT.
wait_listen() {
  local flag=-ltnH i
  [ "${2:-}" = udp ] && flag=-lunH
  for i in $(seq 200); do
    ss $flag "sport = :$1" | grep -q . && return 0
    sleep 0.02
  done
  echo "bench: nothing listens on port $1" >&2
  return 1
}

# now prints the time in nanoseconds.
now() { date +%s%N; }

# rate BYTES NANOS prints GB/s (10^9 bytes per second) with two decimals.
rate() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.2f", b / ns }'; }

# ratio A B prints A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# bytes SIZE turns 4G / 512M into a byte count.
bytes() {
  local n=${1%[GMK]} u=${1: -1}
  case $u in G) echo $((n << 30)) ;; M) echo $((n << 20)) ;; K) echo $((n << 10)) ;; *) echo "$1" ;; esac
}
