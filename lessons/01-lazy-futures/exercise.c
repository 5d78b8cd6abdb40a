/* exercise.c: lesson 01 -- make add_later lazy, then write the loop that polls a future until it is ready. */
#include "exercise.h"

/*
 * Your task (see README.md, "Exercise"):
 *
 *  1. add_later below behaves like a plain C function: the work happens at the call. Make it
 *     an async fn: the call only stores the arguments; the body -- the log line and the sum --
 *     runs when the future is polled.
 *  2. run_to_completion polls once and hopes. A future may answer RT_PENDING; keep polling
 *     until it answers RT_READY, and return how many polls it took.
 *
 * Check your work with:  make grade N=01
 */

/* add_later_poll: the body of `async fn add_later`. */
static rt_poll add_later_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    add_later_fut *self = (add_later_fut *)f;
    /* TODO: the body belongs here: log "add_later(A, B) runs" and store a + b in self->sum. */
    (void)self;
    return RT_READY;
}

static const rt_future_vtable add_later_vtable = { .poll = add_later_poll, .name = "add_later" };

/* add_later: the call `add_later(a, b)`. */
add_later_fut add_later(int a, int b, lesson_log *log)
{
    add_later_fut fut = { .base = { &add_later_vtable }, .a = a, .b = b, .log = log, .sum = 0 };
    /* TODO: this is what a plain function does -- the work now, at the call. An async fn must
     * not run anything here. Move the body into add_later_poll. */
    lesson_log_line(log, "add_later(%d, %d) runs", a, b);
    fut.sum = a + b;
    return fut;
}

/* run_to_completion: the smallest possible executor. */
int run_to_completion(rt_future *f)
{
    rt_waker noop = rt_waker_noop();
    rt_context cx = { .waker = &noop };
    /* TODO: poll until RT_READY, counting the polls. */
    rt_future_poll(f, &cx);
    return 1;
}
