/* exercise.c (solution): lesson 03 -- an executor that polls only woken tasks and sleeps when none is. */
#include "exercise.h"

static const rt_waker_vtable mini_waker_vtable;

/* mini_clone: tasks live as long as the executor, so a clone is just the same pointer. */
static rt_waker mini_clone(const void *data)
{
    return (rt_waker){ .vtable = &mini_waker_vtable, .data = data };
}

/* mini_wake_by_ref: flag first, then unpark. If the executor is between its scan and its park,
 * the unpark leaves a token and the park returns at once; if it is asleep, it wakes, rescans
 * and finds the flag. Either way the wake cannot be lost. */
static void mini_wake_by_ref(const void *data)
{
    mini_task *t = (mini_task *)data;
    atomic_store(&t->woken, 1);
    rt_parker_unpark(&t->ex->parker);
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

/* mini_task_waker: a waker whose data is the task. */
rt_waker mini_task_waker(mini_task *t)
{
    return (rt_waker){ .vtable = &mini_waker_vtable, .data = t };
}

/* mini_init: an executor with no tasks. */
void mini_init(mini_executor *ex)
{
    ex->count = 0;
    ex->parks = 0;
    ex->polls = 0;
    rt_parker_init(&ex->parker);
}

/* mini_add: the new task starts woken, so that the first pass polls it. */
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

/* mini_run: pass over the tasks polling the woken ones; sleep when a pass found none. */
void mini_run(mini_executor *ex)
{
    int left = ex->count;
    while (left > 0) {
        int polled = 0;
        for (int i = 0; i < ex->count; i++) {
            mini_task *t = &ex->tasks[i];
            /* exchange, not load-then-store: clearing must not erase a wake that lands between. */
            if (t->done || !atomic_exchange(&t->woken, 0))
                continue;
            rt_waker waker = mini_task_waker(t);
            rt_context cx = { .waker = &waker };
            t->polls++;
            ex->polls++;
            polled++;
            if (rt_future_poll(t->future, &cx) == RT_READY) {
                t->done = 1;
                left--;
            }
        }
        if (polled == 0 && left > 0) {
            ex->parks++;
            rt_parker_park(&ex->parker);
        }
    }
}
