/* rt_block_on.h: the smallest real executor -- run one future to completion on this thread. */
#ifndef RT_BLOCK_ON_H
#define RT_BLOCK_ON_H

#include <stddef.h>
#include <stdint.h>

#include "rt_join_handle.h"

/*
 * rt_block_on is futures::executor::block_on plus a local run queue: it polls the given
 * future, runs the tasks spawned with rt_spawn, and when nothing can make progress it parks
 * the thread until some waker -- from this thread or any other -- unparks it. There is no
 * reactor and no timer: whatever wakes the futures (another thread, a test, the async-std
 * flavour's global reactor) lives outside. The core's tests and the first lessons use it.
 *
 * When the main future finishes, tasks still alive are cancelled (their futures dropped),
 * as when a tokio runtime is dropped, and rt_block_on returns.
 */

typedef struct rt_block_on_stats {
    uint64_t main_polls;    /* polls of the main future */
    uint64_t task_polls;    /* rt_task_run calls */
    uint64_t parks;         /* times the thread went to sleep */
    uint64_t spawned;       /* tasks spawned with rt_spawn */
} rt_block_on_stats;

/* rt_block_on: poll `future` to completion on this thread; its output is then in its struct.
 * The caller still owns the future and drops it when done with the output. If stats is not
 * NULL it receives the counters above. */
void rt_block_on_stats_run(rt_future *future, rt_block_on_stats *stats);
/* rt_block_on: as rt_block_on_stats_run without counters. */
void rt_block_on(rt_future *future);

/* rt_spawn: spawn a copy of `future` (size bytes) on the innermost rt_block_on of this
 * thread, which polls it on this thread. Returns 0 and the handle in *out, or -ENOMEM (the
 * future was not taken). Outside rt_block_on it panics, as tokio::spawn does outside a
 * runtime. */
int rt_spawn(const rt_future *future, size_t size, rt_join_handle *out);

#endif
