/* demo_spawn.c: lesson 04 -- tasks spawned inside block_on run on the same thread; what is left at the end is cancelled. */
#include <stdio.h>

#include "rt_async.h"
#include "rt_block_on.h"
#include "../03-wakers/thread_sleep.h"

/*
 * In Rust (async-std flavoured):
 *
 *     async fn worker(id: u32) {
 *         println!("worker {id} started");
 *         task::sleep(Duration::from_millis(100 * id as u64)).await;
 *         println!("worker {id} finished");
 *     }
 *
 *     task::block_on(async {
 *         let w1 = task::spawn(worker(1));
 *         let w2 = task::spawn(worker(2));
 *         let _w3 = task::spawn(worker(3));
 *         w1.await;
 *         w2.await;
 *         println!("main: joined workers 1 and 2; not waiting for 3");
 *     });
 *
 * rt_block_on keeps a run queue: rt_spawn copies the future into a task (the "move" of lesson
 * 02's pinning rule) and queues it; a task's waker pushes it back on the queue. Everything runs
 * on the one thread that called block_on. When the main future finishes, block_on returns, and
 * the tasks still alive are cancelled: their futures are dropped, unfinished. Worker 3 is.
 */

typedef struct worker_fut {
    rt_future base;
    rt_async co;
    unsigned id;
    thread_sleep_fut nap;
} worker_fut;

/* worker_poll: the body of `async fn worker`. */
static rt_poll worker_poll(rt_future *f, rt_context *cx)
{
    worker_fut *self = (worker_fut *)f;
    RT_BEGIN(&self->co);
    printf("worker %u started\n", self->id);
    self->nap = thread_sleep(100 * self->id);
    RT_AWAIT(&self->co, &self->nap, cx);
    rt_future_drop(&self->nap.base);
    printf("worker %u finished\n", self->id);
    RT_END(&self->co);
}

/* worker_drop: a worker cancelled mid-sleep says so, and drops the sleep it awaits. */
static void worker_drop(rt_future *f)
{
    worker_fut *self = (worker_fut *)f;
    if (self->co.awaiting)
        printf("worker %u cancelled while sleeping\n", self->id);
    rt_async_drop(&self->co);
}

static const rt_future_vtable worker_vtable = { worker_poll, worker_drop, "worker" };

/* worker: the call `worker(id)`. */
static worker_fut worker(unsigned id)
{
    return (worker_fut){ .base = { &worker_vtable }, .id = id };
}

// region: main-block
/* The async block: spawn three workers, await the first two. */
typedef struct main_block {
    rt_future base;
    rt_async co;
    rt_join_handle w[3];
} main_block;

/* main_block_poll: spawn, then join 1 and 2. */
static rt_poll main_block_poll(rt_future *f, rt_context *cx)
{
    main_block *self = (main_block *)f;
    RT_BEGIN(&self->co);
    for (unsigned i = 0; i < 3; i++) {
        worker_fut w = worker(i + 1);
        if (rt_spawn(&w.base, sizeof w, &self->w[i]) != 0)
            rt_panic("out of memory spawning worker %u", i + 1);
    }
    printf("main: spawned 3 workers; none has run yet\n");
    RT_AWAIT(&self->co, &self->w[0], cx);
    RT_AWAIT(&self->co, &self->w[1], cx);
    printf("main: joined workers 1 and 2; not waiting for 3\n");
    for (unsigned i = 0; i < 3; i++)
        rt_join_handle_detach(&self->w[i]);
    RT_END(&self->co);
}
// endregion

static const rt_future_vtable main_block_vtable = { main_block_poll, NULL, "async block" };

/* main: block_on the async block and print the executor's counters. */
int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    main_block m = { .base = { &main_block_vtable } };
    rt_block_on_stats stats;
    rt_block_on_stats_run(&m.base, &stats);
    rt_future_drop(&m.base);
    printf("main: block_on returned: %llu tasks spawned, %llu task polls, %llu polls of the "
           "async block, %llu sleeps\n",
           (unsigned long long)stats.spawned, (unsigned long long)stats.task_polls,
           (unsigned long long)stats.main_polls, (unsigned long long)stats.parks);
    return 0;
}
