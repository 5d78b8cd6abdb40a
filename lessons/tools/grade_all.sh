#!/usr/bin/env bash
# grade_all.sh: each lesson's solution must pass its grader and its untouched exercise must fail it.
# usage: grade_all.sh OUT_DIR LESSON...   (the graders are OUT_DIR/<lesson>/grade-{solution,exercise})
#
# Why the second half: a grader that passes the untouched exercise checks nothing, and a student
# would get "PASS" for doing nothing. So the untouched exercise must reach Check's summary line
# with at least one failed check -- not merely crash, which would prove nothing either.
# Logs go to OUT_DIR/<lesson>/grade-*.log. LESSON_RUN, if set, prefixes each run. Prints one
# line per lesson and "grade-all: N passed, N failed"; exits 1 if any lesson failed.
set -u
out=$1; shift
timeout_s=${LESSON_GRADE_TIMEOUT:-300}
read -r -a prefix <<<"${LESSON_RUN:-}"
summary_re='^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+'

# run_grader BIN LOG: run one grader; sets rc, checks (total) and failed (failures + errors).
run_grader() {
  timeout --kill-after=5 "$timeout_s" "${prefix[@]}" "$1" >"$2" 2>&1
  rc=$?
  local line
  line=$(grep -E "$summary_re" "$2" | tail -1)
  if [ -z "$line" ]; then checks=""; failed=""; return; fi
  checks=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
  failed=$(sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+).*/\1+\2/' <<<"$line")
  failed=$((failed))
}

passed=0; failures=0
for lesson in "$@"; do
  dir=lessons/$lesson
  problem=""
  for f in README.md exercise.c grade.c solution/exercise.c; do
    [ -f "$dir/$f" ] || problem="$problem missing $f;"
  done
  ls "$dir"/demo*.c >/dev/null 2>&1 || problem="$problem no demo*.c;"
  detail=""
  if [ -z "$problem" ]; then
    run_grader "$out/$lesson/grade-solution" "$out/$lesson/grade-solution.log"
    if [ -z "$checks" ]; then
      problem="$problem solution: grader crashed or hung (exit $rc, see $out/$lesson/grade-solution.log);"
    elif [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
      problem="$problem solution fails $failed of $checks checks (see $out/$lesson/grade-solution.log);"
    else
      detail="solution passes $checks/$checks"
    fi
    run_grader "$out/$lesson/grade-exercise" "$out/$lesson/grade-exercise.log"
    if [ -z "$checks" ]; then
      problem="$problem exercise: grader crashed or hung (exit $rc, see $out/$lesson/grade-exercise.log);"
    elif [ "$rc" -eq 0 ] || [ "$failed" -eq 0 ]; then
      problem="$problem the exercise as found PASSES its grader (a grader that cannot fail, or $dir/exercise.c is not the untouched one);"
    else
      detail="$detail, untouched exercise fails $failed of $checks"
    fi
  fi
  if [ -z "$problem" ]; then
    passed=$((passed + 1)); printf '  ok    %-30s %s\n' "$lesson" "$detail"
  else
    failures=$((failures + 1)); printf '  FAIL  %-30s%s\n' "$lesson" "${problem%;}"
  fi
done
echo "grade-all: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
