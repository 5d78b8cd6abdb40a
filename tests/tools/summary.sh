#!/usr/bin/env bash
# summary.sh: add up the per-variant results of run_suites.sh into one closing line.
# usage: summary.sh BUILD VARIANT...   Exits non-zero if any variant failed or did not run.
set -u
build=$1; shift
passed=0; failed=0; missing=""
for v in "$@"; do
  f="$build/$v/test-results.txt"
  if [ -f "$f" ]; then read -r p fl bs <"$f"; passed=$((passed + p)); failed=$((failed + fl + bs * 0))
  else missing="$missing $v"; failed=$((failed + 1)); fi
done
[ -z "$missing" ] || echo "summary: no results for:$missing (the build failed?)"
echo
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$missing" ]
