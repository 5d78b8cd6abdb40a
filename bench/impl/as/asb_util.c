/* asb_util.c: rtb-as helpers -- a task from block_on, spawn or fail, CPU time, RSS, percentiles. */
#include "asb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The async-std anchor runs most workloads as `task::block_on(task::spawn(body))`: the body is
 * a task, so it runs on a worker like everything it spawns, not on the thread waiting in
 * block_on. asb__host is that outer block_on future.
 */
typedef struct asb__host {
    rt_future base;
    rt_async co;
    rt_future *body;   /* the caller's unpolled future: spawn copies it; its output comes back */
    size_t size;
    as_task t;
} asb__host;

/* asb__host_poll: spawn the body, await it, copy the finished future back for the caller. */
static rt_poll asb__host_poll(rt_future *f, rt_context *cx)
{
    asb__host *h = (asb__host *)f;
    RT_BEGIN(&h->co);
    asb_spawn(h->body, h->size, &h->t);
    RT_AWAIT(&h->co, as_task_join(&h->t), cx);
    asb_joined(&h->t, "the workload's main task");
    /* The finished future holds only outputs now; its own drop runs when the task is
     * released, so the copy is a plain snapshot that nobody drops twice. */
    memcpy(h->body, as_task_output(&h->t), h->size);
    as_task_detach(&h->t);
    RT_END(&h->co);
}

/* asb__host_drop: a pending host still holds the handle (rt_async_drop detaches it). */
static void asb__host_drop(rt_future *f)
{
    rt_async_drop(&((asb__host *)f)->co);
}

static const rt_future_vtable asb__host_vtable = { asb__host_poll, asb__host_drop, "asb_host" };

/* asb_block_on_task: block_on(spawn(body)), the body's finished state copied back into *body. */
void asb_block_on_task(rt_future *body, size_t size)
{
    asb__host h = { .base = { &asb__host_vtable }, .body = body, .size = size };
    as_block_on(&h.base);
    rt_future_drop(&h.base);
}

/* asb_spawn: spawn or fail; a bench that cannot spawn has nothing to measure. */
void asb_spawn(const rt_future *fut, size_t size, as_task *t)
{
    int rc = as_spawn(fut, size, t);
    if (rc != 0)
        rtb_fail("spawning a task (%s): %s", rt_future_name(fut), strerror(-rc));
}

/* asb_spawn_detached: spawn, then drop the handle (the task runs on unobserved). */
void asb_spawn_detached(const rt_future *fut, size_t size)
{
    as_task t;
    asb_spawn(fut, size, &t);
    as_task_detach(&t);
}

/* asb_joined: the task finished normally, or the run fails naming how it ended. */
void asb_joined(as_task *t, const char *what)
{
    rt_task_outcome o = as_task_outcome(t);
    if (o == RT_OUTCOME_OK)
        return;
    const char *msg = as_task_panic_message(t);
    rtb_fail("%s: task %s%s%s", what, rt_join_outcome_name(o), msg ? ": " : "", msg ? msg : "");
}

/* asb_workers: as_thread_count, which is 0 only when the runtime could not start. */
unsigned asb_workers(void)
{
    unsigned n = as_thread_count();
    if (n == 0)
        rtb_fail("the as runtime could not start");
    return n;
}

