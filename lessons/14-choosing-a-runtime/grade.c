/* grade.c: lesson 14's grader -- the measuring protocol on scripted contenders, then one real row whose ratio is known by construction. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exercise.h"

/* A scripted contender: returns its figures in order and logs its letter at every call, so the
 * grader sees the order of the repetitions and which figures were kept. */
typedef struct script {
    char letter;
    const double *figures;
    int nfigures;
    int calls;
    char *log; /* shared by both sides */
} script;

/* script_run: the next figure of the script (the last one again when it runs out). */
static double script_run(void *arg)
{
    script *s = arg;
    size_t n = strlen(s->log);
    if (n < 255) {
        s->log[n] = s->letter;
        s->log[n + 1] = '\0';
    }
    int i = s->calls < s->nfigures ? s->calls : s->nfigures - 1;
    s->calls++;
    return s->figures[i];
}

/* measure: l14_measure_row on two scripts; returns its result, fills *row and log. */
static int measure(const double *fa, int na, const double *fb, int nb, int reps, l14_row *row,
                   char *log)
{
    log[0] = '\0';
    script sa = { 'a', fa, na, 0, log }, sb = { 'b', fb, nb, 0, log };
    l14_contender a = { "A", script_run, &sa }, b = { "B", script_run, &sb };
    return l14_measure_row(&a, &b, reps, row);
}

START_TEST(test_interleaved_with_warmup)
{
    const double one[] = { 10 };
    char log[256];
    l14_row row;
    ck_assert_int_eq(measure(one, 1, one, 1, 5, &row, log), 0);
    ck_assert_msg(strcmp(log, "abababababab") == 0,
                  "expected a warm-up of a and of b, then 5 rounds of a-then-b "
                  "(\"abababababab\"); the calls were \"%s\"", log);
}
END_TEST

START_TEST(test_warmup_not_kept)
{
    /* Both warm-ups ran cold (1000): neither may reach the figures. */
    const double a[] = { 1000, 10, 12, 11, 13, 9 }, b[] = { 1000, 20, 22, 21, 23, 19 };
    char log[256];
    l14_row row;
    ck_assert_int_eq(measure(a, 6, b, 6, 5, &row, log), 0);
    ck_assert_msg(row.a.max == 13 && row.b.max == 23,
                  "a warm-up was kept: max of a %g (expected 13), of b %g (expected 23)",
                  row.a.max, row.b.max);
    ck_assert_msg(row.a.median == 11 && row.b.median == 21, "medians %g and %g, expected 11, 21",
                  row.a.median, row.b.median);
    ck_assert_int_eq(row.a.n, 5);
    ck_assert_int_eq(row.b.n, 5);
}
END_TEST

START_TEST(test_median_not_mean)
{
    /* One of a's repetitions was descheduled (900): the mean would make a look worse than b. */
    const double a[] = { 50, 100, 900, 100, 100, 100 }, b[] = { 50, 150, 150, 150, 150, 150 };
    char log[256];
    l14_row row;
    ck_assert_int_eq(measure(a, 6, b, 6, 5, &row, log), 0);
    ck_assert_msg(row.a.median == 100, "a's figure is the median, 100, got %g", row.a.median);
    ck_assert_msg(row.ratio > 0.66 && row.ratio < 0.67, "ratio %g, expected 100/150", row.ratio);
    ck_assert_msg(row.better != NULL && strcmp(row.better, "A") == 0,
                  "a costs 100 against b's 150: a is better, got \"%s\"",
                  row.better ? row.better : "(null)");
}
END_TEST

START_TEST(test_verdicts)
{
    const double cheap[] = { 100 }, dear[] = { 150 }, close[] = { 105 };
    char log[256];
    l14_row row;
    ck_assert_int_eq(measure(dear, 1, cheap, 1, 3, &row, log), 0);
    ck_assert_msg(row.better && strcmp(row.better, "B") == 0, "b cheaper: got \"%s\"",
                  row.better ? row.better : "(null)");
    ck_assert_int_eq(measure(cheap, 1, close, 1, 3, &row, log), 0);
    ck_assert_msg(row.better && strcmp(row.better, "level") == 0,
                  "100 against 105 is within 1.10x: \"level\", got \"%s\"",
                  row.better ? row.better : "(null)");
    ck_assert_int_eq(measure(close, 1, cheap, 1, 3, &row, log), 0);
    ck_assert_msg(row.better && strcmp(row.better, "level") == 0,
                  "105 against 100: \"level\", got \"%s\"", row.better ? row.better : "(null)");
}
END_TEST

START_TEST(test_refuses)
{
    const double one[] = { 10 }, broken[] = { 10, 10, 0 };
    char log[256];
    l14_row row;
    ck_assert_msg(measure(one, 1, one, 1, 0, &row, log) == -EINVAL && log[0] == '\0',
                  "reps = 0: -EINVAL, and nothing run (ran \"%s\")", log);
    ck_assert_msg(measure(one, 1, one, 1, 65, &row, log) == -EINVAL && log[0] == '\0',
                  "reps = 65: -EINVAL, and nothing run (ran \"%s\")", log);
    ck_assert_msg(measure(one, 1, broken, 3, 5, &row, log) == -EINVAL,
                  "b's second measured repetition failed (0): -EINVAL");
    ck_assert_msg(strcmp(log, "ababab") == 0,
                  "measuring stops at the failed repetition: calls \"%s\", expected \"ababab\"",
                  log);
}
END_TEST

/*
 * A real workload whose ratio is known by construction: yield_many on tk current_thread, b's
 * batch doing YIELD_FACTOR times as many yields as a's. The figure is the batch's CPU time on
 * this thread (current_thread runs everything here), not its wall time: on a loaded machine a
 * long batch is more likely to be preempted than a short one, which would bias a wall-time
 * ratio, while a preempted thread accumulates no CPU time. The bench measures wall time and
 * leans on medians instead; a grader must not fail because the machine is busy.
 */
enum { YIELD_TASKS = 200, YIELDS = 250, YIELD_FACTOR = 4 };

/* thread_cpu_ms: CPU time of the calling thread, in ms. */
static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* batch_run: one repetition: CPU ms for a batch of YIELD_TASKS x (*arg) yields. */
static double batch_run(void *arg)
{
    uint64_t yields = *(const uint64_t *)arg;
    double t0 = thread_cpu_ms();
    kit_yield_many(KIT_TK_CT, YIELD_TASKS, yields);
    return thread_cpu_ms() - t0;
}

START_TEST(test_real_row)
{
    uint64_t small = YIELDS, big = YIELDS * YIELD_FACTOR;
    l14_contender a = { "tk-ct x1", batch_run, &small }, b = { "tk-ct x4", batch_run, &big };
    l14_row row;
    ck_assert_int_eq(l14_measure_row(&a, &b, 7, &row), 0);
    /* Four times the yields: the ratio should be near 0.25 (a little more: building and
     * freeing the runtime is the same fixed cost in both). */
    ck_assert_msg(row.ratio > 0.12 && row.ratio < 0.50,
                  "a batch of 4x the yields should cost about 4x: ratio %.3f (a %.3f ms, b %.3f "
                  "ms)", row.ratio, row.a.median, row.b.median);
    ck_assert_msg(row.better && strcmp(row.better, "tk-ct x1") == 0, "better: \"%s\"",
                  row.better ? row.better : "(null)");
    ck_assert_int_eq(row.a.n, 7);
}
END_TEST

/* main: run the checks; the exit status is the grade. */
int main(void)
{
    Suite *s = suite_create("lesson14");
    TCase *tc = tcase_create("measuring");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_interleaved_with_warmup);
    tcase_add_test(tc, test_warmup_not_kept);
    tcase_add_test(tc, test_median_not_mean);
    tcase_add_test(tc, test_verdicts);
    tcase_add_test(tc, test_refuses);
    tcase_add_test(tc, test_real_row);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
