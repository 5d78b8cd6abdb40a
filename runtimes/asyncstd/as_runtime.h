/* as_runtime.h: the global runtime -- as_block_on, and what can be asked about the runtime. */
#ifndef AS_RUNTIME_H
#define AS_RUNTIME_H

#include "rt_future.h"

/*
 * There is no builder and nothing to start: the first call that needs the runtime (a spawn,
 * a block_on, a sleep or socket polled anywhere) starts it, once per process, with
 *   - one executor thread per CPU ("as-worker-0", "as-worker-1", ...), or AS_THREAD_COUNT of
 *     them; an invalid value gets a one-line warning on stderr naming the count used instead;
 *   - one reactor thread, "as-io", which waits in epoll (ONESHOT) and fires timers whenever
 *     no idle worker or idle as_block_on does (those drive the reactor themselves, as
 *     async-std's threads do inside async-io's block_on);
 *   - a blocking pool for as_spawn_blocking ("as-blocking", started empty).
 * At process exit an atexit handler stops the threads, cancels every task still alive (their
 * futures are dropped, releasing timers and sockets), and frees everything. With AS_METRICS=1
 * in the environment it prints the metrics table to stderr first.
 *
 * A process that forks after the runtime started cannot use it in the child: the threads are
 * not copied. Start it after fork (Check's forking test runner does exactly that).
 */

/*
 * as_block_on: poll `future` to completion on the calling thread (async-std's
 * task::block_on); its output is then in its struct, and the caller drops it when done.
 *
 * While the future cannot progress the thread runs its local tasks (as_spawn_local) and, if
 * no other thread is doing it, drives the reactor itself -- it waits in epoll, so the IO and
 * timers that wake the future are handled on this very thread without a cross-thread wake.
 * Otherwise it parks until woken.
 *
 * Nesting works, as in async-std: an as_block_on inside a task or inside another as_block_on
 * blocks that thread until the inner future is done. Inside a worker thread that stalls the
 * worker, so the nested call also runs global tasks while it waits (no deadlock with one
 * worker), and the first time it happens in a process a one-line note on stderr says so.
 * A panic inside `future` (outside any task) ends the process as Rust's would: exit 101.
 */
void as_block_on(rt_future *future);

/* AS_BLOCK_ON(fut): as_block_on for a future struct `fut` whose first member is `base`. */
#define AS_BLOCK_ON(fut) as_block_on(&(fut).base)

/* as_thread_count: the number of executor threads (starts the runtime); 0 if it cannot start. */
unsigned as_thread_count(void);

/* as_runtime_is_started: whether the global runtime has been started (does not start it). */
int as_runtime_is_started(void);

#endif
