/* test_combinators.c: ready, pending, yield_now, join_all and select (losers dropped). */
#include <check.h>
#include <stdlib.h>

#include "rt_combinators.h"
#include "rt_panic.h"
#include "rt_testkit.h"

/* poll_once: poll with a waker that counts wake_by_ref through `wakes`. */
static int wakes;
static const rt_waker_vtable count_vtable;
static rt_waker count_clone(const void *d) { return (rt_waker){ &count_vtable, d }; }
static void count_wake(const void *d) { (void)d; wakes++; }
static void count_nothing(const void *d) { (void)d; }
static const rt_waker_vtable count_vtable = { count_clone, count_wake, count_wake, count_nothing };

static rt_poll poll_once(rt_future *f)
{
    rt_waker w = { &count_vtable, NULL };
    rt_context cx = { &w };
    return rt_future_poll(f, &cx);
}

START_TEST(test_ready)
{
    int x = 5;
    rt_ready_fut r = rt_ready(&x);
    ck_assert_int_eq(poll_once(&r.base), RT_READY);
    ck_assert_ptr_eq(r.value, &x);
}
END_TEST

START_TEST(test_pending_never_wakes)
{
    wakes = 0;
    rt_pending_fut p = rt_pending();
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(poll_once(&p.base), RT_PENDING);
    ck_assert_int_eq(wakes, 0);
    rt_future_drop(&p.base);
}
END_TEST

START_TEST(test_yield_now_once)
{
    wakes = 0;
    rt_yield_fut y = rt_yield_now();
    ck_assert_int_eq(poll_once(&y.base), RT_PENDING);
    ck_assert_int_eq(wakes, 1); /* it asked to be polled again */
    ck_assert_int_eq(poll_once(&y.base), RT_READY);
}
END_TEST

START_TEST(test_join_all_waits_for_all)
{
    _Atomic int polls[3] = { 0, 0, 0 }, drops = 0;
    rt_probe p[3];
    rt_future *kids[3];
    for (int i = 0; i < 3; i++) {
        p[i] = rt_probe_new(&polls[i], &drops);
        p[i].pending_polls = i; /* 0, 1, 2 pendings */
        kids[i] = &p[i].base;
    }
    rt_join_all_fut j = rt_join_all(kids, 3);
    ck_assert_int_eq(poll_once(&j.base), RT_PENDING);
    ck_assert_int_eq(poll_once(&j.base), RT_PENDING);
    ck_assert_int_eq(poll_once(&j.base), RT_READY);
    /* a finished child is not polled again */
    ck_assert_int_eq(polls[0], 1);
    ck_assert_int_eq(polls[1], 2);
    ck_assert_int_eq(polls[2], 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(p[i].output, 42);
    ck_assert_int_eq(drops, 0);
}
END_TEST

START_TEST(test_join_all_drop_drops_unfinished)
{
    _Atomic int polls = 0, drops = 0;
    rt_probe a = rt_probe_new(&polls, &drops), b = rt_probe_new(&polls, &drops);
    b.pending_polls = 10;
    rt_future *kids[2] = { &a.base, &b.base };
    rt_join_all_fut j = rt_join_all(kids, 2);
    ck_assert_int_eq(poll_once(&j.base), RT_PENDING);
    rt_future_drop(&j.base);
    ck_assert_int_eq(drops, 1); /* only b, which had not finished */
}
END_TEST

START_TEST(test_select_first_wins_losers_dropped)
{
    _Atomic int polls = 0, drops = 0;
    rt_probe slow = rt_probe_new(&polls, &drops), fast = rt_probe_new(&polls, &drops),
             never = rt_probe_new(&polls, &drops);
    slow.pending_polls = 5;
    fast.pending_polls = 1;
    never.pending_polls = 1000;
    rt_future *kids[3] = { &slow.base, &fast.base, &never.base };
    rt_select_fut s = rt_select(kids, 3);
    ck_assert_int_eq(poll_once(&s.base), RT_PENDING);
    ck_assert_int_eq(drops, 0);
    ck_assert_int_eq(poll_once(&s.base), RT_READY);
    ck_assert_uint_eq(s.winner, 1);
    ck_assert_int_eq(fast.output, 42);
    ck_assert_int_eq(drops, 2); /* slow and never, at once */
    rt_future_drop(&s.base);    /* dropping a finished select drops nothing more */
    ck_assert_int_eq(drops, 2);
}
END_TEST

START_TEST(test_select_tie_goes_to_the_first)
{
    _Atomic int polls = 0, drops = 0;
    rt_probe a = rt_probe_new(&polls, &drops), b = rt_probe_new(&polls, &drops);
    rt_future *kids[2] = { &a.base, &b.base };
    rt_select_fut s = rt_select(kids, 2);
    ck_assert_int_eq(poll_once(&s.base), RT_READY);
    ck_assert_uint_eq(s.winner, 0);
    ck_assert_int_eq(polls, 1); /* b was never polled, only dropped */
    ck_assert_int_eq(drops, 1);
}
END_TEST

START_TEST(test_select_dropped_while_pending)
{
    _Atomic int polls = 0, drops = 0;
    rt_probe a = rt_probe_new(&polls, &drops), b = rt_probe_new(&polls, &drops);
    a.pending_polls = b.pending_polls = 3;
    rt_future *kids[2] = { &a.base, &b.base };
    rt_select_fut s = rt_select(kids, 2);
    ck_assert_int_eq(poll_once(&s.base), RT_PENDING);
    rt_future_drop(&s.base);
    ck_assert_int_eq(drops, 2);
}
END_TEST

START_TEST(test_too_many_children_panics)
{
    rt_future *kids[RT_COMBINE_MAX + 1] = { 0 };
    rt_panic_frame frame;
    rt_panic_push(&frame);
    if (setjmp(frame.env) == 0) {
        rt_join_all(kids, RT_COMBINE_MAX + 1);
        rt_panic_pop(&frame);
        ck_abort_msg("no panic");
    }
    ck_assert_str_eq(frame.message, "rt_join_all: 65 futures, at most 64");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("combinators");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_ready);
    tcase_add_test(tc, test_pending_never_wakes);
    tcase_add_test(tc, test_yield_now_once);
    tcase_add_test(tc, test_join_all_waits_for_all);
    tcase_add_test(tc, test_join_all_drop_drops_unfinished);
    tcase_add_test(tc, test_select_first_wins_losers_dropped);
    tcase_add_test(tc, test_select_tie_goes_to_the_first);
    tcase_add_test(tc, test_select_dropped_while_pending);
    tcase_add_test(tc, test_too_many_children_panics);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
