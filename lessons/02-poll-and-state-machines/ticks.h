/* ticks.h: lesson 02's leaf future wait_ticks(n), pending n polls then ready, and a loop that polls out loud. */
#ifndef LESSON02_TICKS_H
#define LESSON02_TICKS_H

#include <stdio.h>

#include "rt_future.h"

/*
 * wait_ticks stands in for `sleep(...)` or a socket read: a leaf future that cannot finish on
 * its first poll. It answers RT_PENDING `n` times and then RT_READY with its value. Each time
 * it is pending it wakes its task at once ("poll me again"), so it keeps the contract that a
 * pending future has arranged a wake -- a real sleep would hand the waker to a timer instead.
 *
 * It also keeps statistics, through a pointer because its parent creates it inside a poll:
 * how often it was polled, polled again after it was ready (a bug in the parent), and dropped.
 */
typedef struct ticks_stats {
    int polls;
    int polls_after_ready;   /* must stay 0: a finished future is never polled again */
    int drops;               /* must end at exactly 1 for every leaf that was created */
    int drops_while_pending; /* cancellations */
} ticks_stats;

typedef struct ticks_fut {
    rt_future base;
    int left;            /* pending polls still to answer */
    int value;           /* the output */
    int done;
    ticks_stats *stats;  /* may be NULL */
    const char *say;     /* if set, announce a cancellation on stdout under this name */
} ticks_fut;

/* ticks_poll: pending while ticks are left (waking itself each time), then ready for good. */
static inline rt_poll ticks_poll(rt_future *f, rt_context *cx)
{
    ticks_fut *self = (ticks_fut *)f;
    if (self->stats)
        self->stats->polls++;
    if (self->done) {
        if (self->stats)
            self->stats->polls_after_ready++;
        return RT_READY;
    }
    if (self->left > 0) {
        self->left--;
        rt_waker_wake_by_ref(cx->waker);
        return RT_PENDING;
    }
    self->done = 1;
    return RT_READY;
}

/* ticks_drop: counts the drop; a drop before the value was produced is a cancellation. */
static inline void ticks_drop(rt_future *f)
{
    ticks_fut *self = (ticks_fut *)f;
    if (self->stats)
        self->stats->drops++;
    if (!self->done) {
        if (self->stats)
            self->stats->drops_while_pending++;
        if (self->say)
            printf("    %s dropped while pending: cancelled\n", self->say);
    }
}

/* wait_ticks: a future pending `n` polls, then ready with `value`. Runs nothing yet. */
static inline ticks_fut wait_ticks(int n, int value, ticks_stats *stats)
{
    static const rt_future_vtable vtable = { .poll = ticks_poll, .drop = ticks_drop,
                                             .name = "wait_ticks" };
    return (ticks_fut){ .base = { &vtable }, .left = n, .value = value, .stats = stats };
}

/* poll_out_loud: poll f with a no-op waker up to max_polls times, printing each poll and its
 * answer; returns the answer of the last poll. (A real executor would wait for the wake.) */
static inline rt_poll poll_out_loud(rt_future *f, int max_polls)
{
    rt_waker noop = rt_waker_noop();
    rt_context cx = { .waker = &noop };
    rt_poll r = RT_PENDING;
    for (int i = 1; i <= max_polls && r == RT_PENDING; i++) {
        printf("-- poll %d\n", i);
        r = rt_future_poll(f, &cx);
        printf("   -> %s\n", r == RT_READY ? "RT_READY" : "RT_PENDING");
    }
    return r;
}

#endif
