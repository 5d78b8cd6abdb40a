/* exercise.c: lesson 03 -- make the busy-loop executor sleep until a waker fires, and poll only woken tasks. */
#include "exercise.h"

/*
 * Your task (see README.md, "Exercise"). mini_run below works, but it is the busy loop of
 * demo_busy_loop.c: it polls every unfinished task over and over, whether or not anything
 * happened, and the wakers it hands out do nothing. Fix it in two places:
 *
 *   1. mini_wake_by_ref: a wake must record that this task can make progress (t->woken) and
 *      get the executor's thread out of rt_parker_park (rt_parker_unpark). It may be called
 *      from any thread, and also from inside a poll.
 *   2. mini_run: poll a task only if its waker fired since its last poll (clear the flag
 *      BEFORE polling: a wake that arrives during the poll must not be lost). When a whole
 *      pass over the tasks polled nothing, sleep with rt_parker_park(&ex->parker) -- counting
 *      ex->parks -- until a wake unparks you.
 *
 * Check your work with:  make grade N=03
 */

static const rt_waker_vtable mini_waker_vtable;

/* mini_clone: tasks live as long as the executor, so a clone is just the same pointer. */
static rt_waker mini_clone(const void *data)
{
    return (rt_waker){ .vtable = &mini_waker_vtable, .data = data };
}

/* mini_wake_by_ref: task `data` can make progress: tell the executor. */
static void mini_wake_by_ref(const void *data)
{
    mini_task *t = (mini_task *)data;
    /* TODO: set t->woken, then unpark t->ex->parker. */
    (void)t;
}

/* mini_wake: wake by value; these wakers own nothing, so it is wake_by_ref. */
static void mini_wake(const void *data)
{
    mini_wake_by_ref(data);
}

/* mini_waker_drop: nothing to release. */
static void mini_waker_drop(const void *data)
{
    (void)data;
}

static const rt_waker_vtable mini_waker_vtable = {
    .clone = mini_clone,
    .wake = mini_wake,
    .wake_by_ref = mini_wake_by_ref,
    .drop = mini_waker_drop,
};

/* mini_task_waker: given. */
rt_waker mini_task_waker(mini_task *t)
{
    return (rt_waker){ .vtable = &mini_waker_vtable, .data = t };
}

/* mini_init: given. */
void mini_init(mini_executor *ex)
{
    ex->count = 0;
    ex->parks = 0;
    ex->polls = 0;
    rt_parker_init(&ex->parker);
}

/* mini_add: given. */
int mini_add(mini_executor *ex, rt_future *f)
{
    if (ex->count == MINI_MAX_TASKS)
        return -1;
    mini_task *t = &ex->tasks[ex->count];
    t->future = f;
    t->ex = ex;
    atomic_init(&t->woken, 1);
    t->done = 0;
    t->polls = 0;
    return ex->count++;
}

/* mini_run: the executor loop. */
void mini_run(mini_executor *ex)
{
    int left = ex->count;
    while (left > 0) {
        for (int i = 0; i < ex->count; i++) {
            mini_task *t = &ex->tasks[i];
            /* TODO: skip a task whose waker has not fired since its last poll. */
            if (t->done)
                continue;
            rt_waker waker = mini_task_waker(t);
            rt_context cx = { .waker = &waker };
            t->polls++;
            ex->polls++;
            if (rt_future_poll(t->future, &cx) == RT_READY) {
                t->done = 1;
                left--;
            }
        }
        /* TODO: if this pass polled nothing, sleep until a waker unparks us. */
    }
}
