/* exercise.c: lesson 09's reference solution -- #[tokio::main(...)] by hand, and a main that joins its workers. */
#include "exercise.h"

#include <stdio.h>
#include <string.h>

/* tk_main_by_hand: Builder::new_{current_thread,multi_thread}()...enable_all().build(), then
 * block_on, drop, free -- what tokio-macros writes, with the error returned instead of a panic. */
int tk_main_by_hand(const tk_main_attrs *attrs, rt_future *main)
{
    tk_builder b = attrs->flavor == TK_CURRENT_THREAD ? tk_builder_new_current_thread()
                                                       : tk_builder_new_multi_thread();
    if (attrs->worker_threads != 0)
        tk_builder_worker_threads(&b, attrs->worker_threads);
    if (attrs->thread_name != NULL)
        tk_builder_thread_name(&b, attrs->thread_name);
    tk_builder_enable_all(&b);
    tk_runtime *rt = NULL;
    int rc = tk_builder_build(&b, &rt);
    if (rc != 0) {
        fprintf(stderr, "tk_main_by_hand: failed building the runtime: %s\n", strerror(-rc));
        rt_future_drop(main); /* the body is dropped unpolled, as Rust drops an unused future */
        return rc;
    }
    tk_runtime_block_on(rt, main);
    rt_future_drop(main);
    tk_runtime_free(rt);
    return 0;
}

/* crew_main_poll: spawn all, then await each handle in order and report what it says. */
static rt_poll crew_main_poll(rt_future *f, rt_context *cx)
{
    crew_main_fut *m = (crew_main_fut *)f;
    RT_BEGIN(&m->co);
    for (m->spawned = 0; m->spawned < m->c->n; m->spawned++) {
        worker_fut w = crew_worker(m->c, m->spawned + 1);
        if (tk_spawn(&w.base, sizeof w, &m->handles[m->spawned]) != 0)
            rt_panic("out of memory spawning worker %u", m->spawned + 1);
    }
    for (m->i = 0; m->i < m->spawned; m->i++) {
        RT_AWAIT(&m->co, &m->handles[m->i], cx);
        tk_join_handle *h = &m->handles[m->i];
        if (h->outcome == RT_OUTCOME_OK)
            crew_log_line(&m->c->report, "worker %u -> %u", m->i + 1,
                          crew_worker_output(rt_join_handle_output(h)));
        else if (h->outcome == RT_OUTCOME_PANICKED)
            crew_log_line(&m->c->report, "worker %u panicked: %s", m->i + 1,
                          rt_join_handle_panic_message(h));
        else
            crew_log_line(&m->c->report, "worker %u cancelled", m->i + 1);
        rt_join_handle_detach(h);
    }
    RT_END(&m->co);
}

/* crew_main_drop: a main cancelled part-way detaches the handles it still holds (detaching a
 * handle that was already detached is a no-op). */
static void crew_main_drop(rt_future *f)
{
    crew_main_fut *m = (crew_main_fut *)f;
    rt_async_drop(&m->co);
    for (unsigned i = 0; i < m->spawned; i++)
        rt_join_handle_detach(&m->handles[i]);
}

static const rt_future_vtable crew_main_vtable = { crew_main_poll, crew_main_drop, "crew_main" };

/* crew_main: the future, not yet polled. */
crew_main_fut crew_main(crew *c)
{
    crew_main_fut m;
    memset(&m, 0, sizeof m);
    m.base.vtable = &crew_main_vtable;
    m.c = c;
    return m;
}
