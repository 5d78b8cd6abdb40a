/* tk_time_driver.c: the time driver -- the core's timing wheel at 1 ms, behind one lock. */
#include <errno.h>

#include "rt_qnode.h"
#include "tk_internal.h"

/*
 * Timers are registered from any worker and fired by whichever thread holds the driver, so the
 * wheel sits behind a mutex (tokio does the same). A sleep future owns its tk__timer inline;
 * it inserts it on its first poll and cancels it in its drop, both under the lock, and the
 * driver pops due entries and wakes their wakers. Wakes happen after the lock is released, in
 * batches, because a wake can schedule a task and that may need other locks.
 *
 * "Now" is the driver's cached clock, refreshed once per driver turn (tk__time_process), as
 * tokio and libuv both do: reading the clock once per timer would cost more than the wheel.
 */

#define TK__WAKE_BATCH 32

/* tk__time_now_ms: refresh the cached clock and return it. */
uint64_t tk__time_now_ms(tk__driver *d)
{
    pthread_mutex_lock(&d->time_lock);
    uint64_t now = rt_clock_update(&d->clock);
    pthread_mutex_unlock(&d->time_lock);
    return now;
}

/* tk__time_deadline_from_ns: an absolute CLOCK_MONOTONIC instant, as a wheel tick, rounded up
 * so that a timer never fires early. */
uint64_t tk__time_deadline_from_ns(tk__driver *d, uint64_t monotonic_ns)
{
    uint64_t origin = d->clock.origin_ns;
    if (monotonic_ns <= origin)
        return 0;
    return rt_ns_to_ms_ceil(monotonic_ns - origin);
}

/* tk__timer_init: an unregistered, unfired timer. */
void tk__timer_init(tk__timer *t)
{
    /* No self-pointer here: the future is still movable; the driver finds the timer from
     * its entry with container_of once it is registered (and pinned). */
    rt_timer_entry_init(&t->entry, NULL);
    t->waker = RT_WAKER_EMPTY;
    atomic_init(&t->fired, 0);
    t->registered = 0;
    t->driver = NULL;
}

/* tk__timer_register: insert with a clone of the waker. If it is earlier than what the parked
 * thread sleeps until, wake that thread so it recomputes its timeout. */
int tk__timer_register(tk__driver *d, tk__timer *t, uint64_t deadline_ms, const rt_waker *w)
{
    pthread_mutex_lock(&d->time_lock);
    rt_waker_replace(&t->waker, w);
    int rc = rt_timers_insert(d->wheel, &t->entry, deadline_ms);
    if (rc) {
        rt_waker_drop(&t->waker);
        pthread_mutex_unlock(&d->time_lock);
        return rc;
    }
    t->driver = d;
    t->registered = 1;
    uint64_t next_wake = atomic_load_explicit(&d->next_wake_ms, memory_order_relaxed);
    pthread_mutex_unlock(&d->time_lock);
    if (deadline_ms < next_wake)
        tk__driver_unpark(d);
    return 0;
}

/* tk__timer_update_waker: a later poll from a different task (or after a move into a select)
 * keeps the latest waker, as AtomicWaker does. */
void tk__timer_update_waker(tk__timer *t, const rt_waker *w)
{
    pthread_mutex_lock(&t->driver->time_lock);
    if (!atomic_load_explicit(&t->fired, memory_order_acquire))
        rt_waker_replace(&t->waker, w);
    pthread_mutex_unlock(&t->driver->time_lock);
}

/* tk__timer_cancel: the sleep's drop. Under the lock, so the driver cannot be firing it. */
void tk__timer_cancel(tk__timer *t)
{
    if (!t->registered)
        return;
    tk__driver *d = t->driver;
    pthread_mutex_lock(&d->time_lock);
    rt_timers_cancel(d->wheel, &t->entry);
    rt_waker w = t->waker;
    t->waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&d->time_lock);
    rt_waker_drop(&w);
    t->registered = 0;
}

/* tk__time_next_deadline: the earliest deadline (a lower bound, from the wheel), published as
 * next_wake_ms so that registrations know whether they must unpark the driver. */
uint64_t tk__time_next_deadline(tk__driver *d)
{
    pthread_mutex_lock(&d->time_lock);
    uint64_t next = rt_timers_next_deadline(d->wheel);
    atomic_store_explicit(&d->next_wake_ms, next, memory_order_relaxed);
    pthread_mutex_unlock(&d->time_lock);
    return next;
}

/* tk__time_process: fire everything due, TK__WAKE_BATCH wakers at a time outside the lock. */
void tk__time_process(tk__driver *d)
{
    rt_waker batch[TK__WAKE_BATCH];
    for (;;) {
        unsigned n = 0;
        pthread_mutex_lock(&d->time_lock);
        uint64_t now = rt_clock_update(&d->clock);
        rt_timer_entry *e;
        while (n < TK__WAKE_BATCH && (e = rt_timers_pop_expired(d->wheel, now)) != NULL) {
            tk__timer *t = rt_container_of(e, tk__timer, entry);
            batch[n++] = t->waker;
            t->waker = RT_WAKER_EMPTY;
            atomic_store_explicit(&t->fired, 1, memory_order_release);
        }
        pthread_mutex_unlock(&d->time_lock);
        if (n)
            rt_metrics_add(&d->timers_fired, n);
        for (unsigned i = 0; i < n; i++)
            rt_waker_wake(&batch[i]);
        if (n < TK__WAKE_BATCH)
            return;
    }
}
