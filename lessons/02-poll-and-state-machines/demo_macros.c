/* demo_macros.c: lesson 02 -- the same async fn as demo_by_hand.c, written with RT_BEGIN / RT_AWAIT / RT_END. */
#include <stdio.h>

#include "rt_async.h"
#include "ticks.h"

/*
 * The Rust is the same as in demo_by_hand.c:
 *
 *     async fn worker(id: u32) -> i32 {
 *         println!("worker {id} started");
 *         let mut total = 0;
 *         for step in 1..=2 {
 *             total += wait_ticks(step, step * 10).await;
 *             println!("worker {id}: step {step} done, total {total}");
 *         }
 *         println!("worker {id} finished");
 *         total
 *     }
 *
 * The macros (common/rt_async.h) write the switch for us. The resume point is a source line
 * number instead of an enum, and the `case` labels sit inside the for loop -- legal C, the
 * trick of Duff's device and of Simon Tatham's coroutines -- so the loop can be written as a
 * loop. The locals still live in the struct: the macros cannot change that, and neither can
 * rustc (it moves them for you, that is all).
 */

// region: struct
typedef struct worker_fut {
    rt_future base;
    rt_async co;         /* resume line + the child being awaited (for drop) */
    unsigned id;
    int step, total;     /* hoisted locals, exactly as by hand */
    ticks_fut ticks;
    int output;
} worker_fut;
// endregion

// region: poll
/* worker_poll: the body, almost as the Rust reads. */
static rt_poll worker_poll(rt_future *f, rt_context *cx)
{
    worker_fut *self = (worker_fut *)f;
    RT_BEGIN(&self->co);
    printf("worker %u started\n", self->id);
    self->total = 0;
    for (self->step = 1; self->step <= 2; self->step++) {
        self->ticks = wait_ticks(self->step, self->step * 10, NULL);
        self->ticks.say = "the wait_ticks it awaited";
        RT_AWAIT(&self->co, &self->ticks, cx);
        self->total += self->ticks.value;
        rt_future_drop(&self->ticks.base);
        printf("worker %u: step %d done, total %d\n", self->id, self->step, self->total);
    }
    printf("worker %u finished\n", self->id);
    self->output = self->total;
    RT_END(&self->co);
}

/* worker_drop: rt_async_drop drops the child we are suspended on, if any. */
static void worker_drop(rt_future *f)
{
    rt_async_drop(&((worker_fut *)f)->co);
}
// endregion

static const rt_future_vtable worker_vtable = { worker_poll, worker_drop, "worker" };

/* worker: the call `worker(id)`; a zeroed rt_async means "not started". */
static worker_fut worker(unsigned id)
{
    return (worker_fut){ .base = { &worker_vtable }, .id = id };
}

/* main: exactly demo_by_hand's main. */
int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("== the same state machine, written with the macros\n");
    worker_fut w = worker(1);
    printf("main: w = worker(1), a %zu-byte future; nothing printed yet\n", sizeof w);
    poll_out_loud(&w.base, 10);
    printf("main: w's output is %d\n", w.output);
    rt_future_drop(&w.base);

    printf("main: v = worker(2), polled twice, then dropped\n");
    worker_fut v = worker(2);
    poll_out_loud(&v.base, 2);
    rt_future_drop(&v.base);
    printf("main: \"worker 2 finished\" is never printed: dropping a future cancels it\n");
    return 0;
}
