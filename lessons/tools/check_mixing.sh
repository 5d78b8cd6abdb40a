#!/usr/bin/env bash
# check_mixing.sh: lesson 12's demos fail on purpose -- check each one's exit code, key message and 10 s limit.
# usage: check_mixing.sh OUT_DIR   (OUT_DIR/12-mixing-runtimes/<demo> are the built demos)
#
# Each demo must end within 10 s (it is killed by timeout otherwise, and that is a failure),
# exit with the code below, and print the key message below (stdout and stderr together).
# LESSON_RUN, if set, prefixes each run (the TSan build needs `setarch <arch> -R`).
# Exits 1 if any demo misbehaved.
set -u
out=${1:?usage: check_mixing.sh OUT_DIR}
dir=$out/12-mixing-runtimes
limit=${MIXING_TIMEOUT:-10}
read -r -a prefix <<<"${LESSON_RUN:-}"

# demo | expected exit code | a fixed string the output must contain
checks=(
  "demo_tk_under_as|101|there is no reactor running, must be called from the context of a tk runtime"
  "demo_as_in_tk|0|with a reactor thread, as-io, that is running now"
  "demo_nested_block_on|101|Cannot start a runtime from within a runtime"
  "demo_deadlock|70|no thread waits on that epoll instance, so no one will see fd"
  "demo_blocking|0|worst lateness:"
)

bad=0
for c in "${checks[@]}"; do
  IFS='|' read -r name want key <<<"$c"
  bin=$dir/$name
  if [ ! -x "$bin" ]; then
    echo "  FAIL  $name: $bin was not built"; bad=$((bad + 1)); continue
  fi
  log=$(mktemp)
  timeout --kill-after=2 "$limit" "${prefix[@]}" "$bin" >"$log" 2>&1
  rc=$?
  problem=""
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    problem="did not end within ${limit}s (killed)"
  elif [ "$rc" -ne "$want" ]; then
    problem="exited with $rc, expected $want"
  fi
  if ! grep -qF -- "$key" "$log"; then
    problem="${problem:+$problem; }the output lacks \"$key\""
  fi
  if [ -z "$problem" ]; then
    printf '  ok    %-22s exit %3d, "%s"\n' "$name" "$rc" "$key"
  else
    printf '  FAIL  %-22s %s; its output:\n' "$name" "$problem"
    sed 's/^/          | /' "$log"
    bad=$((bad + 1))
  fi
  rm -f "$log"
done
echo "check-mixing: ${#checks[@]} demos, $bad failed"
[ "$bad" -eq 0 ]
