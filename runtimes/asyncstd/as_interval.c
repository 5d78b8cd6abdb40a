/* as_interval.c: as_interval -- a periodic ticker that neither drifts nor bursts. */
#include "as_time.h"

/*
 * Two ways an interval can go wrong. If each tick were scheduled one period after the moment
 * it was delivered (async-std's stream::interval does this), the lateness of every delivery
 * would add up and the ticks would drift. If each tick were scheduled one period after the
 * previous scheduled tick no matter what, a program that stalled for ten periods would then
 * receive ten ticks back to back. We keep the schedule (no drift); the overdue tick is
 * delivered at once, and when the slot after it is already past too, we skip forward to the
 * next slot in the future, counting what was skipped (tokio's MissedTickBehavior::Skip).
 */

/* as_interval_new: first tick one period from now, as in async-std. */
as_interval as_interval_new(uint64_t period_ms)
{
    uint64_t period_ns = (period_ms == 0 ? 1 : period_ms) * 1000000;
    return (as_interval){ .period_ns = period_ns, .next_ns = as_now_ns() + period_ns };
}

/* as__interval_advance: schedule the tick after `due`, skipping the slots already past. */
static void as__interval_advance(as_interval *iv, uint64_t due)
{
    uint64_t next = due + iv->period_ns;
    uint64_t now = as_now_ns();
    if (next <= now) {
        uint64_t behind = (now - next) / iv->period_ns + 1;
        iv->missed += behind;
        next += behind * iv->period_ns;
    }
    iv->next_ns = next;
    iv->ticks++;
}

/* as__tick_poll: sleep until the interval's next slot, then move the interval on. */
static rt_poll as__tick_poll(rt_future *f, rt_context *cx)
{
    as_tick_fut *t = (as_tick_fut *)f;
    if (t->started == 2)
        return RT_READY;
    if (!t->started) {
        t->sleep = as_sleep_until(t->iv->next_ns);
        t->started = 1;
    }
    if (rt_future_poll(&t->sleep.base, cx) == RT_PENDING)
        return RT_PENDING;
    t->started = 2;
    t->tick_ns = t->iv->next_ns;
    as__interval_advance(t->iv, t->tick_ns);
    return RT_READY;
}

/* as__tick_drop: a tick dropped while waiting does not move the interval. */
static void as__tick_drop(rt_future *f)
{
    as_tick_fut *t = (as_tick_fut *)f;
    if (t->started == 1)
        rt_future_drop(&t->sleep.base);
    t->started = 2;
}

static const rt_future_vtable as__tick_vtable = {
    .poll = as__tick_poll,
    .drop = as__tick_drop,
    .name = "as_interval_tick",
};

/* as_interval_tick: the next tick of iv. */
as_tick_fut as_interval_tick(as_interval *iv)
{
    return (as_tick_fut){ .base = { &as__tick_vtable }, .iv = iv };
}
