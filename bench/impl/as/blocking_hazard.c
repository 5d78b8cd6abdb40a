/* blocking_hazard.c (rtb-as): a 1 ms ticker's lateness beside a task that blocks, then offloads. */
#include "asb.h"

#include <stdatomic.h>
#include <string.h>

#include "rt_alloc.h"
#include "rtb_util.h"

/*
 * The anchor's hazard_phase, run twice with as_block_on (as an async fn on the main thread,
 * spawning two tasks):
 *   - the ticker task wants a tick every 1 ms and records, for each tick k, how late it ran
 *     compared with when it was due (start + k ms); a late tick fires at once, so one long
 *     block shows up as a run of late ticks (tokio's MissedTickBehavior::Burst, which is what
 *     WORKLOADS.md defines and what the anchor measures);
 *   - the hazard task sleeps every_ms, then blocks for block_ms: phase 1 right in the task,
 *     holding its worker thread; phase 2 through as_spawn_blocking, awaited, so the worker is
 *     free meanwhile.
 * When the ticker has its ticks, the hazard is told to stop and finishes its current round.
 *
 * Why the ticker does not use as_interval: as's interval keeps its schedule but SKIPS the
 * slots that a stall made it miss (tokio's MissedTickBehavior::Skip, as documented in
 * as_time.h): after a 50 ms block it delivers one late tick and jumps to the next slot in the
 * future. Its ticks would then not be "one every 1 ms", a 50 ms stall would yield one late
 * sample instead of fifty, and the p99 would mean something else than the anchor's. So the
 * ticker keeps the Burst schedule itself, exactly as the async-std anchor does (async-std
 * has no interval with due instants either): it sleeps with as_sleep_until to each due time,
 * unless that time has already passed.
 */

typedef struct asb__bh_shared {
    _Atomic int stop;
    _Atomic uint64_t blocks;
    uint64_t block_ms, every_ms;
    int offload;
} asb__bh_shared;

/* asb__block: the blocking call itself (std::thread::sleep), for the pool in phase 2. */
static void *asb__block(void *arg)
{
    rtb_sleep_ms(*(const uint64_t *)arg);
    return NULL;
}

/* ---- the hazard -------------------------------------------------------------------------- */

typedef struct asb__hazard {
    rt_future base;
    rt_async co;
    asb__bh_shared *sh;
    as_sleep_fut nap;
    as_blocking_fut job;
} asb__hazard;

/* asb__hazard_poll: until told to stop: sleep, then block (in place, or on the pool). */
static rt_poll asb__hazard_poll(rt_future *f, rt_context *cx)
{
    asb__hazard *h = (asb__hazard *)f;
    RT_BEGIN(&h->co);
    while (!atomic_load_explicit(&h->sh->stop, memory_order_acquire)) {
        h->nap = as_sleep(h->sh->every_ms);
        RT_AWAIT(&h->co, &h->nap, cx);
        if (h->sh->offload) {
            h->job = as_spawn_blocking(asb__block, &h->sh->block_ms);
            RT_AWAIT(&h->co, &h->job, cx);
            if (h->job.err != 0)
                rtb_fail("spawn_blocking: %s", strerror(-h->job.err));
        } else {
            rtb_sleep_ms(h->sh->block_ms);  /* the hazard: a worker thread held hostage */
        }
        atomic_fetch_add_explicit(&h->sh->blocks, 1, memory_order_relaxed);
    }
    RT_END(&h->co);
}

/* asb__hazard_drop: a pending sleep or blocking job (dropping the job's future detaches it). */
static void asb__hazard_drop(rt_future *f)
{
    rt_async_drop(&((asb__hazard *)f)->co);
}

static const rt_future_vtable asb__hazard_vtable = { asb__hazard_poll, asb__hazard_drop, "hazard" };

/* ---- the ticker -------------------------------------------------------------------------- */

typedef struct asb__ticker {
    rt_future base;
    rt_async co;
    double *late;            /* ticks entries, microseconds */
    uint64_t ticks, k, start, due;
    as_sleep_fut nap;
} asb__ticker;

/* asb__ticker_poll: for k = 1..ticks: sleep until start + k ms unless already past, then
 * record how late the tick ran. */
static rt_poll asb__ticker_poll(rt_future *f, rt_context *cx)
{
    asb__ticker *t = (asb__ticker *)f;
    RT_BEGIN(&t->co);
    t->start = as_now_ns();
    for (t->k = 1; t->k <= t->ticks; t->k++) {
        t->due = t->start + t->k * 1000000u;
        if (as_now_ns() < t->due) {
            t->nap = as_sleep_until(t->due);
            RT_AWAIT(&t->co, &t->nap, cx);
        }
        t->late[t->k - 1] = (double)(as_now_ns() - t->due) / 1e3;
    }
    RT_END(&t->co);
}

/* asb__ticker_drop: a pending sleep. */
static void asb__ticker_drop(rt_future *f)
{
    rt_async_drop(&((asb__ticker *)f)->co);
}

static const rt_future_vtable asb__ticker_vtable = { asb__ticker_poll, asb__ticker_drop, "ticker" };

/* ---- one phase (block_on's future) ------------------------------------------------------- */

typedef struct asb__phase {
    rt_future base;
    rt_async co;
    asb__bh_shared *sh;
    double *late;
    uint64_t ticks;
    as_task hazard, ticker;
} asb__phase;

/* asb__phase_poll: start both, wait for the ticks, stop the hazard, wait for it. */
static rt_poll asb__phase_poll(rt_future *f, rt_context *cx)
{
    asb__phase *p = (asb__phase *)f;
    RT_BEGIN(&p->co);
    {
        asb__hazard h = { .base = { &asb__hazard_vtable }, .sh = p->sh };
        asb_spawn(&h.base, sizeof h, &p->hazard);
        asb__ticker t = { .base = { &asb__ticker_vtable }, .late = p->late, .ticks = p->ticks };
        asb_spawn(&t.base, sizeof t, &p->ticker);
    }
    RT_AWAIT(&p->co, as_task_join(&p->ticker), cx);
    asb_joined(&p->ticker, "ticker");
    as_task_detach(&p->ticker);
    atomic_store_explicit(&p->sh->stop, 1, memory_order_release);
    RT_AWAIT(&p->co, as_task_join(&p->hazard), cx);
    asb_joined(&p->hazard, "hazard");
    as_task_detach(&p->hazard);
    RT_END(&p->co);
}

/* asb__phase_drop: whichever handles are still held (the awaited one among them). */
static void asb__phase_drop(rt_future *f)
{
    asb__phase *p = (asb__phase *)f;
    as_task_detach(&p->ticker);
    as_task_detach(&p->hazard);
}

static const rt_future_vtable asb__phase_vtable = {
    asb__phase_poll, asb__phase_drop, "hazard_phase"
};

/* asb__run_phase: one phase; returns the p99 lateness in us and the number of blocks. */
static double asb__run_phase(uint64_t ticks, uint64_t block_ms, uint64_t every_ms, int offload,
                             uint64_t *blocks)
{
    double *late = rt_malloc(ticks * sizeof *late);
    if (late == NULL)
        rtb_fail("out of memory for %llu ticks", (unsigned long long)ticks);
    asb__bh_shared sh = { .block_ms = block_ms, .every_ms = every_ms, .offload = offload };
    atomic_init(&sh.stop, 0);
    atomic_init(&sh.blocks, 0);
    asb__phase p = { .base = { &asb__phase_vtable }, .sh = &sh, .late = late, .ticks = ticks };
    as_block_on(&p.base);
    rt_future_drop(&p.base);
    *blocks = atomic_load_explicit(&sh.blocks, memory_order_acquire);
    double p99 = rtb_percentile(late, ticks, 99.0);
    rt_free(late);
    return p99;
}

/* asb_blocking_hazard: p99 tick lateness with the hazard in the worker, then offloaded. */
int asb_blocking_hazard(rtb_args *args)
{
    uint64_t ticks = rtb_param_u64(args, "ticks", 10, 10000000);
    uint64_t block_ms = rtb_param_u64(args, "block_ms", 1, 10000);
    uint64_t every_ms = rtb_param_u64(args, "every_ms", 1, 10000);
    rtb_params_done(args);
    uint64_t n_in, n_off;
    double p_in = asb__run_phase(ticks, block_ms, every_ms, 0, &n_in);
    double p_off = asb__run_phase(ticks, block_ms, every_ms, 1, &n_off);
    if (n_in == 0 || n_off == 0)
        rtb_fail("blocking_hazard: the blocking task never ran, so nothing was measured");
    rtb_metric("p99_blocked", "us", p_in);
    rtb_metric("p99_spawn_blocking", "us", p_off);
    return 0;
}
