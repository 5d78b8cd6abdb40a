/* grade.c: lesson 06's grader -- the sleep future on a frozen clock: never early, in order, cancelled by drop. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

/* A waker that records, in a shared log, the id of the sleep it belongs to. */
typedef struct wake_log {
    int order[16];
    int count;
} wake_log;

typedef struct tagged {
    wake_log *log;
    int id;
} tagged;

static const rt_waker_vtable tagged_vtable;

/* tagged_clone: the tag outlives the test, so a clone is the same pointer. */
static rt_waker tagged_clone(const void *data)
{
    return (rt_waker){ .vtable = &tagged_vtable, .data = data };
}

/* tagged_wake: append our id to the log. */
static void tagged_wake(const void *data)
{
    const tagged *t = data;
    if (t->log->count < 16)
        t->log->order[t->log->count++] = t->id;
}

/* tagged_drop: nothing owned. */
static void tagged_drop(const void *data)
{
    (void)data;
}

static const rt_waker_vtable tagged_vtable = { tagged_clone, tagged_wake, tagged_wake, tagged_drop };

/* poll_with: poll f once with the waker of tag t. */
static rt_poll poll_with(rt_future *f, tagged *t)
{
    rt_waker w = { .vtable = &tagged_vtable, .data = t };
    rt_context cx = { .waker = &w };
    return rt_future_poll(f, &cx);
}

/* frozen: a driver of `kind` whose clock is stopped at 0 ms. */
static void frozen(timer_driver *d, rt_timers_kind kind)
{
    ck_assert_int_eq(timer_driver_init(d, kind), 0);
    rt_clock_set_manual(&d->clock, 0);
}

/* advance_to: move the frozen clock to `ms` and fire what is due. */
static int advance_to(timer_driver *d, uint64_t ms)
{
    rt_clock_set_manual(&d->clock, ms * 1000000ull);
    return timer_driver_fire(d);
}

/* check_not_early: one sleep of 10 ms, polled before, at 9 ms, and at 10 ms. */
static void check_not_early(rt_timers_kind kind)
{
    timer_driver d;
    frozen(&d, kind);
    wake_log log = { .count = 0 };
    tagged t = { &log, 1 };
    sleep_fut s = sleep_ms(&d, 10);
    ck_assert_msg(rt_timers_count(d.timers) == 0, "creating a sleep armed a timer: arm it at the "
                  "first poll");
    ck_assert_msg(poll_with(&s.base, &t) == RT_PENDING, "a 10 ms sleep was ready at once");
    ck_assert_int_eq(rt_timers_count(d.timers), 1);
    advance_to(&d, 9);
    ck_assert_msg(log.count == 0, "woken at 9 ms by a 10 ms sleep: early");
    ck_assert_msg(poll_with(&s.base, &t) == RT_PENDING, "ready at 9 ms: early");
    advance_to(&d, 10);
    ck_assert_msg(log.count == 1, "not woken when its deadline came (wakes: %d)", log.count);
    ck_assert_int_eq(poll_with(&s.base, &t), RT_READY);
    rt_future_drop(&s.base);
    ck_assert_int_eq(rt_timers_count(d.timers), 0);
    timer_driver_free(&d);
}

START_TEST(test_not_early_wheel)
{
    check_not_early(RT_TIMERS_WHEEL);
}
END_TEST

START_TEST(test_not_early_heap)
{
    check_not_early(RT_TIMERS_HEAP);
}
END_TEST

START_TEST(test_fire_in_deadline_order)
{
    timer_driver d;
    frozen(&d, RT_TIMERS_WHEEL);
    wake_log log = { .count = 0 };
    tagged t30 = { &log, 30 }, t10 = { &log, 10 }, t20 = { &log, 20 };
    sleep_fut a = sleep_ms(&d, 30), b = sleep_ms(&d, 10), c = sleep_ms(&d, 20);
    poll_with(&a.base, &t30);
    poll_with(&b.base, &t10);
    poll_with(&c.base, &t20);
    ck_assert_int_eq(rt_timers_count(d.timers), 3);
    ck_assert_int_eq(advance_to(&d, 100), 3);
    ck_assert_int_eq(log.count, 3);
    ck_assert_msg(log.order[0] == 10 && log.order[1] == 20 && log.order[2] == 30,
                  "fired in the order %d, %d, %d; want 10, 20, 30", log.order[0], log.order[1],
                  log.order[2]);
    ck_assert_int_eq(poll_with(&a.base, &t30), RT_READY);
    rt_future_drop(&a.base);
    rt_future_drop(&b.base);
    rt_future_drop(&c.base);
    timer_driver_free(&d);
}
END_TEST

START_TEST(test_armed_once)
{
    timer_driver d;
    frozen(&d, RT_TIMERS_HEAP);
    wake_log log = { .count = 0 };
    tagged t = { &log, 1 };
    sleep_fut s = sleep_ms(&d, 50);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(poll_with(&s.base, &t), RT_PENDING);
    ck_assert_msg(rt_timers_count(d.timers) == 1, "five polls armed %zu timers: arm once",
                  rt_timers_count(d.timers));
    advance_to(&d, 50);
    ck_assert_int_eq(log.count, 1);
    rt_future_drop(&s.base);
    timer_driver_free(&d);
}
END_TEST

START_TEST(test_latest_waker_is_woken)
{
    timer_driver d;
    frozen(&d, RT_TIMERS_WHEEL);
    wake_log log = { .count = 0 };
    tagged first = { &log, 1 }, second = { &log, 2 };
    sleep_fut s = sleep_ms(&d, 5);
    poll_with(&s.base, &first);
    poll_with(&s.base, &second); /* polled again, by someone else */
    advance_to(&d, 5);
    ck_assert_msg(log.count == 1 && log.order[0] == 2,
                  "the waker of the LAST poll must be woken (woken: %d wakes, first id %d)",
                  log.count, log.count ? log.order[0] : 0);
    rt_future_drop(&s.base);
    timer_driver_free(&d);
}
END_TEST

START_TEST(test_drop_cancels)
{
    timer_driver d;
    frozen(&d, RT_TIMERS_WHEEL);
    wake_log log = { .count = 0 };
    tagged t = { &log, 1 };
    sleep_fut s = sleep_ms(&d, 20);
    ck_assert_int_eq(poll_with(&s.base, &t), RT_PENDING);
    rt_future_drop(&s.base);
    ck_assert_msg(rt_timers_count(d.timers) == 0,
                  "a dropped sleep left its timer armed: the driver would fire into freed memory");
    ck_assert_int_eq(advance_to(&d, 100), 0);
    ck_assert_int_eq(log.count, 0);
    timer_driver_free(&d);
}
END_TEST

START_TEST(test_already_due_is_ready_without_a_timer)
{
    timer_driver d;
    frozen(&d, RT_TIMERS_HEAP);
    wake_log log = { .count = 0 };
    tagged t = { &log, 1 };
    sleep_fut s = sleep_ms(&d, 10);
    rt_clock_set_manual(&d.clock, 25 * 1000000ull); /* created at 0, first polled at 25 ms */
    ck_assert_int_eq(poll_with(&s.base, &t), RT_READY);
    ck_assert_int_eq(rt_timers_count(d.timers), 0);
    rt_future_drop(&s.base);
    timer_driver_free(&d);
}
END_TEST

START_TEST(test_real_time_sleep)
{
    /* The real clock: a 30 ms sleep driven by timer_driver_turn takes two polls and is never
     * early ("not earlier than" is the only timing assertion a test may make). */
    timer_driver d;
    ck_assert_int_eq(timer_driver_init(&d, RT_TIMERS_WHEEL), 0);
    wake_log log = { .count = 0 };
    tagged t = { &log, 1 };
    uint64_t t0 = rt_monotonic_ns();
    rt_clock_update(&d.clock);
    sleep_fut s = sleep_ms(&d, 30);
    int turns = 0;
    while (poll_with(&s.base, &t) == RT_PENDING) {
        ck_assert_msg(turns++ < 100, "still pending after 100 driver turns");
        ck_assert_msg(timer_driver_turn(&d) >= 0, "pending, but no timer is armed");
    }
    uint64_t elapsed_ms = (rt_monotonic_ns() - t0) / 1000000u;
    ck_assert_msg(elapsed_ms >= 30, "a 30 ms sleep was over after %llu ms",
                  (unsigned long long)elapsed_ms);
    ck_assert_int_eq(s.polls, 2);
    rt_future_drop(&s.base);
    timer_driver_free(&d);
}
END_TEST

/* main: run the suite; exit 0 only if every check passed. */
int main(void)
{
    Suite *s = suite_create("lesson 06: timers");
    TCase *tc = tcase_create("sleep");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_not_early_wheel);
    tcase_add_test(tc, test_not_early_heap);
    tcase_add_test(tc, test_fire_in_deadline_order);
    tcase_add_test(tc, test_armed_once);
    tcase_add_test(tc, test_latest_waker_is_woken);
    tcase_add_test(tc, test_drop_cancels);
    tcase_add_test(tc, test_already_due_is_ready_without_a_timer);
    tcase_add_test(tc, test_real_time_sleep);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
