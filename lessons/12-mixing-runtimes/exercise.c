/* exercise.c: lesson 12 -- bridge a tk future into another executor the right way: spawn it on its own runtime. */
#include "exercise.h"

/*
 * Your task (see README.md, "Exercise"). bridge_poll below is what everybody writes first: it
 * polls the tk future right here, on whatever thread and executor polls the bridge. That is
 * demo_tk_under_as all over again: the tk future's first poll looks for a tk runtime on this
 * thread, finds none, and panics with "there is no reactor running...".
 *
 * Make the bridge run the tk future where it belongs:
 *
 *   1. bridge_poll, first poll: spawn a copy of the tk future on b->handle
 *      (tk_spawn_on(b->handle, b->tk_future, b->size, &b->jh)) and remember that you did.
 *   2. Every poll: poll the JoinHandle (b->jh.base) with the caller's context. Pending: return
 *      pending -- the handle keeps the caller's waker, and the tk worker that finishes the
 *      task will call it. Ready: copy b->jh.outcome into b->outcome.
 *   3. bridge_output: the finished future is at rt_join_handle_output(&b->jh) (NULL unless OK).
 *   4. bridge_drop: a bridge dropped early must cancel the tk task (rt_join_handle_abort) and
 *      then let go of the handle (rt_join_handle_detach; it is also how the output is freed).
 *
 * Check your work with:  make grade N=12
 */

/* bridge_poll: run the tk future -- here, for now. */
static rt_poll bridge_poll(rt_future *f, rt_context *cx)
{
    bridge_fut *b = (bridge_fut *)f;
    /* TODO: spawn it on b->handle at the first poll, then poll the JoinHandle instead. */
    if (rt_future_poll((rt_future *)b->tk_future, cx) == RT_PENDING)
        return RT_PENDING;
    b->outcome = RT_OUTCOME_OK;
    return RT_READY;
}

/* bridge_drop: release what the bridge holds. */
static void bridge_drop(rt_future *f)
{
    bridge_fut *b = (bridge_fut *)f;
    /* TODO: cancel the tk task if it still runs, and let go of the handle. */
    (void)b;
}

static const rt_future_vtable bridge_vtable = { bridge_poll, bridge_drop, "bridge" };

/* bridge: given. */
bridge_fut bridge(tk_handle *h, const rt_future *tk_future, size_t size)
{
    return (bridge_fut){ .base = { &bridge_vtable }, .handle = h, .tk_future = tk_future,
                         .size = size };
}

/* bridge_output: the finished tk future. */
rt_future *bridge_output(bridge_fut *b)
{
    /* TODO: the task's copy, from the JoinHandle. */
    return b->outcome == RT_OUTCOME_OK ? (rt_future *)b->tk_future : NULL;
}
