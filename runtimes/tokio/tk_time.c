/* tk_time.c: the sleep, timeout and interval futures, on the time driver's wheel. */
#include "rt_clock.h"
#include "rt_panic.h"
#include "tk_coop.h"
#include "tk_internal.h"

/* ---- sleep ------------------------------------------------------------------------------- */

// region: sleep-poll
/* tk__sleep_poll: register on the first poll, then wait for the driver's "fired". */
static rt_poll tk__sleep_poll(rt_future *f, rt_context *cx)
{
    tk_sleep_fut *s = (tk_sleep_fut *)f;
    if (atomic_load_explicit(&s->timer.fired, memory_order_acquire))
        return RT_READY;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;
    if (!s->timer.registered) {
        tk__driver *d = tk__driver_for_time();
        uint64_t deadline = tk__time_deadline_from_ns(d, s->deadline_ns);
        if (deadline <= tk__time_now_ms(d)) {
            /* Already due: no need to bother the wheel, but it did elapse. */
            atomic_store_explicit(&s->timer.fired, 1, memory_order_release);
            return RT_READY;
        }
        if (tk__timer_register(d, &s->timer, deadline, cx->waker) != 0)
            rt_panic("tk: out of memory registering a timer");
    } else {
        tk__timer_update_waker(&s->timer, cx->waker);
    }
    if (atomic_load_explicit(&s->timer.fired, memory_order_acquire))
        return RT_READY;
    tk_coop_undo();
    return RT_PENDING;
}
// endregion

/* tk__sleep_drop: a pending sleep takes its entry out of the wheel. */
static void tk__sleep_drop(rt_future *f)
{
    tk_sleep_fut *s = (tk_sleep_fut *)f;
    tk__timer_cancel(&s->timer);
}

static const rt_future_vtable tk__sleep_vtable = {
    .poll = tk__sleep_poll, .drop = tk__sleep_drop, .name = "tk::sleep",
};

/* tk_sleep_until: the deadline is absolute; the driver rounds it up to a whole millisecond. */
tk_sleep_fut tk_sleep_until(uint64_t deadline_ns)
{
    tk_sleep_fut s = { .base = { &tk__sleep_vtable }, .deadline_ns = deadline_ns };
    tk__timer_init(&s.timer);
    return s;
}

/* tk_sleep_ns: now + ns. */
tk_sleep_fut tk_sleep_ns(uint64_t ns)
{
    return tk_sleep_until(rt_monotonic_ns() + ns);
}

/* tk_sleep: now + ms. */
tk_sleep_fut tk_sleep(uint64_t ms)
{
    return tk_sleep_ns(ms * 1000000u);
}

/* tk_sleep_is_elapsed: has the driver fired it (or was it due at its first poll)? */
int tk_sleep_is_elapsed(const tk_sleep_fut *s)
{
    return atomic_load_explicit(&s->timer.fired, memory_order_acquire) != 0;
}

/* ---- timeout ----------------------------------------------------------------------------- */

/* tk__timeout_poll: inner first, then the deadline. */
static rt_poll tk__timeout_poll(rt_future *f, rt_context *cx)
{
    tk_timeout_fut *t = (tk_timeout_fut *)f;
    if (t->done)
        return RT_READY;
    if (rt_future_poll(t->inner, cx) == RT_READY) {
        t->done = 1;
        t->elapsed = 0;
        rt_future_drop(&t->sleep.base);
        return RT_READY;
    }
    if (rt_future_poll(&t->sleep.base, cx) == RT_READY) {
        t->done = 1;
        t->elapsed = 1;
        rt_future_drop(t->inner); /* the loser goes at once, as in select */
        rt_future_drop(&t->sleep.base);
        return RT_READY;
    }
    return RT_PENDING;
}

/* tk__timeout_drop: cancelled before either finished: drop both. */
static void tk__timeout_drop(rt_future *f)
{
    tk_timeout_fut *t = (tk_timeout_fut *)f;
    if (!t->done) {
        t->done = 1;
        rt_future_drop(t->inner);
        rt_future_drop(&t->sleep.base);
    }
}

static const rt_future_vtable tk__timeout_vtable = {
    .poll = tk__timeout_poll, .drop = tk__timeout_drop, .name = "tk::timeout",
};

/* tk_timeout: the deadline starts now, like tokio::time::timeout. */
tk_timeout_fut tk_timeout(rt_future *inner, uint64_t ms)
{
    return (tk_timeout_fut){ .base = { &tk__timeout_vtable }, .inner = inner,
                             .sleep = tk_sleep(ms), .elapsed = 0, .done = 0 };
}

/* ---- interval ---------------------------------------------------------------------------- */

/* tk_interval_new: first tick now. A zero period would spin; tokio panics, and so do we. */
tk_interval tk_interval_new(uint64_t period_ms)
{
    if (period_ms == 0)
        rt_panic("`period` must be non-zero.");
    return (tk_interval){ .period_ns = period_ms * 1000000u, .next_ns = rt_monotonic_ns() };
}

/* tk__tick_poll: sleep until the tick is due, then schedule the next one a period later
 * (Burst: from the scheduled time, not from now, so late ticks catch up). */
static rt_poll tk__tick_poll(rt_future *f, rt_context *cx)
{
    tk_tick_fut *t = (tk_tick_fut *)f;
    if (!t->started) {
        t->started = 1;
        t->scheduled_ns = t->interval->next_ns;
        t->sleep = tk_sleep_until(t->scheduled_ns);
    }
    if (rt_future_poll(&t->sleep.base, cx) == RT_PENDING)
        return RT_PENDING;
    t->interval->next_ns = t->scheduled_ns + t->interval->period_ns;
    return RT_READY;
}

/* tk__tick_drop: drop the inner sleep if it was started. */
static void tk__tick_drop(rt_future *f)
{
    tk_tick_fut *t = (tk_tick_fut *)f;
    if (t->started)
        rt_future_drop(&t->sleep.base);
}

static const rt_future_vtable tk__tick_vtable = {
    .poll = tk__tick_poll, .drop = tk__tick_drop, .name = "tk::interval::tick",
};

/* tk_interval_tick: the interval must outlive the tick future. */
tk_tick_fut tk_interval_tick(tk_interval *iv)
{
    return (tk_tick_fut){ .base = { &tk__tick_vtable }, .interval = iv, .started = 0 };
}
