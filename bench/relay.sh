#!/usr/bin/env bash
# TCP byte relay over loopback: hubcat connect → hubcat listen against the
# producer pipe itself (the ceiling), iperf3, ncat, socat and OpenBSD nc, in
# one run, best of ROUNDS, as GB/s and as ratios.
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
declare -A best
for r in $(seq "$ROUNDS"); do
  for t in "${tools[@]}"; do
    g=$(relay "$t")
    echo "round $r: $t $g GB/s" >&2
    if [ -z "${best[$t]:-}" ] || awk -v a="$g" -v b="${best[$t]}" 'BEGIN { exit !(a > b) }'; then best[$t]=$g; fi
  done
done

echo "TCP relay, $SIZE over loopback, best of $ROUNDS, $(date -u +%Y-%m-%d), $(nproc) cores"
printf '| %-8s | %6s | %s |\n' tool "GB/s" "hubcat ÷ tool"
printf '|----------|--------|---------------|\n'
for t in "${tools[@]}"; do
  printf '| %-8s | %6s | %13s |\n' "$t" "${best[$t]}" "$(ratio "${best[hubcat]}" "${best[$t]}")"
done
