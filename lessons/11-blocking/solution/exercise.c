/* exercise.c: lesson 11's reference solution -- the blocking call runs on tk's blocking pool. */
#include <stdint.h>

#include "exercise.h"

/* lookup__job: on a tk-blocking thread; the key travels in the pointer, and so does the value,
 * so the job never touches the future (which may be gone by the time the job ends). */
static void *lookup__job(void *arg)
{
    return (void *)(intptr_t)slow_lookup((long)(intptr_t)arg);
}

/* lookup_poll: spawn_blocking(move || slow_lookup(key)).await.unwrap() */
static rt_poll lookup_poll(rt_future *f, rt_context *cx)
{
    lookup_fut *self = (lookup_fut *)f;
    RT_BEGIN(&self->co);
    if (tk_spawn_blocking(lookup__job, (void *)(intptr_t)self->key, &self->job) != 0)
        rt_panic("lookup: out of memory in tk_spawn_blocking");
    RT_AWAIT(&self->co, &self->job, cx);   /* the worker is free while the pool thread works */
    if (self->job.outcome != RT_OUTCOME_OK)
        rt_panic("lookup: the blocking job %s", rt_join_outcome_name(self->job.outcome));
    self->value = (long)(intptr_t)tk_blocking_result(&self->job);
    rt_join_handle_detach(&self->job);
    RT_END(&self->co);
}

/* lookup_drop: detach the handle; the job runs to its end and its result is thrown away. */
static void lookup_drop(rt_future *f)
{
    lookup_fut *self = (lookup_fut *)f;
    rt_async_drop(&self->co);
    rt_join_handle_detach(&self->job);
}

static const rt_future_vtable lookup_vtable = { lookup_poll, lookup_drop, "lookup" };

/* lookup: the future, not yet polled. */
lookup_fut lookup(long key)
{
    return (lookup_fut){ .base = { &lookup_vtable }, .key = key };
}
