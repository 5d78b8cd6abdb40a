/* as_blocking.h: as_spawn_blocking -- run a blocking call on a thread pool and await its result. */
#ifndef AS_BLOCKING_H
#define AS_BLOCKING_H

#include "rt_blocking_pool.h"
#include "rt_future.h"

/*
 * A blocking call (a file read, getaddrinfo, a long computation) on an executor thread stalls
 * every task behind it. as_spawn_blocking sends it to the runtime's blocking pool instead,
 * which follows the `blocking` crate that async-std uses: at most 500 threads, a new thread
 * only while more than 5 jobs wait for each free thread, and a thread exits after 500 ms idle.
 *
 * Like async-std's spawn_blocking, the job starts at once, not at the first poll: the future
 * is only the way to its result. Dropping the future detaches the job; it still runs, and its
 * result is thrown away (free it in fn if it owns memory you would otherwise leak -- or await).
 */
typedef void *(*as_blocking_fn)(void *arg);

struct as__blocking_job;

typedef struct as_blocking_fut {
    rt_future base;
    struct as__blocking_job *job; /* private: shared with the pool thread */
    void *result;                 /* output: what fn returned */
    int err;                      /* output: 0, -ENOMEM, -ECANCELED (the pool shut down
                                   * before the job ran), -ESHUTDOWN, or the runtime's start
                                   * error; fn did not run unless err is 0 */
} as_blocking_fut;

/* as_spawn_blocking: submit fn(arg) to the blocking pool now; await the future for its result. */
as_blocking_fut as_spawn_blocking(as_blocking_fn fn, void *arg);

/* as_blocking_stats: the pool's counters (threads, idle, queued, high-water mark, ...). */
void as_blocking_stats(rt_blocking_stats *out);

#endif
