/* test_as_metrics.c: the as runtime's counters in the shared table -- what each row counts in this flavour. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as.h"
#include "rt_testkit.h"

#define TOTAL(m, field) rt_metrics_total(&(m), offsetof(rt_worker_metrics, field))

/* yielder: yields `n` times. */
typedef struct yielder {
    rt_future base;
    rt_async co;
    int n, i;
    as_yield_fut y;
} yielder;

static rt_poll yielder_poll(rt_future *f, rt_context *cx)
{
    yielder *self = (yielder *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < self->n; self->i++) {
        self->y = as_yield_now();
        RT_AWAIT(&self->co, &self->y, cx);
    }
    RT_END(&self->co);
}

static const rt_future_vtable yielder_vtable = { yielder_poll, NULL, "yielder" };

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
    for (self->i = 0; self->i < self->n; self->i++)
        RT_AWAIT(&self->co, as_task_join(&self->ts[self->i]), cx);
    RT_END(&self->co);
}

static const rt_future_vtable joiner_vtable = { joiner_poll, NULL, "joiner" };

START_TEST(test_counters_follow_the_work)
{
    setenv("AS_THREAD_COUNT", "2", 1);
    enum { T = 100, Y = 50 };
    static as_task ts[T];
    rt_runtime_metrics m;
    ck_assert_int_eq(as_metrics(&m), 0);
    ck_assert_str_eq(m.flavour, "as (async-std style)");
    ck_assert_uint_eq(m.workers, 2);
    ck_assert_uint_eq(m.features & (RT_METRICS_HAS_LIFO | RT_METRICS_HAS_BUDGET), 0);
    uint64_t polls0 = TOTAL(m, polls);
    for (int i = 0; i < T; i++) {
        yielder y = { .base = { &yielder_vtable }, .n = Y };
        ck_assert_int_eq(AS_SPAWN(y, &ts[i]), 0);
    }
    joiner j = { .base = { &joiner_vtable }, .ts = ts, .n = T };
    as_block_on(&j.base);
    for (int i = 0; i < T; i++)
        as_task_detach(&ts[i]);
    ck_assert_int_eq(as_metrics(&m), 0);
    /* each task: Y pending polls and a final one, all on workers */
    ck_assert_uint_eq(TOTAL(m, polls) - polls0, (uint64_t)T * (Y + 1));
    /* each yield re-queued the task from its worker thread */
    ck_assert_uint_ge(TOTAL(m, local_schedules), (uint64_t)T * Y);
    /* the first schedule of each task came from this (non-worker) thread */
    ck_assert_uint_ge(TOTAL(m, remote_schedules), T);
    ck_assert_uint_eq(TOTAL(m, remote_schedules), m.per_worker[0].remote_schedules);
    ck_assert_uint_eq(TOTAL(m, lifo_hits), 0);
    ck_assert_uint_eq(TOTAL(m, budget_forced_yields), 0);
    ck_assert_uint_eq(TOTAL(m, overflows), 0);
    /* idle now: the workers park (give them a moment to get there) */
    for (int i = 0; i < 2000 && TOTAL(m, parks) == 0; i++) {
        usleep(1000);
        as_metrics(&m);
    }
    ck_assert_uint_gt(TOTAL(m, parks), 0);
    ck_assert_uint_eq(m.global_queue_depth, 0);
    ck_assert_uint_eq(TOTAL(m, local_queue_depth), 0);
}
END_TEST

START_TEST(test_timers_and_io_counted)
{
    rt_waker noop = rt_waker_noop();
    rt_context cx = { &noop };
    /* Arm a timer for sure (a sleep already due at its first poll never touches the heap),
     * then let the reactor fire it: an armed sleep finishes only when it is fired. */
    for (;;) {
        as_sleep_fut s = as_sleep(20);
        if (rt_future_poll(&s.base, &cx) == RT_PENDING) {
            as_block_on(&s.base);
            break;
        }
        rt_future_drop(&s.base);
    }
    as_io *a, *b;
    ck_assert_int_eq(as_unix_pair(&a, &b), 0);
    char c;
    as_read_fut r = as_read(b, &c, 1);
    ck_assert_int_eq(rt_future_poll(&r.base, &cx), RT_PENDING); /* parked on the reactor */
    ck_assert_int_eq(write(as_io_fd(a), "x", 1), 1);
    /* The reactor reports the fd (and counts the event) on its own thread, on its own time. */
    rt_runtime_metrics m;
    ck_assert_int_eq(as_metrics(&m), 0);
    for (int i = 0; i < 5000 && m.io_ready_events == 0; i++) {
        usleep(1000);
        as_metrics(&m);
    }
    ck_assert_uint_ge(m.io_ready_events, 1);
    ck_assert_uint_ge(m.timers_fired, 1);
    as_block_on(&r.base);
    ck_assert_int_eq(r.result, 1);
    as_io_close(a);
    as_io_close(b);
}
END_TEST

START_TEST(test_dump_marks_absent_counters)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    as_metrics_dump(f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "runtime metrics: as (async-std style)"));
    const char *rows[] = { "budget_forced_yields", "lifo_hits" };
    for (int i = 0; i < 2; i++) {
        const char *row = strstr(buf, rows[i]);
        ck_assert_ptr_nonnull(row);
        const char *eol = strchr(row, '\n');
        ck_assert_ptr_nonnull(memchr(row, '-', (size_t)(eol - row)));
    }
    free(buf);
}
END_TEST

static Suite *as_metrics_suite(void)
{
    Suite *s = suite_create("as_metrics");
    TCase *tc = tcase_create("metrics");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_counters_follow_the_work);
    tcase_add_test(tc, test_timers_and_io_counted);
    tcase_add_test(tc, test_dump_marks_absent_counters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_suite_run(as_metrics_suite());
}
