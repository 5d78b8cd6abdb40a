/* test_tk_time.c: tk's timers -- abort while sleeping, timeout both ways, interval, never early. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_async.h"
#include "rt_clock.h"
#include "rt_testkit.h"
#include "tk_internal.h"
#include "tk_runtime.h"
#include "tk_time.h"
#include "tk_testkit.h"

#define MS 1000000ull

/* ---- napper: sleeps ms, says when its timer is in the wheel, counts its drops ------------- */
typedef struct napper {
    rt_future base;
    uint64_t ms;
    int started;
    int done;                /* output: the sleep completed */
    tk_sleep_fut sleep;
    _Atomic int *armed;      /* set once a poll returned pending (the timer is registered) */
    _Atomic int *drops;
} napper;

/* napper_poll: written by hand (no RT_AWAIT) so that `armed` is set only after the sleep's
 * poll returned pending, i.e. after its timer went into the wheel. */
static rt_poll napper_poll(rt_future *f, rt_context *cx)
{
    napper *n = (napper *)f;
    if (!n->started) {
        n->started = 1;
        n->sleep = tk_sleep(n->ms);
    }
    if (rt_future_poll(&n->sleep.base, cx) == RT_READY) {
        n->done = 1;
        return RT_READY;
    }
    if (n->armed)
        atomic_store(n->armed, 1);
    return RT_PENDING;
}

/* napper_drop: the sleep's drop is what takes the entry out of the wheel. */
static void napper_drop(rt_future *f)
{
    napper *n = (napper *)f;
    if (n->started)
        rt_future_drop(&n->sleep.base);
    if (n->drops)
        atomic_fetch_add(n->drops, 1);
}

static const rt_future_vtable napper_vtable = { napper_poll, napper_drop, "napper" };

/* napper_new: not started; counters may be NULL. */
static napper napper_new(uint64_t ms, _Atomic int *armed, _Atomic int *drops)
{
    return (napper){ .base = { &napper_vtable }, .ms = ms, .armed = armed, .drops = drops };
}

/* ---- abort while sleeping ----------------------------------------------------------------- */
typedef struct abort_main {
    rt_future base;
    rt_async co;
    tk_runtime *rt;
    tk_join_handle jh, unpolled;
    tk_sleep_fut pause;
    _Atomic int armed, drops, unpolled_drops;
} abort_main;

/* abort_main_poll: spawn a napper, wait for its timer, abort it, check the wheel is empty again. */
static rt_poll abort_main_poll(rt_future *f, rt_context *cx)
{
    abort_main *m = (abort_main *)f;
    RT_BEGIN(&m->co);
    {
        napper n = napper_new(3600 * 1000, &m->armed, &m->drops);
        ck_assert_int_eq(tk_spawn(&n.base, sizeof n, &m->jh), 0);
    }
    while (!atomic_load(&m->armed)) { /* until the task's first poll registered its timer */
        m->pause = tk_sleep(1);
        RT_AWAIT(&m->co, &m->pause, cx);
    }
    ck_assert_uint_eq(wheel_count(m->rt), 1);
    rt_join_handle_abort(&m->jh);
    RT_AWAIT(&m->co, &m->jh, cx);
    ck_assert_int_eq(m->jh.outcome, RT_OUTCOME_CANCELLED);
    ck_assert_ptr_null(rt_join_handle_output(&m->jh));
    /* The cancellation dropped the future before completing the handle: the sleep's drop ran
     * and its entry left the wheel. */
    ck_assert_int_eq(atomic_load(&m->drops), 1);
    ck_assert_uint_eq(wheel_count(m->rt), 0);
    rt_join_handle_detach(&m->jh);
    /* Aborting a task that was never polled drops its future too. */
    {
        napper n = napper_new(3600 * 1000, NULL, &m->unpolled_drops);
        ck_assert_int_eq(tk_spawn(&n.base, sizeof n, &m->unpolled), 0);
    }
    rt_join_handle_abort(&m->unpolled);
    RT_AWAIT(&m->co, &m->unpolled, cx);
    ck_assert_int_eq(m->unpolled.outcome, RT_OUTCOME_CANCELLED);
    ck_assert_int_eq(atomic_load(&m->unpolled_drops), 1);
    rt_join_handle_detach(&m->unpolled);
    RT_END(&m->co);
}

static const rt_future_vtable abort_main_vtable = { abort_main_poll, NULL, "abort_main" };

/* test_abort_while_sleeping: abort releases the timer entry and its task reference. */
START_TEST(test_abort_while_sleeping)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        abort_main m = { .base = { &abort_main_vtable }, .rt = rt };
        tk_runtime_block_on(rt, &m.base);
        ck_assert_uint_eq(wheel_count(rt), 0);
        tk_runtime_free(rt);
        /* The timer's waker held a task reference; had the entry stayed, the task would too. */
        rt_check_tasks_balanced();
    }
}
END_TEST

/* ---- timeout, firing and not firing ------------------------------------------------------- */
typedef struct timeout_main {
    rt_future base;
    rt_async co;
    tk_runtime *rt;
    uint64_t inner_ms, limit_ms, t0, took;
    napper inner;
    tk_timeout_fut to;
    _Atomic int drops;
    int elapsed, inner_done, drops_at_ready;
    size_t wheel_at_ready;
} timeout_main;

/* timeout_main_poll: await timeout(limit, napper(inner)) and record what it left behind. */
static rt_poll timeout_main_poll(rt_future *f, rt_context *cx)
{
    timeout_main *m = (timeout_main *)f;
    RT_BEGIN(&m->co);
    m->t0 = rt_monotonic_ns();
    m->inner = napper_new(m->inner_ms, NULL, &m->drops); /* pinned from here on */
    m->to = tk_timeout(&m->inner.base, m->limit_ms);
    RT_AWAIT(&m->co, &m->to, cx);
    m->took = rt_monotonic_ns() - m->t0;
    m->elapsed = m->to.elapsed;
    m->inner_done = m->inner.done;
    m->drops_at_ready = atomic_load(&m->drops);
    m->wheel_at_ready = wheel_count(m->rt);
    if (!m->elapsed)
        rt_future_drop(&m->inner.base); /* a finished inner is still ours to drop */
    rt_future_drop(&m->to.base);        /* finished: a no-op */
    RT_END(&m->co);
}

static const rt_future_vtable timeout_main_vtable = { timeout_main_poll, NULL, "timeout_main" };

/* run_timeout: timeout(limit_ms, sleep(inner_ms)) on a fresh runtime. */
static timeout_main run_timeout(tk_flavor flavor, uint64_t inner_ms, uint64_t limit_ms)
{
    tk_runtime *rt = build(flavor, 2);
    timeout_main m = { .base = { &timeout_main_vtable }, .rt = rt, .inner_ms = inner_ms,
                       .limit_ms = limit_ms };
    tk_runtime_block_on(rt, &m.base);
    tk_runtime_free(rt);
    return m;
}

/* test_timeout_fires: the limit passes first -- elapsed, inner dropped at once, wheel empty. */
START_TEST(test_timeout_fires)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        timeout_main m = run_timeout((tk_flavor)flavor, 60 * 1000, 40);
        ck_assert_int_eq(m.elapsed, 1);
        ck_assert_int_eq(m.inner_done, 0);
        ck_assert_int_eq(m.drops_at_ready, 1); /* the inner future went at the deadline */
        ck_assert_uint_eq(m.wheel_at_ready, 0); /* both timers left the wheel */
        ck_assert_uint_ge(m.took, 40 * MS);      /* never early */
        ck_assert_int_eq(atomic_load(&m.drops), 1); /* and only once */
    }
}
END_TEST

/* test_timeout_not_firing: the inner future wins -- not elapsed, inner kept, deadline released. */
START_TEST(test_timeout_not_firing)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        timeout_main m = run_timeout((tk_flavor)flavor, 20, 60 * 1000);
        ck_assert_int_eq(m.elapsed, 0);
        ck_assert_int_eq(m.inner_done, 1);
        ck_assert_int_eq(m.drops_at_ready, 0);  /* a winner is not dropped by the timeout */
        ck_assert_uint_eq(m.wheel_at_ready, 0); /* the deadline's timer was released */
        ck_assert_uint_ge(m.took, 20 * MS);
        ck_assert_int_eq(atomic_load(&m.drops), 1);
    }
}
END_TEST

/* A pending timeout that is cancelled drops both the inner future and its own sleep. */
typedef struct timeout_task {
    rt_future base;
    int started;
    napper inner;
    tk_timeout_fut to;
    _Atomic int *armed;
} timeout_task;

/* timeout_task_poll: poll a long timeout around a long sleep; say when both timers are armed. */
static rt_poll timeout_task_poll(rt_future *f, rt_context *cx)
{
    timeout_task *t = (timeout_task *)f;
    if (!t->started) {
        t->started = 1;
        t->to = tk_timeout(&t->inner.base, 3600 * 1000);
    }
    if (rt_future_poll(&t->to.base, cx) == RT_READY)
        return RT_READY;
    atomic_store(t->armed, 1);
    return RT_PENDING;
}

/* timeout_task_drop: the timeout owns inner once polled; before that, we do. */
static void timeout_task_drop(rt_future *f)
{
    timeout_task *t = (timeout_task *)f;
    if (t->started)
        rt_future_drop(&t->to.base); /* drops inner too */
    else
        rt_future_drop(&t->inner.base);
}

static const rt_future_vtable timeout_task_vtable = { timeout_task_poll, timeout_task_drop, "tt" };

typedef struct cancel_timeout_main {
    rt_future base;
    rt_async co;
    tk_runtime *rt;
    tk_join_handle jh;
    tk_sleep_fut pause;
    _Atomic int armed, drops;
} cancel_timeout_main;

/* cancel_timeout_main_poll: abort a task pending in a timeout; both its timers must go. */
static rt_poll cancel_timeout_main_poll(rt_future *f, rt_context *cx)
{
    cancel_timeout_main *m = (cancel_timeout_main *)f;
    RT_BEGIN(&m->co);
    {
        timeout_task t = { .base = { &timeout_task_vtable }, .armed = &m->armed,
                           .inner = napper_new(3600 * 1000, NULL, &m->drops) };
        ck_assert_int_eq(tk_spawn(&t.base, sizeof t, &m->jh), 0);
    }
    while (!atomic_load(&m->armed)) {
        m->pause = tk_sleep(1);
        RT_AWAIT(&m->co, &m->pause, cx);
    }
    ck_assert_uint_eq(wheel_count(m->rt), 2); /* the inner sleep and the deadline */
    rt_join_handle_abort(&m->jh);
    RT_AWAIT(&m->co, &m->jh, cx);
    ck_assert_int_eq(m->jh.outcome, RT_OUTCOME_CANCELLED);
    ck_assert_int_eq(atomic_load(&m->drops), 1);
    ck_assert_uint_eq(wheel_count(m->rt), 0);
    rt_join_handle_detach(&m->jh);
    RT_END(&m->co);
}

static const rt_future_vtable cancel_timeout_main_vtable = {
    cancel_timeout_main_poll, NULL, "cancel_timeout_main",
};

/* test_timeout_cancelled_releases_both: a cancelled timeout drops inner and its deadline. */
START_TEST(test_timeout_cancelled_releases_both)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        cancel_timeout_main m = { .base = { &cancel_timeout_main_vtable }, .rt = rt };
        tk_runtime_block_on(rt, &m.base);
        tk_runtime_free(rt);
        rt_check_tasks_balanced();
    }
}
END_TEST

/* ---- interval ----------------------------------------------------------------------------- */
#define TICKS 8
#define PERIOD_MS 30

typedef struct interval_main {
    rt_future base;
    rt_async co;
    tk_interval iv;
    tk_tick_fut tick;
    int i;
    uint64_t created, scheduled[TICKS], done_at[TICKS];
} interval_main;

/* interval_main_poll: take TICKS ticks, stalling the thread after the second. */
static rt_poll interval_main_poll(rt_future *f, rt_context *cx)
{
    interval_main *m = (interval_main *)f;
    RT_BEGIN(&m->co);
    m->created = rt_monotonic_ns();
    m->iv = tk_interval_new(PERIOD_MS);
    for (m->i = 0; m->i < TICKS; m->i++) {
        m->tick = tk_interval_tick(&m->iv);
        RT_AWAIT(&m->co, &m->tick, cx);
        m->done_at[m->i] = rt_monotonic_ns();
        m->scheduled[m->i] = m->tick.scheduled_ns;
        rt_future_drop(&m->tick.base);
        if (m->i == 1)
            usleep(100 * 1000); /* fall ~3 periods behind: the next ticks must burst */
    }
    RT_END(&m->co);
}

static const rt_future_vtable interval_main_vtable = { interval_main_poll, NULL, "interval" };

/* test_interval_ticks: ticks exactly a period apart on the schedule (Burst), none early. */
START_TEST(test_interval_ticks)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        interval_main m = { .base = { &interval_main_vtable } };
        tk_runtime_block_on(rt, &m.base);
        tk_runtime_free(rt);
        /* The first tick is due at creation; tick i exactly i periods later -- counted from
         * the schedule, not from when the late task got round to it (Burst). */
        ck_assert_uint_ge(m.scheduled[0], m.created);
        for (int i = 0; i < TICKS; i++) {
            ck_assert_uint_eq(m.scheduled[i], m.scheduled[0] + (uint64_t)i * PERIOD_MS * MS);
            ck_assert_uint_ge(m.done_at[i], m.scheduled[i]); /* never early */
            if (i > 0)
                ck_assert_uint_ge(m.done_at[i], m.done_at[i - 1]);
        }
    }
    rt_check_tasks_balanced();
}
END_TEST

/* test_interval_zero_period_panics: interval(0) panics with tokio's message. */
START_TEST(test_interval_zero_period_panics)
{
    rt_panic_frame frame;
    rt_panic_push(&frame);
    if (setjmp(frame.env) == 0) {
        tk_interval iv = tk_interval_new(0);
        (void)iv;
        rt_panic_pop(&frame);
        ck_abort_msg("interval(0) did not panic");
    }
    ck_assert_str_eq(frame.message, "`period` must be non-zero.");
}
END_TEST

/* ---- many sleeps on many tasks: every one completes, none early -------------------------- */
typedef struct timed {
    rt_future base;
    int started;
    uint64_t deadline;
    tk_sleep_fut sleep;
    _Atomic int *early, *done;
} timed;

/* timed_poll: sleep until the deadline, then check the clock really is past it. */
static rt_poll timed_poll(rt_future *f, rt_context *cx)
{
    timed *t = (timed *)f;
    if (!t->started) {
        t->started = 1;
        t->sleep = tk_sleep_until(t->deadline);
    }
    if (rt_future_poll(&t->sleep.base, cx) == RT_PENDING)
        return RT_PENDING;
    if (rt_monotonic_ns() < t->deadline)
        atomic_fetch_add(t->early, 1);
    atomic_fetch_add(t->done, 1);
    return RT_READY;
}

/* timed_drop: release the sleep if it was started. */
static void timed_drop(rt_future *f)
{
    timed *t = (timed *)f;
    if (t->started)
        rt_future_drop(&t->sleep.base);
}

static const rt_future_vtable timed_vtable = { timed_poll, timed_drop, "timed" };

#define N_TIMED 3000

typedef struct many_main {
    rt_future base;
    rt_async co;
    tk_runtime *rt;
    int i;
    tk_join_handle *handles;
    _Atomic int early, done;
} many_main;

/* many_main_poll: spawn N_TIMED sleepers with spread deadlines and join them all. */
static rt_poll many_main_poll(rt_future *f, rt_context *cx)
{
    many_main *m = (many_main *)f;
    RT_BEGIN(&m->co);
    for (m->i = 0; m->i < N_TIMED; m->i++) {
        /* 1..80 ms, scattered, plus a sub-millisecond part so deadlines fall between ticks */
        uint64_t at = rt_monotonic_ns() + (uint64_t)(1 + (m->i * 7919) % 80) * MS +
                      (uint64_t)(m->i % 997) * 1000;
        timed t = { .base = { &timed_vtable }, .deadline = at, .early = &m->early,
                    .done = &m->done };
        ck_assert_int_eq(tk_spawn(&t.base, sizeof t, &m->handles[m->i]), 0);
    }
    for (m->i = 0; m->i < N_TIMED; m->i++) {
        RT_AWAIT(&m->co, &m->handles[m->i], cx);
        ck_assert_int_eq(m->handles[m->i].outcome, RT_OUTCOME_OK);
        rt_join_handle_detach(&m->handles[m->i]);
    }
    ck_assert_uint_eq(wheel_count(m->rt), 0);
    RT_END(&m->co);
}

static const rt_future_vtable many_main_vtable = { many_main_poll, NULL, "many_main" };

/* test_many_sleeps_never_early: thousands of timers on both flavours; all fire, none early. */
START_TEST(test_many_sleeps_never_early)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        many_main m = { .base = { &many_main_vtable }, .rt = rt };
        m.handles = calloc(N_TIMED, sizeof *m.handles);
        tk_runtime_block_on(rt, &m.base);
        rt_runtime_metrics met = tk_runtime_metrics(rt);
        ck_assert_uint_gt(met.timers_fired, 0);
        ck_assert_uint_le(met.timers_fired, N_TIMED);
        tk_runtime_metrics_free(&met);
        tk_runtime_free(rt);
        free(m.handles);
        ck_assert_int_eq(atomic_load(&m.done), N_TIMED);
        ck_assert_int_eq(atomic_load(&m.early), 0);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- an earlier timer registered while the driver sleeps on a later one wakes it --------- */
typedef struct earlier_main {
    rt_future base;
    rt_async co;
    tk_join_handle longer;
    tk_sleep_fut pause;
    _Atomic int armed;
    uint64_t t0, took;
} earlier_main;

/* earlier_main_poll: with a 60 s timer armed, sleep 30 ms from the block_on thread. */
static rt_poll earlier_main_poll(rt_future *f, rt_context *cx)
{
    earlier_main *m = (earlier_main *)f;
    RT_BEGIN(&m->co);
    {
        napper n = napper_new(60 * 1000, &m->armed, NULL);
        ck_assert_int_eq(tk_spawn(&n.base, sizeof n, &m->longer), 0);
    }
    while (!atomic_load(&m->armed)) {
        m->pause = tk_sleep(1);
        RT_AWAIT(&m->co, &m->pause, cx);
    }
    /* Give the worker time to park in the driver with the 60 s timeout. */
    usleep(20 * 1000);
    m->t0 = rt_monotonic_ns();
    m->pause = tk_sleep(30); /* registered from this (non-worker) thread */
    RT_AWAIT(&m->co, &m->pause, cx);
    m->took = rt_monotonic_ns() - m->t0;
    rt_join_handle_detach(&m->longer);
    RT_END(&m->co);
}

static const rt_future_vtable earlier_main_vtable = { earlier_main_poll, NULL, "earlier" };

/* test_earlier_timer_wakes_parked_driver: a new earlier deadline shortens the driver's park. */
START_TEST(test_earlier_timer_wakes_parked_driver)
{
    for (unsigned workers = 1; workers <= 2; workers++) {
        tk_runtime *rt = build(TK_MULTI_THREAD, workers);
        earlier_main m = { .base = { &earlier_main_vtable } };
        tk_runtime_block_on(rt, &m.base);
        tk_runtime_free(rt);
        ck_assert_uint_ge(m.took, 30 * MS);
        /* A generous bound, only to tell "woken" from "slept until the 60 s timer". */
        ck_assert_msg(m.took < 20000 * MS, "30 ms sleep took %llu ms",
                      (unsigned long long)(m.took / MS));
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- a sleep already due at its first poll counts as elapsed ------------------------------ */
typedef struct past_main {
    rt_future base;
    rt_async co;
    tk_sleep_fut s;
    int elapsed;
} past_main;

/* past_main_poll: await a sleep whose deadline has already passed. */
static rt_poll past_main_poll(rt_future *f, rt_context *cx)
{
    past_main *m = (past_main *)f;
    RT_BEGIN(&m->co);
    m->s = tk_sleep_until(rt_monotonic_ns() - 5 * MS); /* in the past */
    RT_AWAIT(&m->co, &m->s, cx);
    m->elapsed = tk_sleep_is_elapsed(&m->s);
    rt_future_drop(&m->s.base);
    RT_END(&m->co);
}

static const rt_future_vtable past_main_vtable = { past_main_poll, NULL, "past" };

/* test_sleep_due_at_first_poll_is_elapsed: a sleep finished because it was due reports elapsed. */
START_TEST(test_sleep_due_at_first_poll_is_elapsed)
{
    tk_runtime *rt = build(TK_CURRENT_THREAD, 0);
    past_main m = { .base = { &past_main_vtable } };
    tk_runtime_block_on(rt, &m.base);
    tk_runtime_free(rt);
    /* tk_time.c documents tk_sleep_is_elapsed as "fired (or was due at its first poll)". */
    ck_assert_msg(m.elapsed, "a sleep that completed because it was already due reports "
                             "tk_sleep_is_elapsed() == 0");
}
END_TEST

/* main: one suite, one case. */
int main(void)
{
    Suite *s = suite_create("tk_time");
    TCase *tc = tcase_create("time");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_abort_while_sleeping);
    tcase_add_test(tc, test_timeout_fires);
    tcase_add_test(tc, test_timeout_not_firing);
    tcase_add_test(tc, test_timeout_cancelled_releases_both);
    tcase_add_test(tc, test_interval_ticks);
    tcase_add_test(tc, test_interval_zero_period_panics);
    tcase_add_test(tc, test_many_sleeps_never_early);
    tcase_add_test(tc, test_earlier_timer_wakes_parked_driver);
    tcase_add_test(tc, test_sleep_due_at_first_poll_is_elapsed);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
