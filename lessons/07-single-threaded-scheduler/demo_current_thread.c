/* demo_current_thread.c: lesson 07 -- the seed's tokio spawn example on a current_thread runtime: one thread runs it all. */
#include <stdio.h>

#include "rt_async.h"
#include "rt_panic.h"
#include "tk_runtime.h"
#include "tk_time.h"

/*
 * The Rust original, with the single-threaded flavour asked for:
 *
 *     async fn worker(id: u32) {
 *         println!("worker {} started", id);
 *         sleep(Duration::from_secs(1)).await;
 *         println!("worker {} finished", id);
 *     }
 *
 *     #[tokio::main(flavor = "current_thread")]
 *     async fn main() {
 *         for i in 1..=3 {
 *             tokio::spawn(worker(i));
 *         }
 *         sleep(Duration::from_secs(2)).await;
 *     }
 *
 * Every line below says which thread printed it. There is one: the thread that called
 * block_on. The three workers still overlap -- all start before any finishes -- because a task
 * that awaits a sleep gives the thread back to the scheduler, which runs the next task.
 */

/* say: print a line prefixed by the current thread's name. */
static void say(const char *fmt, unsigned id)
{
    char name[32];
    rt_thread_name(name, sizeof name);
    printf("[thread %s] ", name);
    printf(fmt, id);
    printf("\n");
}

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
    say("worker %u started", w->id);
    w->sleep = tk_sleep(1000);
    RT_AWAIT(&w->co, &w->sleep, cx);
    say("worker %u finished", w->id);
    RT_END(&w->co);
}

/* worker_drop: a worker cancelled mid-sleep releases its timer. */
static void worker_drop(rt_future *f)
{
    rt_async_drop(&((worker_fut *)f)->co);
}

static const rt_future_vtable worker_vtable = { worker_poll, worker_drop, "worker" };

// region: main
typedef struct main_fut {
    rt_future base;
    rt_async co;
    tk_sleep_fut sleep;
} main_fut;

/* main_poll: spawn three workers (detached), then sleep two seconds while they run. */
static rt_poll main_poll(rt_future *f, rt_context *cx)
{
    main_fut *m = (main_fut *)f;
    RT_BEGIN(&m->co);
    for (unsigned i = 1; i <= 3; i++) {
        worker_fut w = { .base = { &worker_vtable }, .id = i };
        tk_join_handle jh;
        if (tk_spawn(&w.base, sizeof w, &jh) != 0)     /* tokio::spawn(worker(i)) */
            rt_panic("out of memory spawning worker %u", i);
        rt_join_handle_detach(&jh);
    }
    say("main spawned %u workers; none has run yet", 3);
    m->sleep = tk_sleep(2000);
    RT_AWAIT(&m->co, &m->sleep, cx);
    RT_END(&m->co);
}
// endregion

/* main_drop: release the sleep if main is cancelled mid-way. */
static void main_drop(rt_future *f)
{
    rt_async_drop(&((main_fut *)f)->co);
}

static const rt_future_vtable main_vtable = { main_poll, main_drop, "main" };

/* main: what #[tokio::main(flavor = "current_thread")] expands to, then the metrics. */
int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    // region: builder
    tk_builder b = tk_builder_new_current_thread();   /* Builder::new_current_thread() */
    tk_builder_enable_all(&b);                         /*   .enable_all() */
    tk_runtime *rt;
    if (tk_builder_build(&b, &rt) != 0) {              /*   .build().unwrap() */
        fprintf(stderr, "demo_current_thread: cannot build the runtime\n");
        return 1;
    }
    main_fut m = { .base = { &main_vtable } };
    tk_runtime_block_on(rt, &m.base);                  /* rt.block_on(main()) */
    rt_future_drop(&m.base);
    // endregion
    printf("\nthe runtime's counters:\n");
    tk_runtime_metrics_dump(rt, stdout);
    tk_runtime_free(rt);
    return 0;
}
