/* lateness.h: lessons 11-12 -- a 1 ms interval that measures its own lateness, beside a task that blocks. */
#ifndef LESSON11_LATENESS_H
#define LESSON11_LATENESS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "rt_async.h"
#include "rt_clock.h"
#include "rt_panic.h"
#include "tk_blocking.h"
#include "tk_runtime.h"
#include "tk_time.h"

/*
 * The measuring stick of both lessons. A ticker task awaits a 1 ms interval and, at every tick,
 * writes down how late the tick arrived: the time it ran minus the time it was due. Beside it,
 * a blocker task does ROUNDS rounds of "block this thread for BLOCK_MS":
 *
 *   - the wrong way, by calling the blocking function inside its poll. The thread that polls it
 *     is stuck in nanosleep, and every task queued behind it (the ticker) waits too;
 *   - the right way, with tk_spawn_blocking: the call runs on a pool thread, and the task only
 *     awaits its JoinHandle, which costs the worker nothing while it waits.
 *
 * The Rust it stands for:
 *
 *     let ticker = tokio::spawn(async move {
 *         let mut iv = tokio::time::interval(Duration::from_millis(1));
 *         while !stop.load(Relaxed) {
 *             let due = iv.tick().await;
 *             stats.add(due, Instant::now());
 *         }
 *     });
 *     for _ in 0..ROUNDS {
 *         std::thread::sleep(Duration::from_millis(BLOCK_MS));            // the wrong way
 *         tokio::task::spawn_blocking(|| std::thread::sleep(..)).await.unwrap(); // the right way
 *         tokio::task::yield_now().await;
 *     }
 */

/* What the ticker saw: number of ticks, and how late they were. */
typedef struct lateness {
    uint64_t ticks;
    uint64_t sum_ns;    /* total lateness, for the mean */
    uint64_t worst_ns;
} lateness;

/* lateness_add: one tick, due at due_ns, that ran at now_ns. */
static inline void lateness_add(lateness *l, uint64_t due_ns, uint64_t now_ns)
{
    uint64_t late = now_ns > due_ns ? now_ns - due_ns : 0;
    l->ticks++;
    l->sum_ns += late;
    if (late > l->worst_ns)
        l->worst_ns = late;
}

/* lateness_mean_ms: the average lateness of a tick, in milliseconds. */
static inline double lateness_mean_ms(const lateness *l)
{
    return l->ticks ? (double)l->sum_ns / (double)l->ticks / 1e6 : 0.0;
}

/* lateness_worst_ms: the latest tick, in milliseconds. */
static inline double lateness_worst_ms(const lateness *l)
{
    return (double)l->worst_ns / 1e6;
}

/* block_thread_ms: std::thread::sleep -- the calling thread stops for ms milliseconds, and no
 * scheduler can take it back before that (a signal only shortens the step; we resume). */
static inline void block_thread_ms(unsigned ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        continue;
}

/* ---- the ticker task ------------------------------------------------------------------- */
typedef struct ticker_fut {
    rt_future base;
    rt_async co;
    _Atomic int *stop;      /* set by the main future when the blocker is done */
    lateness *stats;        /* owned by the caller, written only by this task */
    tk_interval iv;
    tk_tick_fut tick;
} ticker_fut;

/* ticker_poll: tick every millisecond and record each tick's lateness, until told to stop. */
static inline rt_poll ticker_poll(rt_future *f, rt_context *cx)
{
    ticker_fut *t = (ticker_fut *)f;
    RT_BEGIN(&t->co);
    t->iv = tk_interval_new(1);
    while (!atomic_load(t->stop)) {
        t->tick = tk_interval_tick(&t->iv);
        RT_AWAIT(&t->co, &t->tick, cx);
        lateness_add(t->stats, t->tick.scheduled_ns, rt_monotonic_ns());
    }
    RT_END(&t->co);
}

/* ticker_drop: a cancelled ticker releases its pending tick's timer. */
static inline void ticker_drop(rt_future *f)
{
    rt_async_drop(&((ticker_fut *)f)->co);
}

static const rt_future_vtable ticker_vtable = { ticker_poll, ticker_drop, "ticker" };

/* ---- the blocker, both ways -------------------------------------------------------------- */
typedef struct blocker_fut {
    rt_future base;
    rt_async co;
    int use_pool;           /* 0: block inside poll; 1: tk_spawn_blocking */
    unsigned rounds, ms, i;
    tk_join_handle jh;
    tk_yield_fut y;
} blocker_fut;

/* blocker__job: the blocking call, as a spawn_blocking job (arg carries the milliseconds). */
static inline void *blocker__job(void *arg)
{
    block_thread_ms((unsigned)(uintptr_t)arg);
    return NULL;
}

// region: blocker
/* blocker_poll: `rounds` blocking calls, each followed by a yield (lesson 11: not enough). */
static inline rt_poll blocker_poll(rt_future *f, rt_context *cx)
{
    blocker_fut *b = (blocker_fut *)f;
    RT_BEGIN(&b->co);
    for (b->i = 0; b->i < b->rounds; b->i++) {
        if (!b->use_pool) {
            block_thread_ms(b->ms);    /* the worker thread stops right here */
        } else {
            if (tk_spawn_blocking(blocker__job, (void *)(uintptr_t)b->ms, &b->jh) != 0)
                rt_panic("out of memory in tk_spawn_blocking");
            RT_AWAIT(&b->co, &b->jh, cx); /* the worker is free while the pool thread sleeps */
            rt_join_handle_detach(&b->jh);
        }
        b->y = tk_yield_now();
        RT_AWAIT(&b->co, &b->y, cx);
    }
    RT_END(&b->co);
}
// endregion

/* blocker_drop: let go of a job still running (a blocking call cannot be cancelled). */
static inline void blocker_drop(rt_future *f)
{
    blocker_fut *b = (blocker_fut *)f;
    rt_async_drop(&b->co);
    rt_join_handle_detach(&b->jh);
}

static const rt_future_vtable blocker_vtable = { blocker_poll, blocker_drop, "blocker" };

/* ---- one run: the ticker beside the blocker --------------------------------------------- */
typedef struct hazard_fut {
    rt_future base;
    rt_async co;
    _Atomic int stop;
    lateness *stats;
    blocker_fut blocker;    /* copied into its task by the spawn */
    tk_join_handle ticker, blocked;
} hazard_fut;

/* hazard_poll: spawn the ticker and the blocker as tasks -- on a multi_thread runtime both land
 * on the workers, not on the thread in block_on -- await the blocker, then stop the ticker. */
static inline rt_poll hazard_poll(rt_future *f, rt_context *cx)
{
    hazard_fut *h = (hazard_fut *)f;
    RT_BEGIN(&h->co);
    ticker_fut t = { .base = { &ticker_vtable }, .stop = &h->stop, .stats = h->stats };
    if (tk_spawn(&t.base, sizeof t, &h->ticker) != 0 ||
        tk_spawn(&h->blocker.base, sizeof h->blocker, &h->blocked) != 0)
        rt_panic("out of memory spawning the tasks");
    RT_AWAIT(&h->co, &h->blocked, cx);
    rt_join_handle_detach(&h->blocked);
    atomic_store(&h->stop, 1);
    RT_AWAIT(&h->co, &h->ticker, cx);
    rt_join_handle_detach(&h->ticker);
    RT_END(&h->co);
}

/* hazard_drop: cancel the ticker with us. */
static inline void hazard_drop(rt_future *f)
{
    hazard_fut *h = (hazard_fut *)f;
    rt_async_drop(&h->co);
    rt_join_handle_abort(&h->ticker);
    rt_join_handle_detach(&h->ticker);
    rt_join_handle_detach(&h->blocked);
}

static const rt_future_vtable hazard_vtable = { hazard_poll, hazard_drop, "hazard" };

/* hazard_run: one measurement on runtime rt; the ticker's lateness lands in *stats. */
static inline void hazard_run(tk_runtime *rt, int use_pool, unsigned rounds, unsigned ms,
                              lateness *stats)
{
    *stats = (lateness){ 0 };
    hazard_fut h = { .base = { &hazard_vtable }, .stats = stats };
    atomic_init(&h.stop, 0);
    h.blocker = (blocker_fut){ .base = { &blocker_vtable }, .use_pool = use_pool,
                               .rounds = rounds, .ms = ms };
    tk_runtime_block_on(rt, &h.base);
    rt_future_drop(&h.base);
}

#endif
