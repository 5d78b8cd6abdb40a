/* crew.h: lesson 10's worker -- the seed's async-std `async fn worker(id)`, with counters and a gate for the grader. */
#ifndef LESSON10_CREW_H
#define LESSON10_CREW_H

#include <pthread.h>
#include <stdatomic.h>

#include "as.h"
#include "../09-tokio-style/gate.h"

/*
 * The seed's worker, as a C future on the as flavour:
 *
 *     async fn worker(id: u32) -> u32 {
 *         println!("worker {} started", id);
 *         task::sleep(Duration::from_millis(ms)).await;    // or: the grader's gate
 *         println!("worker {} finished", id);
 *         id * id                                          // an output for main to collect
 *     }
 *
 * Lesson 09's crew.h has the same worker on tk (tk_sleep instead of as_sleep); the gate and
 * the log are shared (../09-tokio-style/gate.h).
 */
#define CREW_MAX GATE_MAX

typedef struct crew {
    unsigned n;                 /* how many workers main is to spawn */
    uint64_t sleep_ms;          /* each worker's as_sleep, when there is no gate */
    gate *gate;                 /* if set, workers wait on it instead of sleeping */
    unsigned panic_id;          /* if set, this worker panics instead of finishing */
    crew_log log;               /* the workers' "started"/"finished" lines */
    crew_log report;            /* main's lines: what it collected, in order */
    _Atomic unsigned started, finished, dropped;
    char thread_name[CREW_MAX + 1][16];
} crew;

/* crew_init: a crew of n workers that sleep sleep_ms each (no gate, no panic). */
static inline void crew_init(crew *c, unsigned n, uint64_t sleep_ms)
{
    memset(c, 0, sizeof *c);
    c->n = n;
    c->sleep_ms = sleep_ms;
    crew_log_init(&c->log);
    crew_log_init(&c->report);
}

/* crew_destroy: release the logs' mutexes. */
static inline void crew_destroy(crew *c)
{
    crew_log_destroy(&c->log);
    crew_log_destroy(&c->report);
}

typedef struct worker_fut {
    rt_future base;
    rt_async co;
    crew *c;
    unsigned id;
    as_sleep_fut nap;
    gate_wait_fut wait;
    unsigned output;            /* id * id, valid once ready */
} worker_fut;

/* worker_poll: the body of `async fn worker(id)`. */
static inline rt_poll worker_poll(rt_future *f, rt_context *cx)
{
    worker_fut *w = (worker_fut *)f;
    crew *c = w->c;
    RT_BEGIN(&w->co);
    rt_thread_name(c->thread_name[w->id], sizeof c->thread_name[w->id]);
    crew_log_line(&c->log, "worker %u started", w->id);
    atomic_fetch_add(&c->started, 1);
    if (c->gate) {
        gate_started(c->gate);
        w->wait = gate_wait(c->gate, w->id);
        RT_AWAIT(&w->co, &w->wait, cx);
    } else {
        w->nap = as_sleep(c->sleep_ms);
        RT_AWAIT(&w->co, &w->nap, cx);
    }
    if (w->id == c->panic_id)
        rt_panic("worker %u gave up", w->id);
    crew_log_line(&c->log, "worker %u finished", w->id);
    atomic_fetch_add(&c->finished, 1);
    w->output = w->id * w->id;
    RT_END(&w->co);
}

/* worker_drop: called exactly once, finished or not; a cancelled worker releases what it
 * waits on (its timer, or its place at the gate). */
static inline void worker_drop(rt_future *f)
{
    worker_fut *w = (worker_fut *)f;
    rt_async_drop(&w->co);
    atomic_fetch_add(&w->c->dropped, 1);
}

static const rt_future_vtable worker_vtable = { worker_poll, worker_drop, "worker" };

/* crew_worker: calling `worker(id)` -- the future, not yet started (1 <= id < CREW_MAX). */
static inline worker_fut crew_worker(crew *c, unsigned id)
{
    if (id == 0 || id >= CREW_MAX)
        rt_panic("crew_worker: id %u is out of range (1..%d)", id, CREW_MAX - 1);
    if (c->gate)
        gate_made(c->gate);
    return (worker_fut){ .base = { &worker_vtable }, .c = c, .id = id };
}

/* crew_worker_output: the output of a worker future that finished. */
static inline unsigned crew_worker_output(const rt_future *finished)
{
    return ((const worker_fut *)finished)->output;
}

#endif
