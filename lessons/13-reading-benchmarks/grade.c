/* grade.c: lesson 13's grader -- the summary of repetitions and the verdict between two figures, on fixed inputs. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

/* stat_of: a figure with only its median set, for the verdict tests. */
static l13_stat stat_of(double median)
{
    return (l13_stat){ .median = median, .min = median, .max = median, .n = 5 };
}

START_TEST(test_odd_count)
{
    const double v[] = { 5, 1, 4, 2, 3 };
    l13_stat st = { 0 };
    ck_assert_int_eq(l13_summarise(v, 5, 0, &st), 0);
    ck_assert_double_eq(st.median, 3);
    ck_assert_double_eq(st.min, 1);
    ck_assert_double_eq(st.max, 5);
    ck_assert_int_eq(st.n, 5);
}
END_TEST

START_TEST(test_even_count)
{
    /* Four repetitions: the median is the mean of the middle two, 2 and 3. */
    const double v[] = { 4, 1, 3, 2 };
    l13_stat st = { 0 };
    ck_assert_int_eq(l13_summarise(v, 4, 0, &st), 0);
    ck_assert_msg(st.median == 2.5, "median of {4,1,3,2} is 2.5 (mean of the middle two), got %g",
                  st.median);
    ck_assert_int_eq(st.n, 4);
}
END_TEST

START_TEST(test_warmup_not_counted)
{
    /* The warm-up ran cold and took 10 times longer: it must not become the max, nor move the
     * median (counted, the median of six values would be 11.5). */
    const double v[] = { 120, 10, 12, 11, 13, 9 };
    l13_stat st = { 0 };
    ck_assert_int_eq(l13_summarise(v, 6, 1, &st), 0);
    ck_assert_msg(st.max == 13, "the warm-up (120) was counted: max %g, expected 13", st.max);
    ck_assert_msg(st.median == 11, "median of {10,12,11,13,9} is 11, got %g", st.median);
    ck_assert_double_eq(st.min, 9);
    ck_assert_int_eq(st.n, 5);
}
END_TEST

START_TEST(test_median_not_mean)
{
    /* One repetition was descheduled for a while: the mean would say 108, the median 10. */
    const double v[] = { 10, 10, 500, 11, 10 };
    l13_stat st = { 0 };
    ck_assert_int_eq(l13_summarise(v, 5, 0, &st), 0);
    ck_assert_msg(st.median == 10, "one slow repetition moved the figure to %g; the median of "
                  "{10,10,500,11,10} is 10", st.median);
    ck_assert_double_eq(st.max, 500);
}
END_TEST

START_TEST(test_input_unchanged)
{
    double v[] = { 3, 9, 1, 7, 5, 2 };
    const double copy[] = { 3, 9, 1, 7, 5, 2 };
    l13_stat st;
    ck_assert_int_eq(l13_summarise(v, 6, 1, &st), 0);
    ck_assert_msg(memcmp(v, copy, sizeof v) == 0,
                  "l13_summarise reordered the caller's samples: sort a copy");
}
END_TEST

START_TEST(test_bad_input)
{
    const double v[] = { 1, 2, 3 };
    const double with_nan[] = { 1, NAN, 3 };
    l13_stat st = { .median = 42, .n = 42 };
    ck_assert_msg(l13_summarise(v, 3, 3, &st) == -EINVAL, "only warm-ups: nothing to summarise");
    ck_assert_msg(l13_summarise(v, 0, 0, &st) == -EINVAL, "no samples at all");
    ck_assert_msg(l13_summarise(with_nan, 3, 0, &st) == -EINVAL, "a NaN sample must be refused");
    ck_assert_msg(l13_summarise(with_nan, 3, 2, &st) == 0, "the NaN was a warm-up: fine");
    ck_assert_double_eq(st.median, 3);
}
END_TEST

START_TEST(test_directions)
{
    const char *lower[] = { "ns", "us", "ms", "B" };
    const char *higher[] = { "MB/s", "wakes/s", "req/s" };
    for (size_t i = 0; i < 4; i++)
        ck_assert_msg(l13_direction(lower[i]) == L13_LOWER_BETTER, "%s: lower is better",
                      lower[i]);
    for (size_t i = 0; i < 3; i++)
        ck_assert_msg(l13_direction(higher[i]) == L13_HIGHER_BETTER, "%s: higher is better",
                      higher[i]);
    ck_assert_msg(l13_direction("wakes/callback") == L13_DESCRIPTIVE,
                  "wakes/callback describes; it does not rank");
}
END_TEST

START_TEST(test_advantage)
{
    l13_stat a = stat_of(100), b = stat_of(150);
    ck_assert_double_eq_tol(l13_advantage(&a, &b, "ns"), 1.5, 1e-9);
    ck_assert_msg(fabs(l13_advantage(&a, &b, "MB/s") - 100.0 / 150.0) < 1e-9,
                  "100 MB/s against 150 MB/s: a did worse (advantage 0.667), got %g",
                  l13_advantage(&a, &b, "MB/s"));
    ck_assert_msg(isnan(l13_advantage(&a, &b, "wakes/callback")), "descriptive: no advantage");
    l13_stat zero = stat_of(0);
    ck_assert_msg(isnan(l13_advantage(&zero, &b, "ns")), "a median of 0 cannot be divided by");
}
END_TEST

START_TEST(test_verdicts)
{
    l13_stat fast = stat_of(100), slow = stat_of(150), close = stat_of(105);
    double adv = 0;
    ck_assert_int_eq(l13_verdict(&fast, &slow, "ns", &adv), L13_A);
    ck_assert_double_eq_tol(adv, 1.5, 1e-9);
    ck_assert_msg(l13_verdict(&fast, &slow, "MB/s", &adv) == L13_B,
                  "100 MB/s against 150 MB/s: B did better");
    ck_assert_msg(fabs(adv - 1.5) < 1e-9, "the better side's advantage is >= 1: got %g", adv);
    ck_assert_msg(l13_verdict(&fast, &close, "ns", &adv) == L13_LEVEL,
                  "5%% apart is within the noise of a shared machine: level");
    ck_assert_double_eq_tol(adv, 1.05, 1e-9);
    ck_assert_int_eq(l13_verdict(&slow, &fast, "ns", NULL), L13_B);
    ck_assert_int_eq(l13_verdict(&fast, &slow, "wakes/callback", &adv), L13_NONE);
    ck_assert_msg(isnan(adv), "no verdict: the advantage is NAN");
}
END_TEST

/* Real figures: tk-mt and as from one quick run of `make bench` (bench/results/<run>/results.csv;
 * the repetitions are reconstructed as median, min, max and two values between). */
START_TEST(test_real_lines)
{
    struct {
        const char *what, *unit;
        double tk[5], as[5];
        l13_winner expect;
        double adv;
    } lines[] = {
        { "yield_many yield", "ns", { 41.044, 39.289, 41.335, 41.2, 40.5 },
          { 75.146, 64.148, 92.899, 80.0, 70.0 }, L13_A, 75.146 / 41.044 },
        { "tcp_echo throughput", "MB/s", { 888.504, 877.748, 940.562, 900.0, 880.0 },
          { 776.64, 767.363, 891.405, 780.0, 770.0 }, L13_A, 888.504 / 776.64 },
        { "idle_task_memory per_task", "B", { 328.049, 328.049, 328.704, 328.049, 328.2 },
          { 457.523, 456.376, 459.325, 457.6, 457.0 }, L13_A, 457.523 / 328.049 },
        { "timer_churn rearm", "ns", { 192.863, 187.467, 194.416, 193.0, 190.0 },
          { 191.218, 176.547, 206.332, 195.0, 185.0 }, L13_LEVEL, 192.863 / 191.218 },
        { "cross_thread_wake wakes", "wakes/s", { 103738, 102736, 108387, 104000, 103000 },
          { 105429, 41281, 115852, 110000, 100000 }, L13_LEVEL, 105429.0 / 103738.0 },
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        l13_stat tk, as;
        double adv = 0;
        ck_assert_int_eq(l13_summarise(lines[i].tk, 5, 0, &tk), 0);
        ck_assert_int_eq(l13_summarise(lines[i].as, 5, 0, &as), 0);
        l13_winner w = l13_verdict(&tk, &as, lines[i].unit, &adv);
        ck_assert_msg(w == lines[i].expect && fabs(adv - lines[i].adv) < 1e-6,
                      "%s: tk-mt %g vs as %g %s: expected verdict %d by %.3fx, got %d by %.3fx",
                      lines[i].what, tk.median, as.median, lines[i].unit, lines[i].expect,
                      lines[i].adv, w, adv);
    }
}
END_TEST

/* main: run the checks; the exit status is the grade. */
int main(void)
{
    Suite *s = suite_create("lesson13");
    TCase *tc = tcase_create("reading");
    tcase_add_test(tc, test_odd_count);
    tcase_add_test(tc, test_even_count);
    tcase_add_test(tc, test_warmup_not_counted);
    tcase_add_test(tc, test_median_not_mean);
    tcase_add_test(tc, test_input_unchanged);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_directions);
    tcase_add_test(tc, test_advantage);
    tcase_add_test(tc, test_verdicts);
    tcase_add_test(tc, test_real_lines);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
