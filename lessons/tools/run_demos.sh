#!/usr/bin/env bash
# run_demos.sh: run the demos of the given lessons in order, each under a time limit, checking exit codes.
# usage: run_demos.sh OUT_DIR LESSON...   (OUT_DIR holds OUT_DIR/<lesson>/<demo> binaries)
#
# A demo is expected to exit 0, unless its source contains a line with "expect-exit: N": the
# mixing-runtimes demos panic on purpose (101) and that is what they must show. Every demo must
# end within LESSON_DEMO_TIMEOUT seconds (default 60). LESSON_RUN, if set, prefixes each run
# (the TSan build needs `setarch <arch> -R`). Exits 1 if any demo misbehaved.
set -u
out=$1; shift
timeout_s=${LESSON_DEMO_TIMEOUT:-60}
read -r -a prefix <<<"${LESSON_RUN:-}"
bad=0; ran=0
for lesson in "$@"; do
  echo "######## lessons/$lesson"
  found=0
  for src in lessons/"$lesson"/demo*.c; do
    [ -f "$src" ] || continue
    found=1
    name=$(basename "$src" .c)
    bin="$out/$lesson/$name"
    expect=$(sed -n 's/.*expect-exit: *\([0-9][0-9]*\).*/\1/p' "$src" | head -1)
    expect=${expect:-0}
    echo "==== $src  (\$ $bin)"
    if [ ! -x "$bin" ]; then
      echo "run_demos: $bin was not built" >&2; bad=$((bad + 1)); continue
    fi
    timeout --kill-after=5 "$timeout_s" "${prefix[@]}" "$bin"
    rc=$?
    ran=$((ran + 1))
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
      echo "run_demos: $src did not finish within ${timeout_s}s" >&2; bad=$((bad + 1))
    elif [ "$rc" -ne "$expect" ]; then
      echo "run_demos: $src exited with $rc, expected $expect" >&2; bad=$((bad + 1))
    elif [ "$expect" -ne 0 ]; then
      echo "==== (exit $rc, as this demo intends)"
    fi
  done
  [ "$found" -eq 1 ] || { echo "run_demos: lessons/$lesson has no demo*.c" >&2; bad=$((bad + 1)); }
done
echo "run_demos: $ran demos run, $bad problems"
[ "$bad" -eq 0 ]
