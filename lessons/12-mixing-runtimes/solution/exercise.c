/* exercise.c: lesson 12's reference solution -- handle.spawn(fut).await, from any executor. */
#include "exercise.h"
#include "rt_panic.h"

/* bridge_poll: spawn on the tk runtime at the first poll, then await the JoinHandle. The
 * handle stores the caller's waker; the tk worker that completes the task wakes it, whatever
 * executor the caller runs on. */
static rt_poll bridge_poll(rt_future *f, rt_context *cx)
{
    bridge_fut *b = (bridge_fut *)f;
    if (!b->started) {
        if (tk_spawn_on(b->handle, b->tk_future, b->size, &b->jh) != 0)
            rt_panic("bridge: out of memory spawning the tk future");
        b->started = 1;
    }
    if (rt_future_poll(&b->jh.base, cx) == RT_PENDING)
        return RT_PENDING;
    b->outcome = b->jh.outcome;
    return RT_READY;
}

/* bridge_drop: cancel the task if it still runs (abort is a no-op once it finished), then
 * release the handle, which frees the task and its output. */
static void bridge_drop(rt_future *f)
{
    bridge_fut *b = (bridge_fut *)f;
    rt_join_handle_abort(&b->jh);
    rt_join_handle_detach(&b->jh);
}

static const rt_future_vtable bridge_vtable = { bridge_poll, bridge_drop, "bridge" };

/* bridge: the future, not yet polled. */
bridge_fut bridge(tk_handle *h, const rt_future *tk_future, size_t size)
{
    return (bridge_fut){ .base = { &bridge_vtable }, .handle = h, .tk_future = tk_future,
                         .size = size };
}

/* bridge_output: the task's finished future, from the JoinHandle. */
rt_future *bridge_output(bridge_fut *b)
{
    return b->outcome == RT_OUTCOME_OK ? rt_join_handle_output(&b->jh) : NULL;
}
