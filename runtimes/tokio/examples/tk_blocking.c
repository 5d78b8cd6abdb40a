/* tk_blocking.c: what a blocking call does to a runtime -- three workers, one thread, in a row. */
/*
 * The Rust original: the tutorial's workers, with the "Blocking (bad)" sleep instead of the
 * async one, on a runtime with a single worker thread:
 *
 *     use std::time::Duration;
 *
 *     async fn worker(id: u32) {
 *         println!("worker {} started", id);
 *         std::thread::sleep(Duration::from_secs(1));   // blocks the worker thread
 *         println!("worker {} finished", id);
 *     }
 *
 *     #[tokio::main(flavor = "multi_thread", worker_threads = 1)]
 *     async fn main() {
 *         let handles: Vec<_> = (1..=3).map(|i| tokio::spawn(worker(i))).collect();
 *         for h in handles {
 *             h.await.unwrap();
 *         }
 *         println!("The workers ran one after another, not side by side:");
 *         println!("  std::thread::sleep blocks the thread it is called on, and this runtime");
 *         println!("  has a single worker thread, so no other task could run until it returned.");
 *         println!("  Use tokio::time::sleep (it yields), or spawn_blocking for blocking work.");
 *     }
 *
 * Output (3 seconds, not 1):
 *     worker 1 started
 *     worker 1 finished
 *     worker 2 started
 *     worker 2 finished
 *     worker 3 started
 *     worker 3 finished
 *     The workers ran one after another, not side by side:
 *     ...
 *
 * Compare tk_workers.c, where the same three workers overlap because tk_sleep returns
 * RT_PENDING and gives the thread back. nanosleep never returns to the scheduler: the
 * task's poll simply takes a second, and the one worker thread is stuck inside it.
 */
#include <stdio.h>
#include <time.h>

#include "rt_async.h"
#include "tk_runtime.h"

/* ---- async fn worker(id: u32), with a blocking sleep ------------------------------------- */
typedef struct worker_fut {
    rt_future base;
    rt_async co;
    unsigned id;
} worker_fut;

/* worker_poll: no await at all -- the whole body runs inside one poll, sleep included. */
static rt_poll worker_poll(rt_future *f, rt_context *cx)
{
    worker_fut *w = (worker_fut *)f;
    (void)cx;
    RT_BEGIN(&w->co);
    printf("worker %u started\n", w->id);
    struct timespec one_second = { .tv_sec = 1, .tv_nsec = 0 };
    while (nanosleep(&one_second, &one_second) != 0) /* std::thread::sleep: the thread stops */
        continue;                                    /* (resume after a signal, as Rust does) */
    printf("worker %u finished\n", w->id);
    RT_END(&w->co);
}

static const rt_future_vtable worker_vtable = { worker_poll, NULL, "worker" };

/* worker: calling `worker(id)`. */
static worker_fut worker(unsigned id)
{
    return (worker_fut){ .base = { &worker_vtable }, .id = id };
}

/* ---- async fn main() --------------------------------------------------------------------- */
typedef struct blocking_main {
    rt_future base;
    rt_async co;
    tk_join_handle handles[3];
    int spawned;
    int i;                    /* a loop variable that lives across an await */
} blocking_main;

/* blocking_main_poll: spawn the three, await each handle, explain what happened. */
static rt_poll blocking_main_poll(rt_future *f, rt_context *cx)
{
    blocking_main *m = (blocking_main *)f;
    RT_BEGIN(&m->co);
    for (m->spawned = 0; m->spawned < 3; m->spawned++) {
        worker_fut w = worker((unsigned)m->spawned + 1);
        if (tk_spawn(&w.base, sizeof w, &m->handles[m->spawned]) != 0)
            rt_panic("out of memory spawning worker %d", m->spawned + 1);
    }
    for (m->i = 0; m->i < 3; m->i++) {
        RT_AWAIT(&m->co, &m->handles[m->i], cx);                 /* h.await */
        if (m->handles[m->i].outcome != RT_OUTCOME_OK)          /* .unwrap() */
            rt_panic("worker %d did not finish: %s", m->i + 1,
                     rt_join_outcome_name(m->handles[m->i].outcome));
        rt_join_handle_detach(&m->handles[m->i]);
    }
    printf("The workers ran one after another, not side by side:\n");
    printf("  nanosleep (std::thread::sleep) blocks the thread it is called on, and this runtime\n");
    printf("  has a single worker thread, so no other task could run until it returned.\n");
    printf("  Use tk_sleep (it yields), or tk_spawn_blocking for blocking work.\n");
    RT_END(&m->co);
}

/* blocking_main_drop: a cancelled main detaches the handles it still holds. */
static void blocking_main_drop(rt_future *f)
{
    blocking_main *m = (blocking_main *)f;
    rt_async_drop(&m->co);
    for (int i = 0; i < m->spawned; i++)
        rt_join_handle_detach(&m->handles[i]);
}

static const rt_future_vtable blocking_main_vtable = {
    blocking_main_poll, blocking_main_drop, "main",
};

/* main: what #[tokio::main(flavor = "multi_thread", worker_threads = 1)] expands to. */
int main(void)
{
    tk_builder b = tk_builder_new_multi_thread();
    tk_builder_worker_threads(&b, 1);
    tk_builder_enable_all(&b);
    tk_runtime *rt = NULL;
    int rc = tk_builder_build(&b, &rt);
    if (rc != 0) {
        fprintf(stderr, "tk_blocking: cannot build the runtime (error %d)\n", -rc);
        return 1;
    }
    blocking_main m = { .base = { &blocking_main_vtable } };
    tk_runtime_block_on(rt, &m.base);
    rt_future_drop(&m.base);
    tk_runtime_free(rt);
    return 0;
}
