/* test_bench_stats.c: rtbench's arithmetic and writing -- stats, ratios, CSV, plan, formats, wrk, targets, report text. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rb_csv.h"
#include "rb_doc.h"
#include "rb_fmt.h"
#include "rb_http.h"
#include "rb_machine.h"
#include "rb_plan.h"
#include "rb_ratio.h"
#include "rb_results.h"
#include "rb_stats.h"
#include "rb_summary.h"
#include "rb_targets.h"
#include "rt_alloc.h"

/* rb__template: "/tmp/<stem>" and the six placeholder letters mkdtemp/mkstemp replace. */
static void rb__template(char *out, size_t n, const char *stem)
{
    snprintf(out, n, "/tmp/%s%06d", stem, 0);
    for (size_t i = strlen(out) - 6; out[i]; i++)
        out[i] = 'X';
}

START_TEST(test_median_of_known_inputs)
{
    rb_stat st;
    const double odd[] = { 5, 1, 4, 2, 3 };
    ck_assert_int_eq(rb_stats_compute(odd, 5, &st), 0);
    ck_assert(st.median == 3 && st.min == 1 && st.max == 5 && st.n == 5);
    ck_assert(odd[0] == 5 && odd[4] == 3); /* the input is left as it was */
    const double even[] = { 10, 40, 20, 30 };
    ck_assert_int_eq(rb_stats_compute(even, 4, &st), 0);
    ck_assert(st.median == 25 && st.min == 10 && st.max == 40);
    const double one[] = { 7.5 };
    ck_assert_int_eq(rb_stats_compute(one, 1, &st), 0);
    ck_assert(st.median == 7.5 && st.min == 7.5 && st.max == 7.5);
    const double spike[] = { 100, 101, 99, 100, 5000 }; /* one descheduled repetition */
    ck_assert_int_eq(rb_stats_compute(spike, 5, &st), 0);
    ck_assert(st.median == 100 && st.max == 5000);
}
END_TEST

START_TEST(test_stats_rejects_bad_input)
{
    rb_stat st;
    const double with_nan[] = { 1, NAN, 3 };
    ck_assert_int_eq(rb_stats_compute(with_nan, 0, &st), -EINVAL);
    ck_assert_int_eq(rb_stats_compute(with_nan, 3, &st), -EINVAL);
    const double fine[] = { 1, 2, 3 };
    rt_alloc_fail_after(1);
    ck_assert_int_eq(rb_stats_compute(fine, 3, &st), -ENOMEM);
    rt_alloc_fail_after(0);
}
END_TEST

/* rb__select: flags for the named entries (NULL-terminated) of the workload or runtime table. */
static void rb__select(unsigned char *flags, const char *const *names, int workloads)
{
    memset(flags, 0, 32);
    for (; *names; names++) {
        if (workloads)
            flags[rb_workload_index(rb_workload_find(*names))] = 1;
        else
            flags[rb_runtime_index(rb_runtime_find(*names))] = 1;
    }
}

/* rb__ok: mark a row measured with one figure per metric (the same median, min and max given). */
static void rb__ok(rb_results *r, const char *w, int v, const char *rt, double median)
{
    rb_row *row = (rb_row *)rb_results_find(r, rb_workload_find(w), v, rb_runtime_find(rt));
    ck_assert_ptr_nonnull(row);
    for (int m = 0; m < row->c->w->nmetrics; m++)
        row->stat[m] = (rb_stat){ median, median * 0.9, median * 1.2, 5 };
    row->reps = 5;
    rb_row_set(row, RB_ST_OK, NULL);
}

/* rb__plan: a quick plan over the named workloads and runtimes, with empty results. */
static void rb__plan(rb_plan *p, rb_results *r, const char *const *w, const char *const *rt)
{
    unsigned char fw[32], frt[32];
    rb__select(fw, w, 1);
    rb__select(frt, rt, 0);
    ck_assert_int_eq(rb_plan_build(p, fw, frt, RB_SIZE_QUICK, 5, 1), 0);
    ck_assert_int_eq(rb_results_init(r, p), 0);
}

/* rb__slurp: a tmpfile's whole text. */
static void rb__slurp(FILE *f, char *out, size_t n)
{
    rewind(f);
    out[fread(out, 1, n - 1, f)] = '\0';
}

START_TEST(test_csv_rows_and_ratios)
{
    static const char *const w[] = { "sock_ping_pong", NULL };
    static const char *const rt[] = { "tk-ct", "epoll", "tokio-ct", NULL };
    rb_plan p;
    rb_results r;
    rb__plan(&p, &r, w, rt);
    ck_assert_int_eq(r.n, 3);
    rb__ok(&r, "sock_ping_pong", 0, "tk-ct", 110);
    rb__ok(&r, "sock_ping_pong", 0, "epoll", 100);
    rb_row_set((rb_row *)rb_results_find(&r, rb_workload_find("sock_ping_pong"), 0,
                                         rb_runtime_find("tokio-ct")),
               RB_ST_NOTMEASURED, "cargo not found");
    rb_ratio_compute(&r);
    FILE *f = tmpfile();
    ck_assert_int_eq(rb_csv_write(f, &r), 0);
    char text[2048];
    rb__slurp(f, text, sizeof text);
    fclose(f);
    ck_assert_str_eq(text,
        "workload,runtime,size,metric,unit,median,min,max,reps,ratio,ratio_to,note\n"
        "sock_ping_pong,tk-ct,pairs=16 rounds=1000,round_trip,ns,110,99,132,5,1.1,epoll,ok\n"
        "sock_ping_pong,epoll,pairs=16 rounds=1000,round_trip,ns,100,90,120,5,1,epoll,ok\n"
        "sock_ping_pong,tokio-ct,pairs=16 rounds=1000,round_trip,ns,,,,0,,,"
        "not measured: cargo not found\n");
    rb_results_free(&r);
    rb_plan_free(&p);
}
END_TEST

START_TEST(test_csv_quoting)
{
    FILE *f = tmpfile();
    rb_csv_field(f, "plain");
    fputc('|', f);
    rb_csv_field(f, "a,b");
    fputc('|', f);
    rb_csv_field(f, "say \"hi\"");
    fputc('|', f);
    rb_csv_field(f, "two\nlines");
    char text[256];
    rb__slurp(f, text, sizeof text);
    fclose(f);
    ck_assert_str_eq(text, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"");
    char num[32];
    rb_csv_number(num, sizeof num, NAN);
    ck_assert_str_eq(num, "");
    rb_csv_number(num, sizeof num, 4205.2271);
    ck_assert_str_eq(num, "4205.23");
}
END_TEST

START_TEST(test_ratio_references)
{
    static const char *const w[] = { "spawn_many", "timer_churn", "cross_thread_wake", NULL };
    static const char *const rt[] = { "tk-ct", "tk-mt", "as", "libuv", "libev", "epoll",
                                      "tokio-ct", "tokio-mt", NULL };
    rb_plan p;
    rb_results r;
    rb__plan(&p, &r, w, rt);
    rb__ok(&r, "spawn_many", 0, "tk-mt", 80);
    rb__ok(&r, "spawn_many", 0, "tokio-mt", 100);
    rb__ok(&r, "spawn_many", 0, "as", 300); /* async-std not in the plan: no reference */
    rb__ok(&r, "timer_churn", 0, "tk-ct", 150);
    rb__ok(&r, "timer_churn", 0, "tokio-ct", 200);
    rb__ok(&r, "timer_churn", 0, "libuv", 60);
    rb__ok(&r, "timer_churn", 0, "libev", 15);
    rb__ok(&r, "cross_thread_wake", 0, "epoll", 200000);
    rb__ok(&r, "cross_thread_wake", 0, "libev", 100000);
    rb_ratio_compute(&r);
    const rb_row *row;
    const rb_workload *sm = rb_workload_find("spawn_many"), *tc = rb_workload_find("timer_churn"),
                      *ctw = rb_workload_find("cross_thread_wake");
    row = rb_results_find(&r, sm, 0, rb_runtime_find("tk-mt"));
    ck_assert(fabs(row->ratio[0] - 0.8) < 1e-9 && row->ratio_to[0] == rb_runtime_find("tokio-mt"));
    row = rb_results_find(&r, sm, 0, rb_runtime_find("tokio-mt"));
    ck_assert(row->ratio[0] == 1.0 && row->ratio_to[0] == rb_runtime_find("tokio-mt"));
    row = rb_results_find(&r, sm, 0, rb_runtime_find("as"));
    ck_assert(isnan(row->ratio[0]) && row->ratio_to[0] == NULL);
    row = rb_results_find(&r, tc, 0, rb_runtime_find("tk-ct"));
    ck_assert(fabs(row->ratio[0] - 0.75) < 1e-9 && row->ratio_to[0] == rb_runtime_find("tokio-ct"));
    row = rb_results_find(&r, tc, 0, rb_runtime_find("libuv"));
    ck_assert(fabs(row->ratio[0] - 4.0) < 1e-9 && row->ratio_to[0] == rb_runtime_find("libev"));
    row = rb_results_find(&r, tc, 0, rb_runtime_find("tokio-ct"));
    ck_assert(row->ratio_to[0] == rb_runtime_find("libev"));
    row = rb_results_find(&r, ctw, 0, rb_runtime_find("libev"));
    ck_assert(fabs(row->ratio[0] - 0.5) < 1e-9 && row->ratio_to[0] == rb_runtime_find("epoll"));
    ck_assert(isnan(row->ratio[1])); /* coalescing is descriptive */
    ck_assert(fabs(rb_ratio_advantage(&r, sm, 0, 0, rb_runtime_find("tk-mt"),
                                      rb_runtime_find("tokio-mt")) - 1.25) < 1e-9);
    ck_assert(fabs(rb_ratio_advantage(&r, ctw, 0, 0, rb_runtime_find("libev"),
                                      rb_runtime_find("epoll")) - 0.5) < 1e-9);
    rb_results_free(&r);
    rb_plan_free(&p);
}
END_TEST

START_TEST(test_targets_verdicts)
{
    static const char *const w[] = { "sock_ping_pong", NULL };
    static const char *const rt[] = { "tk-ct", "epoll", NULL };
    rb_plan p;
    rb_results r;
    rb_target t[RB_NTARGETS];
    rb__plan(&p, &r, w, rt);
    rb__ok(&r, "sock_ping_pong", 0, "tk-ct", 105);
    rb__ok(&r, "sock_ping_pong", 0, "epoll", 100);
    rb_ratio_compute(&r);
    rb_targets_eval(&r, t);
    ck_assert_int_eq(t[0].verdict, RB_MET);
    ck_assert_int_eq(t[2].verdict, RB_UNMEASURED); /* million_timers not in the plan */
    rb__ok(&r, "sock_ping_pong", 0, "tk-ct", 120);
    rb_targets_eval(&r, t);
    ck_assert_int_eq(t[0].verdict, RB_MISSED);
    ck_assert_ptr_nonnull(strstr(t[0].measured, "1.20"));
    ck_assert(t[0].why[0] != '\0');
    rb_row_set((rb_row *)rb_results_find(&r, rb_workload_find("sock_ping_pong"), 0,
                                         rb_runtime_find("epoll")), RB_ST_ERROR, "boom");
    rb_targets_eval(&r, t);
    ck_assert_int_eq(t[0].verdict, RB_UNMEASURED);
    ck_assert_ptr_nonnull(strstr(t[0].measured, "error: boom"));
    rb_results_free(&r);
    rb_plan_free(&p);
}
END_TEST

/* A target whose figures are all missing, each with a long reason, must not overflow its text
 * or stop mid-sentence: it ends by pointing at results.csv. */
START_TEST(test_targets_long_text_is_closed)
{
    static const char *const w[] = { "bench_c", NULL };
    static const char *const rt[] = { "tk-ct", "tk-mt", "libev", NULL };
    rb_plan p;
    rb_results r;
    rb_target t[RB_NTARGETS];
    unsigned char fw[32], frt[32];
    rb__select(fw, w, 1);
    rb__select(frt, rt, 0);
    ck_assert_int_eq(rb_plan_build(&p, fw, frt, RB_SIZE_FULL, 5, 1), 0); /* 8 variants of n */
    ck_assert_int_eq(rb_results_init(&r, &p), 0);
    const rb_workload *bc = rb_workload_find("bench_c");
    char note[400];
    for (int v = 0; v < rb_plan_nvariants(bc, RB_SIZE_FULL); v++)
        for (int k = 0; rt[k]; k++) {
            snprintf(note, sizeof note, "not measured: reason %d/%d %0300d", v, k, 0);
            rb_row_set((rb_row *)rb_results_find(&r, bc, v, rb_runtime_find(rt[k])),
                       RB_ST_NOTMEASURED, note);
        }
    rb_ratio_compute(&r);
    rb_targets_eval(&r, t);
    ck_assert_int_eq(t[1].verdict, RB_UNMEASURED);
    size_t len = strnlen(t[1].measured, sizeof t[1].measured);
    ck_assert_uint_lt(len, sizeof t[1].measured);
    const char *tail = "; ... (the rest is in results.csv)";
    ck_assert_uint_ge(len, strlen(tail));
    ck_assert_str_eq(t[1].measured + len - strlen(tail), tail);
    rb_results_free(&r);
    rb_plan_free(&p);
}
END_TEST

START_TEST(test_summary_table)
{
    static const char *const w[] = { "sock_ping_pong", NULL };
    static const char *const rt[] = { "tk-ct", "libuv", "epoll", "tokio-ct", NULL };
    rb_plan p;
    rb_results r;
    rb__plan(&p, &r, w, rt);
    rb__ok(&r, "sock_ping_pong", 0, "tk-ct", 4566);
    rb__ok(&r, "sock_ping_pong", 0, "epoll", 3940);
    rb_row_set((rb_row *)rb_results_find(&r, rb_workload_find("sock_ping_pong"), 0,
                                         rb_runtime_find("libuv")), RB_ST_ERROR, "x");
    rb_row_set((rb_row *)rb_results_find(&r, rb_workload_find("sock_ping_pong"), 0,
                                         rb_runtime_find("tokio-ct")), RB_ST_NOTMEASURED, "y");
    FILE *f = tmpfile();
    rb_summary_print(f, &r);
    char text[4096];
    rb__slurp(f, text, sizeof text);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "4566 "));
    ck_assert_ptr_nonnull(strstr(text, "3940*"));
    ck_assert_ptr_nonnull(strstr(text, "ERR"));
    ck_assert_ptr_nonnull(strstr(text, "n/m"));
    ck_assert_ptr_nonnull(strstr(text, "cases: 2 ok, 0 no equivalent, 1 not measured, 1 error"));
    ck_assert_ptr_null(strstr(text, "libevent")); /* not in the plan: no column */
    rb_results_free(&r);
    rb_plan_free(&p);
}
END_TEST

START_TEST(test_plan_table)
{
    rb_plan p;
    size_t expect = 0;
    ck_assert_int_eq(rb_plan_build(&p, NULL, NULL, RB_SIZE_QUICK, 5, 1), 0);
    for (size_t i = 0; i < rb_nworkloads; i++) {
        for (int s = 0; s < RB_NSIZES; s++)
            ck_assert_msg(rb_plan_nvariants(&rb_workloads[i], s) >= 1, "%s has no %s size",
                          rb_workloads[i].name, rb_size_name(s));
        expect += (size_t)rb_plan_nvariants(&rb_workloads[i], RB_SIZE_QUICK) * rb_nruntimes;
    }
    ck_assert_uint_eq(p.ncases, expect);
    ck_assert_str_eq(p.cases[0].w->name, "sock_ping_pong");
    ck_assert_str_eq(p.cases[0].rt->name, "tk-ct");
    rb_plan_free(&p);
    char label[96];
    const rb_workload *bc = rb_workload_find("bench_c");
    rb_plan_label(bc, RB_SIZE_QUICK, 4, label, sizeof label);
    ck_assert_str_eq(label, "n=1000 timeouts=1");
    rb_plan_label(rb_workload_find("tcp_echo"), RB_SIZE_QUICK, 0, label, sizeof label);
    ck_assert_str_eq(label, "");
    ck_assert(rb_plan_param("n=1000 a=100 w=1000 timeouts=1", "a") == 100);
    ck_assert(rb_plan_param("n=1000 a=100", "w") == -1);
    ck_assert(rb_plan_param("nn=5 n=7", "n") == 7);
    ck_assert_int_eq(rb_size_parse("quick"), RB_SIZE_QUICK);
    ck_assert_int_eq(rb_size_parse("smoke"), -1);
}
END_TEST

START_TEST(test_formats)
{
    char b[32];
    rb_fmt_compact(b, sizeof b, 4205.2);
    ck_assert_str_eq(b, "4205");
    rb_fmt_compact(b, sizeof b, 50217);
    ck_assert_str_eq(b, "50.2k");
    rb_fmt_compact(b, sizeof b, 241945);
    ck_assert_str_eq(b, "242k");
    rb_fmt_compact(b, sizeof b, 1250000);
    ck_assert_str_eq(b, "1.25M");
    rb_fmt_compact(b, sizeof b, 8.314);
    ck_assert_str_eq(b, "8.31");
    rb_fmt_duration(b, sizeof b, 250);
    ck_assert_str_eq(b, "4m10s");
    rb_fmt_duration(b, sizeof b, 45);
    ck_assert_str_eq(b, "45s");
    rb_fmt_duration(b, sizeof b, 3720);
    ck_assert_str_eq(b, "1h02m");
    rb_fmt_ratio(b, sizeof b, 1.1949);
    ck_assert_str_eq(b, "1.19");
    rb_fmt_ratio(b, sizeof b, NAN);
    ck_assert_str_eq(b, "");
    rb_fmt_value(b, sizeof b, 0.93125);
    ck_assert_str_eq(b, "0.931");
}
END_TEST

static const char rb__wrk_ok[] =
    "Running 2s test @ http://127.0.0.1:33619/\n"
    "  1 threads and 32 connections\n"
    "  Thread Stats   Avg      Stdev     Max   +/- Stdev\n"
    "    Latency     1.03ms    1.85ms  29.83ms   88.93%\n"
    "    Req/Sec    48.49k    17.48k   89.71k    75.00%\n"
    "  Latency Distribution\n"
    "     50%  273.00us\n"
    "     75%    1.07ms\n"
    "     90%    3.08ms\n"
    "     99%    8.24ms\n"
    "  97128 requests in 2.01s, 7.23MB read\n"
    "Requests/sec:  48259.65\n"
    "Transfer/sec:      3.59MB\n";

START_TEST(test_wrk_report)
{
    double rps = 0, p99 = 0;
    char why[256], text[1024];
    ck_assert_int_eq(rb_http_parse_wrk(rb__wrk_ok, &rps, &p99, why, sizeof why), 0);
    ck_assert(fabs(rps - 48259.65) < 1e-6);
    ck_assert(fabs(p99 - 8240.0) < 1e-6);
    snprintf(text, sizeof text, "%s", rb__wrk_ok);
    char *at = strstr(text, "8.24ms");
    memcpy(at, "1.50s ", 6);
    ck_assert_int_eq(rb_http_parse_wrk(text, &rps, &p99, why, sizeof why), 0);
    ck_assert(fabs(p99 - 1.5e6) < 1e-3);
    snprintf(text, sizeof text, "%s  Socket errors: connect 0, read 3, write 0, timeout 0\n",
             rb__wrk_ok);
    ck_assert_int_eq(rb_http_parse_wrk(text, &rps, &p99, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "read 3"));
    snprintf(text, sizeof text, "%s  Non-2xx or 3xx responses: 12\n", rb__wrk_ok);
    ck_assert_int_eq(rb_http_parse_wrk(text, &rps, &p99, why, sizeof why), -1);
    ck_assert_int_eq(rb_http_parse_wrk("Running 2s test\n", &rps, &p99, why, sizeof why), -1);
    snprintf(text, sizeof text, "%s", rb__wrk_ok);
    memcpy(strstr(text, "97128"), "    0", 5);
    ck_assert_int_eq(rb_http_parse_wrk(text, &rps, &p99, why, sizeof why), -1);
}
END_TEST

START_TEST(test_lock_version)
{
    const char lock[] = "\n[[package]]\nname = \"tokio\"\nversion = \"1.24.2\"\nsource = \"x\"\n"
                        "\n[[package]]\nname = \"tokio-macros\"\nversion = \"1.8.2\"\n";
    char v[32];
    ck_assert_int_eq(rb_machine_lock_version(lock, "tokio", v, sizeof v), 0);
    ck_assert_str_eq(v, "1.24.2");
    ck_assert_int_eq(rb_machine_lock_version(lock, "tokio-macros", v, sizeof v), 0);
    ck_assert_str_eq(v, "1.8.2");
    ck_assert_int_eq(rb_machine_lock_version(lock, "async-std", v, sizeof v), -1);
}
END_TEST

START_TEST(test_doc_escaping)
{
    char dir[64], path[128], text[4096];
    rb__template(dir, sizeof dir, "rb_test_doc");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    rb_doc d;
    ck_assert_int_eq(rb_doc_open(&d, dir, "r", "a <title> & more"), 0);
    rb_doc_para(&d, "uses `x<y` and **bold**");
    const char *head[2] = { "k", "v" }, *row[2] = { "a|b", "1.5" };
    rb_doc_table_head(&d, 2, head);
    rb_doc_table_row(&d, 2, row);
    rb_doc_table_end(&d);
    ck_assert_int_eq(rb_doc_close(&d), 0);
    snprintf(path, sizeof path, "%s/r.html", dir);
    FILE *f = fopen(path, "r");
    rb__slurp(f, text, sizeof text);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "<title>a &lt;title&gt; &amp; more</title>"));
    ck_assert_ptr_nonnull(strstr(text, "uses <code>x&lt;y</code> and <strong>bold</strong>"));
    ck_assert_ptr_nonnull(strstr(text, "<td class=\"n\">1.5</td>"));
    ck_assert_ptr_nonnull(strstr(text, "</html>"));
    unlink(path);
    snprintf(path, sizeof path, "%s/r.md", dir);
    f = fopen(path, "r");
    rb__slurp(f, text, sizeof text);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "| a\\|b | 1.5 |"));
    unlink(path);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bench_stats");
    TCase *tc = tcase_create("stats");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_median_of_known_inputs);
    tcase_add_test(tc, test_stats_rejects_bad_input);
    tcase_add_test(tc, test_csv_rows_and_ratios);
    tcase_add_test(tc, test_csv_quoting);
    tcase_add_test(tc, test_ratio_references);
    tcase_add_test(tc, test_targets_verdicts);
    tcase_add_test(tc, test_targets_long_text_is_closed);
    tcase_add_test(tc, test_summary_table);
    tcase_add_test(tc, test_plan_table);
    tcase_add_test(tc, test_formats);
    tcase_add_test(tc, test_wrk_report);
    tcase_add_test(tc, test_lock_version);
    tcase_add_test(tc, test_doc_escaping);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
