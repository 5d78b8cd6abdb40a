#!/usr/bin/env bash
# run.sh: build the libFuzzer targets into build/fuzz/ and run each for a bounded time; non-zero on any crash.
#
# Usage: tests/fuzz/run.sh [target...]        (default: every target below)
#   FUZZ_SECONDS=60   seconds of fuzzing per target; 0 only replays the committed corpus once
#   BUILD=build       the build root (as in the Makefile); everything goes to $BUILD/fuzz/
#
# Each target is compiled with clang -fsanitize=fuzzer,address,undefined and the project's
# warning flags, then fuzzed starting from a fresh COPY of its committed corpus
# (tests/fuzz/corpus/<target>/ -> $BUILD/fuzz/corpus/<target>/), so the inputs libFuzzer adds
# never land in the source tree. A crash, a sanitizer report, a leak, a timeout or a broken
# invariant (the targets abort) makes the script print the saved input's path and exit 1.
# Executions per target are recorded in $BUILD/fuzz/stats.txt.
#
# Needs clang and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev for clang 14).

set -u

cd "$(dirname "$0")/../.." || exit 2
OUT="${BUILD:-build}/fuzz"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
CC_FUZZ="${FUZZ_CC:-clang}"

# target | sources | -max_len | extra libFuzzer flags
#   http_parse: a little above the parser's 16384-byte limit, so the limit itself is fuzzed.
#   timers, local_queue: programs of opcodes; a few thousand bytes is thousands of operations.
TARGETS="http_parse timers local_queue"
sources_of() {
    case "$1" in
    http_parse)  echo "tests/fuzz/fuzz_http_parse.c bench/impl/common/http_parse.c" ;;
    timers)      echo "tests/fuzz/fuzz_timers.c common/rt_timer.c common/rt_timer_wheel.c common/rt_timer_heap.c common/rt_alloc.c" ;;
    local_queue) echo "tests/fuzz/fuzz_local_queue.c common/rt_local_queue.c common/rt_inject.c common/rt_alloc.c" ;;
    *)           return 1 ;;
    esac
}
max_len_of() {
    case "$1" in
    http_parse)  echo 17000 ;;
    timers)      echo 4096 ;;
    local_queue) echo 2048 ;;
    esac
}
extra_flags_of() {
    case "$1" in
    http_parse)  echo "-dict=tests/fuzz/http.dict" ;;
    *)           echo "" ;;
    esac
}

CFLAGS_FUZZ="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
  -Wmissing-prototypes -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
  -fno-sanitize-recover=all -Icommon -Ibench/impl/common -pthread"

# An abort in a target or a UBSan report must stop the run with a stack; ASan's leak check at
# the end of each input stays on (libFuzzer's default with ASan).
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

command -v "$CC_FUZZ" >/dev/null 2>&1 || { echo "fuzz: $CC_FUZZ not found (apt-get install clang)" >&2; exit 2; }
mkdir -p "$OUT/bin" "$OUT/corpus" "$OUT/logs" "$OUT/artifacts"

# Probe once that this clang can link libFuzzer, so a missing runtime is one clear message.
probe="$OUT/probe"
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$probe.c"
if ! "$CC_FUZZ" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" >"$probe.log" 2>&1; then
    echo "fuzz: $CC_FUZZ cannot link -fsanitize=fuzzer (Debian: apt-get install libclang-rt-$("$CC_FUZZ" -dumpversion | cut -d. -f1)-dev):" >&2
    cat "$probe.log" >&2
    exit 2
fi

selected="${*:-$TARGETS}"
rc=0
stats_tmp="$OUT/stats.txt.tmp"
{
    echo "# fuzz executions: $(date -u +%Y-%m-%dT%H:%M:%SZ), $("$CC_FUZZ" --version | head -n1), $(nproc) cpus"
    echo "# target execs seconds exec_per_sec corpus_in corpus_out result"
} > "$stats_tmp"

for t in $selected; do
    src=$(sources_of "$t") || { echo "fuzz: unknown target '$t' (have: $TARGETS)" >&2; rc=1; continue; }
    bin="$OUT/bin/fuzz_$t"
    echo "== fuzz $t: building $bin"
    # shellcheck disable=SC2086 # word splitting of the flag and source lists is intended
    if ! "$CC_FUZZ" $CFLAGS_FUZZ $src -o "$bin"; then
        echo "fuzz $t: BUILD FAILED" >&2
        echo "$t 0 0 0 0 0 build-failed" >> "$stats_tmp"
        rc=1
        continue
    fi

    # A fresh working copy of the committed corpus; libFuzzer adds to it, the source tree is untouched.
    corpus="$OUT/corpus/$t"
    rm -rf "$corpus"
    mkdir -p "$corpus"
    cp tests/fuzz/corpus/"$t"/* "$corpus"/
    corpus_in=$(find "$corpus" -type f | wc -l)
    rm -f "$OUT/artifacts/$t"-*
    log="$OUT/logs/$t.log"

    if [ "$SECONDS_PER_TARGET" -eq 0 ]; then
        echo "== fuzz $t: replaying $corpus_in corpus inputs"
        mode=(-runs=0)
        limit=300
    else
        echo "== fuzz $t: fuzzing for ${SECONDS_PER_TARGET}s from $corpus_in seed inputs"
        mode=(-max_total_time="$SECONDS_PER_TARGET")
        limit=$((SECONDS_PER_TARGET + 300))
    fi
    # -timeout: one input running 10 s is a hang; the outer timeout catches a wedged process.
    # shellcheck disable=SC2046 # extra flags are a word list
    timeout -k 10 "$limit" "$bin" "${mode[@]}" -max_len="$(max_len_of "$t")" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" \
        $(extra_flags_of "$t") "$corpus" > "$log" 2>&1
    frc=$?

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9][0-9]*\).*DONE.*/\1/p' "$log" | tail -n1)
    [ -n "$execs" ] || execs=0
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
    elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n1)
    corpus_out=$(find "$corpus" -type f | wc -l)

    if [ "$frc" -ne 0 ]; then
        rc=1
        echo "fuzz $t: FAILED (exit $frc) after $execs executions; log: $log" >&2
        grep -m3 -E "^fuzz_|ERROR|runtime error|Assertion|deadly signal|Test unit written" "$log" >&2
        found=0
        for a in "$OUT/artifacts/$t"-*; do
            [ -e "$a" ] || continue
            found=1
            echo "fuzz $t: crash input: $PWD/$a  (reproduce: $PWD/$bin $PWD/$a)" >&2
        done
        [ "$found" -eq 1 ] || echo "fuzz $t: no input was saved (killed by the outer timeout?)" >&2
        echo "$t $execs ${elapsed:-?} ${rate:-0} $corpus_in $corpus_out FAILED" >> "$stats_tmp"
    else
        echo "fuzz $t: ok, $execs executions (${rate:-?}/s), corpus $corpus_in -> $corpus_out"
        echo "$t $execs ${elapsed:-?} ${rate:-0} $corpus_in $corpus_out ok" >> "$stats_tmp"
    fi
done

mv "$stats_tmp" "$OUT/stats.txt"
echo "== fuzz: executions recorded in $OUT/stats.txt"
exit $rc
