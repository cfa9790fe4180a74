#!/usr/bin/env bash
# UDP datagrams over loopback: hubcat connect → hubcat listen against
# socat → socat, at 64 and 1400 bytes, in one run. Each sender sends COUNT
# datagrams read from a file of COUNT lines of exactly that size (a line is
# one datagram for hubcat; socat -b SIZE reads one line per datagram); the
# receiver writes what it gets to a file, whose size gives the count
# delivered. Rates are datagrams delivered per second of sending; loss is
# what the receiver never got.
#
#   bench/udp.sh              # COUNT=1000000 ROUNDS=2
set -euo pipefail
. "$(dirname "$0")/lib.sh"
COUNT=${COUNT:-1000000}
ROUNDS=${ROUNDS:-2}
need socat:socat ss:iproute2
build_hubcat

# udp TOOL SIZE: one run; prints "delivered_per_s loss_percent".
udp() {
  local tool=$1 size=$2 p rpid t0 t1 in=$OUT/udp-$2.txt got=$OUT/udp-recv.bin
  p=$(free_port)
  rm -f "$got"
  case $tool in
  hubcat)
    "$HUBCAT" listen "udp://127.0.0.1:$p" --recv-only >"$got" 2>/dev/null & rpid=$!
    wait_listen "$p" udp
    t0=$(now); "$HUBCAT" connect "udp://127.0.0.1:$p" <"$in"; t1=$(now) ;;
  socat)
    socat -u -b 65536 "UDP-RECV:$p,bind=127.0.0.1" STDOUT >"$got" & rpid=$!
    wait_listen "$p" udp
    t0=$(now); socat -u -b "$size" "OPEN:$in" "UDP-SENDTO:127.0.0.1:$p"; t1=$(now) ;;
  esac
  sleep 0.5 # let the receiver drain its socket before it is stopped
  kill "$rpid"; wait "$rpid" 2>/dev/null || true
  local n=$(( $(stat -c %s "$got") / size ))
  awk -v n="$n" -v c="$COUNT" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f %.1f", n / (ns / 1e9), 100 * (c - n) / c }'
}

echo "UDP, $COUNT datagrams per run, best of $ROUNDS, $(date -u +%Y-%m-%d), $(nproc) cores"
printf '| size | tool   | delivered/s | loss %% | hubcat ÷ socat |\n|------|--------|-------------|--------|----------------|\n'
for size in 64 1400; do
  line=$(head -c $((size - 1)) /dev/zero | tr '\0' 'x')
  awk -v n="$COUNT" -v l="$line" 'BEGIN { for (i = 0; i < n; i++) print l }' >"$OUT/udp-$size.txt"
  declare -A best=() loss=()
  for r in $(seq "$ROUNDS"); do
    for t in hubcat socat; do
      res=$(udp "$t" "$size")
      read -r rate lost <<<"$res"
      echo "round $r: $size B $t $rate/s loss $lost%" >&2
      if [ -z "${best[$t]:-}" ] || [ "$rate" -gt "${best[$t]}" ]; then best[$t]=$rate; loss[$t]=$lost; fi
    done
  done
  for t in hubcat socat; do
    printf '| %4s | %-6s | %11s | %6s | %14s |\n' "$size" "$t" "${best[$t]}" "${loss[$t]}" "$(ratio "${best[hubcat]}" "${best[$t]}")"
  done
  rm -f "$OUT/udp-$size.txt"
done
