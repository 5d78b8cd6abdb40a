/* demo_as_blocked.c: lesson 11 -- the same hazard in the async-std flavour, and as_spawn_blocking. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "as.h"
#include "lateness.h"

/*
 * async-std has no builder, so the way to get one executor thread is the environment:
 * AS_THREAD_COUNT=1 (ASYNC_STD_THREAD_COUNT in Rust), set before the runtime starts. The ticker
 * and the blocker are both as_spawn'ed, so both run on that one worker, "as-worker-0". The
 * timer that wakes the ticker is fired by the reactor thread "as-io", which is never blocked --
 * but the woken ticker still needs the worker to run it, and the worker is inside nanosleep.
 *
 * One difference from tk's interval shows in the transcript: async-std-style intervals SKIP
 * the ticks that a late program missed (they are counted in `missed`), where tokio's default
 * delivers them in a burst. Fewer ticks, not less lateness.
 */
#define ROUNDS 4
#define BLOCK_MS 50

/* The ticker: an as_interval of 1 ms, lateness recorded at every tick. */
typedef struct as_ticker_fut {
    rt_future base;
    rt_async co;
    _Atomic int *stop;
    lateness *stats;
    as_interval iv;
    as_tick_fut tick;
} as_ticker_fut;

/* as_ticker_poll: tick until told to stop. */
static rt_poll as_ticker_poll(rt_future *f, rt_context *cx)
{
    as_ticker_fut *t = (as_ticker_fut *)f;
    RT_BEGIN(&t->co);
    t->iv = as_interval_new(1);
    while (!atomic_load(t->stop)) {
        t->tick = as_interval_tick(&t->iv);
        RT_AWAIT(&t->co, &t->tick, cx);
        lateness_add(t->stats, t->tick.tick_ns, as_now_ns());
    }
    RT_END(&t->co);
}

/* as_ticker_drop: release the pending tick's timer. */
static void as_ticker_drop(rt_future *f)
{
    rt_async_drop(&((as_ticker_fut *)f)->co);
}

static const rt_future_vtable as_ticker_vtable = { as_ticker_poll, as_ticker_drop, "ticker" };

/* The blocker: ROUNDS blocking calls, inside the task or on the blocking pool. */
typedef struct as_blocker_fut {
    rt_future base;
    rt_async co;
    int use_pool;
    unsigned i;
    as_blocking_fut job;
    as_yield_fut y;
} as_blocker_fut;

/* as_blocker__job: the blocking call, as a pool job. */
static void *as_blocker__job(void *arg)
{
    (void)arg;
    block_thread_ms(BLOCK_MS);
    return NULL;
}

/* as_blocker_poll: block (or await the pool), then yield, ROUNDS times. */
static rt_poll as_blocker_poll(rt_future *f, rt_context *cx)
{
    as_blocker_fut *b = (as_blocker_fut *)f;
    RT_BEGIN(&b->co);
    for (b->i = 0; b->i < ROUNDS; b->i++) {
        if (!b->use_pool) {
            block_thread_ms(BLOCK_MS);               /* std::thread::sleep */
        } else {
            b->job = as_spawn_blocking(as_blocker__job, NULL); /* task::spawn_blocking(..) */
            RT_AWAIT(&b->co, &b->job, cx);                     /*   .await */
            if (b->job.err != 0)
                rt_panic("as_spawn_blocking failed: error %d", -b->job.err);
        }
        b->y = as_yield_now();
        RT_AWAIT(&b->co, &b->y, cx);
    }
    RT_END(&b->co);
}

/* as_blocker_drop: detach a job still running. */
static void as_blocker_drop(rt_future *f)
{
    rt_async_drop(&((as_blocker_fut *)f)->co);
}

static const rt_future_vtable as_blocker_vtable = { as_blocker_poll, as_blocker_drop, "blocker" };

/* One run: spawn both, await the blocker, stop and await the ticker. */
typedef struct as_hazard_fut {
    rt_future base;
    rt_async co;
    int use_pool;
    _Atomic int stop;
    lateness *stats;
    as_task ticker, blocker;
    uint64_t missed;
} as_hazard_fut;

/* as_hazard_poll: the two tasks side by side on the one worker. */
static rt_poll as_hazard_poll(rt_future *f, rt_context *cx)
{
    as_hazard_fut *h = (as_hazard_fut *)f;
    RT_BEGIN(&h->co);
    as_ticker_fut t = { .base = { &as_ticker_vtable }, .stop = &h->stop, .stats = h->stats };
    as_blocker_fut b = { .base = { &as_blocker_vtable }, .use_pool = h->use_pool };
    if (AS_SPAWN(t, &h->ticker) != 0 || AS_SPAWN(b, &h->blocker) != 0)
        rt_panic("cannot spawn the tasks");
    RT_AWAIT(&h->co, as_task_join(&h->blocker), cx);
    atomic_store(&h->stop, 1);
    RT_AWAIT(&h->co, as_task_join(&h->ticker), cx);
    h->missed = ((as_ticker_fut *)as_task_output(&h->ticker))->iv.missed;
    as_task_detach(&h->ticker);
    as_task_detach(&h->blocker);
    RT_END(&h->co);
}

static const rt_future_vtable as_hazard_vtable = { as_hazard_poll, NULL, "hazard" };

/* run_once: measure one way and print one line. */
static void run_once(const char *label, int use_pool, lateness *out)
{
    *out = (lateness){ 0 };
    as_hazard_fut h = { .base = { &as_hazard_vtable }, .use_pool = use_pool, .stats = out };
    atomic_init(&h.stop, 0);
    uint64_t t0 = as_now_ns();
    as_block_on(&h.base);
    double wall = (double)(as_now_ns() - t0) / 1e6;
    printf("  %-28s %4llu ticks (%3llu skipped) in %3.0f ms, late by %5.1f ms on average, "
           "the worst %5.1f ms\n", label, (unsigned long long)out->ticks,
           (unsigned long long)h.missed, wall, lateness_mean_ms(out), lateness_worst_ms(out));
}

/* main: one worker thread, then the two runs. */
int main(void)
{
    setenv("AS_THREAD_COUNT", "1", 1); /* before the runtime's first use */
    lateness bad, good;
    printf("a 1 ms as_interval beside a task that blocks %d x %d ms (%u executor thread):\n",
           ROUNDS, BLOCK_MS, as_thread_count());
    run_once("nanosleep inside the task:", 0, &bad);
    run_once("as_spawn_blocking:", 1, &good);
    double ratio = lateness_worst_ms(&bad) / (lateness_worst_ms(&good) > 0.05
                                                   ? lateness_worst_ms(&good) : 0.05);
    printf("the worst tick was %.0fx later when the task blocked its thread\n", ratio);
    return 0;
}
