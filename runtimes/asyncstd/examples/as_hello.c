/* as_hello.c: the seed's async-std example -- work() under as_block_on prints "working...", sleeps 1 s, prints "done". */
#include <stdio.h>

#include "as.h"

/*
 * The Rust original:
 *
 *     async fn work() {
 *         println!("working...");
 *         task::sleep(Duration::from_secs(1)).await;
 *         println!("done");
 *     }
 *
 *     fn main() {
 *         task::block_on(work());
 *     }
 *
 * `async fn work` becomes a struct holding its state machine (the resume point and the sleep
 * it awaits) and a poll function written with the RT_ macros; task::block_on is as_block_on.
 * No runtime is built or started by hand: the first as_block_on starts the global one.
 */
typedef struct work_fut {
    rt_future base;
    rt_async co;
    as_sleep_fut nap;
} work_fut;

/* work_poll: the body of `async fn work`. */
static rt_poll work_poll(rt_future *f, rt_context *cx)
{
    work_fut *self = (work_fut *)f;
    RT_BEGIN(&self->co);
    printf("working...\n");
    fflush(stdout);
    self->nap = as_sleep(1000);
    RT_AWAIT(&self->co, &self->nap, cx);
    printf("done\n");
    RT_END(&self->co);
}

/* work_drop: cancellation drops the sleep we may be suspended on. */
static void work_drop(rt_future *f)
{
    rt_async_drop(&((work_fut *)f)->co);
}

static const rt_future_vtable work_vtable = { work_poll, work_drop, "work" };

/* work: calling an async fn builds its future; nothing runs yet (futures are lazy). */
static work_fut work(void)
{
    return (work_fut){ .base = { &work_vtable } };
}

/* main: task::block_on(work()). */
int main(void)
{
    work_fut w = work();
    as_block_on(&w.base);
    rt_future_drop(&w.base);
    return 0;
}
