/* as_workers_joined.c: the seed's spawn example, corrected -- block_on awaits the three join handles. */
#include <stdio.h>

#include "as.h"

/*
 * The fix, in Rust:
 *
 *     fn main() {
 *         task::block_on(async {
 *             let handles: Vec<_> = (1..=3).map(|i| task::spawn(worker(i))).collect();
 *             for h in handles {
 *                 h.await;
 *             }
 *         });
 *     }
 *
 * Output: the three "started" lines (in whatever order the workers happen to run), then,
 * about one second later, the three "finished" lines. The workers sleep concurrently, so the
 * whole program takes one second, not three.
 */
typedef struct worker_fut {
    rt_future base;
    rt_async co;
    unsigned id;
    as_sleep_fut nap;
} worker_fut;

/* worker_poll: the body of `async fn worker`. */
static rt_poll worker_poll(rt_future *f, rt_context *cx)
{
    worker_fut *self = (worker_fut *)f;
    RT_BEGIN(&self->co);
    printf("worker %u started\n", self->id);
    fflush(stdout);
    self->nap = as_sleep(1000);
    RT_AWAIT(&self->co, &self->nap, cx);
    printf("worker %u finished\n", self->id);
    fflush(stdout);
    RT_END(&self->co);
}

/* worker_drop: a cancelled worker releases the sleep it waits on. */
static void worker_drop(rt_future *f)
{
    rt_async_drop(&((worker_fut *)f)->co);
}

static const rt_future_vtable worker_vtable = { worker_poll, worker_drop, "worker" };

/* worker: the async fn's constructor. */
static worker_fut worker(unsigned id)
{
    return (worker_fut){ .base = { &worker_vtable }, .id = id };
}

/* The async block: spawn three, then await each handle in turn. */
typedef struct main_fut {
    rt_future base;
    rt_async co;
    unsigned i, spawned;
    as_task handles[3];
} main_fut;

/* main_poll: spawn, then join. */
static rt_poll main_poll(rt_future *f, rt_context *cx)
{
    main_fut *self = (main_fut *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < 3; self->i++) {
        worker_fut w = worker(self->i + 1);
        if (AS_SPAWN(w, &self->handles[self->spawned]) == 0)
            self->spawned++;
        else
            fprintf(stderr, "as_workers_joined: cannot spawn worker %u\n", self->i + 1);
    }
    for (self->i = 0; self->i < self->spawned; self->i++) {
        RT_AWAIT(&self->co, as_task_join(&self->handles[self->i]), cx);
        as_task_detach(&self->handles[self->i]); /* h.await consumed the handle */
    }
    RT_END(&self->co);
}

/* main_drop: a handle not joined yet is detached (dropping it). */
static void main_drop(rt_future *f)
{
    main_fut *self = (main_fut *)f;
    for (unsigned i = 0; i < self->spawned; i++)
        as_task_detach(&self->handles[i]);
}

static const rt_future_vtable main_vtable = { main_poll, main_drop, "async block" };

/* main: block on the async block, then drop it. */
int main(void)
{
    main_fut m = { .base = { &main_vtable } };
    as_block_on(&m.base);
    rt_future_drop(&m.base);
    return 0;
}
