/* demo_busy_loop.c: lesson 03 -- an executor that ignores wakers polls a sleeping future millions of times. */
#include <stdio.h>

#include "thread_sleep.h"

/*
 * The Rust this stands for is a `block_on(sleep(200ms))` whose executor never looks at the
 * waker: it polls, gets Pending, and polls again at once. lesson 01's run_to_completion was
 * exactly this. It is correct -- the future does finish -- and it burns a whole CPU while
 * waiting for something that happens 200 ms later on another thread.
 */

// region: busy
/* busy_run: poll until ready, with a waker that does nothing; count the polls. */
static long busy_run(rt_future *f)
{
    rt_waker noop = rt_waker_noop();
    rt_context cx = { .waker = &noop };
    long polls = 1;
    while (rt_future_poll(f, &cx) == RT_PENDING)
        polls++; /* nobody will tell us when: ask again, and again, and again */
    return polls;
}
// endregion

/* main: run one 200 ms sleep under the busy loop and report what it cost. */
int main(void)
{
    thread_sleep_fut nap = thread_sleep(200);
    double wall0 = wall_ms(), cpu0 = thread_cpu_ms();
    long polls = busy_run(&nap.base);
    double wall = wall_ms() - wall0, cpu = thread_cpu_ms() - cpu0;
    rt_future_drop(&nap.base);
    printf("busy loop: a 200 ms sleep took %.0f ms\n", wall);
    printf("busy loop: the future was polled %ld times\n", polls);
    printf("busy loop: the executor thread used %.0f ms of CPU in %.0f ms (%.0f%%)\n", cpu, wall,
           100.0 * cpu / wall);
    return 0;
}
