/* demo_joined.c: lesson 10 -- the seed's async-std spawn example, fixed: block_on awaits the three JoinHandles. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "as.h"
#include "rt_clock.h"
#include "rt_panic.h"

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
 * The same counters as demo_detached, and each line says which thread printed it: the workers
 * run on the runtime's as-worker-N threads, the async block on main, which called block_on.
 */

static _Atomic unsigned finished, dropped;
static uint64_t start_ns;

/* say: one line, tagged with the thread and the time since start rounded to 100 ms. */
static void say(const char *fmt, unsigned id) __attribute__((format(printf, 1, 0)));
static void say(const char *fmt, unsigned id)
{
    char name[32];
    rt_thread_name(name, sizeof name);
    unsigned ms = (unsigned)((rt_monotonic_ns() - start_ns) / 1000000u);
    char text[128];
    snprintf(text, sizeof text, fmt, id);
    /* one printf per line: lines from several threads never interleave mid-line */
    printf("[%-11s ~%4u ms] %s\n", name, (ms + 50) / 100 * 100, text);
}

typedef struct worker_fut {
    rt_future base;
    rt_async co;
    unsigned id;
    as_sleep_fut nap;
} worker_fut;

/* worker_poll: async fn worker(id). */
static rt_poll worker_poll(rt_future *f, rt_context *cx)
{
    worker_fut *self = (worker_fut *)f;
    RT_BEGIN(&self->co);
    say("worker %u started", self->id);
    self->nap = as_sleep(1000);
    RT_AWAIT(&self->co, &self->nap, cx);
    say("worker %u finished", self->id);
    atomic_fetch_add(&finished, 1);
    RT_END(&self->co);
}

/* worker_drop: exactly once per worker; releases the sleep if cancelled. */
static void worker_drop(rt_future *f)
{
    rt_async_drop(&((worker_fut *)f)->co);
    atomic_fetch_add(&dropped, 1);
}

static const rt_future_vtable worker_vtable = { worker_poll, worker_drop, "worker" };

// region: joined
/* The async block: spawn three, then await each handle in turn. */
typedef struct main_fut {
    rt_future base;
    rt_async co;
    unsigned i, spawned;
    as_task handles[3];
} main_fut;

/* main_poll: spawn all three first (so they sleep side by side), then join them in order. */
static rt_poll main_poll(rt_future *f, rt_context *cx)
{
    main_fut *self = (main_fut *)f;
    RT_BEGIN(&self->co);
    for (self->spawned = 0; self->spawned < 3; self->spawned++) {
        worker_fut w = { .base = { &worker_vtable }, .id = self->spawned + 1 };
        if (AS_SPAWN(w, &self->handles[self->spawned]) != 0)   /* task::spawn(worker(i)) */
            rt_panic("out of memory spawning worker %u", self->spawned + 1);
    }
    say("the async block spawned %u workers and awaits them", 3);
    for (self->i = 0; self->i < self->spawned; self->i++) {   /* for h in handles {      */
        RT_AWAIT(&self->co, as_task_join(&self->handles[self->i]), cx); /* h.await;      */
        as_task_detach(&self->handles[self->i]);               /* (the handle is used up) */
    }
    RT_END(&self->co);
}
// endregion

/* main_drop: a handle not joined yet is detached (dropping it). */
static void main_drop(rt_future *f)
{
    main_fut *self = (main_fut *)f;
    rt_async_drop(&self->co);
    for (unsigned i = 0; i < self->spawned; i++)
        as_task_detach(&self->handles[i]);
}

static const rt_future_vtable main_vtable = { main_poll, main_drop, "async block" };

/* main: block on the async block, then print the counts. */
int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    start_ns = rt_monotonic_ns();
    main_fut m = { .base = { &main_vtable } };
    as_block_on(&m.base);
    rt_future_drop(&m.base);
    say("block_on returned: finished %u of 3", atomic_load(&finished));
    printf("cancelled: %u\n", atomic_load(&dropped) - atomic_load(&finished));
    return 0;
}
