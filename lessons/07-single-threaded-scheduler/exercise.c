/* exercise.c: lesson 07 -- write the scheduling loop: which queue first, and when to look at the timers. */
#include "exercise.h"

/*
 * Your task (see README.md, "Exercise"). As given, the loop below is the obvious one, and it
 * works -- until a task never stops being runnable:
 *
 *   - st_next_task prefers the local queue and looks at the inject queue only when the local
 *     one is empty. Two tasks that keep waking each other (or themselves) locally then starve
 *     every task woken from another thread. Fix: every ST_GLOBAL_QUEUE_INTERVAL ticks
 *     (s->tick % ST_GLOBAL_QUEUE_INTERVAL == 0), try the inject queue FIRST.
 *   - st_run looks at the timers only when there is nothing to run. A task that yields in a
 *     loop keeps the queue from ever being empty, so no sleep ever ends. Fix: after at most
 *     ST_EVENT_INTERVAL tasks, poll the driver without blocking (st_driver_poll(s, 0)); block
 *     (st_driver_poll(s, 1)) only when a batch ended because there was nothing to run.
 *
 * Check your work with:  make grade N=07
 */

/* st_next_task: pick the next task. */
rt_task *st_next_task(st_runtime *s)
{
    /* TODO: every ST_GLOBAL_QUEUE_INTERVAL ticks, the inject queue first. */
    rt_task *t = st_pop_local(s);
    if (t)
        return t;
    return st_pop_inject(s);
}

/* st_run: the loop. */
void st_run(st_runtime *s)
{
    st_enter(s);
    while (st_live_tasks(s) > 0) {
        /* TODO: at most ST_EVENT_INTERVAL tasks, then a non-blocking look at the driver. */
        rt_task *t;
        while ((t = st_next_task(s)) != NULL) {
            s->tick++;
            rt_task_run(t);
        }
        if (st_live_tasks(s) > 0)
            st_driver_poll(s, 1);
    }
    st_leave(s);
}
