/* tk_time.h: tokio::time in C -- sleep, sleep_until, timeout, interval. */
#ifndef TK_TIME_H
#define TK_TIME_H

#include <stdatomic.h>
#include <stdint.h>

#include "rt_future.h"
#include "rt_timer.h"

typedef struct tk__driver tk__driver;

/* A timer as the time driver sees it. It lives inside a sleep future, which is pinned from
 * its first poll on, so the wheel may point at it. */
typedef struct tk__timer {
    rt_timer_entry entry;
    rt_waker waker;          /* guarded by the driver's time lock */
    _Atomic int fired;       /* set (release) by the driver when the deadline passed */
    int registered;          /* the future inserted it (and must cancel it in its drop) */
    tk__driver *driver;
} tk__timer;

/*
 * sleep: ready once the deadline has passed. The deadline is fixed when the future is created
 * (as tokio's Instant::now() + duration), but the timer is registered with the runtime on the
 * first poll -- so creating a sleep outside a runtime is fine, and polling it outside one
 * panics with tokio's "no reactor running" message. Dropping a pending sleep removes its timer
 * entry (that is how cancellation frees timers). Sleeps spend one unit of coop budget.
 */
typedef struct tk_sleep_fut {
    rt_future base;
    uint64_t deadline_ns;    /* CLOCK_MONOTONIC */
    tk__timer timer;
} tk_sleep_fut;

/* tk_sleep: sleep for ms milliseconds (tokio::time::sleep). */
tk_sleep_fut tk_sleep(uint64_t ms);
/* tk_sleep_ns: sleep for ns nanoseconds, rounded up to the wheel's 1 ms. */
tk_sleep_fut tk_sleep_ns(uint64_t ns);
/* tk_sleep_until: sleep until an absolute CLOCK_MONOTONIC instant (rt_monotonic_ns()). */
tk_sleep_fut tk_sleep_until(uint64_t deadline_ns);
/* tk_sleep_is_elapsed: true once the sleep has fired. */
int tk_sleep_is_elapsed(const tk_sleep_fut *s);

/*
 * timeout: run `inner` for at most ms milliseconds. The timeout owns the inner future from
 * its first poll: if the time runs out first, inner is dropped at once (its resources go) and
 * `elapsed` is 1; otherwise inner's output is in inner and `elapsed` is 0. As in tokio, the
 * inner future is polled first, so one that is ready at the deadline still wins.
 */
typedef struct tk_timeout_fut {
    rt_future base;
    rt_future *inner;
    tk_sleep_fut sleep;
    int elapsed;             /* the output */
    int done;
} tk_timeout_fut;

/* tk_timeout: wrap inner (which must stay where it is) with a deadline ms from now. */
tk_timeout_fut tk_timeout(rt_future *inner, uint64_t ms);

/*
 * interval: ticks every period, the first at once (tokio::time::interval). Missed ticks burst:
 * if the task was late, the next ticks complete immediately until it has caught up, which is
 * tokio's default MissedTickBehavior::Burst.
 */
typedef struct tk_interval {
    uint64_t period_ns;
    uint64_t next_ns;        /* deadline of the next tick */
} tk_interval;

typedef struct tk_tick_fut {
    rt_future base;
    tk_interval *interval;
    tk_sleep_fut sleep;
    int started;
    uint64_t scheduled_ns;   /* output: when this tick was due */
} tk_tick_fut;

/* tk_interval_new: an interval with the given period (> 0). */
tk_interval tk_interval_new(uint64_t period_ms);
/* tk_interval_tick: the future of the next tick; awaiting it completes at the tick. */
tk_tick_fut tk_interval_tick(tk_interval *iv);

#endif
