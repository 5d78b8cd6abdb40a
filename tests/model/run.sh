#!/usr/bin/env bash
# run.sh: model-check tests/model/task_state.pml with spin; non-zero unless every check ends with "errors: 0".
#
# Usage: tests/model/run.sh
#   BUILD=build          the build root (as in the Makefile); work goes to $BUILD/model/
#   MODEL_MEMLIM=3072    MB a verifier may use; reaching it fails the run (search not complete)
#   MODEL_TIMEOUT=600    seconds a verifier may run before the run fails
#
# Three runs, each an exhaustive search (no bitstate hashing: every reachable state is visited;
# -DCOLLAPSE only compresses how states are stored, losslessly):
#   safety     every assertion of the model and no invalid end state, with the richest
#              configuration (two workers, two waker threads, up to 4 owning wakers, abort,
#              spurious JoinHandle polls, shutdown, a spawn into a closed list);
#   progress   no non-progress cycle (spin -DNP, pan -l): every execution of the model ends, so
#              no interleaving makes a task re-poll or re-queue itself for ever, and the end-state
#              checks of the safety run really do see every execution's end (up to 3 wakers, as
#              a cycle search costs about twice the states);
#   mutation   proof that the checks can fail: a copy of the model whose notify_by_ref forgets to
#              set NOTIFIED on a RUNNING task must be caught (a lost wake-up) -- if spin finds no
#              error there, the model has gone blind and the run fails.
# States stored and transitions of each run go to $BUILD/model/stats.txt.
#
# Needs spin (Debian: spin) and a C compiler for the generated verifier.

set -u

cd "$(dirname "$0")/../.." || exit 2
OUT="${BUILD:-build}/model"
MODEL=tests/model/task_state.pml
MEMLIM="${MODEL_MEMLIM:-3072}"
LIMIT="${MODEL_TIMEOUT:-600}"
CC_MODEL="${MODEL_CC:-gcc}"

command -v spin >/dev/null 2>&1 || { echo "model: spin not found (apt-get install spin)" >&2; exit 2; }
command -v "$CC_MODEL" >/dev/null 2>&1 || { echo "model: $CC_MODEL not found" >&2; exit 2; }
mkdir -p "$OUT"

rc=0
stats_tmp="$OUT/stats.txt.tmp"
{
    echo "# spin model check of $MODEL: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(spin -V | head -n1)"
    echo "# run states_stored transitions depth seconds memory_mb errors result"
} > "$stats_tmp"

# field NAME FILE: the number in pan's "<number> NAME" summary line (states, stored / transitions).
field() {
    sed -n "s/^ *\([0-9.e+]*\) $1.*/\1/p" "$2" | head -n1
}

# verify RUN SPIN_DEFINES CC_DEFINES PAN_FLAGS EXPECT: generate, compile and run one verifier
# in $OUT/RUN/. EXPECT is "clean" (errors: 0 and a complete search) or "error" (the mutation
# run: at least one error must be reported).
verify() {
    local run=$1 sdefs=$2 cdefs=$3 pflags=$4 expect=$5 src=${6:-$MODEL}
    local dir="$OUT/$run" log
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$src" "$dir/model.pml"
    log="$dir/pan.log"
    echo "== model $run: spin $sdefs -a; $CC_MODEL -O2 $cdefs; pan $pflags"
    # shellcheck disable=SC2086 # the define and flag lists are word lists
    if ! (cd "$dir" && spin $sdefs -a model.pml > spin.log 2>&1); then
        echo "model $run: spin -a failed:" >&2
        cat "$dir/spin.log" >&2
        echo "$run 0 0 0 0 0 - spin-failed" >> "$stats_tmp"
        return 1
    fi
    # shellcheck disable=SC2086
    if ! (cd "$dir" && "$CC_MODEL" -O2 -w $cdefs -DMEMLIM="$MEMLIM" -o pan pan.c > cc.log 2>&1); then
        echo "model $run: compiling the verifier failed:" >&2
        cat "$dir/cc.log" >&2
        echo "$run 0 0 0 0 0 - cc-failed" >> "$stats_tmp"
        return 1
    fi
    # shellcheck disable=SC2086
    (cd "$dir" && timeout -k 10 "$LIMIT" ./pan $pflags > pan.log 2>&1)
    local prc=$?

    local states transitions depth secs mem errors
    states=$(field "states, stored" "$log")
    transitions=$(field "transitions" "$log")
    depth=$(sed -n 's/.*depth reached \([0-9]*\),.*/\1/p' "$log" | head -n1)
    secs=$(sed -n 's/^pan: elapsed time \([0-9.]*\).*/\1/p' "$log" | head -n1)
    mem=$(sed -n 's/^ *\([0-9.]*\)[[:space:]]*total actual memory usage.*/\1/p' "$log" | head -n1)
    errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$log" | head -n1)

    local verdict=ok why=""
    if [ "$expect" = clean ]; then
        if [ "$prc" -ne 0 ]; then why="the verifier exited with $prc (timeout after ${LIMIT}s?)"
        elif [ "${errors:-x}" != 0 ]; then why="errors: ${errors:-?}"
        elif grep -q "Search not completed" "$log"; then why="search not completed (memory limit ${MEMLIM} MB?)"
        elif grep -q "max search depth too small" "$log"; then why="max search depth too small"
        fi
    else
        if [ "${errors:-0}" -lt 1 ]; then why="the broken model was NOT caught: the checks have gone blind"; fi
    fi
    if [ -n "$why" ]; then
        verdict=FAILED
        echo "model $run: FAILED: $why; log: $dir/pan.log" >&2
        grep -m3 -E "^pan:|assertion violated|invalid end state|non-progress" "$log" >&2
        if [ -f "$dir/model.pml.trail" ] && [ "$expect" = clean ]; then
            # shellcheck disable=SC2086
            (cd "$dir" && spin $sdefs -t -p -g -l model.pml > trail.txt 2>&1)
            echo "model $run: counterexample: $PWD/$dir/trail.txt (replay: cd $dir && spin $sdefs -t -p -g -l model.pml)" >&2
        fi
    else
        if [ "$expect" = clean ]; then
            echo "model $run: ok, errors: 0, ${states} states stored, ${transitions} transitions, depth ${depth}, ${secs}s, ${mem} MB"
        else
            echo "model $run: ok, the broken copy was caught ($(grep -m1 -E 'assertion violated|non-progress|invalid end state' "$log" | sed 's/ (at depth.*//'))"
        fi
    fi
    echo "$run ${states:-0} ${transitions:-0} ${depth:-0} ${secs:-0} ${mem:-0} ${errors:-?} $verdict" >> "$stats_tmp"
    [ "$verdict" = ok ]
}

verify safety "-DMAX_WAKERS=4" "-DSAFETY -DCOLLAPSE" "-m10000 -w25" clean || rc=1
verify progress "-DMAX_WAKERS=3" "-DNP -DCOLLAPSE" "-l -m10000 -w25" clean || rc=1

# The mutation: drop "NOTIFIED = 1;" from the line marked MUTATION-POINT notify-running.
broken="$OUT/broken_notify_running.pml"
sed '/MUTATION-POINT notify-running/s/NOTIFIED = 1; //' "$MODEL" > "$broken"
if [ "$(diff "$MODEL" "$broken" | grep -c '^>')" -ne 1 ]; then
    echo "model mutation: the MUTATION-POINT line in $MODEL no longer matches; fix run.sh" >&2
    echo "mutation 0 0 0 0 0 - sed-failed" >> "$stats_tmp"
    rc=1
else
    verify mutation "-DMAX_WAKERS=1 -DWORKERS=1" "-DSAFETY" "-m10000" error "$broken" || rc=1
fi

mv "$stats_tmp" "$OUT/stats.txt"
echo "== model: results recorded in $OUT/stats.txt"
exit $rc
