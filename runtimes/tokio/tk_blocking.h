/* tk_blocking.h: spawn_blocking -- move blocking work off the workers onto a thread pool. */
#ifndef TK_BLOCKING_H
#define TK_BLOCKING_H

#include "tk_runtime.h"

typedef void *(*tk_blocking_fn)(void *arg);

/* The blocking task's future: its output is the function's return value. */
typedef struct tk_blocking_fut {
    rt_future base;
    tk_blocking_fn fn;
    void *arg;
    void *result;
} tk_blocking_fut;

/* tk_blocking: a future that calls fn(arg) when polled (used by spawn_blocking). */
tk_blocking_fut tk_blocking(tk_blocking_fn fn, void *arg);
/* tk_spawn_blocking: run fn(arg) on the current runtime's blocking pool; 0 or -ENOMEM. The
 * handle is a normal JoinHandle; read the return value with tk_blocking_result. If the pool
 * cannot take the job (out of memory, no thread could start), the handle reports
 * RT_OUTCOME_CANCELLED and a line on stderr says why. */
int tk_spawn_blocking(tk_blocking_fn fn, void *arg, tk_join_handle *out);
/* tk_spawn_blocking_on: the same on an explicit handle. */
int tk_spawn_blocking_on(tk_handle *h, tk_blocking_fn fn, void *arg, tk_join_handle *out);
/* tk_blocking_result: fn's return value once the handle is ready with RT_OUTCOME_OK. */
void *tk_blocking_result(tk_join_handle *jh);

#endif
