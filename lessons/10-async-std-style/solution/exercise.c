/* exercise.c: lesson 10's reference solution -- spawn every worker, then join each handle in order and report its outcome. */
#include "exercise.h"

#include <stdio.h>
#include <string.h>

/* crew_main_poll: spawn all, then await each handle in order and report what it says. */
static rt_poll crew_main_poll(rt_future *f, rt_context *cx)
{
    crew_main_fut *m = (crew_main_fut *)f;
    RT_BEGIN(&m->co);
    for (m->spawned = 0; m->spawned < m->c->n; m->spawned++) {
        worker_fut w = crew_worker(m->c, m->spawned + 1);
        if (AS_SPAWN(w, &m->handles[m->spawned]) != 0)
            rt_panic("out of memory spawning worker %u", m->spawned + 1);
    }
    for (m->i = 0; m->i < m->spawned; m->i++) {
        RT_AWAIT(&m->co, as_task_join(&m->handles[m->i]), cx);
        as_task *t = &m->handles[m->i];
        switch (as_task_outcome(t)) {
        case RT_OUTCOME_OK:
            crew_log_line(&m->c->report, "worker %u -> %u", m->i + 1,
                          crew_worker_output(as_task_output(t)));
            break;
        case RT_OUTCOME_PANICKED:
            crew_log_line(&m->c->report, "worker %u panicked: %s", m->i + 1,
                          as_task_panic_message(t));
            break;
        default:
            crew_log_line(&m->c->report, "worker %u cancelled", m->i + 1);
            break;
        }
        as_task_detach(t);
    }
    crew_log_line(&m->c->report, "joined %u workers", m->spawned);
    RT_END(&m->co);
}

/* crew_main_drop: a main cancelled part-way detaches the handles it still holds (detaching a
 * handle twice is a no-op). */
static void crew_main_drop(rt_future *f)
{
    crew_main_fut *m = (crew_main_fut *)f;
    rt_async_drop(&m->co);
    for (unsigned i = 0; i < m->spawned; i++)
        as_task_detach(&m->handles[i]);
}

static const rt_future_vtable crew_main_vtable = { crew_main_poll, crew_main_drop, "async block" };

/* crew_main: the future, not yet polled. */
crew_main_fut crew_main(crew *c)
{
    crew_main_fut m;
    memset(&m, 0, sizeof m);
    m.base.vtable = &crew_main_vtable;
    m.c = c;
    return m;
}
