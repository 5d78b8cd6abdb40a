/* as_workers.c: the seed's async-std spawn example, exactly as written -- block_on does not wait for the workers. */
#include <stdio.h>

#include "as.h"

/*
 * The Rust original:
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
 * The async block spawns three tasks and is then done, so block_on returns at once and main
 * ends. The workers run on the runtime's threads meanwhile; some may print "started" before the
 * process exits, but none lives the second it needs to print "finished": the runtime cancels
 * them at exit. That is the seed's code doing exactly what it says, and this program says so
 * on stderr. as_workers_joined is the version that waits.
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

/* The `async { for i in 1..=3 { task::spawn(worker(i)); } }` block. */
typedef struct spawn_all_fut {
    rt_future base;
} spawn_all_fut;

/* spawn_all_poll: spawn and detach three workers (a dropped JoinHandle detaches), then finish. */
static rt_poll spawn_all_poll(rt_future *f, rt_context *cx)
{
    (void)f;
    (void)cx;
    for (unsigned i = 1; i <= 3; i++) {
        worker_fut w = worker(i);
        as_task t;
        if (AS_SPAWN(w, &t) != 0) {
            fprintf(stderr, "as_workers: cannot spawn worker %u: out of memory\n", i);
            continue;
        }
        as_task_detach(&t);
    }
    return RT_READY;
}

static const rt_future_vtable spawn_all_vtable = { spawn_all_poll, NULL, "async block" };

/* main: block on the async block, exactly as the seed does, then say what happened. */
int main(void)
{
    spawn_all_fut main_block = { .base = { &spawn_all_vtable } };
    as_block_on(&main_block.base);
    fprintf(stderr, "as_workers: note: block_on returned as soon as the workers were spawned; "
                    "main ends now and the runtime cancels them (see as_workers_joined)\n");
    return 0;
}
