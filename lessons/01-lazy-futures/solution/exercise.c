/* exercise.c (solution): lesson 01 -- add_later as a lazy future, and a loop that polls it to completion. */
#include "exercise.h"

/* add_later_poll: the body of `async fn add_later` runs here, at the first poll. */
static rt_poll add_later_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    add_later_fut *self = (add_later_fut *)f;
    lesson_log_line(self->log, "add_later(%d, %d) runs", self->a, self->b);
    self->sum = self->a + self->b;
    return RT_READY;
}

static const rt_future_vtable add_later_vtable = { .poll = add_later_poll, .name = "add_later" };

/* add_later: the call only captures the arguments -- what rustc's generated constructor does. */
add_later_fut add_later(int a, int b, lesson_log *log)
{
    return (add_later_fut){ .base = { &add_later_vtable }, .a = a, .b = b, .log = log, .sum = 0 };
}

/* run_to_completion: poll until ready. With a no-op waker nobody tells us when to poll again,
 * so we just poll again at once -- correct, and wasteful: lesson 03 fixes that. */
int run_to_completion(rt_future *f)
{
    rt_waker noop = rt_waker_noop();
    rt_context cx = { .waker = &noop };
    int polls = 1;
    while (rt_future_poll(f, &cx) == RT_PENDING)
        polls++;
    return polls;
}
