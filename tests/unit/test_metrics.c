/* test_metrics.c: the shared metrics table -- totals, and "-" for counters a flavour lacks. */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_metrics.h"
#include "rt_testkit.h"

/* dump_to_string: run rt_metrics_dump into a memory buffer. */
static char *dump_to_string(const rt_runtime_metrics *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    rt_metrics_dump(m, f);
    fclose(f);
    return buf;
}

START_TEST(test_totals_and_rows)
{
    rt_worker_metrics w[2];
    memset(w, 0, sizeof w);
    rt_metrics_add(&w[0].polls, 5);
    rt_metrics_add(&w[1].polls, 7);
    rt_metrics_add(&w[1].steal_operations, 2);
    rt_metrics_add(&w[0].lifo_hits, 3);
    rt_runtime_metrics m = { .flavour = "test", .features = RT_METRICS_HAS_LIFO | RT_METRICS_HAS_BUDGET,
                             .workers = 2, .per_worker = w, .global_queue_depth = 4 };
    ck_assert_uint_eq(rt_metrics_total(&m, offsetof(rt_worker_metrics, polls)), 12);
    ck_assert_uint_eq(rt_metrics_total(&m, offsetof(rt_worker_metrics, steal_operations)), 2);
    char *out = dump_to_string(&m);
    ck_assert_ptr_nonnull(strstr(out, "runtime metrics: test, 2 workers"));
    char *polls = strstr(out, "  polls");
    ck_assert_ptr_nonnull(polls);
    long a, b, total;
    ck_assert_int_eq(sscanf(polls, "  polls %ld %ld %ld", &a, &b, &total), 3);
    ck_assert_int_eq(a, 5);
    ck_assert_int_eq(b, 7);
    ck_assert_int_eq(total, 12);
    ck_assert_ptr_nonnull(strstr(out, "global_queue_depth     4"));
    free(out);
}
END_TEST

START_TEST(test_absent_features_print_dash)
{
    rt_worker_metrics w;
    memset(&w, 0, sizeof w);
    rt_runtime_metrics m = { .flavour = "as", .features = 0, .workers = 1, .per_worker = &w };
    char *out = dump_to_string(&m);
    char *lifo = strstr(out, "  lifo_hits");
    ck_assert_ptr_nonnull(lifo);
    char *eol = strchr(lifo, '\n');
    *eol = '\0';
    ck_assert_ptr_nonnull(strchr(lifo, '-'));
    ck_assert_ptr_null(strchr(lifo, '0'));
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("dump");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_totals_and_rows);
    tcase_add_test(tc, test_absent_features_print_dash);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
