/* exercise.c: lesson 11 -- fix a task that blocks its worker: move the blocking call to tk_spawn_blocking. */
#include <stdint.h>

#include "exercise.h"

/*
 * Your task (see README.md, "Exercise"). lookup_poll below gives the right answer, and it is
 * wrong: it calls slow_lookup inside the poll, so the thread that polls it -- a runtime
 * worker -- is stuck until the call returns, and every other task on that thread waits. On a
 * current_thread runtime that is every task.
 *
 * Make lookup run slow_lookup on the blocking pool and await the result:
 *
 *   1. Write a job function with tk_spawn_blocking's signature, void *(*)(void *), that calls
 *      slow_lookup. Pass the key in the void * and the value back in the returned void *
 *      (both fit in an intptr_t). Do NOT pass a pointer to this future: a blocking job cannot
 *      be cancelled, so it may still be running after the future was dropped.
 *   2. In lookup_poll: tk_spawn_blocking(job, arg, &self->job), RT_AWAIT the handle, check its
 *      outcome (a panic if it is not RT_OUTCOME_OK), read the value with tk_blocking_result,
 *      and detach the handle.
 *   3. lookup_drop: a lookup dropped while it waits must let go of the handle (detach it).
 *
 * Check your work with:  make grade N=11
 */

/* lookup_poll: async fn lookup(key) { slow_lookup(key) } -- blocking, for now. */
static rt_poll lookup_poll(rt_future *f, rt_context *cx)
{
    lookup_fut *self = (lookup_fut *)f;
    (void)cx;
    RT_BEGIN(&self->co);
    /* TODO: run this on the blocking pool (tk_spawn_blocking) and await the handle. */
    self->value = slow_lookup(self->key);
    RT_END(&self->co);
}

/* lookup_drop: release what a pending lookup holds. */
static void lookup_drop(rt_future *f)
{
    lookup_fut *self = (lookup_fut *)f;
    rt_async_drop(&self->co);
    /* TODO: a lookup dropped while the job runs must let go of the handle. */
}

static const rt_future_vtable lookup_vtable = { lookup_poll, lookup_drop, "lookup" };

/* lookup: given. */
lookup_fut lookup(long key)
{
    return (lookup_fut){ .base = { &lookup_vtable }, .key = key };
}
