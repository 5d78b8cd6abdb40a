/* test_bench_runner.c: rtbench running children -- the protocol, time limits that kill the group, and whole cases. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rb_env.h"
#include "rb_http.h"
#include "rb_measure.h"
#include "rb_proc.h"
#include "rb_runner.h"

/* rb__template: "/tmp/<stem>" and the six placeholder letters mkdtemp/mkstemp replace. */
static void rb__template(char *out, size_t n, const char *stem)
{
    snprintf(out, n, "/tmp/%s%06d", stem, 0);
    for (size_t i = strlen(out) - 6; out[i]; i++)
        out[i] = 'X';
}

/* rb__classify: rb_runner_classify for sock_ping_pong (one metric, round_trip in ns). */
static rb_run rb__classify(int code, int sig, int timed_out, const char *out, const char *err)
{
    rb_run run;
    memset(&run, 0, sizeof run);
    rb_runner_classify(rb_workload_find("sock_ping_pong"), 1, code, sig, timed_out, 7.0, out, err,
                       &run);
    return run;
}

START_TEST(test_protocol_outcomes)
{
    rb_run r = rb__classify(0, 0, 0, "metric=round_trip unit=ns value=4205.5\ncheck=ok\n", "");
    ck_assert_int_eq(r.status, RB_ST_OK);
    ck_assert(r.values[0] == 4205.5);
    r = rb__classify(0, 0, 0, "metric=round_trip unit=ns value=1\n", "");
    ck_assert_int_eq(r.status, RB_ST_ERROR);
    ck_assert_ptr_nonnull(strstr(r.why, "without check=ok"));
    r = rb__classify(0, 0, 0, "check=ok\n", "");
    ck_assert_ptr_nonnull(strstr(r.why, "round_trip missing"));
    r = rb__classify(0, 0, 0, "metric=round_trip unit=us value=4\ncheck=ok\n", "");
    ck_assert_ptr_nonnull(strstr(r.why, "unit 'us'"));
    r = rb__classify(0, 0, 0, "metric=round_trip unit=ns value=4\nmetric=round_trip unit=ns "
                               "value=5\ncheck=ok\n", "");
    ck_assert_ptr_nonnull(strstr(r.why, "twice"));
    r = rb__classify(0, 0, 0, "metric=round_trip unit=ns value=nan\ncheck=ok\n", "");
    ck_assert_ptr_nonnull(strstr(r.why, "malformed"));
    r = rb__classify(0, 0, 0, "metric=round_trip unit=ns value=4\nhello\ncheck=ok\n", "");
    ck_assert_ptr_nonnull(strstr(r.why, "unexpected stdout line 'hello'"));
    r = rb__classify(1, 0, 0, "check=fail pair 3 got 7, expected 8\n", "details");
    ck_assert_int_eq(r.status, RB_ST_ERROR);
    ck_assert_str_eq(r.why, "pair 3 got 7, expected 8");
    r = rb__classify(1, 0, 0, "", "\n  socketpair: Too many open files\n");
    ck_assert_ptr_nonnull(strstr(r.why, "socketpair: Too many open files"));
    r = rb__classify(2, 0, 0, "", "rtb-x: unknown key 'pears'\nusage: ...\n");
    ck_assert_str_eq(r.why, "bad invocation (exit 2): rtb-x: unknown key 'pears'");
    r = rb__classify(3, 0, 0, "unsupported: no tasks here\n", "");
    ck_assert_int_eq(r.status, RB_ST_NOEQUIV);
    ck_assert_str_eq(r.why, "no tasks here");
    r = rb__classify(-1, SIGSEGV, 0, "", "");
    ck_assert_int_eq(r.status, RB_ST_ERROR);
    ck_assert_ptr_nonnull(strstr(r.why, "killed by signal 11"));
    r = rb__classify(-1, SIGKILL, 1, "", "");
    ck_assert_str_eq(r.why, "timed out after 7s (process group killed)");
    r = rb__classify(42, 0, 0, "", "");
    ck_assert_str_eq(r.why, "exit 42: (no message)");
}
END_TEST

START_TEST(test_proc_output_and_exit)
{
    rb_proc p;
    char *argv[] = { "/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL };
    ck_assert_int_eq(rb_proc_spawn(&p, argv), 0);
    ck_assert_int_eq(rb_proc_finish(&p, rb_now() + 10), 0);
    ck_assert_int_eq(rb_proc_exit_code(&p), 3);
    ck_assert_str_eq(rb_buf_str(&p.out), "out\n");
    ck_assert_str_eq(rb_buf_str(&p.err), "err\n");
    rb_proc_free(&p);
    char *missing[] = { "/nonexistent/rtb-nothing", NULL };
    ck_assert_int_eq(rb_proc_spawn(&p, missing), -ENOENT);
    rb_proc_free(&p);
}
END_TEST

/* rb__gone: the process is dead (absent, or a zombie waiting for its new parent to reap it). */
static int rb__gone(pid_t pid)
{
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 1;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *close = strrchr(stat, ')');
    return close != NULL && (close[2] == 'Z' || close[2] == 'X');
}

START_TEST(test_timeout_kills_the_group)
{
    char pidfile[64];
    rb__template(pidfile, sizeof pidfile, "rb_test_pid");
    int fd = mkstemp(pidfile);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char script[256];
    snprintf(script, sizeof script, "sleep 60 & echo $! > %s; wait", pidfile);
    char *argv[] = { "/bin/sh", "-c", script, NULL };
    rb_proc p;
    ck_assert_int_eq(rb_proc_spawn(&p, argv), 0);
    double start = rb_now();
    ck_assert_int_eq(rb_proc_finish(&p, start + 0.5), -ETIMEDOUT);
    ck_assert(p.timed_out);
    ck_assert(rb_now() - start >= 0.5);
    ck_assert_int_eq(rb_proc_term_signal(&p), SIGKILL);
    rb_proc_free(&p);
    FILE *f = fopen(pidfile, "r");
    int child = 0;
    ck_assert_int_eq(fscanf(f, "%d", &child), 1);
    fclose(f);
    unlink(pidfile);
    /* SIGKILL is asynchronous: allow the grandchild up to 5 s to die (hang guard only) */
    for (int i = 0; i < 500 && !rb__gone(child); i++) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(rb__gone(child), "the workload's own child %d survived the timeout", child);
}
END_TEST

START_TEST(test_wait_line_then_term)
{
    char *argv[] = { "/bin/sh", "-c", "echo ready port=4321; exec sleep 60", NULL };
    rb_proc p;
    ck_assert_int_eq(rb_proc_spawn(&p, argv), 0);
    ck_assert_int_eq(rb_proc_wait_line(&p, "ready port=", rb_now() + 10), 1);
    rb_proc_signal(&p, SIGTERM);
    ck_assert_int_eq(rb_proc_finish(&p, rb_now() + 10), 0);
    ck_assert_int_eq(rb_proc_term_signal(&p), SIGTERM);
    rb_proc_free(&p);
}
END_TEST

/* rb__script: write an executable shell script `name` into dir. */
static void rb__script(const char *dir, const char *name, const char *body)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    ck_assert_int_eq(chmod(path, 0755), 0);
}

/* rb__env: an environment whose executables are the test's scripts, with no cargo and no wrk. */
static void rb__env(rb_env *e, const char *dir)
{
    memset(e, 0, sizeof *e);
    snprintf(e->root, sizeof e->root, "%s", dir);
    snprintf(e->bin_dir, sizeof e->bin_dir, "%s", dir);
    snprintf(e->tools_dir, sizeof e->tools_dir, "%s", dir);
    e->workers = 2;
}

START_TEST(test_measure_whole_cases)
{
    char dir[64], body[1024], path[256];
    rb__template(dir, sizeof dir, "rb_test_bin");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* epoll: a warm-up of 1000, then 5 1 4 2 3 -- the median is 3 whatever the order */
    snprintf(body, sizeof body,
             "echo \"$@\" >> %s/args.log\n"
             "n=$(cat %s/count 2>/dev/null || echo 0); echo $((n + 1)) > %s/count\n"
             "set -- 1000 5 1 4 2 3; shift $n\n"
             "echo metric=round_trip unit=ns value=$1; echo check=ok", dir, dir, dir);
    rb__script(dir, "rtb-epoll", body);
    rb__script(dir, "rtb-libuv", "echo 'unsupported: not in this loop'; exit 3");
    rb__script(dir, "rtb-libev", "exec sleep 60");
    rb__script(dir, "rtb-libevent", "echo 'check=fail lost a message'; exit 1");
    rb__script(dir, "rtb-uring", "echo metric=round_trip unit=us value=3; echo check=ok");
    snprintf(body, sizeof body, "echo \"$@\" > %s/as.args; echo metric=round_trip unit=ns "
             "value=9; echo check=ok", dir);
    rb__script(dir, "rtb-as", body);
    unsigned char w[32] = { 0 }, rt[32] = { 0 };
    w[rb_workload_index(rb_workload_find("sock_ping_pong"))] = 1;
    const char *names[] = { "epoll", "libuv", "libev", "libevent", "uring", "tk-ct", "tokio-ct",
                            "as" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        rt[rb_runtime_index(rb_runtime_find(names[i]))] = 1;
    rb_plan plan;
    rb_results res;
    ck_assert_int_eq(rb_plan_build(&plan, w, rt, RB_SIZE_QUICK, 5, 1), 0);
    ck_assert_int_eq(rb_results_init(&res, &plan), 0);
    rb_env env;
    rb__env(&env, dir);
    FILE *progress = tmpfile();
    ck_assert_int_eq(rb_measure(&env, &res, 1.0, progress), 0);
    const rb_workload *spp = rb_workload_find("sock_ping_pong");
    const rb_row *row = rb_results_find(&res, spp, 0, rb_runtime_find("epoll"));
    ck_assert_int_eq(row->status, RB_ST_OK);
    ck_assert(row->stat[0].median == 3 && row->stat[0].min == 1 && row->stat[0].max == 5);
    ck_assert_int_eq(row->reps, 5);
    row = rb_results_find(&res, spp, 0, rb_runtime_find("libuv"));
    ck_assert_str_eq(row->note, "no equivalent: not in this loop");
    row = rb_results_find(&res, spp, 0, rb_runtime_find("libev"));
    ck_assert_str_eq(row->note, "error: timed out after 1s (process group killed)");
    row = rb_results_find(&res, spp, 0, rb_runtime_find("libevent"));
    ck_assert_str_eq(row->note, "error: lost a message");
    row = rb_results_find(&res, spp, 0, rb_runtime_find("uring"));
    ck_assert_int_eq(row->status, RB_ST_ERROR);
    row = rb_results_find(&res, spp, 0, rb_runtime_find("tk-ct"));
    ck_assert_int_eq(row->status, RB_ST_NOTMEASURED);
    ck_assert_ptr_nonnull(strstr(row->note, "not built"));
    row = rb_results_find(&res, spp, 0, rb_runtime_find("tokio-ct"));
    ck_assert_str_eq(row->note, "not measured: cargo not found");
    row = rb_results_find(&res, spp, 0, rb_runtime_find("as"));
    ck_assert_int_eq(row->status, RB_ST_OK);

    char text[8192];
    snprintf(path, sizeof path, "%s/args.log", dir);
    FILE *f = fopen(path, "r");
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    ck_assert_str_eq(text, "sock_ping_pong pairs=16 rounds=1000\nsock_ping_pong pairs=16 "
                           "rounds=1000\nsock_ping_pong pairs=16 rounds=1000\nsock_ping_pong "
                           "pairs=16 rounds=1000\nsock_ping_pong pairs=16 rounds=1000\n"
                           "sock_ping_pong pairs=16 rounds=1000\n");
    snprintf(path, sizeof path, "%s/as.args", dir);
    f = fopen(path, "r");
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    ck_assert_str_eq(text, "sock_ping_pong --workers 2 pairs=16 rounds=1000\n");
    rewind(progress);
    text[fread(text, 1, sizeof text - 1, progress)] = '\0';
    fclose(progress);
    ck_assert_ptr_nonnull(strstr(text, "[1/"));
    ck_assert_ptr_nonnull(strstr(text, "sock_ping_pong epoll quick pairs=16 rounds=1000 warm-up"));
    ck_assert_ptr_nonnull(strstr(text, "rep 5/5 ... ETA "));
    rb_results_free(&res);
    rb_plan_free(&plan);
    const char *files[] = { "rtb-epoll", "rtb-libuv", "rtb-libev", "rtb-libevent", "rtb-uring",
                            "rtb-as", "args.log", "count", "as.args" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}
END_TEST

START_TEST(test_http_gaps)
{
    char dir[64], path[256];
    rb__template(dir, sizeof dir, "rb_test_http");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    rb__script(dir, "rtb-uring", "echo 'unsupported: no http here'; exit 3");
    rb__script(dir, "rtb-epoll", "echo 'check=fail cannot listen'; exit 1");
    rb_env env;
    rb__env(&env, dir);
    rb_case c = { rb_workload_find("http_hello"), rb_runtime_find("uring"), 0,
                  "threads=1 conns=4 secs=1" };
    rb_run run;
    rb_runner_run(&env, &c, 5.0, &run);
    ck_assert_int_eq(run.status, RB_ST_NOTMEASURED); /* no wrk in this environment */
    ck_assert_ptr_nonnull(strstr(run.why, "wrk not found"));
    env.have_wrk = 1;
    rb_runner_run(&env, &c, 5.0, &run);
    ck_assert_int_eq(run.status, RB_ST_NOEQUIV);
    ck_assert_str_eq(run.why, "no http here");
    c.rt = rb_runtime_find("epoll");
    rb_runner_run(&env, &c, 5.0, &run);
    ck_assert_int_eq(run.status, RB_ST_ERROR);
    ck_assert_str_eq(run.why, "cannot listen");
    snprintf(path, sizeof path, "%s/rtb-uring", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/rtb-epoll", dir);
    unlink(path);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bench_runner");
    TCase *tc = tcase_create("runner");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_protocol_outcomes);
    tcase_add_test(tc, test_proc_output_and_exit);
    tcase_add_test(tc, test_timeout_kills_the_group);
    tcase_add_test(tc, test_wait_line_then_term);
    tcase_add_test(tc, test_measure_whole_cases);
    tcase_add_test(tc, test_http_gaps);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
