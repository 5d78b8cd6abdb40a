/* demo_woken.c: lesson 03 -- the same sleep under an executor that sleeps until the waker is called. */
#include <stdatomic.h>
#include <stdio.h>

#include "rt_parker.h"
#include "thread_sleep.h"

/*
 * The fix is the waker. The executor hands each future a waker whose wake says "this task can
 * make progress now"; after a pending poll the executor sleeps (on a futex parker: lesson 04)
 * until that wake comes. The seed puts it in three lines: an executor polls futures, stops
 * polling them when they return Pending, and resumes them when woken.
 */

// region: waker
/* One task's wake-up state: the flag the waker sets, and the parker the executor sleeps on. */
typedef struct wake_flag {
    _Atomic int woken;
    rt_parker parker;
} wake_flag;

static const rt_waker_vtable wake_flag_vtable;

/* wake_flag_clone: the flag outlives every clone (see main), so a clone is the same pointer. */
static rt_waker wake_flag_clone(const void *data)
{
    return (rt_waker){ .vtable = &wake_flag_vtable, .data = data };
}

/* wake_flag_wake_by_ref: set the flag, then unpark: the executor re-checks the flag after. */
static void wake_flag_wake_by_ref(const void *data)
{
    wake_flag *w = (wake_flag *)data;
    atomic_store(&w->woken, 1);
    rt_parker_unpark(&w->parker);
}

/* wake_flag_wake: wake by value; there is no reference to give up. */
static void wake_flag_wake(const void *data)
{
    wake_flag_wake_by_ref(data);
}

/* wake_flag_drop: nothing to release. */
static void wake_flag_drop(const void *data)
{
    (void)data;
}

static const rt_waker_vtable wake_flag_vtable = {
    .clone = wake_flag_clone,
    .wake = wake_flag_wake,
    .wake_by_ref = wake_flag_wake_by_ref,
    .drop = wake_flag_drop,
};
// endregion

// region: run
/* woken_run: poll; when pending, sleep until the waker fires; poll again. Counts polls and sleeps. */
static long woken_run(rt_future *f, long *sleeps)
{
    wake_flag flag = { .woken = 0 };
    rt_parker_init(&flag.parker);
    rt_waker waker = { .vtable = &wake_flag_vtable, .data = &flag };
    rt_context cx = { .waker = &waker };
    long polls = 0;
    for (;;) {
        atomic_store(&flag.woken, 0);      /* clear BEFORE polling: a wake during poll counts */
        polls++;
        if (rt_future_poll(f, &cx) == RT_READY)
            return polls;
        while (!atomic_load(&flag.woken)) {
            (*sleeps)++;
            rt_parker_park(&flag.parker);  /* no CPU used until someone calls unpark */
        }
    }
}
// endregion

/* main: the same 200 ms sleep as demo_busy_loop, under woken_run. */
int main(void)
{
    thread_sleep_fut nap = thread_sleep(200);
    long sleeps = 0;
    double wall0 = wall_ms(), cpu0 = thread_cpu_ms();
    long polls = woken_run(&nap.base, &sleeps);
    double wall = wall_ms() - wall0, cpu = thread_cpu_ms() - cpu0;
    rt_future_drop(&nap.base); /* joins the helper thread: no wake can come after this */
    printf("woken: a 200 ms sleep took %.0f ms\n", wall);
    printf("woken: the future was polled %ld times; the executor slept %ld time%s\n", polls,
           sleeps, sleeps == 1 ? "" : "s");
    printf("woken: the executor thread used %.1f ms of CPU in %.0f ms (%.1f%%)\n", cpu, wall,
           100.0 * cpu / wall);
    return 0;
}
