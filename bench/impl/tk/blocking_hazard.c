/* blocking_hazard.c (rtb-tk): a 1 ms ticker's lateness beside a task that blocks, then offloads. */
#include "tkb.h"

#include <stdatomic.h>

#include "rt_alloc.h"
#include "rt_clock.h"
#include "rtb_util.h"
#include "tk_blocking.h"
#include "tk_time.h"

/*
 * The anchor's hazard_phase, run twice with block_on (as an async fn, not a spawned task):
 *   - the ticker task awaits a 1 ms tk_interval and records, for each tick, how late it ran
 *     compared with when it was due (the tick future's scheduled_ns, like the Instant tokio's
 *     tick() returns); a late tick completes at once (Burst), so one long block shows up as a
 *     run of late ticks;
 *   - the hazard task sleeps every_ms, then blocks for block_ms: phase 1 right in the task,
 *     holding its worker (on current_thread, the only thread); phase 2 through
 *     tk_spawn_blocking, awaited, so the worker is free meanwhile.
 * When the ticker has its ticks, the hazard is told to stop and finishes its current round.
 */

typedef struct tkb__bh_shared {
    _Atomic int stop;
    _Atomic uint64_t blocks;
    uint64_t block_ms, every_ms;
    int offload;
} tkb__bh_shared;

/* tkb__block: the blocking call itself (std::thread::sleep), for the pool in phase 2. */
static void *tkb__block(void *arg)
{
    rtb_sleep_ms(*(const uint64_t *)arg);
    return NULL;
}

/* ---- the hazard -------------------------------------------------------------------------- */

typedef struct tkb__hazard {
    rt_future base;
    rt_async co;
    tkb__bh_shared *sh;
    tk_sleep_fut nap;
    tk_join_handle jh;
} tkb__hazard;

/* tkb__hazard_poll: until told to stop: sleep, then block (in place, or on the pool). */
static rt_poll tkb__hazard_poll(rt_future *f, rt_context *cx)
{
    tkb__hazard *h = (tkb__hazard *)f;
    RT_BEGIN(&h->co);
    while (!atomic_load_explicit(&h->sh->stop, memory_order_acquire)) {
        h->nap = tk_sleep(h->sh->every_ms);
        RT_AWAIT(&h->co, &h->nap, cx);
        if (h->sh->offload) {
            if (tk_spawn_blocking(tkb__block, &h->sh->block_ms, &h->jh) != 0)
                rtb_fail("out of memory for spawn_blocking");
            RT_AWAIT(&h->co, &h->jh, cx);
            tkb_joined(&h->jh, "spawn_blocking");
            rt_join_handle_detach(&h->jh);
        } else {
            rtb_sleep_ms(h->sh->block_ms);  /* the hazard: a worker thread held hostage */
        }
        atomic_fetch_add_explicit(&h->sh->blocks, 1, memory_order_relaxed);
    }
    RT_END(&h->co);
}

/* tkb__hazard_drop: a pending sleep or blocking handle. */
static void tkb__hazard_drop(rt_future *f)
{
    rt_async_drop(&((tkb__hazard *)f)->co);
}

static const rt_future_vtable tkb__hazard_vtable = { tkb__hazard_poll, tkb__hazard_drop, "hazard" };

/* ---- the ticker -------------------------------------------------------------------------- */

typedef struct tkb__ticker {
    rt_future base;
    rt_async co;
    double *late;            /* ticks entries, microseconds */
    uint64_t ticks, i;
    tk_interval iv;
    tk_tick_fut tick;
} tkb__ticker;

/* tkb__ticker_poll: the first tick is immediate; then record each tick's lateness. */
static rt_poll tkb__ticker_poll(rt_future *f, rt_context *cx)
{
    tkb__ticker *t = (tkb__ticker *)f;
    RT_BEGIN(&t->co);
    t->iv = tk_interval_new(1);
    t->tick = tk_interval_tick(&t->iv);
    RT_AWAIT(&t->co, &t->tick, cx);
    for (t->i = 0; t->i < t->ticks; t->i++) {
        t->tick = tk_interval_tick(&t->iv);
        RT_AWAIT(&t->co, &t->tick, cx);
        t->late[t->i] = (double)(rt_monotonic_ns() - t->tick.scheduled_ns) / 1e3;
    }
    RT_END(&t->co);
}

/* tkb__ticker_drop: a pending tick (the interval itself owns nothing). */
static void tkb__ticker_drop(rt_future *f)
{
    rt_async_drop(&((tkb__ticker *)f)->co);
}

static const rt_future_vtable tkb__ticker_vtable = { tkb__ticker_poll, tkb__ticker_drop, "ticker" };

/* ---- one phase (block_on's future) ------------------------------------------------------- */

typedef struct tkb__phase {
    rt_future base;
    rt_async co;
    tkb__bh_shared *sh;
    double *late;
    uint64_t ticks;
    tk_join_handle hazard, ticker;
} tkb__phase;

/* tkb__phase_poll: start both, wait for the ticks, stop the hazard, wait for it. */
static rt_poll tkb__phase_poll(rt_future *f, rt_context *cx)
{
    tkb__phase *p = (tkb__phase *)f;
    RT_BEGIN(&p->co);
    {
        tkb__hazard h = { .base = { &tkb__hazard_vtable }, .sh = p->sh };
        tkb_spawn(&h.base, sizeof h, &p->hazard);
        tkb__ticker t = { .base = { &tkb__ticker_vtable }, .late = p->late, .ticks = p->ticks };
        tkb_spawn(&t.base, sizeof t, &p->ticker);
    }
    RT_AWAIT(&p->co, &p->ticker, cx);
    tkb_joined(&p->ticker, "ticker");
    rt_join_handle_detach(&p->ticker);
    atomic_store_explicit(&p->sh->stop, 1, memory_order_release);
    RT_AWAIT(&p->co, &p->hazard, cx);
    tkb_joined(&p->hazard, "hazard");
    rt_join_handle_detach(&p->hazard);
    RT_END(&p->co);
}

/* tkb__phase_drop: whichever handles are still held. */
static void tkb__phase_drop(rt_future *f)
{
    tkb__phase *p = (tkb__phase *)f;
    rt_async_drop(&p->co);
    rt_join_handle_detach(&p->ticker);
    rt_join_handle_detach(&p->hazard);
}

static const rt_future_vtable tkb__phase_vtable = {
    tkb__phase_poll, tkb__phase_drop, "hazard_phase"
};

/* tkb__run_phase: one phase on rt; returns the p99 lateness in us and the number of blocks. */
static double tkb__run_phase(tk_runtime *rt, uint64_t ticks, uint64_t block_ms, uint64_t every_ms,
                             int offload, uint64_t *blocks)
{
    double *late = rt_malloc(ticks * sizeof *late);
    if (late == NULL)
        rtb_fail("out of memory for %llu ticks", (unsigned long long)ticks);
    tkb__bh_shared sh = { .block_ms = block_ms, .every_ms = every_ms, .offload = offload };
    atomic_init(&sh.stop, 0);
    atomic_init(&sh.blocks, 0);
    tkb__phase p = { .base = { &tkb__phase_vtable }, .sh = &sh, .late = late, .ticks = ticks };
    tk_runtime_block_on(rt, &p.base);
    rt_future_drop(&p.base);
    *blocks = atomic_load_explicit(&sh.blocks, memory_order_acquire);
    double p99 = rtb_percentile(late, ticks, 99.0);
    rt_free(late);
    return p99;
}

/* tkb_blocking_hazard: p99 tick lateness with the hazard in the worker, then offloaded. */
int tkb_blocking_hazard(rtb_args *args)
{
    uint64_t ticks = rtb_param_u64(args, "ticks", 10, 10000000);
    uint64_t block_ms = rtb_param_u64(args, "block_ms", 1, 10000);
    uint64_t every_ms = rtb_param_u64(args, "every_ms", 1, 10000);
    rtb_params_done(args);
    tk_runtime *rt = tkb_runtime_new();
    uint64_t n_in, n_off;
    double p_in = tkb__run_phase(rt, ticks, block_ms, every_ms, 0, &n_in);
    double p_off = tkb__run_phase(rt, ticks, block_ms, every_ms, 1, &n_off);
    tk_runtime_free(rt);
    if (n_in == 0 || n_off == 0)
        rtb_fail("blocking_hazard: the blocking task never ran, so nothing was measured");
    rtb_metric("p99_blocked", "us", p_in);
    rtb_metric("p99_spawn_blocking", "us", p_off);
    return 0;
}
