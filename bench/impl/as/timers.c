/* timers.c (rtb-as): million_timers on the reactor's timer heap, timer_churn with as_timeout. */
#include "asb.h"

#include <stdatomic.h>

#include "rt_alloc.h"
#include "rtb_timers.h"
#include "rtb_util.h"

/* ======================================================================================== */
/* million_timers                                                                             */
/* ======================================================================================== */

/*
 * The anchor's phases, with as sleeps held in one array allocated before init (a C program
 * holds N futures by value; the anchor boxes each Sleep because it is !Unpin):
 *   init     create each sleep (its deadline is fixed then, from the clock, as async-io's
 *            Timer::after fixes it) and poll it once, which is when it enters the reactor's
 *            heap -- one insert and one waker clone under the timer lock per sleep;
 *   dispatch await them in deadline order; one that already fired is ready at once;
 *   cleanup  drop them all (a fired sleep has nothing left in the heap: a no-op).
 * dispatch_cpu is the whole process's CPU time, as the anchor measures it: the timers fire on
 * whichever thread drives the reactor (the as-io thread, an idle worker or the idle main
 * thread in as_block_on), and the wakes run the task on a worker.
 *
 * as has no coop budget, so -- unlike tokio -- polling 100000 sleeps in one task poll
 * registers every one of them; nothing silently moves from init into dispatch.
 */

typedef struct asb__mt_main {
    rt_future base;
    rt_async co;
    rtb_mt *mt;
    as_sleep_fut *sleeps;
    uint64_t i, cpu0;
    int polled;          /* the init pass put every sleep in the heap (0: none is armed) */
} asb__mt_main;

/* asb__mt_main_poll: init, dispatch, cleanup, each phase stamped into mt. */
static rt_poll asb__mt_main_poll(rt_future *f, rt_context *cx)
{
    asb__mt_main *m = (asb__mt_main *)f;
    rtb_mt *mt = m->mt;
    RT_BEGIN(&m->co);
    mt->t_init = rtb_now_ns();
    for (uint64_t i = 0; i < mt->n; i++)
        m->sleeps[i] = as_sleep(rtb_mt_timeout_ms(i));
    /* None can be due yet (a millisecond is far); one that is anyway completes on its first
     * poll without entering the heap, and dispatch finds it ready. */
    for (uint64_t i = 0; i < mt->n; i++)
        (void)rt_future_poll(&m->sleeps[i].base, cx);
    m->polled = 1;
    mt->t_run = rtb_now_ns();
    m->cpu0 = rtb_process_cpu_ns();
    for (m->i = 0; m->i < mt->n; m->i++) {
        RT_AWAIT(&m->co, &m->sleeps[m->i], cx);
        rtb_mt_fire(mt, m->i);
    }
    mt->cpu_dispatch = rtb_process_cpu_ns() - m->cpu0;
    mt->t_ran = rtb_now_ns();
    for (uint64_t i = 0; i < mt->n; i++) {
        rt_future_drop(&m->sleeps[i].base);
        mt->released++;
    }
    m->polled = 0;
    mt->t_done = rtb_now_ns();
    RT_END(&m->co);
}

/* asb__mt_main_drop: cancelled in dispatch: every sleep leaves the heap. Before init and after
 * cleanup nothing is armed (each of those runs within one poll, so no other state can be
 * cancelled). The awaited sleep is one of the array's: dropped below, once. */
static void asb__mt_main_drop(rt_future *f)
{
    asb__mt_main *m = (asb__mt_main *)f;
    if (!m->polled)
        return;
    m->co.awaiting = NULL;
    for (uint64_t i = 0; i < m->mt->n; i++)
        rt_future_drop(&m->sleeps[i].base);
    m->polled = 0;
}

static const rt_future_vtable asb__mt_main_vtable = {
    asb__mt_main_poll, asb__mt_main_drop, "million_timers"
};

/* asb_million_timers: init, dispatch, cleanup and dispatch CPU in ns per timer. */
int asb_million_timers(rtb_args *args)
{
    rtb_mt mt;
    rtb_mt_params(&mt, args);
    as_sleep_fut *sleeps = rt_malloc(mt.n * sizeof *sleeps);
    if (sleeps == NULL)
        rtb_fail("out of memory for %llu sleeps", (unsigned long long)mt.n);
    asb__mt_main m = { .base = { &asb__mt_main_vtable }, .mt = &mt, .sleeps = sleeps };
    asb_block_on_task(&m.base, sizeof m);
    rt_free(sleeps);
    if (as_timer_count() != 0)
        rtb_fail("million_timers: %zu timers still armed after cleanup", as_timer_count());
    rtb_mt_report(&mt, 1);
    return 0;
}

/* ======================================================================================== */
/* timer_churn                                                                                */
/* ======================================================================================== */

/*
 * W tasks; each, R times, awaits an event (a yield) under a fresh 10 s + jitter as_timeout:
 * the timeout's sleep enters the heap when the yield first says pending, and leaves it when
 * the yield completes on the next poll -- one insert and one cancel per event, each under the
 * reactor's timer lock, plus one task wake (the yield) through the global queue. The jitter
 * is the anchor's: task k draws from xorshift64* seeded with k + 1.
 */

typedef struct asb__churn_task {
    rt_future base;
    rt_async co;
    uint64_t rounds, r;
    _Atomic uint64_t *rearms;
    rtb_rng rng;
    as_yield_fut y;
    as_timeout_fut to;
} asb__churn_task;

/* asb__churn_task_poll: R events, each under its own timeout; a timeout that fires fails. */
static rt_poll asb__churn_task_poll(rt_future *f, rt_context *cx)
{
    asb__churn_task *t = (asb__churn_task *)f;
    RT_BEGIN(&t->co);
    for (t->r = 0; t->r < t->rounds; t->r++) {
        t->y = as_yield_now();
        t->to = as_timeout(&t->y.base, 10000 + rtb_rng_next(&t->rng) % 1000);
        RT_AWAIT(&t->co, &t->to, cx);
        if (t->to.timed_out)
            rtb_fail("timer_churn: a 10 s timeout fired");
        atomic_fetch_add_explicit(t->rearms, 1, memory_order_relaxed);
    }
    RT_END(&t->co);
}

/* asb__churn_task_drop: a pending timeout drops its yield and takes its sleep out of the heap. */
static void asb__churn_task_drop(rt_future *f)
{
    rt_async_drop(&((asb__churn_task *)f)->co);
}

static const rt_future_vtable asb__churn_task_vtable = {
    asb__churn_task_poll, asb__churn_task_drop, "timer_churn_task"
};

typedef struct asb__churn_main {
    rt_future base;
    rt_async co;
    uint64_t watchers, rounds, k;
    _Atomic uint64_t *rearms;
    as_task *handles;
    uint64_t t0, elapsed;  /* output */
} asb__churn_main;

/* asb__churn_main_poll: spawn W churning tasks and join them all. */
static rt_poll asb__churn_main_poll(rt_future *f, rt_context *cx)
{
    asb__churn_main *m = (asb__churn_main *)f;
    RT_BEGIN(&m->co);
    m->t0 = rtb_now_ns();
    for (m->k = 0; m->k < m->watchers; m->k++) {
        asb__churn_task t = { .base = { &asb__churn_task_vtable }, .rounds = m->rounds,
                              .rearms = m->rearms };
        rtb_rng_seed(&t.rng, m->k + 1);
        asb_spawn(&t.base, sizeof t, &m->handles[m->k]);
    }
    for (m->k = 0; m->k < m->watchers; m->k++) {
        RT_AWAIT(&m->co, as_task_join(&m->handles[m->k]), cx);
        asb_joined(&m->handles[m->k], "timer_churn");
        as_task_detach(&m->handles[m->k]);
    }
    m->elapsed = rtb_now_ns() - m->t0;
    RT_END(&m->co);
}

/* asb__churn_main_drop: every handle still held (the array starts zeroed; detach is
 * idempotent, and the awaited handle is one of them). */
static void asb__churn_main_drop(rt_future *f)
{
    asb__churn_main *m = (asb__churn_main *)f;
    for (uint64_t k = 0; k < m->watchers; k++)
        as_task_detach(&m->handles[k]);
}

static const rt_future_vtable asb__churn_main_vtable = {
    asb__churn_main_poll, asb__churn_main_drop, "timer_churn"
};

/* asb_timer_churn: ns per re-arm; W * R re-arms, no timeout fired, no timer left armed. */
int asb_timer_churn(rtb_args *args)
{
    uint64_t watchers = rtb_param_u64(args, "watchers", 1, 10000000);
    uint64_t rounds = rtb_param_u64(args, "rounds", 1, 10000000);
    rtb_params_done(args);
    as_task *handles = rt_calloc(watchers, sizeof *handles);
    if (handles == NULL)
        rtb_fail("out of memory for %llu join handles", (unsigned long long)watchers);
    _Atomic uint64_t rearms;
    atomic_init(&rearms, 0);
    asb__churn_main m = { .base = { &asb__churn_main_vtable }, .watchers = watchers,
                          .rounds = rounds, .rearms = &rearms, .handles = handles };
    asb_block_on_task(&m.base, sizeof m);
    rt_free(handles);
    uint64_t n = atomic_load_explicit(&rearms, memory_order_acquire);
    if (n != watchers * rounds)
        rtb_fail("timer_churn: %llu re-arms, expected %llu", (unsigned long long)n,
                 (unsigned long long)(watchers * rounds));
    if (as_timer_count() != 0)
        rtb_fail("timer_churn: %zu timeouts still armed after every event came",
                 as_timer_count());
    rtb_metric("rearm", "ns", (double)m.elapsed / (double)n);
    return 0;
}
