/* exercise.h: lesson 12's exercise -- a bridge that lets any executor await a tk future, run where it belongs. */
#ifndef LESSON12_EXERCISE_H
#define LESSON12_EXERCISE_H

#include <stddef.h>

#include "rt_future.h"
#include "tk_runtime.h"

/*
 * bridge(h, fut, size): a future that any executor may await (as_block_on, an as task, the
 * core's rt_block_on), standing for the tk future `fut` -- which must not be polled there,
 * because its leaf futures need the tk runtime's reactor and timers. tokio's answer is
 * `handle.spawn(fut).await`: run it as a task on the runtime that owns the reactor, and await
 * the JoinHandle, which works under any executor because its waker is the caller's.
 *
 * The bridge owns the work: dropping a pending bridge cancels the tk task.
 */
typedef struct bridge_fut {
    rt_future base;
    tk_handle *handle;            /* input: the tk runtime (multi_thread: its workers drive it) */
    const rt_future *tk_future;   /* input: the tk future to run there (copied when it starts) */
    size_t size;                  /* input: sizeof the tk future */
    int started;                  /* yours */
    tk_join_handle jh;            /* yours */
    rt_task_outcome outcome;      /* output: RT_OUTCOME_OK, _CANCELLED or _PANICKED */
} bridge_fut;

/* bridge: the future, not yet polled; tk_future is read (copied) at the first poll. */
bridge_fut bridge(tk_handle *h, const rt_future *tk_future, size_t size);

/* bridge_output: after an OK outcome, the finished tk future (its output is in its fields),
 * valid until the bridge is dropped; otherwise NULL. */
rt_future *bridge_output(bridge_fut *b);

#endif
