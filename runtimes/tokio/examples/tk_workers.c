/* tk_workers.c: three spawned tasks sleep side by side while main waits -- tokio::spawn. */
/*
 * The Rust original (the tutorial's "Tokio task spawning and scheduling"):
 *
 *     use tokio::time::{sleep, Duration};
 *
 *     async fn worker(id: u32) {
 *         println!("worker {} started", id);
 *         sleep(Duration::from_secs(1)).await;
 *         println!("worker {} finished", id);
 *     }
 *
 *     #[tokio::main]
 *     async fn main() {
 *         for i in 1..=3 {
 *             tokio::spawn(worker(i));
 *         }
 *         sleep(Duration::from_secs(2)).await;
 *     }
 *
 * Output (the ids may come in another order: the tasks run on several threads):
 *     worker 1 started
 *     worker 2 started
 *     worker 3 started
 *     worker 1 finished
 *     worker 2 finished
 *     worker 3 finished
 *
 * All three start before any finishes: while one task awaits its sleep, its worker thread is
 * free to run the others. The JoinHandles are dropped at once (detached), as the Rust drops
 * the value tokio::spawn returns; the tasks run on regardless.
 */
#include <stdio.h>

#include "rt_async.h"
#include "tk_runtime.h"
#include "tk_time.h"

/* ---- async fn worker(id: u32) ------------------------------------------------------------ */
typedef struct worker_fut {
    rt_future base;
    rt_async co;
    unsigned id;
    tk_sleep_fut sleep;
} worker_fut;

/* worker_poll: announce, sleep a second without holding the thread, announce. */
static rt_poll worker_poll(rt_future *f, rt_context *cx)
{
    worker_fut *w = (worker_fut *)f;
    RT_BEGIN(&w->co);
    printf("worker %u started\n", w->id);
    w->sleep = tk_sleep(1000);
    RT_AWAIT(&w->co, &w->sleep, cx);
    printf("worker %u finished\n", w->id);
    RT_END(&w->co);
}

/* worker_drop: a worker cancelled mid-sleep releases its timer. */
static void worker_drop(rt_future *f)
{
    rt_async_drop(&((worker_fut *)f)->co);
}

static const rt_future_vtable worker_vtable = { worker_poll, worker_drop, "worker" };

/* worker: calling `worker(id)` -- the future, not yet started. */
static worker_fut worker(unsigned id)
{
    return (worker_fut){ .base = { &worker_vtable }, .id = id };
}

/* ---- async fn main() --------------------------------------------------------------------- */
typedef struct workers_main {
    rt_future base;
    rt_async co;
    tk_sleep_fut sleep;
} workers_main;

/* workers_main_poll: spawn three workers, then sleep two seconds while they run. */
static rt_poll workers_main_poll(rt_future *f, rt_context *cx)
{
    workers_main *m = (workers_main *)f;
    RT_BEGIN(&m->co);
    for (unsigned i = 1; i <= 3; i++) {
        worker_fut w = worker(i);
        tk_join_handle jh;
        if (tk_spawn(&w.base, sizeof w, &jh) != 0)   /* tokio::spawn(worker(i)) */
            rt_panic("out of memory spawning worker %u", i);
        rt_join_handle_detach(&jh);                  /* the handle is dropped: detached */
    }
    m->sleep = tk_sleep(2000);
    RT_AWAIT(&m->co, &m->sleep, cx);
    RT_END(&m->co);
}

/* workers_main_drop: release the sleep if main is cancelled mid-way. */
static void workers_main_drop(rt_future *f)
{
    rt_async_drop(&((workers_main *)f)->co);
}

static const rt_future_vtable workers_main_vtable = { workers_main_poll, workers_main_drop, "main" };

/* workers_main_new: the async main, not yet polled. */
static workers_main workers_main_new(void)
{
    return (workers_main){ .base = { &workers_main_vtable } };
}

TK_MAIN(workers_main_new)
