# Helpers shared by bench/chat.sh and bench/ws.sh: one load run of
# "hubcat bench chat" against a fresh server. Source it after defining
#   start SYSTEM   runs the server in the background on a fresh port, then
#                  calls "listening SYSTEM"; it sets port (where the load
#                  generator connects) and pid (the server itself);
# and setting out (the run's directory, which holds the hubcat binary).

# listening SYSTEM waits until the server just started listens on $port.
listening() {
  for _ in $(seq 100); do
    ss -Hltn "sport = :$port" | grep -q . && return 0
    sleep 0.05
  done
  echo "bench: $1 did not start listening on $port (see $out/$1.log)" >&2
  return 1
}

# stop ends the server.
stop() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# measure SYSTEM ARGS JSON: one load run against a fresh server, its
# summary in JSON (or the reason it failed).
measure() {
  local sys=$1 args=$2 json=$3 rc msg
  echo "== $(basename "$json" .json): $args" >&2
  if ! start "$sys"; then
    printf '{"error": "did not start"}\n' >"$json"
    return
  fi
  set +e
  # shellcheck disable=SC2086 # args split into words
  timeout 600 "$out/hubcat" bench chat --addr "127.0.0.1:$port" $args \
    --join-timeout 120s --pid "$pid" --label "$sys" --json "$json" 2>"$out/bench.err"
  rc=$?
  set -e
  if [ $rc != 0 ] || [ ! -s "$json" ]; then
    msg=$(tail -n 1 "$out/bench.err" | tr -d '"\\' | cut -c1-120)
    kill -0 "$pid" 2>/dev/null || msg="server exited; $msg"
    printf '{"error": "exit %d: %s"}\n' "$rc" "$msg" >"$json"
    echo "   failed: $msg" >&2
  fi
  stop
}

# record TITLE SECTION replaces the "## TITLE" section of bench/RESULTS.md
# with the file SECTION (or appends it when there is none).
record() {
  local title=$1 section=$2 results=bench/RESULTS.md
  [ -f "$results" ] || printf '# Benchmark results\n\n' >"$results"
  awk -v title="## $title" -v section="$section" '
    $0 == title { skip = 1; while ((getline line < section) > 0) print line; next }
    /^## / && skip { skip = 0 }
    !skip { print }
  ' "$results" >"$out/RESULTS.md"
  grep -qxF "## $title" "$results" || { echo; cat "$section"; } >>"$out/RESULTS.md"
  cp "$out/RESULTS.md" "$results"
  echo "recorded in $results" >&2
}
