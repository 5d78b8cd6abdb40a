/* demo_block_on.c: lesson 04 -- the seed's async-std `task::block_on(work())` on the core's rt_block_on. */
#include <stdio.h>

#include "rt_async.h"
#include "rt_block_on.h"
#include "../03-wakers/thread_sleep.h"

/*
 * The Rust original:
 *
 *     use async_std::task;
 *     use std::time::Duration;
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
 * block_on is the bridge from ordinary code to async code: the thread that calls it becomes
 * the executor until the future is done. The sleep here is lesson 03's thread_sleep (a helper
 * thread does the waiting); rt_block_on has no timers of its own.
 */

// region: work
typedef struct work_fut {
    rt_future base;
    rt_async co;
    thread_sleep_fut nap;
} work_fut;

/* work_poll: the body of `async fn work`. */
static rt_poll work_poll(rt_future *f, rt_context *cx)
{
    work_fut *self = (work_fut *)f;
    RT_BEGIN(&self->co);
    printf("working...\n");
    self->nap = thread_sleep(1000);           /* task::sleep(Duration::from_secs(1)) */
    RT_AWAIT(&self->co, &self->nap, cx);      /* .await */
    rt_future_drop(&self->nap.base);
    printf("done\n");
    RT_END(&self->co);
}

/* work_drop: cancelled mid-sleep, the sleep goes too. */
static void work_drop(rt_future *f)
{
    rt_async_drop(&((work_fut *)f)->co);
}

static const rt_future_vtable work_vtable = { work_poll, work_drop, "work" };

/* work: the call `work()`. */
static work_fut work(void)
{
    return (work_fut){ .base = { &work_vtable } };
}
// endregion

/* main: task::block_on(work()), then what it cost. */
int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    // region: main
    work_fut fut = work();
    rt_block_on_stats stats;
    double wall0 = wall_ms(), cpu0 = thread_cpu_ms();
    rt_block_on_stats_run(&fut.base, &stats);   /* task::block_on(work()) */
    double wall = wall_ms() - wall0, cpu = thread_cpu_ms() - cpu0;
    rt_future_drop(&fut.base);
    // endregion
    printf("main: block_on returned after %.0f ms\n", wall);
    printf("main: it polled work() %llu times and put the thread to sleep %llu time%s\n",
           (unsigned long long)stats.main_polls, (unsigned long long)stats.parks,
           stats.parks == 1 ? "" : "s");
    printf("main: the thread used %.1f ms of CPU in those %.0f ms\n", cpu, wall);
    return 0;
}
