/* grade.c: lesson 02's grader -- fetch_two's hand-written state machine, poll by poll, and its cancellation. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"
#include "rt_panic.h"

/* The fixture every test starts from: two fresh stats and an empty log. */
static ticks_stats a_stats, b_stats;
static lesson_log log_;

/* reset: zero the stats and the log (Check forks per test, but be explicit). */
static void reset(void)
{
    memset(&a_stats, 0, sizeof a_stats);
    memset(&b_stats, 0, sizeof b_stats);
    memset(&log_, 0, sizeof log_);
}

/* poll_once: one poll with a no-op waker (wait_ticks wakes itself; nothing else waits). */
static rt_poll poll_once(rt_future *f)
{
    rt_waker noop = rt_waker_noop();
    rt_context cx = { .waker = &noop };
    return rt_future_poll(f, &cx);
}

/* drive: poll until ready, at most `limit` times; returns the polls used, or -1 if never ready. */
static int drive(rt_future *f, int limit)
{
    for (int polls = 1; polls <= limit; polls++)
        if (poll_once(f) == RT_READY)
            return polls;
    return -1;
}

START_TEST(test_calling_runs_nothing)
{
    reset();
    fetch_two_fut fut = fetch_two(2, 1, &a_stats, &b_stats, &log_);
    ck_assert_int_eq(fut.state, FETCH_START);
    ck_assert_int_eq(log_.lines, 0);
    rt_future_drop(&fut.base);
    ck_assert_msg(a_stats.drops == 0 && b_stats.drops == 0,
                  "dropping an unpolled fetch_two dropped a child it never created");
}
END_TEST

START_TEST(test_first_poll_suspends_in_the_first_await)
{
    reset();
    fetch_two_fut fut = fetch_two(2, 1, &a_stats, &b_stats, &log_);
    ck_assert_msg(poll_once(&fut.base) == RT_PENDING,
                  "wait_ticks(2, 20) is pending at its first poll, so fetch_two must be too");
    ck_assert_str_eq(log_.text, "fetching a\n");
    ck_assert_msg(fut.state == FETCH_WAIT_A, "state is %d, want FETCH_WAIT_A", fut.state);
    ck_assert_msg(a_stats.polls == 1, "the first child was polled %d times, want 1", a_stats.polls);
    ck_assert_msg(b_stats.polls == 0, "the second child was polled before the first finished");
    rt_future_drop(&fut.base);
}
END_TEST

START_TEST(test_runs_to_the_end_poll_by_poll)
{
    reset();
    fetch_two_fut fut = fetch_two(2, 1, &a_stats, &b_stats, &log_);
    /* 1 start + 2 pending polls of a + 1 pending poll of b = 4 polls, the last one ready. */
    ck_assert_int_eq(poll_once(&fut.base), RT_PENDING);
    ck_assert_int_eq(poll_once(&fut.base), RT_PENDING);
    ck_assert_int_eq(fut.state, FETCH_WAIT_A);
    ck_assert_int_eq(poll_once(&fut.base), RT_PENDING);
    ck_assert_msg(fut.state == FETCH_WAIT_B, "after a is ready and b is pending, state is %d, "
                  "want FETCH_WAIT_B", fut.state);
    ck_assert_int_eq(poll_once(&fut.base), RT_READY);
    ck_assert_int_eq(fut.state, FETCH_DONE);
    ck_assert_int_eq(fut.output, 42);
    ck_assert_str_eq(log_.text, "fetching a\na = 20, fetching b\nb = 22\n");
    ck_assert_int_eq(a_stats.polls, 3);
    ck_assert_int_eq(b_stats.polls, 2);
    rt_future_drop(&fut.base);
}
END_TEST

START_TEST(test_ready_children_cost_no_extra_poll)
{
    reset();
    fetch_two_fut fut = fetch_two(0, 0, &a_stats, &b_stats, &log_);
    ck_assert_msg(poll_once(&fut.base) == RT_READY,
                  "both children are ready at once, so fetch_two must finish in ONE poll (a "
                  "state change must not end the poll: nobody would wake you)");
    ck_assert_int_eq(fut.output, 42);
    ck_assert_str_eq(log_.text, "fetching a\na = 20, fetching b\nb = 22\n");
    rt_future_drop(&fut.base);
}
END_TEST

START_TEST(test_children_polled_and_dropped_exactly_right)
{
    reset();
    fetch_two_fut fut = fetch_two(3, 4, &a_stats, &b_stats, &log_);
    ck_assert_int_eq(drive(&fut.base, 100), 1 + 3 + 4);
    ck_assert_msg(a_stats.polls_after_ready == 0 && b_stats.polls_after_ready == 0,
                  "a child was polled again after it had answered RT_READY");
    ck_assert_msg(a_stats.drops == 1 && b_stats.drops == 1,
                  "each child must be dropped once when its value has been taken (drops: a %d, "
                  "b %d)", a_stats.drops, b_stats.drops);
    rt_future_drop(&fut.base);
    ck_assert_msg(a_stats.drops == 1 && b_stats.drops == 1,
                  "dropping a finished fetch_two dropped a child a second time");
    ck_assert_int_eq(a_stats.drops_while_pending + b_stats.drops_while_pending, 0);
}
END_TEST

START_TEST(test_cancel_in_the_first_await)
{
    reset();
    fetch_two_fut fut = fetch_two(5, 5, &a_stats, &b_stats, &log_);
    poll_once(&fut.base);
    poll_once(&fut.base);
    rt_future_drop(&fut.base);
    ck_assert_msg(a_stats.drops == 1 && a_stats.drops_while_pending == 1,
                  "cancelled in the first .await: that child must be dropped, once");
    ck_assert_int_eq(b_stats.polls, 0);
    ck_assert_int_eq(b_stats.drops, 0);
    ck_assert_str_eq(log_.text, "fetching a\n");
}
END_TEST

START_TEST(test_cancel_in_the_second_await)
{
    reset();
    fetch_two_fut fut = fetch_two(0, 3, &a_stats, &b_stats, &log_);
    ck_assert_int_eq(poll_once(&fut.base), RT_PENDING);
    ck_assert_int_eq(fut.state, FETCH_WAIT_B);
    rt_future_drop(&fut.base);
    ck_assert_msg(a_stats.drops == 1 && a_stats.drops_while_pending == 0,
                  "the first child finished, so it was dropped once, not cancelled");
    ck_assert_msg(b_stats.drops == 1 && b_stats.drops_while_pending == 1,
                  "cancelled in the second .await: that child must be dropped, once");
}
END_TEST

START_TEST(test_poll_after_completion_panics)
{
    reset();
    fetch_two_fut fut = fetch_two(0, 0, &a_stats, &b_stats, &log_);
    ck_assert_int_eq(drive(&fut.base, 10), 1);
    rt_panic_frame frame;
    rt_panic_push(&frame);
    if (setjmp(frame.env) == 0) {
        poll_once(&fut.base);
        rt_panic_pop(&frame);
        ck_abort_msg("polling a finished fetch_two did not panic");
    }
    ck_assert_str_eq(frame.message, "`async fn` resumed after completion");
}
END_TEST

/* main: run the suite; exit 0 only if every check passed. */
int main(void)
{
    Suite *s = suite_create("lesson 02: a state machine by hand");
    TCase *tc = tcase_create("fetch_two");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_calling_runs_nothing);
    tcase_add_test(tc, test_first_poll_suspends_in_the_first_await);
    tcase_add_test(tc, test_runs_to_the_end_poll_by_poll);
    tcase_add_test(tc, test_ready_children_cost_no_extra_poll);
    tcase_add_test(tc, test_children_polled_and_dropped_exactly_right);
    tcase_add_test(tc, test_cancel_in_the_first_await);
    tcase_add_test(tc, test_cancel_in_the_second_await);
    tcase_add_test(tc, test_poll_after_completion_panics);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
