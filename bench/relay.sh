#!/usr/bin/env bash
# TCP byte relay over loopback: hubcat connect → hubcat listen against the
# producer pipe itself (the ceiling), iperf3, ncat, socat and OpenBSD nc, in
# one run, ROUNDS times; prints GB/s per round and the median of the per-round
# ratios (each ratio compares runs made seconds apart).
#
#   bench/relay.sh            # SIZE=4G ROUNDS=3
#   SIZE=8G ROUNDS=5 bench/relay.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
SIZE=${SIZE:-4G}
ROUNDS=${ROUNDS:-3}
need iperf3:iperf3 ncat:ncat socat:socat nc.openbsd:netcat-openbsd ss:iproute2
build_hubcat
N=$(bytes "$SIZE")

# relay NAME: runs one transfer of $SIZE with the named tool, prints GB/s.
relay() {
  local p t0 t1 rpid
  p=$(free_port)
  case $1 in
  pipe)
    t0=$(now); head -c "$SIZE" /dev/zero | cat >/dev/null; t1=$(now)
    rate "$N" $((t1 - t0)); return ;;
  iperf3)
    iperf3 -s -1 -B 127.0.0.1 -p "$p" >/dev/null 2>&1 & rpid=$!
    wait_listen "$p"
    t0=$(now); iperf3 -c 127.0.0.1 -p "$p" -n "$N" >/dev/null; wait $rpid; t1=$(now) ;;
  hubcat)
    "$HUBCAT" listen "127.0.0.1:$p" >/dev/null 2>&1 </dev/null & rpid=$!
    wait_listen "$p"
    t0=$(now); head -c "$SIZE" /dev/zero | "$HUBCAT" connect "127.0.0.1:$p"; wait $rpid; t1=$(now) ;;
  ncat)
    ncat -l --recv-only 127.0.0.1 "$p" >/dev/null & rpid=$!
    wait_listen "$p"
    t0=$(now); head -c "$SIZE" /dev/zero | ncat --send-only 127.0.0.1 "$p"; wait $rpid; t1=$(now) ;;
  socat)
    socat -u "TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr" STDOUT >/dev/null & rpid=$!
    wait_listen "$p"
    t0=$(now); head -c "$SIZE" /dev/zero | socat -u STDIN "TCP:127.0.0.1:$p"; wait $rpid; t1=$(now) ;;
  nc)
    nc.openbsd -l 127.0.0.1 "$p" >/dev/null </dev/null & rpid=$!
    wait_listen "$p"
    t0=$(now); head -c "$SIZE" /dev/zero | nc.openbsd -N 127.0.0.1 "$p"; wait $rpid; t1=$(now) ;;
  esac
  rate "$N" $((t1 - t0))
}

tools=(pipe iperf3 hubcat ncat socat nc)
declare -A rates ratios
for r in $(seq "$ROUNDS"); do
  declare -A round=()
  for t in "${tools[@]}"; do
    round[$t]=$(relay "$t")
    echo "round $r: $t ${round[$t]} GB/s" >&2
    rates[$t]+="${round[$t]} "
  done
  for t in "${tools[@]}"; do ratios[$t]+="$(ratio "${round[hubcat]}" "${round[$t]}") "; done
done

# median of a list of numbers
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "TCP relay, $SIZE over loopback, $ROUNDS rounds, $(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
printf '| %-8s | %-24s | %6s | %s |\n' tool "GB/s each round" median "hubcat ÷ tool (median of rounds)"
printf '|----------|--------------------------|--------|----------------------------------|\n'
for t in "${tools[@]}"; do
  printf '| %-8s | %-24s | %6s | %32s |\n' "$t" "${rates[$t]% }" "$(median "${rates[$t]}")" "$(median "${ratios[$t]}")"
done
