/* tk_runtime.h: the tokio-style runtime -- builder, runtime, handle, spawn, block_on, TK_MAIN. */
#ifndef TK_RUNTIME_H
#define TK_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rt_combinators.h"
#include "rt_future.h"
#include "rt_join_handle.h"
#include "rt_metrics.h"

/*
 * The explicit flavour. Nothing starts by itself: you describe a runtime with a builder,
 * build it, and hand it a future with tk_runtime_block_on. Tasks are spawned onto the
 * runtime whose context the caller is in (a worker thread, a block_on, or an entered handle)
 * or onto an explicit handle with tk_spawn_on. Freeing the runtime cancels every task that is
 * still alive, joins every thread and closes every fd it opened.
 *
 *     tokio                                   tk
 *     Builder::new_multi_thread()             tk_builder_new_multi_thread()
 *       .worker_threads(4).enable_all()       tk_builder_worker_threads(&b, 4); tk_builder_enable_all(&b)
 *       .build()?                             tk_builder_build(&b, &rt)  (0 or -errno)
 *     rt.block_on(fut)                        tk_runtime_block_on(rt, &fut.base)
 *     tokio::spawn(fut)                       tk_spawn(&fut.base, sizeof fut, &jh)
 *     Handle::current()                       tk_handle_current()
 *     #[tokio::main]                          TK_MAIN(make_main_future)
 */

typedef struct tk_runtime tk_runtime;
typedef struct tk_handle tk_handle;

typedef enum tk_flavor {
    TK_CURRENT_THREAD, /* everything on the thread that calls block_on */
    TK_MULTI_THREAD,   /* a pool of worker threads with work stealing */
} tk_flavor;

typedef struct tk_builder {
    tk_flavor flavor;
    unsigned worker_threads;        /* multi_thread only; 0 = the default (cores, or TK_WORKER_THREADS) */
    bool enable_io;
    bool enable_time;
    char thread_name[16];           /* worker threads' name (pthread names hold 15 chars) */
    unsigned global_queue_interval; /* check the global queue every N ticks (61 mt, 31 ct) */
    unsigned event_interval;        /* poll the drivers every N ticks (61) */
    unsigned max_blocking_threads;  /* spawn_blocking cap (512) */
    uint64_t blocking_keep_alive_ms;/* idle blocking threads exit after this (10 s) */
} tk_builder;

/* tk_builder_new_current_thread: a single-threaded runtime; nothing enabled yet. */
tk_builder tk_builder_new_current_thread(void);
/* tk_builder_new_multi_thread: a work-stealing runtime; nothing enabled yet. */
tk_builder tk_builder_new_multi_thread(void);
/* tk_builder_worker_threads: set the worker count (multi_thread); 0 restores the default. */
void tk_builder_worker_threads(tk_builder *b, unsigned n);
/* tk_builder_enable_io: turn on the IO driver (edge-triggered epoll). */
void tk_builder_enable_io(tk_builder *b);
/* tk_builder_enable_time: turn on the time driver (the timing wheel). */
void tk_builder_enable_time(tk_builder *b);
/* tk_builder_enable_all: IO and time. */
void tk_builder_enable_all(tk_builder *b);
/* tk_builder_thread_name: name the worker threads (truncated to 15 characters). */
void tk_builder_thread_name(tk_builder *b, const char *name);
/* tk_builder_global_queue_interval: how often a worker looks at the global queue first. */
void tk_builder_global_queue_interval(tk_builder *b, unsigned ticks);
/* tk_builder_event_interval: how often a worker polls IO and timers between tasks. */
void tk_builder_event_interval(tk_builder *b, unsigned ticks);
/* tk_builder_max_blocking_threads: cap of the spawn_blocking pool. */
void tk_builder_max_blocking_threads(tk_builder *b, unsigned n);

/* tk_builder_build: create the runtime (threads start now for multi_thread). 0, or -errno:
 * -EINVAL for a bad setting, -ENOMEM, -EMFILE, or what pthread_create said. */
int tk_builder_build(const tk_builder *b, tk_runtime **out);
/* tk_runtime_new: Runtime::new() -- multi_thread with everything enabled; panics on failure
 * (as `.unwrap()` would). */
tk_runtime *tk_runtime_new(void);

/* tk_runtime_block_on: run `future` to completion on this thread, inside the runtime's
 * context; its output is then in its struct (the caller still owns and drops it). Panics if
 * this thread is already inside a runtime ("Cannot start a runtime from within a runtime"). */
void tk_runtime_block_on(tk_runtime *rt, rt_future *future);

/* tk_runtime_free: cancel every remaining task (each future's drop runs), join every thread,
 * release every fd and allocation. With TK_METRICS=1 in the environment it first prints the
 * metrics dump to stderr. */
void tk_runtime_free(tk_runtime *rt);

/* tk_runtime_handle: the runtime's handle (valid until tk_runtime_free). */
tk_handle *tk_runtime_handle(tk_runtime *rt);
/* tk_runtime_flavor: which scheduler the runtime runs. */
tk_flavor tk_runtime_flavor(const tk_runtime *rt);
/* tk_runtime_worker_count: worker threads (1 for current_thread). */
unsigned tk_runtime_worker_count(const tk_runtime *rt);

/* tk_handle_current: the handle of the runtime whose context this thread is in; panics with
 * tokio's message when there is none. */
tk_handle *tk_handle_current(void);
/* tk_handle_try_current: the same, or NULL. */
tk_handle *tk_handle_try_current(void);

/* An entered handle, like tokio's EnterGuard: while it lives, spawn and the leaf futures
 * use this runtime. Leave with tk_enter_guard_drop, in reverse order of entering. */
typedef struct tk_enter_guard {
    tk_handle *previous;
} tk_enter_guard;
/* tk_handle_enter: make h the current handle of this thread. */
tk_enter_guard tk_handle_enter(tk_handle *h);
/* tk_enter_guard_drop: restore the handle that was current before. */
void tk_enter_guard_drop(tk_enter_guard *g);

/* Tasks. A JoinHandle is the core's: await it, rt_join_handle_detach (or drop), abort. */
typedef rt_join_handle tk_join_handle;

/* tk_spawn: spawn a copy of `future` (size bytes) on the current runtime; 0 or -ENOMEM (then
 * the caller still owns the future). Panics outside a runtime, like tokio::spawn. */
int tk_spawn(const rt_future *future, size_t size, tk_join_handle *out);
/* tk_spawn_on: the same on an explicit handle (Handle::spawn). */
int tk_spawn_on(tk_handle *h, const rt_future *future, size_t size, tk_join_handle *out);

/* tk_yield_now: tokio::task::yield_now -- pending once (after waking itself), then ready. On a
 * tk worker the task goes to the back of the local queue, never into the LIFO slot. */
typedef rt_yield_fut tk_yield_fut;
static inline tk_yield_fut tk_yield_now(void)
{
    return rt_yield_now();
}

/* Metrics: a snapshot in the shared format (see rt_metrics.h). Free it with
 * tk_runtime_metrics_free. tk_runtime_metrics_dump prints it. Out of memory gives a snapshot
 * with workers 0 and per_worker NULL (freeing it is still fine). */
rt_runtime_metrics tk_runtime_metrics(tk_runtime *rt);
void tk_runtime_metrics_free(rt_runtime_metrics *m);
void tk_runtime_metrics_dump(tk_runtime *rt, FILE *out);

/* The messages tk panics with, in tokio's words with tk's names (tests match on them). */
#define TK_MSG_NO_REACTOR \
    "there is no reactor running, must be called from the context of a tk runtime"
#define TK_MSG_NESTED_RUNTIME                                                               \
    "Cannot start a runtime from within a runtime. This happens because a function (like " \
    "`tk_runtime_block_on`) attempted to block the current thread while the thread is being " \
    "used to drive asynchronous tasks."
#define TK_MSG_IO_DISABLED \
    "A tk context was found, but IO is disabled. Call `tk_builder_enable_io` on the runtime builder to enable IO."
#define TK_MSG_TIME_DISABLED \
    "A tk context was found, but timers are disabled. Call `tk_builder_enable_time` on the runtime builder to enable timers."

/*
 * TK_MAIN(make_future) is #[tokio::main]: it writes main() for you. make_future is a function
 * taking no arguments and returning your async main's future struct (by value). Expanded:
 *
 *     int main(void) {
 *         tk_runtime *rt = tk_runtime_new();          // Runtime::new().unwrap()
 *         T fut = make_future();                       // the async main, not yet polled
 *         tk_runtime_block_on(rt, &fut.base);          // rt.block_on(async { ... })
 *         rt_future_drop(&fut.base);
 *         tk_runtime_free(rt);                         // cancels leftover tasks, joins threads
 *         return 0;
 *     }
 */
// region: tk-main
#define TK_MAIN(make_future)                                   \
    int main(void)                                             \
    {                                                          \
        tk_runtime *tk__main_rt = tk_runtime_new();            \
        __typeof__(make_future()) tk__main_fut = make_future(); \
        tk_runtime_block_on(tk__main_rt, &tk__main_fut.base);  \
        rt_future_drop(&tk__main_fut.base);                    \
        tk_runtime_free(tk__main_rt);                          \
        return 0;                                              \
    }
// endregion

#endif
