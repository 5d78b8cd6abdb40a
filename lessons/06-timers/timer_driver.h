/* timer_driver.h: lesson 06's time driver -- a clock, a timer set (wheel or heap), and the turn that fires due timers. */
#ifndef LESSON06_TIMER_DRIVER_H
#define LESSON06_TIMER_DRIVER_H

#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "rt_clock.h"
#include "rt_future.h"
#include "rt_qnode.h"
#include "rt_timer.h"

/*
 * The time half of a runtime's driver, small enough to read at once. Timers are intrusive: the
 * sleep future holds a timer_slot (an rt_timer_entry, the waker to call, a "fired" flag), and
 * the timer set only links it in. So arming a timer allocates nothing -- and the sleep future
 * must not move while it is armed, which is the pinning rule once more.
 *
 * The driver owns an rt_clock. A real runtime reads the clock once per loop turn and every
 * timer in that turn uses the cached value. Tests put the clock in manual mode and move time
 * by hand (rt_clock_set_manual / rt_clock_advance), so no test ever depends on the scheduler's
 * mood; timer_driver_fire then fires what is due at the frozen time.
 *
 * Single-threaded, like lesson 05's reactor: the thread that polls the sleeps turns the driver.
 */
typedef struct timer_driver {
    rt_timers *timers;
    rt_clock clock;
    long fired;         /* timers fired so far */
} timer_driver;

/* What a sleep future gives the driver: the entry, and whom to wake when it fires. */
typedef struct timer_slot {
    rt_timer_entry entry;   /* entry.data points back at this slot */
    rt_waker waker;         /* the task to wake; replaced on every pending poll */
    int fired;              /* set by the driver; the sleep is then over */
} timer_slot;

/* timer_driver_init: an empty timer set of `kind` and a running clock; 0 or -ENOMEM. */
static inline int timer_driver_init(timer_driver *d, rt_timers_kind kind)
{
    rt_clock_init(&d->clock);
    d->fired = 0;
    d->timers = rt_timers_new(kind, rt_clock_now_ms(&d->clock));
    return d->timers ? 0 : -ENOMEM;
}

/* timer_driver_free: release the set (entries still armed are simply forgotten). */
static inline void timer_driver_free(timer_driver *d)
{
    rt_timers_free(d->timers);
    d->timers = NULL;
}

// region: fire
/* timer_driver_fire: fire every timer due at the clock's cached time, in (deadline, seq) order:
 * mark its slot fired and wake its task. Returns how many fired. */
static inline int timer_driver_fire(timer_driver *d)
{
    int n = 0;
    rt_timer_entry *e;
    while ((e = rt_timers_pop_expired(d->timers, rt_clock_now_ms(&d->clock))) != NULL) {
        timer_slot *slot = e->data;
        slot->fired = 1;
        rt_waker_wake(&slot->waker);
        n++;
    }
    d->fired += n;
    return n;
}
// endregion

// region: turn
/* timer_driver_turn: sleep until the next deadline (the wheel may name an earlier slot
 * boundary: then we wake, find nothing due, and ask again), then fire. Returns how many
 * timers fired, or -1 if there is no timer at all (sleeping would be for ever). */
static inline int timer_driver_turn(timer_driver *d)
{
    uint64_t next = rt_timers_next_deadline(d->timers);
    if (next == UINT64_MAX)
        return -1;
    uint64_t now = rt_clock_update(&d->clock);
    if (next > now) {
        uint64_t ms = next - now;
        struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) != 0)
            ; /* EINTR: sleep what is left */
        rt_clock_update(&d->clock);
    }
    return timer_driver_fire(d);
}
// endregion

#endif
