/* as_timeout.c: as_timeout -- a child future raced against a deadline; the loser is dropped. */
#include "as_time.h"

#include <errno.h>

/*
 * async-std's future::timeout(dur, f): poll f; if it is not ready, poll a timer; whichever
 * finishes first decides. The child is polled first on every poll, so a child that becomes
 * ready at the same moment as the deadline still wins -- a result that is there is never
 * thrown away. The sleep is stored inline and its deadline is fixed at construction, so the
 * clock starts when the timeout is created, as Timer::after does in Rust.
 *
 * Ownership is rt_select's: from the first poll the timeout owns the child until one of them
 * wins. A winning child keeps its output and is the caller's again; a losing one is dropped
 * here, at once -- that is what cancellation means for a future.
 */

/* as__timeout_poll: child first, then the deadline. */
static rt_poll as__timeout_poll(rt_future *f, rt_context *cx)
{
    as_timeout_fut *t = (as_timeout_fut *)f;
    if (t->done)
        return RT_READY;
    if (rt_future_poll(t->child, cx) == RT_READY) {
        t->done = 1;
        rt_future_drop(&t->sleep.base); /* disarm the timer now, not at our own drop */
        return RT_READY;
    }
    if (rt_future_poll(&t->sleep.base, cx) == RT_PENDING)
        return RT_PENDING;
    t->done = 1;
    rt_future_drop(t->child);
    t->timed_out = 1;
    t->err = -ETIMEDOUT;
    return RT_READY;
}

/* as__timeout_drop: cancelled while racing: both contestants go. After a finish, the sleep is
 * already gone and the child (winner or dropped loser) is not ours. */
static void as__timeout_drop(rt_future *f)
{
    as_timeout_fut *t = (as_timeout_fut *)f;
    if (t->done)
        return;
    t->done = 1;
    rt_future_drop(t->child);
    rt_future_drop(&t->sleep.base);
}

static const rt_future_vtable as__timeout_vtable = {
    .poll = as__timeout_poll,
    .drop = as__timeout_drop,
    .name = "as_timeout",
};

/* as_timeout: the deadline starts now. */
as_timeout_fut as_timeout(rt_future *child, uint64_t ms)
{
    return (as_timeout_fut){ .base = { &as__timeout_vtable }, .child = child,
                             .sleep = as_sleep(ms) };
}
