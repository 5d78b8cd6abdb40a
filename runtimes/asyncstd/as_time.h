/* as_time.h: sleep, timeout and interval on the global reactor's timer heap. */
#ifndef AS_TIME_H
#define AS_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "rt_future.h"
#include "rt_timer.h"

/*
 * Timers live in the global reactor, in the core's (deadline, sequence) heap, so they work on
 * any thread and under any executor: inside an as task, under as_block_on, inside the core's
 * rt_block_on, even inside the other flavour. The price is a cross-thread wake: the thread
 * driving the reactor fires the timer and wakes whoever waits.
 *
 * A deadline is fixed when the future is constructed, as with async-std's task::sleep
 * (Timer::after reads the clock at once): `as_sleep(100)` built now and first polled 30 ms
 * later finishes 70 ms after that first poll. Time is CLOCK_MONOTONIC; a timer never fires
 * early (deadlines round up to the next whole millisecond).
 */

/* as_sleep(ms): ready once the deadline has passed. Cancelling it (dropping it while pending)
 * removes its entry from the heap at once. */
struct as__reactor;

typedef struct as_sleep_fut {
    rt_future base;
    uint64_t deadline_ns;   /* absolute CLOCK_MONOTONIC time */
    struct as__reactor *reactor; /* private: where the entry is armed */
    int state;              /* private: new, armed or done (the future's own) */
    int fired;              /* private: set by the reactor, under its timer lock */
    rt_timer_entry entry;   /* private: our node in the reactor's heap while armed */
    rt_waker waker;         /* private: guarded by the reactor's timer lock */
} as_sleep_fut;
/* as_sleep: sleep for ms milliseconds (async-std's task::sleep). */
as_sleep_fut as_sleep(uint64_t ms);
/* as_sleep_ns: the same with a duration in nanoseconds. */
as_sleep_fut as_sleep_ns(uint64_t ns);
/* as_sleep_until: sleep until the absolute CLOCK_MONOTONIC time deadline_ns (see as_now_ns). */
as_sleep_fut as_sleep_until(uint64_t deadline_ns);
/* as_now_ns: CLOCK_MONOTONIC in nanoseconds, the clock every as deadline is measured on. */
uint64_t as_now_ns(void);

/* as_timeout(child, ms): race `child` against a deadline (async-std's future::timeout). The
 * child is polled first. If it finishes in time, timed_out is 0 and its output is in the
 * child, which stays the caller's to read and drop. If the deadline passes first, the child
 * is dropped at once (it was cancelled) and timed_out is 1, err -ETIMEDOUT. Like rt_select, it
 * owns the child from its first poll: build it inside your poll function, where the child is
 * pinned. Dropping the timeout while pending drops the child too. */
typedef struct as_timeout_fut {
    rt_future base;
    rt_future *child;
    as_sleep_fut sleep;     /* private */
    int done;               /* private: child finished or was dropped */
    int timed_out;          /* output */
    int err;                /* output: 0 or -ETIMEDOUT */
} as_timeout_fut;
/* as_timeout: a deadline of ms milliseconds from now for child. */
as_timeout_fut as_timeout(rt_future *child, uint64_t ms);

/* as_interval: a ticker every period_ms (async-std's stream::interval). The first tick comes
 * one period after creation, as in async-std. Ticks do not drift: each is scheduled one
 * period after the previous one's scheduled time. If the program falls behind, the overdue
 * tick is delivered at once, and the schedule then jumps to the next slot in the future: the
 * slots in between are skipped (not delivered in a burst) and counted in `missed` -- tokio's
 * MissedTickBehavior::Skip. */
typedef struct as_interval {
    uint64_t period_ns;
    uint64_t next_ns;       /* when the next tick is due (CLOCK_MONOTONIC) */
    uint64_t ticks;         /* ticks delivered so far */
    uint64_t missed;        /* ticks skipped because the program was late */
} as_interval;
/* as_interval_new: the first tick is due period_ms from now; a period of 0 counts as 1 ms. */
as_interval as_interval_new(uint64_t period_ms);

/* as_interval_tick(iv): ready at iv's next tick; the interval must outlive the future. */
typedef struct as_tick_fut {
    rt_future base;
    as_interval *iv;
    int started;            /* private */
    as_sleep_fut sleep;     /* private: built at the first poll */
    uint64_t tick_ns;       /* output: the scheduled time of the tick delivered */
} as_tick_fut;
/* as_interval_tick: a future for the next tick of iv. */
as_tick_fut as_interval_tick(as_interval *iv);

/* as_timer_count: timers armed in the reactor right now (for tests and metrics; a sleep that
 * was cancelled must not be counted). */
size_t as_timer_count(void);

#endif
