/* grade.c: lesson 01's grader -- add_later must be lazy, and run_to_completion must poll until ready. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

/* A future that answers RT_PENDING `left` times before RT_READY, counting its polls. */
typedef struct slow_fut {
    rt_future base;
    int left;
    int polls;
} slow_fut;

/* slow_poll: pending until `left` runs out. */
static rt_poll slow_poll(rt_future *f, rt_context *cx)
{
    slow_fut *self = (slow_fut *)f;
    self->polls++;
    if (self->left > 0) {
        self->left--;
        rt_waker_wake_by_ref(cx->waker);
        return RT_PENDING;
    }
    return RT_READY;
}

static const rt_future_vtable slow_vtable = { .poll = slow_poll, .name = "slow" };

/* poll_once: one poll with a no-op waker. */
static rt_poll poll_once(rt_future *f)
{
    rt_waker noop = rt_waker_noop();
    rt_context cx = { .waker = &noop };
    return rt_future_poll(f, &cx);
}

START_TEST(test_calling_runs_nothing)
{
    lesson_log log = { .len = 0 };
    add_later_fut fut = add_later(2, 3, &log);
    ck_assert_msg(log.lines == 0,
                  "add_later(2, 3) ran its body at the call (log: \"%s\"); an async fn's body "
                  "runs only when the future is polled", log.text);
    ck_assert_msg(fut.sum == 0, "the sum is already %d before any poll", fut.sum);
    rt_future_drop(&fut.base);
}
END_TEST

START_TEST(test_first_poll_runs_the_body)
{
    lesson_log log = { .len = 0 };
    add_later_fut fut = add_later(2, 3, &log);
    ck_assert_int_eq(poll_once(&fut.base), RT_READY);
    ck_assert_int_eq(fut.sum, 5);
    ck_assert_str_eq(log.text, "add_later(2, 3) runs\n");
    rt_future_drop(&fut.base);
}
END_TEST

START_TEST(test_dropped_unpolled_never_runs)
{
    lesson_log log = { .len = 0 };
    add_later_fut fut = add_later(40, 2, &log);
    rt_future_drop(&fut.base);
    ck_assert_msg(log.lines == 0, "a future dropped without a poll ran anyway: \"%s\"", log.text);
}
END_TEST

START_TEST(test_poll_order_is_run_order)
{
    lesson_log log = { .len = 0 };
    add_later_fut x = add_later(1, 1, &log);
    add_later_fut y = add_later(2, 2, &log);
    poll_once(&y.base);
    poll_once(&x.base);
    ck_assert_msg(strcmp(log.text, "add_later(2, 2) runs\nadd_later(1, 1) runs\n") == 0,
                  "x was created first but y was polled first, so y's body must run first; "
                  "the log says:\n%s", log.text);
    ck_assert_int_eq(x.sum, 2);
    ck_assert_int_eq(y.sum, 4);
}
END_TEST

START_TEST(test_run_to_completion_polls_until_ready)
{
    slow_fut slow = { .base = { &slow_vtable }, .left = 3, .polls = 0 };
    int polls = run_to_completion(&slow.base);
    ck_assert_msg(slow.left == 0 && slow.polls == 4,
                  "a future pending 3 times needs 4 polls; it got %d", slow.polls);
    ck_assert_msg(polls == 4, "run_to_completion returned %d, but it polled %d times", polls,
                  slow.polls);
}
END_TEST

START_TEST(test_run_to_completion_runs_add_later)
{
    lesson_log log = { .len = 0 };
    add_later_fut fut = add_later(-4, 10, &log);
    ck_assert_int_eq(run_to_completion(&fut.base), 1);
    ck_assert_int_eq(fut.sum, 6);
    ck_assert_str_eq(log.text, "add_later(-4, 10) runs\n");
    rt_future_drop(&fut.base);
}
END_TEST

/* main: run the suite; exit 0 only if every check passed. */
int main(void)
{
    Suite *s = suite_create("lesson 01: lazy futures");
    TCase *tc = tcase_create("add_later");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_calling_runs_nothing);
    tcase_add_test(tc, test_first_poll_runs_the_body);
    tcase_add_test(tc, test_dropped_unpolled_never_runs);
    tcase_add_test(tc, test_poll_order_is_run_order);
    tcase_add_test(tc, test_run_to_completion_polls_until_ready);
    tcase_add_test(tc, test_run_to_completion_runs_add_later);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
