/* test_timer.c: every call of the timers API, on both the wheel and the heap. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "rt_alloc.h"
#include "rt_timer.h"

/* Check's ck_assert_* records a "mark point" (a write to the parent process) on every success;
 * in loops of a million checks that, not the code under test, would be the run time. These call
 * into Check only on failure, with a message as informative; loops use them. */
#define CHK(expr) do { if (!(expr)) ck_abort_msg("Assertion '%s' failed", #expr); } while (0)
#define CHK_U(X, OP, Y) do { uintmax_t x_ = (X), y_ = (Y); if (!(x_ OP y_)) \
    ck_abort_msg("Assertion '%s' failed: %ju vs %ju", #X " " #OP " " #Y, x_, y_); } while (0)

/* Every test runs as a loop test: _i = 0 is the wheel, _i = 1 the heap. */
#define KIND ((rt_timers_kind)_i)
#define REACH (UINT64_C(1) << 36)   /* 64^6 ms: the wheel's reach */

/* new_or_die: a set of the kind under test at now, failing the test on NULL. */
static rt_timers *new_or_die(rt_timers_kind kind, uint64_t now)
{
    rt_timers *t = rt_timers_new(kind, now);
    ck_assert_ptr_nonnull(t);
    return t;
}

/* rng: xorshift64, deterministic. */
static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* key_le: (deadline, seq) of a is <= that of b. */
static int key_le(const rt_timer_entry *a, const rt_timer_entry *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq <= b->seq);
}

/* test_new_is_empty: a fresh set holds nothing, pops nothing, and knows its kind. */
START_TEST(test_new_is_empty)
{
    rt_timers *t = new_or_die(KIND, 42);
    ck_assert_uint_eq(rt_timers_count(t), 0);
    ck_assert_uint_eq(rt_timers_next_deadline(t), UINT64_MAX);
    ck_assert_ptr_null(rt_timers_pop_expired(t, UINT64_MAX));
    ck_assert_int_eq(rt_timers_kind_of(t), KIND);
    ck_assert_str_eq(rt_timers_kind_name(KIND), KIND == RT_TIMERS_WHEEL ? "wheel" : "heap");
    rt_timers_free(t);
    rt_timers_free(NULL);
}
END_TEST

/* test_insert_cancel_reinsert: arm, disarm, re-arm with a new seq, fire on time. */
START_TEST(test_insert_cancel_reinsert)
{
    rt_timers *t = new_or_die(KIND, 0);
    int tag;
    rt_timer_entry e;
    rt_timer_entry_init(&e, &tag);
    ck_assert_int_eq(rt_timer_entry_is_armed(&e), 0);
    ck_assert_int_eq(rt_timers_insert(t, &e, 10), 0);
    ck_assert_int_eq(rt_timer_entry_is_armed(&e), 1);
    ck_assert_uint_eq(e.deadline, 10);
    ck_assert_uint_eq(rt_timers_count(t), 1);
    ck_assert_uint_le(rt_timers_next_deadline(t), 10);
    if (KIND == RT_TIMERS_HEAP)
        ck_assert_uint_eq(rt_timers_next_deadline(t), 10);
    uint64_t first_seq = e.seq;

    rt_timers_cancel(t, &e);
    ck_assert_int_eq(rt_timer_entry_is_armed(&e), 0);
    ck_assert_uint_eq(rt_timers_count(t), 0);
    ck_assert_uint_eq(rt_timers_next_deadline(t), UINT64_MAX);
    ck_assert_ptr_null(rt_timers_pop_expired(t, 100));

    ck_assert_int_eq(rt_timers_insert(t, &e, 120), 0);
    ck_assert_uint_gt(e.seq, first_seq);
    ck_assert_ptr_null(rt_timers_pop_expired(t, 119));
    ck_assert_int_eq(rt_timer_entry_is_armed(&e), 1);
    rt_timer_entry *p = rt_timers_pop_expired(t, 120);
    ck_assert_ptr_eq(p, &e);
    ck_assert_ptr_eq(p->data, &tag);
    ck_assert_int_eq(rt_timer_entry_is_armed(&e), 0);
    ck_assert_uint_eq(rt_timers_count(t), 0);
    ck_assert_ptr_null(rt_timers_pop_expired(t, 120));
    rt_timers_free(t);
}
END_TEST

/* test_cancel_unarmed_is_noop: cancelling an unarmed entry changes nothing. */
START_TEST(test_cancel_unarmed_is_noop)
{
    rt_timers *t = new_or_die(KIND, 0);
    rt_timer_entry a, b;
    rt_timer_entry_init(&a, NULL);
    rt_timer_entry_init(&b, NULL);
    rt_timers_cancel(t, &a);                     /* never armed */
    ck_assert_uint_eq(rt_timers_count(t), 0);
    ck_assert_int_eq(rt_timers_insert(t, &a, 5), 0);
    ck_assert_int_eq(rt_timers_insert(t, &b, 7), 0);
    ck_assert_ptr_eq(rt_timers_pop_expired(t, 5), &a);
    rt_timers_cancel(t, &a);                     /* already fired */
    rt_timers_cancel(t, &a);
    ck_assert_uint_eq(rt_timers_count(t), 1);
    ck_assert_int_eq(rt_timer_entry_is_armed(&b), 1);
    rt_timers_cancel(t, &b);
    rt_timers_cancel(t, &b);                     /* already cancelled */
    ck_assert_uint_eq(rt_timers_count(t), 0);
    ck_assert_ptr_null(rt_timers_pop_expired(t, 1000));
    rt_timers_free(t);
}
END_TEST

/* test_double_insert_is_einval: inserting an armed entry is -EINVAL and leaves it as it was. */
START_TEST(test_double_insert_is_einval)
{
    rt_timers *t = new_or_die(KIND, 0);
    rt_timer_entry e;
    rt_timer_entry_init(&e, NULL);
    ck_assert_int_eq(rt_timers_insert(t, &e, 30), 0);
    uint64_t seq = e.seq;
    ck_assert_int_eq(rt_timers_insert(t, &e, 10), -EINVAL);
    ck_assert_uint_eq(e.deadline, 30);
    ck_assert_uint_eq(e.seq, seq);
    ck_assert_uint_eq(rt_timers_count(t), 1);
    ck_assert_ptr_null(rt_timers_pop_expired(t, 29));
    ck_assert_ptr_eq(rt_timers_pop_expired(t, 30), &e);
    rt_timers_free(t);
}
END_TEST

/* test_pop_order_with_ties: (deadline, seq) order, stepping 1 ms at a time and in one big jump. */
START_TEST(test_pop_order_with_ties)
{
    static const uint64_t dl[] = {5, 3, 5, 3, 1, 5, 9, 3, 1, 700, 5, 700, 70, 3};
    enum { N = sizeof dl / sizeof dl[0] };
    rt_timers *t = new_or_die(KIND, 0);
    rt_timer_entry e[N];
    for (int i = 0; i < N; i++) {
        rt_timer_entry_init(&e[i], NULL);
        ck_assert_int_eq(rt_timers_insert(t, &e[i], dl[i]), 0);
    }
    rt_timer_entry *prev = NULL;
    int popped = 0;
    for (uint64_t now = 0; now <= 800; now++) {
        rt_timer_entry *p;
        while ((p = rt_timers_pop_expired(t, now)) != NULL) {
            ck_assert_uint_eq(p->deadline, now);   /* stepped 1 ms at a time: exactly on time */
            if (prev != NULL)
                ck_assert(key_le(prev, p));
            prev = p;
            popped++;
        }
    }
    ck_assert_int_eq(popped, N);
    /* Same set, all due in one jump: identical order. */
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(rt_timers_insert(t, &e[i], dl[i]), 0);
    prev = NULL;
    for (int i = 0; i < N; i++) {
        rt_timer_entry *p = rt_timers_pop_expired(t, 100000);
        ck_assert_ptr_nonnull(p);
        if (prev != NULL) {
            ck_assert(key_le(prev, p));
            if (prev->deadline == p->deadline)   /* ties: insertion order */
                ck_assert(prev < p);
        }
        prev = p;
    }
    ck_assert_ptr_null(rt_timers_pop_expired(t, 100000));
    rt_timers_free(t);
}
END_TEST

/* test_past_deadlines_interleave: passed deadlines fire in sorted place; now never goes back. */
START_TEST(test_past_deadlines_interleave)
{
    rt_timers *t = new_or_die(KIND, 0);
    rt_timer_entry a, b, c, d, z;
    rt_timer_entry_init(&a, NULL);
    rt_timer_entry_init(&b, NULL);
    rt_timer_entry_init(&c, NULL);
    rt_timer_entry_init(&d, NULL);
    rt_timer_entry_init(&z, NULL);
    ck_assert_int_eq(rt_timers_insert(t, &z, 20), 0);
    ck_assert_ptr_eq(rt_timers_pop_expired(t, 60), &z);   /* time is now 60 */
    ck_assert_int_eq(rt_timers_insert(t, &b, 95), 0);
    ck_assert_int_eq(rt_timers_insert(t, &a, 50), 0);     /* in the past: due at once */
    ck_assert_uint_le(rt_timers_next_deadline(t), 50);
    ck_assert_ptr_eq(rt_timers_pop_expired(t, 60), &a);
    ck_assert_ptr_null(rt_timers_pop_expired(t, 60));
    ck_assert_int_eq(rt_timers_insert(t, &a, 50), 0);
    /* Both due at 100: 50 (inserted late) before 95. */
    ck_assert_ptr_eq(rt_timers_pop_expired(t, 100), &a);
    /* Time is 100 now; a late 70 and a 0 still come before the 95 that is due but not popped. */
    ck_assert_int_eq(rt_timers_insert(t, &c, 70), 0);
    ck_assert_int_eq(rt_timers_insert(t, &d, 0), 0);
    ck_assert_uint_eq(rt_timers_next_deadline(t), 0);
    ck_assert_ptr_eq(rt_timers_pop_expired(t, 100), &d);
    ck_assert_ptr_eq(rt_timers_pop_expired(t, 100), &c);
    /* now going backwards counts as 100: the 95 is still due. */
    ck_assert_ptr_eq(rt_timers_pop_expired(t, 3), &b);
    ck_assert_ptr_null(rt_timers_pop_expired(t, 100));
    /* A deadline equal to the current time is due at the next pop, even with an old now. */
    ck_assert_int_eq(rt_timers_insert(t, &a, 100), 0);
    ck_assert_ptr_eq(rt_timers_pop_expired(t, 0), &a);
    rt_timers_free(t);
}
END_TEST

/* test_far_deadlines_clamped_and_exact: beyond the wheel's reach: on time, few wake-ups. */
START_TEST(test_far_deadlines_clamped_and_exact)
{
    /* Start just below a 2^36 ms rotation boundary so "6 ms away" is already out of the
     * wheel's reach by its XOR rule, then add deadlines far beyond the reach. */
    uint64_t start = 5 * REACH - 10;
    static const uint64_t offs[] = {16, 3 * REACH, REACH + 1, UINT64_C(1) << 50, 200 * REACH};
    enum { N = sizeof offs / sizeof offs[0] + 2 };
    rt_timers *t = new_or_die(KIND, start);
    rt_timer_entry e[N];
    for (int i = 0; i < N; i++)
        rt_timer_entry_init(&e[i], NULL);
    for (int i = 0; i < N - 2; i++)
        CHK_U(rt_timers_insert(t, &e[i], start + offs[i]), ==, 0);
    CHK_U(rt_timers_insert(t, &e[N - 2], UINT64_MAX), ==, 0);
    CHK_U(rt_timers_insert(t, &e[N - 1], UINT64_MAX - 1), ==, 0);
    /* Drive it like a runtime: sleep until next_deadline, pop, ask again. Each entry must
     * fire exactly at its deadline, in order, and the number of wake-ups stays small (no
     * rotation-by-rotation crawl to 2^64). */
    int fired = 0, wakeups = 0;
    uint64_t prev = 0;
    while (rt_timers_count(t) > 0) {
        uint64_t nd = rt_timers_next_deadline(t);
        CHK_U(++wakeups, <, 200);
        rt_timer_entry *p;
        while ((p = rt_timers_pop_expired(t, nd)) != NULL) {
            CHK_U(p->deadline, ==, nd);   /* not early, and not late either */
            CHK_U(p->deadline, >=, prev);
            prev = p->deadline;
            fired++;
        }
        /* Nothing due before nd was skipped: the next answer is later. */
        CHK_U(rt_timers_next_deadline(t), >=, nd);
    }
    CHK_U(fired, ==, N);
    CHK_U(prev, ==, UINT64_MAX);
    rt_timers_free(t);
}
END_TEST

/* test_next_deadline_never_late: a lower bound at every scale (exact for the heap). */
START_TEST(test_next_deadline_never_late)
{
    rt_timers *t = new_or_die(KIND, 1000);
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    enum { N = 5000 };
    rt_timer_entry *e = calloc(N, sizeof *e);
    CHK(e != NULL);
    uint64_t min = UINT64_MAX;
    for (int i = 0; i < N; i++) {
        rt_timer_entry_init(&e[i], NULL);
        uint64_t dl = 1000 + rng(&seed) % (UINT64_C(1) << (1 + i % 40));
        min = dl < min ? dl : min;
        CHK_U(rt_timers_insert(t, &e[i], dl), ==, 0);
        CHK_U(rt_timers_next_deadline(t), <=, min);
        if (KIND == RT_TIMERS_HEAP)
            CHK_U(rt_timers_next_deadline(t), ==, min);
    }
    /* One huge jump: everything fires, in order, nothing early. */
    rt_timer_entry *prev = NULL;
    for (int i = 0; i < N; i++) {
        rt_timer_entry *p = rt_timers_pop_expired(t, UINT64_MAX);
        CHK(p != NULL);
        if (prev != NULL)
            CHK(key_le(prev, p));
        prev = p;
    }
    CHK(rt_timers_pop_expired(t, UINT64_MAX) == NULL);
    CHK_U(rt_timers_count(t), ==, 0);
    rt_timers_free(t);
    free(e);
}
END_TEST

/* test_storm_million: a million timers armed and cancelled, then a million fired in one jump. */
START_TEST(test_storm_million)
{
    /* A million armed timers at once, then all cancelled in random order (a server whose
     * connections all time out and all finish first), then a million more that all fire. */
    enum { N = 1000000 };
    rt_timer_entry *e = calloc(N, sizeof *e);
    uint32_t *perm = calloc(N, sizeof *perm);
    CHK(e != NULL);
    CHK(perm != NULL);
    rt_timers *t = new_or_die(KIND, 0);
    uint64_t seed = 12345;
    for (uint32_t i = 0; i < N; i++) {
        rt_timer_entry_init(&e[i], NULL);
        CHK_U(rt_timers_insert(t, &e[i], 1 + rng(&seed) % 600000), ==, 0);
        perm[i] = i;
    }
    CHK_U(rt_timers_count(t), ==, N);
    for (uint32_t i = N - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(rng(&seed) % (i + 1));
        uint32_t tmp = perm[i];
        perm[i] = perm[j], perm[j] = tmp;
    }
    for (uint32_t i = 0; i < N; i++)
        rt_timers_cancel(t, &e[perm[i]]);
    CHK_U(rt_timers_count(t), ==, 0);
    CHK_U(rt_timers_next_deadline(t), ==, UINT64_MAX);
    CHK(rt_timers_pop_expired(t, 600000) == NULL);

    /* The second million is armed from time 600000 and all fire in one jump of 10 minutes,
     * which makes the wheel cascade from every level. */
    for (uint32_t i = 0; i < N; i++)
        CHK_U(rt_timers_insert(t, &e[i], 600001 + rng(&seed) % 600000), ==, 0);
    size_t fired = 0;
    uint64_t prev = 0;
    rt_timer_entry *p;
    while ((p = rt_timers_pop_expired(t, 1200000)) != NULL) {
        CHK_U(p->deadline, >=, prev);
        prev = p->deadline;
        fired++;
    }
    CHK_U(fired, ==, N);
    rt_timers_free(t);
    free(perm);
    free(e);
}
END_TEST

/* test_heap_growth_enomem_changes_nothing: failed growth: -ENOMEM, nothing changed. */
START_TEST(test_heap_growth_enomem_changes_nothing)
{
    rt_timers *t = new_or_die(KIND, 0);
    enum { N = 300 };
    rt_timer_entry e[N];
    uint64_t seed = 777;
    int failures = 0;
    long injected_before = rt_alloc_injected_failures();
    for (int i = 0; i < N; i++) {
        rt_timer_entry_init(&e[i], NULL);
        uint64_t dl = 10 + rng(&seed) % 1000;
        size_t count = rt_timers_count(t);
        uint64_t nd = rt_timers_next_deadline(t);
        /* Make the next allocation fail: for the heap it is the growth at 64, 128, 256. */
        rt_alloc_fail_after(1);
        int rc = rt_timers_insert(t, &e[i], dl);
        rt_alloc_fail_after(0);
        if (rc == -ENOMEM) {
            failures++;
            CHK_U(rt_timer_entry_is_armed(&e[i]), ==, 0);
            CHK_U(rt_timers_count(t), ==, count);
            CHK_U(rt_timers_next_deadline(t), ==, nd);
            rc = rt_timers_insert(t, &e[i], dl);   /* the retry succeeds */
        }
        CHK_U(rc, ==, 0);
        CHK_U(rt_timers_count(t), ==, count + 1);
    }
    if (KIND == RT_TIMERS_HEAP) {
        CHK_U(failures, ==, 3);
        CHK_U(rt_alloc_injected_failures(), ==, injected_before + 3);
    } else {
        CHK_U(failures, ==, 0);   /* the wheel never allocates per entry */
    }
    /* Failed inserts consumed no seq and lost nothing: all N fire, in order. */
    rt_timer_entry *prev = NULL;
    for (int i = 0; i < N; i++) {
        rt_timer_entry *p = rt_timers_pop_expired(t, 2000);
        CHK(p != NULL);
        if (prev != NULL)
            CHK(key_le(prev, p));
        prev = p;
    }
    CHK(rt_timers_pop_expired(t, 2000) == NULL);
    rt_timers_free(t);   /* ASan's leak check covers the "no leak" half */
}
END_TEST

/* test_new_fails_under_enomem: each failed allocation gives NULL, no leak. */
START_TEST(test_new_fails_under_enomem)
{
    /* The wheel makes one allocation, the heap two (struct, then array): each can fail. */
    int allocations = KIND == RT_TIMERS_HEAP ? 2 : 1;
    for (int n = 1; n <= allocations; n++) {
        long before = rt_alloc_injected_failures();
        rt_alloc_fail_after(n);
        rt_timers *t = rt_timers_new(KIND, 0);
        rt_alloc_fail_after(0);
        ck_assert_ptr_null(t);
        ck_assert_int_eq(rt_alloc_injected_failures(), before + 1);
    }
    /* One past the last allocation: creation succeeds and the countdown is still pending. */
    rt_alloc_fail_after(allocations + 1);
    rt_timers *t = rt_timers_new(KIND, 0);
    rt_alloc_fail_after(0);
    ck_assert_ptr_nonnull(t);
    rt_timers_free(t);
    ck_assert_ptr_null(rt_timers_new((rt_timers_kind)7, 0));
    ck_assert_str_eq(rt_timers_kind_name((rt_timers_kind)7), "?");
}
END_TEST

/* main: runs the suite on both kinds; non-zero exit on any failure. */
int main(void)
{
    Suite *s = suite_create("timer");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_new_is_empty, 0, 2);
    tcase_add_loop_test(tc, test_insert_cancel_reinsert, 0, 2);
    tcase_add_loop_test(tc, test_cancel_unarmed_is_noop, 0, 2);
    tcase_add_loop_test(tc, test_double_insert_is_einval, 0, 2);
    tcase_add_loop_test(tc, test_pop_order_with_ties, 0, 2);
    tcase_add_loop_test(tc, test_past_deadlines_interleave, 0, 2);
    tcase_add_loop_test(tc, test_far_deadlines_clamped_and_exact, 0, 2);
    tcase_add_loop_test(tc, test_next_deadline_never_late, 0, 2);
    tcase_add_loop_test(tc, test_heap_growth_enomem_changes_nothing, 0, 2);
    tcase_add_loop_test(tc, test_new_fails_under_enomem, 0, 2);
    suite_add_tcase(s, tc);
    TCase *storm = tcase_create("storm");
    tcase_set_timeout(storm, 30);
    tcase_add_loop_test(storm, test_storm_million, 0, 2);
    suite_add_tcase(s, storm);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
