/* tkb_util.c: rtb-tk helpers -- a task from block_on, spawn or fail, CPU time, RSS, percentiles. */
#include "tkb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The tokio anchor runs almost every workload as `rt.block_on(async { tokio::spawn(body).await
 * .unwrap() })`: the body is a task, so on multi_thread it runs on a worker like everything it
 * spawns, not on the thread parked in block_on. tkb__host is that outer async block.
 */
typedef struct tkb__host {
    rt_future base;
    rt_async co;
    rt_future *body;   /* the caller's unpolled future: spawn copies it; its output comes back */
    size_t size;
    tk_join_handle jh;
} tkb__host;

/* tkb__host_poll: spawn the body, await it, copy the finished future back for the caller. */
static rt_poll tkb__host_poll(rt_future *f, rt_context *cx)
{
    tkb__host *h = (tkb__host *)f;
    RT_BEGIN(&h->co);
    tkb_spawn(h->body, h->size, &h->jh);
    RT_AWAIT(&h->co, &h->jh, cx);
    tkb_joined(&h->jh, "the workload's main task");
    /* The finished future holds only its outputs that matter now; its own drop runs when the
     * task is released, so the copy is a plain snapshot that nobody drops twice. */
    memcpy(h->body, rt_join_handle_output(&h->jh), h->size);
    rt_join_handle_detach(&h->jh);
    RT_END(&h->co);
}

/* tkb__host_drop: a pending host still holds the JoinHandle (rt_async_drop detaches it). */
static void tkb__host_drop(rt_future *f)
{
    rt_async_drop(&((tkb__host *)f)->co);
}

static const rt_future_vtable tkb__host_vtable = { tkb__host_poll, tkb__host_drop, "tkb_host" };

/* tkb_block_on_task: block_on(spawn(body)), the body's finished state copied back into *body. */
void tkb_block_on_task(tk_runtime *rt, rt_future *body, size_t size)
{
    tkb__host h = { .base = { &tkb__host_vtable }, .body = body, .size = size };
    tk_runtime_block_on(rt, &h.base);
    rt_future_drop(&h.base);
}

/* tkb_spawn: spawn or fail; a bench that cannot spawn has nothing to measure. */
void tkb_spawn(const rt_future *fut, size_t size, tk_join_handle *jh)
{
    if (tk_spawn(fut, size, jh) != 0)
        rtb_fail("out of memory spawning a task (%s)", rt_future_name(fut));
}

/* tkb_spawn_detached: spawn, then drop the handle (the task runs on unobserved). */
void tkb_spawn_detached(const rt_future *fut, size_t size)
{
    tk_join_handle jh;
    tkb_spawn(fut, size, &jh);
    rt_join_handle_detach(&jh);
}

/* tkb_joined: the task finished normally, or the run fails naming how it ended. */
void tkb_joined(tk_join_handle *jh, const char *what)
{
    if (jh->outcome == RT_OUTCOME_OK)
        return;
    const char *msg = rt_join_handle_panic_message(jh);
    rtb_fail("%s: task %s%s%s", what, rt_join_outcome_name(jh->outcome), msg ? ": " : "",
             msg ? msg : "");
}

