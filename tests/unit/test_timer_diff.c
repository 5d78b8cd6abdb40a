/* test_timer_diff.c: wheel vs heap vs a sorted-array reference over random operation sequences. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt_timer.h"

/*
 * The reference is deliberately dumb: an array of entry indices kept sorted by (deadline, seq)
 * with binary search and memmove. It is obviously right, so any difference in which entry fires
 * when, or in what order, is a bug in the wheel or the heap. Every seed starts the clock at a
 * different place (0, just below a 2^36 ms rotation boundary, near 2^64) because the wheel's
 * edge cases live at those boundaries.
 */

/* Check's ck_assert_* records a "mark point" (a write to the parent process) on every success;
 * in loops of a million checks that, not the code under test, would be the run time. These call
 * into Check only on failure, with a message as informative. */
#define CHK(expr) do { if (!(expr)) ck_abort_msg("Assertion '%s' failed", #expr); } while (0)
#define CHK_U(X, OP, Y) do { uintmax_t x_ = (X), y_ = (Y); if (!(x_ OP y_)) \
    ck_abort_msg("Assertion '%s' failed: %ju vs %ju", #X " " #OP " " #Y, x_, y_); } while (0)

#define POOL 2048
#define OPS_PER_SEED 100000
#define REACH (UINT64_C(1) << 36)

typedef struct model {
    rt_timers *wheel, *heap;
    rt_timer_entry we[POOL], he[POOL];
    uint32_t order[POOL];    /* reference: armed indices sorted by (deadline, seq) */
    size_t n;
    uint64_t now;            /* the test's current time (monotonic) */
    uint64_t rng;
    size_t fired;
} model;

/* rnd: xorshift64*, deterministic per seed. */
static uint64_t rnd(model *m)
{
    m->rng ^= m->rng >> 12;
    m->rng ^= m->rng << 25;
    m->rng ^= m->rng >> 27;
    return m->rng * 0x2545F4914F6CDD1DULL;
}

/* sat_add: a + b, saturating at UINT64_MAX. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

/* ref_less: index a fires before index b (keys read from the wheel's entries). */
static int ref_less(const model *m, uint32_t a, uint32_t b)
{
    const rt_timer_entry *x = &m->we[a], *y = &m->we[b];
    return x->deadline < y->deadline || (x->deadline == y->deadline && x->seq < y->seq);
}

/* ref_lower_bound: first position in order[] whose entry does not fire before index i. */
static size_t ref_lower_bound(const model *m, uint32_t i)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ref_less(m, m->order[mid], i))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ref_insert: adds armed index i at its sorted place. */
static void ref_insert(model *m, uint32_t i)
{
    size_t pos = ref_lower_bound(m, i);
    memmove(&m->order[pos + 1], &m->order[pos], (m->n - pos) * sizeof m->order[0]);
    m->order[pos] = i;
    m->n++;
}

/* ref_remove: takes index i (present) out of order[]. */
static void ref_remove(model *m, uint32_t i)
{
    size_t pos = ref_lower_bound(m, i);
    CHK_U(pos, <, m->n);
    CHK_U(m->order[pos], ==, i);
    memmove(&m->order[pos], &m->order[pos + 1], (m->n - pos - 1) * sizeof m->order[0]);
    m->n--;
}

/* check_counts: the three agree on how many are armed, and on each entry's next deadline. */
static void check_counts(const model *m)
{
    CHK_U(rt_timers_count(m->wheel), ==, m->n);
    CHK_U(rt_timers_count(m->heap), ==, m->n);
    uint64_t earliest = m->n ? m->we[m->order[0]].deadline : UINT64_MAX;
    uint64_t wn = rt_timers_next_deadline(m->wheel);
    CHK_U(wn, <=, earliest);                        /* never later */
    CHK_U(rt_timers_next_deadline(m->heap), ==, earliest);   /* exact */
    /* The wheel may answer early, but never "now or before" unless something is due: a
     * runtime trusting it would otherwise spin. */
    if (wn <= m->now)
        CHK_U(earliest, <=, m->now);
}

/* pick_deadline: deadlines from the past to beyond the wheel's reach, with many ties. */
static uint64_t pick_deadline(model *m)
{
    uint64_t r = rnd(m) % 100, x = rnd(m);
    if (r < 8)
        return m->now - (m->now < x % 2000 ? m->now : x % 2000);   /* already passed */
    if (r < 14)
        return m->now;
    if (r < 38)
        return sat_add(m->now, x % 128);                 /* level 0-1, dense ties */
    if (r < 48 && m->n > 0)
        return m->we[m->order[x % m->n]].deadline;       /* an exact tie with an armed one */
    if (r < 62)
        return sat_add(m->now, x % (64 * 64 * 64));      /* levels 1-2 */
    if (r < 76)
        return sat_add(m->now, x % (UINT64_C(1) << 24)); /* level 3 */
    if (r < 88)
        return sat_add(m->now, (UINT64_C(1) << 18) + x % (UINT64_C(1) << 30));   /* levels 3-4 */
    if (r < 94)
        return sat_add(m->now, x % REACH);               /* up to the top level */
    if (r < 97)
        return sat_add(m->now, REACH + x % (REACH << 4)); /* beyond the reach: clamped */
    if (r < 99)
        return UINT64_MAX - x % 4;                       /* the very end of time */
    return sat_add(m->now, x >> (x % 64));               /* anything */
}

/* op_insert: arms one unarmed index in all three with the same deadline. */
static void op_insert(model *m)
{
    uint32_t i = (uint32_t)(rnd(m) % POOL);
    for (int probe = 0; probe < 8 && rt_timer_entry_is_armed(&m->we[i]); probe++)
        i = (i + 1) % POOL;
    if (rt_timer_entry_is_armed(&m->we[i]))
        return;
    uint64_t dl = pick_deadline(m);
    CHK_U(rt_timers_insert(m->wheel, &m->we[i], dl), ==, 0);
    CHK_U(rt_timers_insert(m->heap, &m->he[i], dl), ==, 0);
    CHK_U(m->we[i].seq, ==, m->he[i].seq);
    ref_insert(m, i);
}

/* op_cancel: cancels an armed index in all three; `soon` prefers the next to fire, which in the
 * wheel have just cascaded to level 0 or sit in the due list. */
static void op_cancel(model *m, int soon)
{
    if (m->n == 0)
        return;
    size_t pos = soon ? rnd(m) % (m->n < 8 ? m->n : 8) : rnd(m) % m->n;
    uint32_t i = m->order[pos];
    ref_remove(m, i);
    rt_timers_cancel(m->wheel, &m->we[i]);
    rt_timers_cancel(m->heap, &m->he[i]);
    CHK(!rt_timer_entry_is_armed(&m->we[i]));
    CHK(!rt_timer_entry_is_armed(&m->he[i]));
    /* Cancelling again is a no-op everywhere. */
    rt_timers_cancel(m->wheel, &m->we[i]);
    rt_timers_cancel(m->heap, &m->he[i]);
}

/* pop_due: pops up to `limit` due entries at `arg` (the now handed to the timers; it may be
 * smaller than m->now, which must count as m->now) and checks all three agree. */
static void pop_due(model *m, uint64_t arg, size_t limit)
{
    if (arg > m->now)
        m->now = arg;
    for (size_t k = 0; k < limit; k++) {
        rt_timer_entry *w = rt_timers_pop_expired(m->wheel, arg);
        rt_timer_entry *h = rt_timers_pop_expired(m->heap, arg);
        int ref_due = m->n > 0 && m->we[m->order[0]].deadline <= m->now;
        if (!ref_due) {
            CHK(w == NULL);
            CHK(h == NULL);
            return;
        }
        uint32_t i = m->order[0];
        CHK(w == &m->we[i]);      /* identity and order */
        CHK(h == &m->he[i]);
        CHK_U(w->deadline, <=, m->now);   /* never early */
        CHK(w->data == h->data);
        CHK(!rt_timer_entry_is_armed(w));
        CHK(!rt_timer_entry_is_armed(h));
        ref_remove(m, i);
        m->fired++;
    }
}

/* op_advance: moves time by a small, large or huge step (or to the wheel's own next deadline,
 * as a runtime would), sometimes "backwards", then pops all or part of what is due. */
static void op_advance(model *m)
{
    uint64_t r = rnd(m) % 1000, x = rnd(m), target;
    if (r < 350)
        target = sat_add(m->now, x % 4);
    else if (r < 600)
        target = sat_add(m->now, x % 300);
    else if (r < 750)
        target = sat_add(m->now, x % 100000);
    else if (r < 960)
        target = rt_timers_next_deadline(m->wheel) == UINT64_MAX
                     ? m->now : rt_timers_next_deadline(m->wheel);
    else if (r < 968)
        target = sat_add(m->now, x % (UINT64_C(1) << 34));   /* rare: drains most timers */
    else if (r < 970)
        target = sat_add(m->now, REACH + x % (REACH << 2));   /* rarer: into a new rotation */
    else
        target = m->now - (m->now < 50 ? m->now : x % 50);   /* backwards: no time passes */
    /* Sometimes pop only part of what is due; at least 1, so the timers see the new time. */
    size_t limit = rnd(m) % 4 == 0 ? 1 + rnd(m) % 4 : SIZE_MAX;
    pop_due(m, target, limit);
}

/* run_seed: one random sequence of OPS_PER_SEED operations, then a flush to the end of time. */
static void run_seed(uint64_t seed, uint64_t start)
{
    model *m = calloc(1, sizeof *m);
    CHK(m != NULL);
    m->rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    m->now = start;
    m->wheel = rt_timers_new(RT_TIMERS_WHEEL, start);
    m->heap = rt_timers_new(RT_TIMERS_HEAP, start);
    CHK(m->wheel != NULL);
    CHK(m->heap != NULL);
    for (uint32_t i = 0; i < POOL; i++) {
        rt_timer_entry_init(&m->we[i], (void *)(uintptr_t)(i + 1));
        rt_timer_entry_init(&m->he[i], (void *)(uintptr_t)(i + 1));
    }
    for (int op = 0; op < OPS_PER_SEED; op++) {
        uint64_t r = rnd(m) % 100;
        /* Cancels get likelier as more timers are armed, so the live set settles in the
         * hundreds to low thousands instead of being cancelled away as fast as it grows. */
        int cancel_now = rnd(m) % 1024 < m->n;
        if (r < 45)
            op_insert(m);
        else if (r < 57 && cancel_now)
            op_cancel(m, 0);
        else if (r < 63 && cancel_now)
            op_cancel(m, 1);
        else if (r < 63)
            op_insert(m);
        else if (r < 70)
            pop_due(m, m->now, rnd(m) % 3);
        else
            op_advance(m);
        check_counts(m);
    }
    /* Nothing lost: at the end of time everything still armed fires, in the same order. */
    size_t left = m->n;
    size_t fired_before = m->fired;
    pop_due(m, UINT64_MAX, SIZE_MAX);
    CHK_U(m->fired - fired_before, ==, left);
    CHK_U(m->n, ==, 0);
    check_counts(m);
    for (uint32_t i = 0; i < POOL; i++) {
        CHK(!rt_timer_entry_is_armed(&m->we[i]));
        CHK(!rt_timer_entry_is_armed(&m->he[i]));
    }
    CHK_U(m->fired, >, OPS_PER_SEED / 10);   /* the run really exercised firing */
    rt_timers_free(m->wheel);
    rt_timers_free(m->heap);
    free(m);
}

static const uint64_t starts[] = {
    0,
    1000,
    REACH - 5000,                        /* just below a rotation boundary */
    7 * REACH + 123456789,
    (UINT64_C(1) << 48) - 3,
    UINT64_MAX - (UINT64_C(1) << 44),    /* near the end of time: saturation at the end */
    UINT64_MAX - 100000,
    UINT64_C(0x5555555555),
};

/* test_differential: one seed per start time: the three implementations agree on every step. */
START_TEST(test_differential)
{
    run_seed((uint64_t)_i + 1, starts[_i]);
}
END_TEST

/* test_differential_same_start: more seeds from time 0. */
START_TEST(test_differential_same_start)
{
    /* More seeds from the same start, so coverage does not hinge on the start alone. */
    run_seed(100 + (uint64_t)_i, 0);
}
END_TEST

/* main: runs the differential suite; non-zero exit on any failure. */
int main(void)
{
    Suite *s = suite_create("timer_diff");
    TCase *tc = tcase_create("diff");
    tcase_set_timeout(tc, 20);
    tcase_add_loop_test(tc, test_differential, 0, (int)(sizeof starts / sizeof starts[0]));
    tcase_add_loop_test(tc, test_differential_same_start, 0, 4);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
