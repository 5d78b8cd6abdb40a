/* exercise.c (solution): lesson 02 -- fetch_two's poll and drop, the state machine written by hand. */
#include "exercise.h"

#include "rt_panic.h"

/* fetch_two_poll: a switch on where the body stopped. Each case falls through to the next
 * one, so a child that is ready at once lets the body carry on in the same poll -- returning
 * RT_PENDING there instead would be a bug twice over: a wasted poll, and a hang, since nobody
 * arranged a wake. */
static rt_poll fetch_two_poll(rt_future *f, rt_context *cx)
{
    fetch_two_fut *self = (fetch_two_fut *)f;
    switch (self->state) {
    case FETCH_START:
        lesson_log_line(self->log, "fetching a");
        self->wait_a = wait_ticks(self->a_ticks, 20, self->a_stats);
        self->state = FETCH_WAIT_A;
        /* fallthrough */
    case FETCH_WAIT_A:
        if (rt_future_poll(&self->wait_a.base, cx) == RT_PENDING)
            return RT_PENDING;
        self->a = self->wait_a.value;
        rt_future_drop(&self->wait_a.base);
        lesson_log_line(self->log, "a = %d, fetching b", self->a);
        self->wait_b = wait_ticks(self->b_ticks, 22, self->b_stats);
        self->state = FETCH_WAIT_B;
        /* fallthrough */
    case FETCH_WAIT_B:
        if (rt_future_poll(&self->wait_b.base, cx) == RT_PENDING)
            return RT_PENDING;
        lesson_log_line(self->log, "b = %d", self->wait_b.value);
        self->output = self->a + self->wait_b.value;
        rt_future_drop(&self->wait_b.base);
        self->state = FETCH_DONE;
        return RT_READY;
    case FETCH_DONE:
        break;
    }
    rt_panic("`async fn` resumed after completion");
}

/* fetch_two_drop: only the two WAIT states own a child that has not been dropped yet. */
static void fetch_two_drop(rt_future *f)
{
    fetch_two_fut *self = (fetch_two_fut *)f;
    if (self->state == FETCH_WAIT_A)
        rt_future_drop(&self->wait_a.base);
    else if (self->state == FETCH_WAIT_B)
        rt_future_drop(&self->wait_b.base);
}

static const rt_future_vtable fetch_two_vtable = { fetch_two_poll, fetch_two_drop, "fetch_two" };

/* fetch_two: the call stores its arguments and runs nothing (lesson 01). */
fetch_two_fut fetch_two(int a_ticks, int b_ticks, ticks_stats *a_stats, ticks_stats *b_stats,
                        lesson_log *log)
{
    return (fetch_two_fut){ .base = { &fetch_two_vtable }, .state = FETCH_START,
                            .a_ticks = a_ticks, .b_ticks = b_ticks, .a_stats = a_stats,
                            .b_stats = b_stats, .log = log };
}
