/* test_as_time.c: as_sleep, as_timeout, as_interval -- never early, cancellation frees the heap entry, order, earliest-notify. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as.h"
#include "rt_testkit.h"

#define MS 1000000ull

/* sleep_for: one sleep of ms, measured from before construction to after completion. */
typedef struct sleep_for {
    rt_future base;
    rt_async co;
    uint64_t ms;
    as_sleep_fut s;
    uint64_t took_ns;
    uint64_t t0;
} sleep_for;

static rt_poll sleep_for_poll(rt_future *f, rt_context *cx)
{
    sleep_for *self = (sleep_for *)f;
    RT_BEGIN(&self->co);
    self->t0 = as_now_ns();
    self->s = as_sleep(self->ms);
    RT_AWAIT(&self->co, &self->s, cx);
    self->took_ns = as_now_ns() - self->t0;
    RT_END(&self->co);
}

static void sleep_for_drop(rt_future *f)
{
    rt_async_drop(&((sleep_for *)f)->co);
}

static const rt_future_vtable sleep_for_vtable = { sleep_for_poll, sleep_for_drop, "sleep_for" };

static sleep_for sleep_for_new(uint64_t ms)
{
    return (sleep_for){ .base = { &sleep_for_vtable }, .ms = ms };
}

START_TEST(test_sleep_is_never_early)
{
    static const uint64_t durations[] = { 0, 1, 2, 5, 13, 50 };
    for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
        sleep_for s = sleep_for_new(durations[i]);
        as_block_on(&s.base);
        ck_assert_uint_ge(s.took_ns, durations[i] * MS);
        ck_assert_uint_lt(s.took_ns, durations[i] * MS + 5000 * MS); /* hang guard */
    }
    ck_assert_uint_eq(as_timer_count(), 0);
}
END_TEST

START_TEST(test_sleep_zero_and_past_deadline_are_immediate)
{
    as_sleep_fut z = as_sleep(0);
    rt_waker noop = rt_waker_noop();
    rt_context cx = { &noop };
    ck_assert_int_eq(rt_future_poll(&z.base, &cx), RT_READY);
    ck_assert_int_eq(as_runtime_is_started(), 0); /* nothing to arm, nothing started */
    as_sleep_fut past = as_sleep_until(as_now_ns() - 1);
    ck_assert_int_eq(rt_future_poll(&past.base, &cx), RT_READY);
    ck_assert_int_eq(rt_future_poll(&past.base, &cx), RT_READY); /* stays ready */
    rt_future_drop(&z.base);
    rt_future_drop(&past.base);
}
END_TEST

START_TEST(test_deadline_fixed_at_construction)
{
    /* Built now, polled 40 ms later: finishes about 60 ms after the poll, not 100. */
    as_sleep_fut s = as_sleep(100);
    uint64_t t0 = as_now_ns();
    usleep(40000);
    as_block_on(&s.base);
    uint64_t took = as_now_ns() - t0;
    ck_assert_uint_ge(took, 100 * MS);
    ck_assert_uint_lt(took, 5000 * MS);
    ck_assert_uint_ge(as_now_ns(), s.deadline_ns);
}
END_TEST

START_TEST(test_cancel_while_sleeping_releases_entry)
{
    rt_waker noop = rt_waker_noop();
    rt_context cx = { &noop };
    enum { N = 2000 };
    static as_sleep_fut s[N];
    for (int i = 0; i < N; i++) {
        s[i] = as_sleep(60000 + (uint64_t)(i % 97));
        ck_assert_int_eq(rt_future_poll(&s[i].base, &cx), RT_PENDING);
    }
    ck_assert_uint_eq(as_timer_count(), N);
    for (int i = 0; i < N; i += 2)
        rt_future_drop(&s[i].base);
    ck_assert_uint_eq(as_timer_count(), N / 2);
    for (int i = 1; i < N; i += 2)
        rt_future_drop(&s[i].base);
    ck_assert_uint_eq(as_timer_count(), 0);
}
END_TEST

/* An order recorder: tasks sleep different lengths and append their index when they wake. */
typedef struct order_task {
    rt_future base;
    rt_async co;
    int index;
    uint64_t deadline;
    as_sleep_fut s;
    _Atomic int *pos;
    int *out;
} order_task;

static rt_poll order_poll(rt_future *f, rt_context *cx)
{
    order_task *self = (order_task *)f;
    RT_BEGIN(&self->co);
    self->s = as_sleep_until(self->deadline);
    RT_AWAIT(&self->co, &self->s, cx);
    self->out[atomic_fetch_add(self->pos, 1)] = self->index;
    RT_END(&self->co);
}

static const rt_future_vtable order_vtable = { order_poll, NULL, "order" };

/* joiner: awaits n handles. */
typedef struct joiner {
    rt_future base;
    rt_async co;
    as_task *ts;
    int n, i;
} joiner;

static rt_poll joiner_poll(rt_future *f, rt_context *cx)
{
    joiner *self = (joiner *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < self->n; self->i++) {
        RT_AWAIT(&self->co, as_task_join(&self->ts[self->i]), cx);
        as_task_detach(&self->ts[self->i]);
    }
    RT_END(&self->co);
}

static const rt_future_vtable joiner_vtable = { joiner_poll, NULL, "joiner" };

START_TEST(test_timers_fire_in_deadline_order)
{
    /* Deadlines 15 ms apart (far more than any scheduling jitter), spawned in shuffled order. */
    setenv("AS_THREAD_COUNT", "1", 1); /* one worker: wake order is run order */
    enum { N = 12 };
    static const int shuffled[N] = { 7, 2, 11, 0, 5, 9, 1, 10, 3, 8, 6, 4 };
    int out[N];
    _Atomic int pos = 0;
    as_task ts[N];
    uint64_t base = as_now_ns() + 300 * MS; /* all armed long before the first is due */
    for (int k = 0; k < N; k++) {
        int i = shuffled[k];
        order_task t = { .base = { &order_vtable }, .index = i,
                         .deadline = base + (uint64_t)i * 15 * MS, .pos = &pos, .out = out };
        ck_assert_int_eq(AS_SPAWN(t, &ts[k]), 0);
    }
    joiner j = { .base = { &joiner_vtable }, .ts = ts, .n = N };
    as_block_on(&j.base);
    ck_assert_int_eq(atomic_load(&pos), N);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(out[i], i);
}
END_TEST

START_TEST(test_many_concurrent_sleepers)
{
    enum { N = 5000 };
    static as_task ts[N];
    static int out[N];
    _Atomic int pos = 0;
    uint64_t base = as_now_ns();
    for (int i = 0; i < N; i++) {
        order_task t = { .base = { &order_vtable }, .index = i,
                         .deadline = base + (uint64_t)(i % 50) * MS, .pos = &pos, .out = out };
        ck_assert_int_eq(AS_SPAWN(t, &ts[i]), 0);
    }
    joiner j = { .base = { &joiner_vtable }, .ts = ts, .n = N };
    as_block_on(&j.base);
    ck_assert_int_eq(atomic_load(&pos), N);
    ck_assert_uint_eq(as_timer_count(), 0);
    rt_runtime_metrics m;
    ck_assert_int_eq(as_metrics(&m), 0);
    ck_assert_uint_ge(m.timers_fired, 1);
}
END_TEST

START_TEST(test_earlier_timer_interrupts_a_long_wait)
{
    /* The driver is waiting for a 60 s deadline; a new 20 ms timer must notify it. */
    rt_waker noop = rt_waker_noop();
    rt_context cx = { &noop };
    as_sleep_fut longs = as_sleep(60000);
    ck_assert_int_eq(rt_future_poll(&longs.base, &cx), RT_PENDING);
    usleep(20000); /* let the driver settle into its long wait */
    sleep_for s = sleep_for_new(20);
    as_block_on(&s.base);
    ck_assert_uint_ge(s.took_ns, 20 * MS);
    ck_assert_uint_lt(s.took_ns, 5000 * MS); /* it did not wait for the 60 s one */
    rt_future_drop(&longs.base);
}
END_TEST

/* ---- timeout ----------------------------------------------------------------------------- */

/* counted: a child that is ready after `sleep_ms`, counting its drops. */
typedef struct counted {
    rt_future base;
    rt_async co;
    uint64_t sleep_ms;
    as_sleep_fut s;
    int output;
    _Atomic int *drops;
} counted;

static rt_poll counted_poll(rt_future *f, rt_context *cx)
{
    counted *self = (counted *)f;
    RT_BEGIN(&self->co);
    self->s = as_sleep(self->sleep_ms);
    RT_AWAIT(&self->co, &self->s, cx);
    self->output = 99;
    RT_END(&self->co);
}

static void counted_drop(rt_future *f)
{
    counted *self = (counted *)f;
    rt_async_drop(&self->co);
    atomic_fetch_add(self->drops, 1);
}

static const rt_future_vtable counted_vtable = { counted_poll, counted_drop, "counted" };

/* with_timeout: awaits as_timeout(child, ms), built in its poll (where the child is pinned). */
typedef struct with_timeout {
    rt_future base;
    rt_async co;
    counted child;
    uint64_t ms;
    as_timeout_fut to;
} with_timeout;

static rt_poll with_timeout_poll(rt_future *f, rt_context *cx)
{
    with_timeout *self = (with_timeout *)f;
    RT_BEGIN(&self->co);
    self->to = as_timeout(&self->child.base, self->ms);
    RT_AWAIT(&self->co, &self->to, cx);
    RT_END(&self->co);
}

static void with_timeout_drop(rt_future *f)
{
    rt_async_drop(&((with_timeout *)f)->co);
}

static const rt_future_vtable with_timeout_vtable = { with_timeout_poll, with_timeout_drop,
                                                      "with_timeout" };

START_TEST(test_timeout_child_wins)
{
    _Atomic int drops = 0;
    with_timeout w = { .base = { &with_timeout_vtable }, .ms = 5000,
                       .child = { .base = { &counted_vtable }, .sleep_ms = 10, .drops = &drops } };
    as_block_on(&w.base);
    ck_assert_int_eq(w.to.timed_out, 0);
    ck_assert_int_eq(w.to.err, 0);
    ck_assert_int_eq(w.child.output, 99);
    ck_assert_int_eq(atomic_load(&drops), 0); /* the winner is the caller's */
    ck_assert_uint_eq(as_timer_count(), 0);   /* the deadline's timer went at once */
    rt_future_drop(&w.child.base);
    ck_assert_int_eq(atomic_load(&drops), 1);
}
END_TEST

START_TEST(test_timeout_deadline_wins_and_drops_child)
{
    _Atomic int drops = 0;
    uint64_t t0 = as_now_ns();
    with_timeout w = { .base = { &with_timeout_vtable }, .ms = 30,
                       .child = { .base = { &counted_vtable }, .sleep_ms = 60000, .drops = &drops } };
    as_block_on(&w.base);
    ck_assert_uint_ge(as_now_ns() - t0, 30 * MS);
    ck_assert_int_eq(w.to.timed_out, 1);
    ck_assert_int_eq(w.to.err, -ETIMEDOUT);
    ck_assert_int_eq(atomic_load(&drops), 1); /* cancelled */
    ck_assert_uint_eq(as_timer_count(), 0);   /* and its 60 s timer with it */
}
END_TEST

START_TEST(test_timeout_dropped_while_pending_drops_both)
{
    _Atomic int drops = 0;
    with_timeout w = { .base = { &with_timeout_vtable }, .ms = 30000,
                       .child = { .base = { &counted_vtable }, .sleep_ms = 60000, .drops = &drops } };
    rt_waker noop = rt_waker_noop();
    rt_context cx = { &noop };
    ck_assert_int_eq(rt_future_poll(&w.base, &cx), RT_PENDING);
    ck_assert_uint_eq(as_timer_count(), 2);
    rt_future_drop(&w.base);
    ck_assert_int_eq(atomic_load(&drops), 1);
    ck_assert_uint_eq(as_timer_count(), 0);
}
END_TEST

/* ---- interval ---------------------------------------------------------------------------- */

typedef struct ticker {
    rt_future base;
    rt_async co;
    as_interval iv;
    as_tick_fut t;
    int n, i;
    uint64_t ticks[8], seen[8];
    int stall_ms; /* block the thread this long after the first tick */
} ticker;

static rt_poll ticker_poll(rt_future *f, rt_context *cx)
{
    ticker *self = (ticker *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < self->n; self->i++) {
        self->t = as_interval_tick(&self->iv);
        RT_AWAIT(&self->co, &self->t, cx);
        self->ticks[self->i] = self->t.tick_ns;
        self->seen[self->i] = as_now_ns();
        if (self->i == 0 && self->stall_ms)
            usleep((useconds_t)self->stall_ms * 1000);
    }
    RT_END(&self->co);
}

static const rt_future_vtable ticker_vtable = { ticker_poll, NULL, "ticker" };

START_TEST(test_interval_ticks_on_schedule)
{
    /* Whatever the scheduling lateness: every tick lies on the period grid that starts one
     * period after creation, none is delivered early, and the ones not delivered are exactly
     * the ones counted as missed. */
    const uint64_t P = 20 * MS;
    uint64_t t0 = as_now_ns();
    ticker t = { .base = { &ticker_vtable }, .iv = as_interval_new(20), .n = 5 };
    uint64_t first_due = t.iv.next_ns;
    ck_assert_uint_ge(first_due, t0 + P); /* the first tick is one period in */
    as_block_on(&t.base);
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_eq((t.ticks[i] - first_due) % P, 0);
        ck_assert_uint_ge(t.seen[i], t.ticks[i]); /* never early */
        if (i > 0)
            ck_assert_uint_gt(t.ticks[i], t.ticks[i - 1]);
    }
    ck_assert_uint_eq(t.ticks[0], first_due);
    ck_assert_uint_eq(t.iv.ticks, 5);
    ck_assert_uint_eq(t.iv.missed, (t.ticks[4] - t.ticks[0]) / P - 4);
}
END_TEST

START_TEST(test_interval_skips_missed_ticks)
{
    /* Stalled 75 ms after the first tick of a 10 ms interval. An overdue tick is delivered at
     * once, late; then the schedule jumps to the next slot in the future, on the grid, and the
     * slots in between are counted as missed -- not delivered in a burst, which would put the
     * third tick only 20 ms after the first. */
    const uint64_t P = 10 * MS;
    ticker t = { .base = { &ticker_vtable }, .iv = as_interval_new(10), .n = 3, .stall_ms = 75 };
    as_block_on(&t.base);
    for (int i = 1; i < 3; i++) {
        ck_assert_uint_eq((t.ticks[i] - t.ticks[0]) % P, 0); /* on the grid */
        ck_assert_uint_ge(t.seen[i], t.ticks[i]);            /* never early */
    }
    ck_assert_uint_ge(t.seen[1], t.ticks[0] + 75 * MS);     /* the stall happened */
    ck_assert_uint_gt(t.ticks[2], t.ticks[0] + 75 * MS);    /* skipped ahead, no burst */
    ck_assert_uint_eq(t.iv.missed, (t.ticks[2] - t.ticks[0]) / P - 2);
    ck_assert_uint_ge(t.iv.missed, 5);
}
END_TEST

static Suite *as_time_suite(void)
{
    Suite *s = suite_create("as_time");
    TCase *tc = tcase_create("time");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_sleep_is_never_early);
    tcase_add_test(tc, test_sleep_zero_and_past_deadline_are_immediate);
    tcase_add_test(tc, test_deadline_fixed_at_construction);
    tcase_add_test(tc, test_cancel_while_sleeping_releases_entry);
    tcase_add_test(tc, test_timers_fire_in_deadline_order);
    tcase_add_test(tc, test_many_concurrent_sleepers);
    tcase_add_test(tc, test_earlier_timer_interrupts_a_long_wait);
    tcase_add_test(tc, test_timeout_child_wins);
    tcase_add_test(tc, test_timeout_deadline_wins_and_drops_child);
    tcase_add_test(tc, test_timeout_dropped_while_pending_drops_both);
    tcase_add_test(tc, test_interval_ticks_on_schedule);
    tcase_add_test(tc, test_interval_skips_missed_ticks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_suite_run(as_time_suite());
}
