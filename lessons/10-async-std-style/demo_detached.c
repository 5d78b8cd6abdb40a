/* demo_detached.c: lesson 10 -- the seed's async-std spawn example exactly as written: block_on does not wait, and the workers never finish. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "as.h"

/*
 * The Rust original (the seed's "Spawning tasks in async-std"):
 *
 *     async fn worker(id: u32) {
 *         println!("worker {} started", id);
 *         task::sleep(std::time::Duration::from_secs(1)).await;
 *         println!("worker {} finished", id);
 *     }
 *
 *     fn main() {
 *         task::block_on(async {
 *             for i in 1..=3 {
 *                 task::spawn(worker(i));
 *             }
 *         });
 *     }
 *
 * The async block spawns three tasks and is finished: it never awaits anything. So block_on
 * returns at once, main returns, and the process exits while the workers sleep. Run the Rust
 * and you see zero to three "started" lines and never a "finished".
 *
 * The transcript of a program like this varies from run to run, so this one also counts. Each
 * worker counts its start, its finish, and its drop (the runtime drops a cancelled task's
 * future). The counts are printed twice: when block_on returns, and from an atexit handler
 * registered BEFORE the runtime starts -- atexit handlers run in reverse order, so ours runs
 * after the runtime's own teardown has cancelled every task. Only the number of "started"
 * lines varies; "finished 0, cancelled 3" holds on every run, because nothing waits the second
 * a worker needs.
 */

static _Atomic unsigned started, finished, dropped;

// region: worker
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
    printf("worker %u started\n", self->id);      /* println!("worker {} started", id); */
    atomic_fetch_add(&started, 1);
    self->nap = as_sleep(1000);                   /* task::sleep(Duration::from_secs(1)) */
    RT_AWAIT(&self->co, &self->nap, cx);          /*   .await;                          */
    printf("worker %u finished\n", self->id);     /* println!("worker {} finished", id); */
    atomic_fetch_add(&finished, 1);
    RT_END(&self->co);
}

/* worker_drop: runs exactly once per worker -- at the end of a finished one, or when the
 * runtime cancels an unfinished one. It releases the sleep the worker may be waiting on. */
static void worker_drop(rt_future *f)
{
    rt_async_drop(&((worker_fut *)f)->co);
    atomic_fetch_add(&dropped, 1);
}
// endregion

static const rt_future_vtable worker_vtable = { worker_poll, worker_drop, "worker" };

// region: async-block
/* The `async { for i in 1..=3 { task::spawn(worker(i)); } }` block. */
typedef struct spawn_all_fut {
    rt_future base;
} spawn_all_fut;

/* spawn_all_poll: spawn three workers and drop their handles (detach); then done. */
static rt_poll spawn_all_poll(rt_future *f, rt_context *cx)
{
    (void)f;
    (void)cx;
    for (unsigned i = 1; i <= 3; i++) {                    /* for i in 1..=3 {          */
        worker_fut w = { .base = { &worker_vtable }, .id = i };
        as_task t;
        if (AS_SPAWN(w, &t) != 0) {                        /*     task::spawn(worker(i)); */
            fprintf(stderr, "demo_detached: cannot spawn worker %u\n", i);
            continue;
        }
        as_task_detach(&t);                                /*     (handle dropped)      */
    }                                                      /* }                         */
    return RT_READY;                                       /* nothing awaited: done     */
}
// endregion

static const rt_future_vtable spawn_all_vtable = { spawn_all_poll, NULL, "async block" };

/* at_exit: after the runtime's teardown (see the comment at the top): the final counts. */
static void at_exit(void)
{
    printf("at exit, after the runtime's teardown: finished %u of 3, cancelled (dropped "
           "unfinished) %u\n", atomic_load(&finished), atomic_load(&dropped) - atomic_load(&finished));
    printf("(%u of the 3 got as far as \"started\" -- this number changes from run to run)\n",
           atomic_load(&started));
}

/* main: the seed's main, with the counts. */
int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    atexit(at_exit);                  /* before the runtime exists, so it runs after its teardown */
    spawn_all_fut block = { .base = { &spawn_all_vtable } };
    as_block_on(&block.base);         /* task::block_on(async { ... }); */
    printf("block_on returned; finished so far: %u of 3\n", atomic_load(&finished));
    printf("main returns now, and the runtime cancels what is left\n");
    return 0;
}
