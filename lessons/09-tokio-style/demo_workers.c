/* demo_workers.c: lesson 09 -- the seed's tokio::spawn example on the default (multi_thread) runtime, each line tagged with its thread. */
#include <stdio.h>

#include "rt_async.h"
#include "rt_clock.h"
#include "rt_panic.h"
#include "tk_runtime.h"
#include "tk_time.h"

/*
 * The Rust original (the seed's "Tokio task spawning and scheduling"):
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
 * The same program as runtimes/tokio/examples/tk_workers.c, with one addition: each line says
 * which thread printed it, and main says when it wakes. Lesson 07 ran it on current_thread,
 * where every line came from `main`; here, on Runtime::new()'s multi_thread runtime, the
 * workers run on the "tk-worker" threads while main's future stays on the thread that called
 * block_on.
 */

static uint64_t start_ns;

/* say: one line, prefixed by the current thread's name and the milliseconds since start. */
static void say(const char *what, unsigned id) __attribute__((format(printf, 1, 0)));
static void say(const char *what, unsigned id)
{
    char name[32];
    rt_thread_name(name, sizeof name);
    unsigned ms = (unsigned)((rt_monotonic_ns() - start_ns) / 1000000u);
    /* Rounded to 100 ms: the lines are about the order of events, not their exact time. */
    char text[128];
    snprintf(text, sizeof text, what, id);
    /* one printf per line: lines from several threads never interleave mid-line */
    printf("[%-9s ~%4u ms] %s\n", name, (ms + 50) / 100 * 100, text);
}

// region: worker
typedef struct worker_fut {
    rt_future base;
    rt_async co;
    unsigned id;
    tk_sleep_fut sleep;
} worker_fut;

/* worker_poll: async fn worker(id) -- announce, sleep a second without holding a thread, announce. */
static rt_poll worker_poll(rt_future *f, rt_context *cx)
{
    worker_fut *w = (worker_fut *)f;
    RT_BEGIN(&w->co);
    say("worker %u started", w->id);              /* println!("worker {} started", id); */
    w->sleep = tk_sleep(1000);                    /* sleep(Duration::from_secs(1))      */
    RT_AWAIT(&w->co, &w->sleep, cx);              /*   .await;                          */
    say("worker %u finished", w->id);             /* println!("worker {} finished", id); */
    RT_END(&w->co);
}
// endregion

/* worker_drop: a worker cancelled mid-sleep releases its timer. */
static void worker_drop(rt_future *f)
{
    rt_async_drop(&((worker_fut *)f)->co);
}

static const rt_future_vtable worker_vtable = { worker_poll, worker_drop, "worker" };

// region: main
typedef struct workers_main {
    rt_future base;
    rt_async co;
    tk_sleep_fut sleep;
} workers_main;

/* workers_main_poll: async fn main -- spawn three workers, then sleep two seconds. */
static rt_poll workers_main_poll(rt_future *f, rt_context *cx)
{
    workers_main *m = (workers_main *)f;
    RT_BEGIN(&m->co);
    start_ns = rt_monotonic_ns();
    for (unsigned i = 1; i <= 3; i++) {               /* for i in 1..=3 {                */
        worker_fut w = { .base = { &worker_vtable }, .id = i };
        tk_join_handle jh;
        if (tk_spawn(&w.base, sizeof w, &jh) != 0)    /*     tokio::spawn(worker(i));     */
            rt_panic("out of memory spawning worker %u", i);
        rt_join_handle_detach(&jh);                   /*     (the JoinHandle is dropped)  */
    }                                                 /* }                                */
    say("main spawned %u workers and sleeps", 3);
    m->sleep = tk_sleep(2000);                        /* sleep(Duration::from_secs(2))    */
    RT_AWAIT(&m->co, &m->sleep, cx);                  /*   .await;                        */
    say("main woke up; returning ends the runtime (%u workers were spawned)", 3);
    RT_END(&m->co);
}
// endregion

/* workers_main_drop: release the sleep if main is cancelled mid-way. */
static void workers_main_drop(rt_future *f)
{
    rt_async_drop(&((workers_main *)f)->co);
}

static const rt_future_vtable workers_main_vtable = { workers_main_poll, workers_main_drop, "main" };

/* workers_main_new: calling `main()` -- the future, not yet polled. */
static workers_main workers_main_new(void)
{
    setvbuf(stdout, NULL, _IONBF, 0); /* lines from several threads, in the order printed */
    return (workers_main){ .base = { &workers_main_vtable } };
}

TK_MAIN(workers_main_new)
