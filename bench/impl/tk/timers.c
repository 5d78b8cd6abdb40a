/* timers.c (rtb-tk): million_timers on tk's timing wheel, and timer_churn with tk_timeout. */
#include "tkb.h"

#include <stdatomic.h>

#include "rt_alloc.h"
#include "rtb_timers.h"
#include "rtb_util.h"
#include "tk_coop.h"
#include "tk_time.h"

/* ======================================================================================== */
/* million_timers                                                                             */
/* ======================================================================================== */

/*
 * The anchor's phases, with tk's sleeps held in one array allocated before init (a C program
 * holds N futures by value; tokio boxes each Sleep because it is !Unpin):
 *   init     create each sleep (its deadline is fixed then, from the clock, as tokio's is) and
 *            poll it once, which is when it enters the wheel;
 *   dispatch await them in deadline order; a sleep that already fired is ready at once;
 *   cleanup  check every one elapsed, then drop them all (each drop takes its entry out of
 *            the wheel, a no-op for a fired one, under the time driver's lock).
 * dispatch_cpu is the whole process's CPU time, as the anchor measures it: on multi_thread
 * the timers fire on whichever worker holds the driver.
 *
 * Unconstrained init: a tk sleep spends one unit of the coop budget (128 per task poll) when
 * it has to register, and a spent budget makes it return pending without registering -- so
 * polling 100000 of them in one task poll would register only the first 128, silently moving
 * the work into dispatch (the pitfall WORKLOADS.md records for tokio). tokio offers
 * task::unconstrained for this; tk has no such wrapper, so the init pass lifts the budget
 * itself with tk_coop_set(-1) and puts the rest back after, which is what unconstrained does.
 */

typedef struct tkb__mt_main {
    rt_future base;
    rt_async co;
    rtb_mt *mt;
    tk_sleep_fut *sleeps;
    uint64_t i, cpu0;
    int all_elapsed;     /* output */
} tkb__mt_main;

/* tkb__mt_main_poll: init, dispatch, cleanup, each phase stamped into mt. */
static rt_poll tkb__mt_main_poll(rt_future *f, rt_context *cx)
{
    tkb__mt_main *m = (tkb__mt_main *)f;
    rtb_mt *mt = m->mt;
    RT_BEGIN(&m->co);
    mt->t_init = rtb_now_ns();
    for (uint64_t i = 0; i < mt->n; i++)
        m->sleeps[i] = tk_sleep(rtb_mt_timeout_ms(i));
    {
        int budget = tk_coop_get();
        tk_coop_set(-1);
        /* None can be due yet (a millisecond is far); one that is anyway completes on its
         * first poll without entering the wheel, and dispatch finds it ready. */
        for (uint64_t i = 0; i < mt->n; i++)
            (void)rt_future_poll(&m->sleeps[i].base, cx);
        tk_coop_set(budget);
    }
    mt->t_run = rtb_now_ns();
    m->cpu0 = rtb_process_cpu_ns();
    for (m->i = 0; m->i < mt->n; m->i++) {
        RT_AWAIT(&m->co, &m->sleeps[m->i], cx);
        rtb_mt_fire(mt, m->i);
    }
    mt->cpu_dispatch = rtb_process_cpu_ns() - m->cpu0;
    mt->t_ran = rtb_now_ns();
    m->all_elapsed = 1;
    for (uint64_t i = 0; i < mt->n; i++)
        m->all_elapsed &= tk_sleep_is_elapsed(&m->sleeps[i]) != 0;
    for (uint64_t i = 0; i < mt->n; i++) {
        rt_future_drop(&m->sleeps[i].base);
        mt->released++;
    }
    mt->t_done = rtb_now_ns();
    RT_END(&m->co);
}

/* tkb__mt_main_drop: cancelled in dispatch: every sleep leaves the wheel. Before the first
 * poll the array holds nothing yet, and after cleanup every sleep is already dropped (and init
 * and cleanup each run within one poll, so no other state can be cancelled). */
static void tkb__mt_main_drop(rt_future *f)
{
    tkb__mt_main *m = (tkb__mt_main *)f;
    if (m->co.line == 0 || m->co.line == RT_ASYNC_DONE)
        return;
    m->co.awaiting = NULL;  /* the awaited sleep is one of the array's: dropped below, once */
    for (uint64_t i = 0; i < m->mt->n; i++)
        rt_future_drop(&m->sleeps[i].base);
}

static const rt_future_vtable tkb__mt_main_vtable = {
    tkb__mt_main_poll, tkb__mt_main_drop, "million_timers"
};

/* tkb_million_timers: init, dispatch, cleanup and dispatch CPU in ns per timer. */
int tkb_million_timers(rtb_args *args)
{
    rtb_mt mt;
    rtb_mt_params(&mt, args);
    tk_sleep_fut *sleeps = rt_malloc(mt.n * sizeof *sleeps);
    if (sleeps == NULL)
        rtb_fail("out of memory for %llu sleeps", (unsigned long long)mt.n);
    tk_runtime *rt = tkb_runtime_new();
    tkb__mt_main m = { .base = { &tkb__mt_main_vtable }, .mt = &mt, .sleeps = sleeps };
    tkb_block_on_task(rt, &m.base, sizeof m);
    tk_runtime_free(rt);
    rt_free(sleeps);
    if (!m.all_elapsed)
        rtb_fail("million_timers: a sleep completed without being elapsed");
    rtb_mt_report(&mt, 1);
    return 0;
}

/* ======================================================================================== */
/* timer_churn                                                                                */
/* ======================================================================================== */

/*
 * W tasks; each, R times, awaits an event (a yield_now) under a fresh 10 s + jitter timeout:
 * the timeout's sleep enters the wheel when the yield first says pending, and leaves it when
 * the yield completes -- one insert and one cancel per event, plus one task wake (the yield).
 * The jitter is the anchor's: task k draws from xorshift64* seeded with k + 1.
 */

typedef struct tkb__churn_task {
    rt_future base;
    rt_async co;
    uint64_t rounds, r;
    _Atomic uint64_t *rearms;
    rtb_rng rng;
    tk_yield_fut y;
    tk_timeout_fut to;
} tkb__churn_task;

/* tkb__churn_task_poll: R events, each under its own timeout; a timeout that fires fails. */
static rt_poll tkb__churn_task_poll(rt_future *f, rt_context *cx)
{
    tkb__churn_task *t = (tkb__churn_task *)f;
    RT_BEGIN(&t->co);
    for (t->r = 0; t->r < t->rounds; t->r++) {
        t->y = tk_yield_now();
        t->to = tk_timeout(&t->y.base, 10000 + rtb_rng_next(&t->rng) % 1000);
        RT_AWAIT(&t->co, &t->to, cx);
        if (t->to.elapsed)
            rtb_fail("timer_churn: a 10 s timeout fired");
        atomic_fetch_add_explicit(t->rearms, 1, memory_order_relaxed);
    }
    RT_END(&t->co);
}

/* tkb__churn_task_drop: a pending timeout drops its yield and takes its sleep out of the wheel. */
static void tkb__churn_task_drop(rt_future *f)
{
    rt_async_drop(&((tkb__churn_task *)f)->co);
}

static const rt_future_vtable tkb__churn_task_vtable = {
    tkb__churn_task_poll, tkb__churn_task_drop, "timer_churn_task"
};

typedef struct tkb__churn_main {
    rt_future base;
    rt_async co;
    uint64_t watchers, rounds, k;
    _Atomic uint64_t *rearms;
    tk_join_handle *handles;
    uint64_t t0, elapsed;  /* output */
} tkb__churn_main;

/* tkb__churn_main_poll: spawn W churning tasks and join them all. */
static rt_poll tkb__churn_main_poll(rt_future *f, rt_context *cx)
{
    tkb__churn_main *m = (tkb__churn_main *)f;
    RT_BEGIN(&m->co);
    m->t0 = rtb_now_ns();
    for (m->k = 0; m->k < m->watchers; m->k++) {
        tkb__churn_task t = { .base = { &tkb__churn_task_vtable }, .rounds = m->rounds,
                              .rearms = m->rearms };
        rtb_rng_seed(&t.rng, m->k + 1);
        tkb_spawn(&t.base, sizeof t, &m->handles[m->k]);
    }
    for (m->k = 0; m->k < m->watchers; m->k++) {
        RT_AWAIT(&m->co, &m->handles[m->k], cx);
        tkb_joined(&m->handles[m->k], "timer_churn");
        rt_join_handle_detach(&m->handles[m->k]);
    }
    m->elapsed = rtb_now_ns() - m->t0;
    RT_END(&m->co);
}

/* tkb__churn_main_drop: every handle still held (the array starts zeroed; detach is idempotent). */
static void tkb__churn_main_drop(rt_future *f)
{
    tkb__churn_main *m = (tkb__churn_main *)f;
    rt_async_drop(&m->co);
    for (uint64_t k = 0; k < m->watchers; k++)
        rt_join_handle_detach(&m->handles[k]);
}

static const rt_future_vtable tkb__churn_main_vtable = {
    tkb__churn_main_poll, tkb__churn_main_drop, "timer_churn"
};

/* tkb_timer_churn: ns per re-arm; W * R re-arms, no timeout fired. */
int tkb_timer_churn(rtb_args *args)
{
    uint64_t watchers = rtb_param_u64(args, "watchers", 1, 10000000);
    uint64_t rounds = rtb_param_u64(args, "rounds", 1, 10000000);
    rtb_params_done(args);
    tk_join_handle *handles = rt_calloc(watchers, sizeof *handles);
    if (handles == NULL)
        rtb_fail("out of memory for %llu join handles", (unsigned long long)watchers);
    _Atomic uint64_t rearms;
    atomic_init(&rearms, 0);
    tk_runtime *rt = tkb_runtime_new();
    tkb__churn_main m = { .base = { &tkb__churn_main_vtable }, .watchers = watchers,
                          .rounds = rounds, .rearms = &rearms, .handles = handles };
    tkb_block_on_task(rt, &m.base, sizeof m);
    tk_runtime_free(rt);
    rt_free(handles);
    uint64_t n = atomic_load_explicit(&rearms, memory_order_acquire);
    if (n != watchers * rounds)
        rtb_fail("timer_churn: %llu re-arms, expected %llu", (unsigned long long)n,
                 (unsigned long long)(watchers * rounds));
    rtb_metric("rearm", "ns", (double)m.elapsed / (double)n);
    return 0;
}
