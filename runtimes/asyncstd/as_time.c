/* as_time.c: as_sleep and the timer half of the reactor -- a (deadline, seq) heap under one lock. */
#include "as_time.h"

#include <errno.h>

#include "as_internal.h"
#include "rt_clock.h"
#include "rt_panic.h"

/*
 * A sleep future carries its own heap entry (rt_timer_entry is intrusive), so arming a timer
 * allocates nothing but, rarely, a bigger heap array. Its life:
 *
 *   NEW    constructed: only a deadline. Movable (nothing points at it yet).
 *   ARMED  first poll: entry inserted, a clone of the waker stored. From now on the reactor
 *          points at this struct, which is why only a polled future may be armed.
 *   DONE   the future saw `fired` (or a deadline already past) and returned ready.
 *
 * `state` is the future's own. `fired` and `waker` are shared with the reactor, which pops the
 * entry, takes the waker and sets `fired`; from ARMED on both are touched only under
 * timers_lock. Dropping an ARMED sleep cancels its entry at once (O(log n) in the heap),
 * so a cancelled sleep leaves nothing behind -- as_timer_count() is how tests check that.
 *
 * Deadlines are absolute CLOCK_MONOTONIC ns, converted at arming to the heap's unit, whole us
 * since the reactor's clock origin, ROUNDED UP; the reactor fires an entry when its clock, in
 * us rounded down, reaches it. Both roundings err late, so no timer ever fires early, and by
 * at most 2 us. (Whole ms, tk's unit, made a 1 ms sleep here last 1-3 ms: one rounding up at
 * arming, one in the poller's ms timeout, and a fire check a whole ms late. async-std, which
 * this mirrors, keeps Instants in ns and waits with a ns timeout; so do we, through
 * rt_poller_wait_ns. A heap, unlike tk's wheel, costs the same whatever the unit.)
 *
 * When the new entry is the earliest in the heap, whoever waits in the poller computed its
 * timeout from a later deadline; we notify the poller so it recomputes. A later entry needs
 * nothing: the driver wakes for the earlier one first and asks again.
 */

enum { AS__SLEEP_NEW, AS__SLEEP_ARMED, AS__SLEEP_DONE };

/* as__deadline_us: an absolute ns deadline in the heap's unit (us since origin, rounded up). */
static uint64_t as__deadline_us(const as__reactor *r, uint64_t deadline_ns)
{
    if (deadline_ns <= r->clock.origin_ns)
        return 0;
    uint64_t ns = deadline_ns - r->clock.origin_ns;
    return ns / 1000 + (ns % 1000 != 0);
}

/* as__sleep_poll: ready once the deadline passed; arms the timer on the first pending poll. */
static rt_poll as__sleep_poll(rt_future *f, rt_context *cx)
{
    as_sleep_fut *s = (as_sleep_fut *)f;
    if (s->state == AS__SLEEP_DONE)
        return RT_READY;
    if (s->state == AS__SLEEP_NEW && rt_monotonic_ns() >= s->deadline_ns) {
        s->state = AS__SLEEP_DONE;
        return RT_READY;
    }
    if (s->state == AS__SLEEP_NEW)
        s->reactor = &as__rt_or_panic("as_sleep")->reactor;
    as__reactor *r = s->reactor;
    rt_waker old = RT_WAKER_EMPTY;
    int earliest = 0;

    pthread_mutex_lock(&r->timers_lock);
    if (s->state == AS__SLEEP_NEW) {
        uint64_t us = as__deadline_us(r, s->deadline_ns);
        uint64_t before = rt_timers_next_deadline(r->timers);
        rt_timer_entry_init(&s->entry, s);
        if (rt_timers_insert(r->timers, &s->entry, us) != 0) {
            pthread_mutex_unlock(&r->timers_lock);
            rt_panic("as_sleep: out of memory arming a timer");
        }
        s->waker = rt_waker_clone(cx->waker);
        s->state = AS__SLEEP_ARMED;
        earliest = us < before;
    } else if (s->fired) {
        s->state = AS__SLEEP_DONE;
    } else if (!rt_waker_will_wake(&s->waker, cx->waker)) {
        old = s->waker;
        s->waker = rt_waker_clone(cx->waker);
    }
    int done = s->state == AS__SLEEP_DONE;
    pthread_mutex_unlock(&r->timers_lock);

    rt_waker_drop(&old); /* outside the lock: see as_internal.h */
    if (earliest)
        as__reactor_notify(r);
    return done ? RT_READY : RT_PENDING;
}

/* as__sleep_drop: cancel an armed entry, release the waker. After the runtime was torn down
 * the heap is gone; then only the waker is ours to release. */
static void as__sleep_drop(rt_future *f)
{
    as_sleep_fut *s = (as_sleep_fut *)f;
    if (s->state != AS__SLEEP_ARMED) {
        s->state = AS__SLEEP_DONE;
        return;
    }
    rt_waker w;
    if (as__runtime_torn_down()) {
        w = s->waker;
    } else {
        as__reactor *r = s->reactor;
        pthread_mutex_lock(&r->timers_lock);
        if (rt_timer_entry_is_armed(&s->entry))
            rt_timers_cancel(r->timers, &s->entry);
        w = s->waker;
        s->waker = RT_WAKER_EMPTY;
        pthread_mutex_unlock(&r->timers_lock);
    }
    s->waker = RT_WAKER_EMPTY;
    s->state = AS__SLEEP_DONE;
    rt_waker_drop(&w);
}

static const rt_future_vtable as__sleep_vtable = {
    .poll = as__sleep_poll,
    .drop = as__sleep_drop,
    .name = "as_sleep",
};

/* as_now_ns: the clock all as deadlines use. */
uint64_t as_now_ns(void)
{
    return rt_monotonic_ns();
}

/* as_sleep_until: a future for an absolute deadline. */
as_sleep_fut as_sleep_until(uint64_t deadline_ns)
{
    return (as_sleep_fut){ .base = { &as__sleep_vtable },
                           .deadline_ns = deadline_ns,
                           .reactor = NULL,
                           .state = AS__SLEEP_NEW,
                           .fired = 0,
                           .waker = RT_WAKER_EMPTY };
}

/* as_sleep_ns: now + ns, saturating (a sleep of "forever" is UINT64_MAX). */
as_sleep_fut as_sleep_ns(uint64_t ns)
{
    uint64_t now = rt_monotonic_ns();
    return as_sleep_until(ns > UINT64_MAX - now ? UINT64_MAX : now + ns);
}

/* as_sleep: milliseconds, the unit async-std programs mostly use. */
as_sleep_fut as_sleep(uint64_t ms)
{
    return as_sleep_ns(ms > UINT64_MAX / 1000000 ? UINT64_MAX : ms * 1000000);
}

/* as__timers_fire: pop what is due, move the wakers out under the lock, wake them outside. */
uint64_t as__timers_fire(as__reactor *r, uint64_t *now_us, size_t *fired)
{
    as__wake_buf buf;
    buf.n = 0;
    size_t count = 0;
    pthread_mutex_lock(&r->timers_lock);
    rt_clock_update(&r->clock);
    uint64_t now = rt_clock_now_ns(&r->clock) / 1000;
    rt_timer_entry *e;
    while ((e = rt_timers_pop_expired(r->timers, now)) != NULL) {
        as_sleep_fut *s = e->data;
        rt_waker w = s->waker;
        s->waker = RT_WAKER_EMPTY;
        s->fired = 1;
        count++;
        if (as__wake_buf_push(&buf, w)) {
            /* After this unlock the sleep may be dropped: we hold nothing of it any more. */
            pthread_mutex_unlock(&r->timers_lock);
            as__wake_buf_flush(&buf);
            pthread_mutex_lock(&r->timers_lock);
        }
    }
    uint64_t next = rt_timers_next_deadline(r->timers);
    pthread_mutex_unlock(&r->timers_lock);
    as__wake_buf_flush(&buf);
    if (count > 0)
        atomic_fetch_add_explicit(&r->timers_fired, count, memory_order_relaxed);
    *now_us = now;
    *fired = count;
    return next;
}

/* as_timer_count: armed entries right now; 0 before the runtime started. */
size_t as_timer_count(void)
{
    as__runtime *rt = as__rt_peek();
    if (rt == NULL)
        return 0;
    pthread_mutex_lock(&rt->reactor.timers_lock);
    size_t n = rt_timers_count(rt->reactor.timers);
    pthread_mutex_unlock(&rt->reactor.timers_lock);
    return n;
}
