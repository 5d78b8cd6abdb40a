/* test_clock.c: the cached monotonic clock, its manual mode, and never-early deadline rounding. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "rt_clock.h"

/* Check's ck_assert_* records a "mark point" (a write to the parent process) on every success;
 * in loops of a million checks that, not the code under test, would be the run time. These call
 * into Check only on failure, with a message as informative; loops use them. */
#define CHK(expr) do { if (!(expr)) ck_abort_msg("Assertion '%s' failed", #expr); } while (0)
#define CHK_U(X, OP, Y) do { uintmax_t x_ = (X), y_ = (Y); if (!(x_ OP y_)) \
    ck_abort_msg("Assertion '%s' failed: %ju vs %ju", #X " " #OP " " #Y, x_, y_); } while (0)

#define NS_PER_MS UINT64_C(1000000)

/* spin_ns: busy-waits until the real clock has moved by at least ns. */
static void spin_ns(uint64_t ns)
{
    uint64_t start = rt_monotonic_ns();
    while (rt_monotonic_ns() - start < ns)
        ;
}

/* test_monotonic_never_goes_back: raw CLOCK_MONOTONIC reads never decrease. */
START_TEST(test_monotonic_never_goes_back)
{
    uint64_t prev = rt_monotonic_ns();
    CHK_U(prev, >, 0);
    for (int i = 0; i < 100000; i++) {
        uint64_t now = rt_monotonic_ns();
        CHK_U(now, >=, prev);
        prev = now;
    }
}
END_TEST

/* test_init_starts_at_zero: a new clock reads 0 in automatic mode. */
START_TEST(test_init_starts_at_zero)
{
    rt_clock c;
    rt_clock_init(&c);
    ck_assert_uint_eq(rt_clock_now_ns(&c), 0);
    ck_assert_uint_eq(rt_clock_now_ms(&c), 0);
    ck_assert_int_eq(c.manual, 0);
    ck_assert_uint_le(c.origin_ns, rt_monotonic_ns());
}
END_TEST

/* test_cached_value_changes_only_on_update: only update moves the cache. */
START_TEST(test_cached_value_changes_only_on_update)
{
    rt_clock c;
    rt_clock_init(&c);
    uint64_t ms = rt_clock_update(&c);
    uint64_t ns = rt_clock_now_ns(&c);
    CHK_U(ms, ==, rt_clock_now_ms(&c));
    CHK_U(ms, ==, ns / NS_PER_MS);
    spin_ns(3 * NS_PER_MS);
    /* Real time moved 3 ms, the cache must not have. */
    CHK_U(rt_clock_now_ns(&c), ==, ns);
    CHK_U(rt_clock_now_ms(&c), ==, ms);
    uint64_t ms2 = rt_clock_update(&c);
    CHK_U(rt_clock_now_ns(&c), >=, ns + 3 * NS_PER_MS);
    CHK_U(ms2, >=, ms + 2);
    CHK_U(ms2, ==, rt_clock_now_ms(&c));
    /* Every update is at least the previous one. */
    uint64_t prev = rt_clock_now_ns(&c);
    for (int i = 0; i < 10000; i++) {
        rt_clock_update(&c);
        CHK_U(rt_clock_now_ns(&c), >=, prev);
        prev = rt_clock_now_ns(&c);
    }
}
END_TEST

/* test_manual_mode_freezes_and_advances: frozen: moved by hand only, forwards only. */
START_TEST(test_manual_mode_freezes_and_advances)
{
    rt_clock c;
    rt_clock_init(&c);
    rt_clock_set_manual(&c, 5 * NS_PER_MS + 1);
    ck_assert_int_eq(c.manual, 1);
    ck_assert_uint_eq(rt_clock_update(&c), 5);
    spin_ns(2 * NS_PER_MS);
    ck_assert_uint_eq(rt_clock_update(&c), 5);
    ck_assert_uint_eq(rt_clock_now_ns(&c), 5 * NS_PER_MS + 1);

    rt_clock_advance(&c, NS_PER_MS - 2);
    ck_assert_uint_eq(rt_clock_update(&c), 5);
    rt_clock_advance(&c, 1);
    ck_assert_uint_eq(rt_clock_update(&c), 6);
    ck_assert_uint_eq(rt_clock_now_ns(&c), 6 * NS_PER_MS);

    /* Never backwards, even by hand. */
    rt_clock_set_manual(&c, 1);
    ck_assert_uint_eq(rt_clock_now_ns(&c), 6 * NS_PER_MS);
    rt_clock_set_manual(&c, 9 * NS_PER_MS);
    ck_assert_uint_eq(rt_clock_now_ms(&c), 9);

    /* Advance saturates instead of wrapping. */
    rt_clock_advance(&c, UINT64_MAX);
    ck_assert_uint_eq(rt_clock_now_ns(&c), UINT64_MAX);
}
END_TEST

/* test_advance_ignored_in_auto_mode: advance does nothing to a running clock. */
START_TEST(test_advance_ignored_in_auto_mode)
{
    rt_clock c;
    rt_clock_init(&c);
    rt_clock_advance(&c, 3600 * 1000 * NS_PER_MS);
    ck_assert_uint_eq(rt_clock_now_ns(&c), 0);
    ck_assert_int_eq(c.manual, 0);
    /* An hour cannot have passed in this test; the real clock still drives update. */
    ck_assert_uint_lt(rt_clock_update(&c), 3600 * 1000);
}
END_TEST

/* test_resume_continues_from_frozen_value: after resume, time goes on from the frozen value. */
START_TEST(test_resume_continues_from_frozen_value)
{
    rt_clock c;
    rt_clock_init(&c);
    uint64_t frozen = 1000 * 1000 * NS_PER_MS;   /* far ahead of the real clock: 1000 s */
    rt_clock_set_manual(&c, frozen);
    rt_clock_resume(&c);
    ck_assert_int_eq(c.manual, 0);
    rt_clock_update(&c);
    uint64_t a = rt_clock_now_ns(&c);
    ck_assert_uint_ge(a, frozen);
    ck_assert_uint_lt(a, frozen + 5000 * NS_PER_MS);   /* a hang guard, not a timing claim */
    spin_ns(2 * NS_PER_MS);
    rt_clock_update(&c);
    ck_assert_uint_ge(rt_clock_now_ns(&c), a + 2 * NS_PER_MS);
    /* Resume without manual mode changes nothing. */
    uint64_t origin = c.origin_ns;
    rt_clock_resume(&c);
    ck_assert_uint_eq(c.origin_ns, origin);
}
END_TEST

/* test_ns_to_ms_rounds_up: the ns -> ms conversion rounds up at every boundary. */
START_TEST(test_ns_to_ms_rounds_up)
{
    ck_assert_uint_eq(rt_ns_to_ms_ceil(0), 0);
    ck_assert_uint_eq(rt_ns_to_ms_ceil(1), 1);
    ck_assert_uint_eq(rt_ns_to_ms_ceil(NS_PER_MS - 1), 1);
    ck_assert_uint_eq(rt_ns_to_ms_ceil(NS_PER_MS), 1);
    ck_assert_uint_eq(rt_ns_to_ms_ceil(NS_PER_MS + 1), 2);
    ck_assert_uint_eq(rt_ns_to_ms_ceil(UINT64_MAX), UINT64_MAX / NS_PER_MS + 1);
}
END_TEST

/* test_deadline_rounds_up_never_early: deadlines are never early and at most one tick late. */
START_TEST(test_deadline_rounds_up_never_early)
{
    rt_clock c;
    rt_clock_init(&c);
    /* The worked example of rt_clock.c: at 7.9 ms, sleeping 2 ms must not fire at 9. */
    rt_clock_set_manual(&c, 7 * NS_PER_MS + 900000);
    CHK_U(rt_clock_deadline_after_ms(&c, 2), ==, 10);
    CHK_U(rt_clock_deadline_after_ns(&c, 2 * NS_PER_MS), ==, 10);
    CHK_U(rt_clock_deadline_after_ns(&c, 100000), ==, 8);
    CHK_U(rt_clock_deadline_after_ns(&c, 100001), ==, 9);
    CHK_U(rt_clock_deadline_after_ms(&c, 0), ==, 8);
    /* On an exact ms boundary nothing is added. */
    rt_clock_set_manual(&c, 8 * NS_PER_MS);
    CHK_U(rt_clock_deadline_after_ms(&c, 2), ==, 10);
    /* Saturation instead of wrapping. */
    CHK_U(rt_clock_deadline_after_ms(&c, UINT64_MAX), ==, UINT64_MAX);
    CHK_U(rt_clock_deadline_after_ns(&c, UINT64_MAX), ==, UINT64_MAX);
    CHK_U(rt_clock_deadline_after_ms(&c, UINT64_MAX - 8), ==, UINT64_MAX);

    /* The property over many start times and durations: fire time D (the first ms tick at
     * which now_ms >= D) is never before start + duration, and the tick before it is. */
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        rt_clock d;
        rt_clock_init(&d);
        uint64_t start = x % (UINT64_C(1) << 50);
        uint64_t dur_ms = (x >> 50) % 5000;
        rt_clock_set_manual(&d, start);
        uint64_t dl = rt_clock_deadline_after_ms(&d, dur_ms);
        CHK_U(dl * NS_PER_MS, >=, start + dur_ms * NS_PER_MS);
        if (dl > 0)
            CHK_U((dl - 1) * NS_PER_MS, <, start + dur_ms * NS_PER_MS);
        uint64_t dur_ns = x % (3 * NS_PER_MS);
        uint64_t dn = rt_clock_deadline_after_ns(&d, dur_ns);
        CHK_U(dn * NS_PER_MS, >=, start + dur_ns);
        if (dn > 0)
            CHK_U((dn - 1) * NS_PER_MS, <, start + dur_ns);
    }
}
END_TEST

/* test_real_clock_deadline_not_early: real clock: reaching a deadline means it passed. */
START_TEST(test_real_clock_deadline_not_early)
{
    /* End to end on the real clock: wait the way a loop would (update, compare now_ms with the
     * deadline) and check that, when it fires, the real time is at least the cached time of
     * arming plus the duration. */
    rt_clock c;
    rt_clock_init(&c);
    for (uint64_t dur = 0; dur <= 3; dur++) {
        rt_clock_update(&c);
        uint64_t armed_cached_ns = rt_clock_now_ns(&c);
        uint64_t dl = rt_clock_deadline_after_ms(&c, dur);
        while (rt_clock_update(&c) < dl)
            ;
        ck_assert_uint_ge(rt_clock_now_ns(&c), armed_cached_ns + dur * NS_PER_MS);
        ck_assert_uint_ge(rt_monotonic_ns() - c.origin_ns, armed_cached_ns + dur * NS_PER_MS);
    }
}
END_TEST

/* main: runs the clock suite; non-zero exit on any failure. */
int main(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_monotonic_never_goes_back);
    tcase_add_test(tc, test_init_starts_at_zero);
    tcase_add_test(tc, test_cached_value_changes_only_on_update);
    tcase_add_test(tc, test_manual_mode_freezes_and_advances);
    tcase_add_test(tc, test_advance_ignored_in_auto_mode);
    tcase_add_test(tc, test_resume_continues_from_frozen_value);
    tcase_add_test(tc, test_ns_to_ms_rounds_up);
    tcase_add_test(tc, test_deadline_rounds_up_never_early);
    tcase_add_test(tc, test_real_clock_deadline_not_early);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
