#!/usr/bin/env bash
# run.sh: the load test -- each echo server holds 10,000 connections, echoes every byte, and drains on SIGTERM.
#
# Usage: tests/load/run.sh         (make test-load builds what it needs first)
#   Six cases: each server (tk current_thread, tk multi_thread, as) under the 10k load, and
#   again with a slow reader (see below).
#   BUILD=build          the build root; uses $BUILD/bin/load_client and $BUILD/examples/
#   LOAD_CONNS=10000     connections held at once, per server
#   LOAD_BYTES=16384     bytes every connection must have echoed before the SIGTERM
#
# Each case starts a server through the client (tests/load/load_client.c says what is checked),
# with the soft fd limit lowered to 1024 first, so that both the client and the server must
# raise their own limits, as a real deployment would. Logs go to $BUILD/load/<case>.log, the
# tally to $BUILD/load/test-results.txt ("passed failed 0"). Exit status 1 if any case failed.

set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD="${BUILD:-build}"
OUT="$BUILD/load"
CLIENT="$BUILD/bin/load_client"
CONNS="${LOAD_CONNS:-10000}"
BYTES="${LOAD_BYTES:-16384}"
mkdir -p "$OUT"

for f in "$CLIENT" "$BUILD/examples/tk_echo_server" "$BUILD/examples/as_echo_server"; do
    [ -x "$f" ] || { echo "load: $f is not built (run make test-load)" >&2; exit 2; }
done
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt $((CONNS + 64)) ]; then
    echo "load: $CONNS connections need $((CONNS + 64)) descriptors per process, but the hard" \
         "limit is $hard; raise it (e.g. prlimit --nofile=20000 -p \$\$) or set LOAD_CONNS" >&2
    echo "0 1 0" >"$OUT/test-results.txt"
    exit 1
fi
[ "$(ulimit -Sn)" = unlimited ] || [ "$(ulimit -Sn)" -gt 1024 ] && ulimit -Sn 1024

echo "== load: $CONNS connections per echo server, every byte verified, then SIGTERM under load; then a slow reader"
passed=0; failed=0
run_case() { # name, the client's options, then the server's command line
    local name=$1 opts=$2; shift 2
    local t0=$SECONDS
    # -t: the client gives up (and kills the server) after 60 s; timeout is the backstop.
    # shellcheck disable=SC2086 # opts is a list of options
    if timeout -k 5 90 "$CLIENT" $opts -t 60 -- "$@" >"$OUT/$name.log" 2>&1; then
        passed=$((passed + 1)); verdict=ok
    else
        failed=$((failed + 1)); verdict=FAILED
    fi
    echo "load: $name: $verdict in $((SECONDS - t0)) s"
    grep -E '^load: [0-9]+ connections open|every connection echoed|SIGTERM sent|bytes sent|server exited|after SIGTERM' "$OUT/$name.log" \
        | sed 's/^load: /    /'
    [ $verdict = ok ] || sed 's/^/    | /' "$OUT/$name.log" | grep -v '^    | load: ' | head -40
}
# The load: CONNS connections, small windows, every byte checked, SIGTERM while all are busy.
load="-n $CONNS -q $BYTES"
run_case tk_current_thread "$load" "$BUILD/examples/tk_echo_server" 0 current_thread
run_case tk_multi_thread "$load" "$BUILD/examples/tk_echo_server" 0 multi_thread
run_case as "$load" "$BUILD/examples/as_echo_server" 0
# The slow reader: 50 connections with 1 MB windows and 16 KiB receive buffers, which read
# nothing for 300 ms after SIGTERM, so the last echoes wait in the server's send queues while
# it shuts down. A server that closed with unread input there would reset them and lose data.
slow="-n 50 -w 1000000 -c 65536 -q 262144 -p 300"
run_case tk_current_thread_slow_reader "$slow" "$BUILD/examples/tk_echo_server" 0 current_thread
run_case tk_multi_thread_slow_reader "$slow" "$BUILD/examples/tk_echo_server" 0 multi_thread
run_case as_slow_reader "$slow" "$BUILD/examples/as_echo_server" 0
echo "$passed $failed 0" >"$OUT/test-results.txt"
echo "load: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
