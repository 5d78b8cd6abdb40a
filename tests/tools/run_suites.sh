#!/usr/bin/env bash
# run_suites.sh: run every Check suite binary of one build variant and tally the results.
# usage: run_suites.sh BUILD_DIR VARIANT   (BUILD_DIR is build/<variant>)
# Writes BUILD_DIR/test-results.txt ("passed failed suites_failed") and one log per suite.
set -u
dir=$1; variant=$2
logs="$dir/test-logs"; mkdir -p "$logs"
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
# Sanitized builds run several times slower: scale every Check timeout, never the assertions.
case $variant in
  asan) export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-4} ;;
  tsan) export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-8} ;;
esac
export RT_TEST_VARIANT=$variant
# TSan's shadow memory needs a fixed layout; newer kernels randomise mmap too widely for it.
prefix=()
if [ "$variant" = tsan ] && command -v setarch >/dev/null; then prefix=(setarch "$(uname -m)" -R); fi

passed=0; failed=0; bad_suites=0
printf '== %s: running suites in %s\n' "$variant" "$dir/tests"
for bin in "$dir"/tests/test_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  start=$(date +%s.%N)
  "${prefix[@]}" "$bin" >"$logs/$name.log" 2>&1
  rc=$?
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')
  # Check prints e.g. "100%: Checks: 7, Failures: 0, Errors: 0"
  line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$logs/$name.log" | tail -1)
  if [ -n "$line" ]; then
    n=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
    f=$(sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+).*/\1+\2/' <<<"$line")
    f=$((f)); p=$((n - f))
  else
    n=0; f=1; p=0   # no summary at all: the binary crashed before Check could report
  fi
  if [ $rc -ne 0 ] && [ $f -eq 0 ]; then f=1; fi   # a sanitizer report after Check finished
  passed=$((passed + p)); failed=$((failed + f))
  if [ $rc -eq 0 ] && [ $f -eq 0 ]; then
    printf '  ok    %-28s %3d checks  %6.2fs\n' "$name" "$n" "$secs"
  else
    bad_suites=$((bad_suites + 1))
    printf '  FAIL  %-28s %3d checks  (exit %d; log: %s)\n' "$name" "$n" "$rc" "$logs/$name.log"
    grep -E ':[EF]:|ERROR: |WARNING: ThreadSanitizer|runtime error' "$logs/$name.log" | head -20 | sed 's/^/        /'
  fi
done
echo "$passed $failed $bad_suites" >"$dir/test-results.txt"
printf '== %s: %d passed, %d failed\n' "$variant" "$passed" "$failed"
[ $failed -eq 0 ] && [ $bad_suites -eq 0 ]
