/* exercise.c (solution): lesson 07 -- tokio's current_thread loop: global queue interval and event interval. */
#include "exercise.h"

/* st_next_task: usually local first (cache-warm, no lock), but every 31st tick the inject queue
 * first, so that remote wakes cannot be starved by tasks that keep waking each other here. */
rt_task *st_next_task(st_runtime *s)
{
    rt_task *t;
    if (s->tick % ST_GLOBAL_QUEUE_INTERVAL == 0) {
        if ((t = st_pop_inject(s)) != NULL)
            return t;
        return st_pop_local(s);
    }
    if ((t = st_pop_local(s)) != NULL)
        return t;
    return st_pop_inject(s);
}

/* st_run: batches of at most 61 tasks; after each batch a look at the driver -- a blocking one
 * if the batch ran dry (nothing to do until a timer or a remote wake), else a quick one, so
 * that timers are noticed even when there is always another task to run. */
void st_run(st_runtime *s)
{
    st_enter(s);
    while (st_live_tasks(s) > 0) {
        int idle = 0;
        for (int i = 0; i < ST_EVENT_INTERVAL; i++) {
            s->tick++;
            rt_task *t = st_next_task(s);
            if (!t) {
                idle = 1;
                break;
            }
            rt_task_run(t);
        }
        if (st_live_tasks(s) == 0)
            break;
        st_driver_poll(s, idle);
    }
    st_leave(s);
}
