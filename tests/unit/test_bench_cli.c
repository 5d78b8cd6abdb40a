/* test_bench_cli.c: rtbench's command line -- bad input exits 2, names the valid choices and runs nothing. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rb_cli.h"
#include "rb_table.h"

/* rb__template: "/tmp/<stem>" and the six placeholder letters mkdtemp/mkstemp replace. */
static void rb__template(char *out, size_t n, const char *stem)
{
    snprintf(out, n, "/tmp/%s%06d", stem, 0);
    for (size_t i = strlen(out) - 6; out[i]; i++)
        out[i] = 'X';
}

/* rb__parse: rb_cli_parse on a NULL-terminated list; what it wrote to its error stream -> err. */
static int rb__parse(const char *const *args, rb_options *o, char *err, size_t n)
{
    char *argv[32];
    int argc = 0;
    while (args[argc] != NULL && argc < 31) {
        argv[argc] = (char *)args[argc];
        argc++;
    }
    argv[argc] = NULL;
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    int rc = rb_cli_parse(argc, argv, o, f);
    rewind(f);
    size_t got = fread(err, 1, n - 1, f);
    err[got] = '\0';
    fclose(f);
    return rc;
}

/* rb__assert_names: the error text lists every workload, every runtime and the sizes. */
static void rb__assert_names(const char *err)
{
    ck_assert_ptr_nonnull(strstr(err, "valid workloads:"));
    ck_assert_ptr_nonnull(strstr(err, "valid runtimes:"));
    ck_assert_ptr_nonnull(strstr(err, "valid sizes: quick full"));
    for (size_t i = 0; i < rb_nworkloads; i++)
        ck_assert_msg(strstr(err, rb_workloads[i].name) != NULL, "%s not listed",
                      rb_workloads[i].name);
    for (size_t i = 0; i < rb_nruntimes; i++)
        ck_assert_msg(strstr(err, rb_runtimes[i].name) != NULL, "%s not listed",
                      rb_runtimes[i].name);
}

START_TEST(test_unknown_workload)
{
    static char err[8192];
    rb_options o;
    const char *args[] = { "rtbench", "run", "--workload", "sock_ping_pong,nope", NULL };
    ck_assert_int_eq(rb__parse(args, &o, err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "unknown workload 'nope'"));
    rb__assert_names(err);
}
END_TEST

START_TEST(test_unknown_runtime)
{
    static char err[8192];
    rb_options o;
    const char *args[] = { "rtbench", "run", "--runtime", "tokio", NULL };
    ck_assert_int_eq(rb__parse(args, &o, err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "unknown runtime 'tokio'"));
    rb__assert_names(err);
}
END_TEST

START_TEST(test_unknown_size)
{
    static char err[8192];
    rb_options o;
    const char *huge[] = { "rtbench", "run", "--size", "huge", NULL };
    const char *smoke[] = { "rtbench", "run", "--size", "smoke", NULL };
    ck_assert_int_eq(rb__parse(huge, &o, err, sizeof err), 2);
    ck_assert_ptr_nonnull(strstr(err, "unknown size 'huge'"));
    rb__assert_names(err);
    ck_assert_int_eq(rb__parse(smoke, &o, err, sizeof err), 2);
}
END_TEST

START_TEST(test_bad_numbers)
{
    static char err[8192];
    static const char *const bad[][2] = {
        { "--reps", "0" },       { "--reps", "-1" },      { "--reps", "5x" },
        { "--reps", "" },        { "--reps", "1001" },    { "--reps", " 5" },
        { "--reps", "99999999999999999999999" },          { "--timeout", "0" },
        { "--timeout", "1e3" },  { "--timeout", "2.5" },  { "--timeout", "86401" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rb_options o;
        const char *args[] = { "rtbench", "run", bad[i][0], bad[i][1], NULL };
        ck_assert_msg(rb__parse(args, &o, err, sizeof err) == 2, "%s '%s' accepted", bad[i][0],
                      bad[i][1]);
        rb__assert_names(err);
    }
}
END_TEST

START_TEST(test_other_bad_input)
{
    static char err[8192];
    static const char *const cases[][6] = {
        { "rtbench", NULL },
        { "rtbench", "bench", NULL },
        { "rtbench", "list", "extra", NULL },
        { "rtbench", "run", "--fast", NULL },
        { "rtbench", "run", "--reps", NULL },
        { "rtbench", "run", "--reps", "3", "--reps", "4" },
        { "rtbench", "run", "stray", NULL },
        { "rtbench", "run", "--workload", ",", NULL },
        { "rtbench", "run", "--workload", "bench_c,", NULL },
        { "rtbench", "run", "--smoke", "--size", "quick", NULL },
        { "rtbench", "run", "--smoke", "--smoke", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rb_options o;
        const char *args[7] = { 0 };
        memcpy(args, cases[i], sizeof cases[i]);
        ck_assert_msg(rb__parse(args, &o, err, sizeof err) == 2, "case %zu accepted", i);
        rb__assert_names(err);
    }
}
END_TEST

START_TEST(test_defaults_and_choices)
{
    static char err[8192];
    rb_options o;
    const char *plain[] = { "rtbench", "run", NULL };
    ck_assert_int_eq(rb__parse(plain, &o, err, sizeof err), 0);
    ck_assert_int_eq(o.cmd, RB_CMD_RUN);
    ck_assert_int_eq(o.size, RB_SIZE_QUICK);
    ck_assert_int_eq(o.reps, 5);
    ck_assert_int_eq(o.warmup, 1);
    ck_assert(o.timeout > 0);
    ck_assert_ptr_null(o.out);
    for (size_t i = 0; i < rb_nworkloads; i++)
        ck_assert(o.want_w[i]);
    for (size_t i = 0; i < rb_nruntimes; i++)
        ck_assert(o.want_rt[i]);

    const char *chosen[] = { "rtbench", "run", "--workload=bench_c,tcp_echo", "--runtime", "libev",
                             "--size", "full", "--reps", "7", "--timeout=9", "--out", "/x", NULL };
    ck_assert_int_eq(rb__parse(chosen, &o, err, sizeof err), 0);
    ck_assert_int_eq(o.size, RB_SIZE_FULL);
    ck_assert_int_eq(o.reps, 7);
    ck_assert(o.timeout == 9.0);
    ck_assert_str_eq(o.out, "/x");
    for (size_t i = 0; i < rb_nworkloads; i++)
        ck_assert_int_eq(o.want_w[i], strcmp(rb_workloads[i].name, "bench_c") == 0 ||
                                          strcmp(rb_workloads[i].name, "tcp_echo") == 0);
    for (size_t i = 0; i < rb_nruntimes; i++)
        ck_assert_int_eq(o.want_rt[i], strcmp(rb_runtimes[i].name, "libev") == 0);

    const char *smoke[] = { "rtbench", "run", "--smoke", NULL };
    ck_assert_int_eq(rb__parse(smoke, &o, err, sizeof err), 0);
    ck_assert_int_eq(o.size, RB_SIZE_SMOKE);
    ck_assert_int_eq(o.reps, 1);
    ck_assert_int_eq(o.warmup, 0);

    const char *list[] = { "rtbench", "list", NULL };
    ck_assert_int_eq(rb__parse(list, &o, err, sizeof err), 0);
    ck_assert_int_eq(o.cmd, RB_CMD_LIST);
}
END_TEST

/* rb__quiet: point fd 1 and 2 at /dev/null, so rb_main's complaints do not clutter the log. */
static void rb__quiet(void)
{
    int fd = open("/dev/null", O_WRONLY);
    ck_assert_int_ge(fd, 0);
    fflush(stdout);
    fflush(stderr);
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
}

START_TEST(test_bad_input_runs_nothing)
{
    char dir[64];
    rb__template(dir, sizeof dir, "rb_test_cli");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char out[128];
    snprintf(out, sizeof out, "%s/results", dir);
    rb__quiet();
    const char *const cases[][7] = {
        { "rtbench", "run", "--out", out, "--workload", "nope", NULL },
        { "rtbench", "run", "--out", out, "--reps", "0", NULL },
        { "rtbench", "run", "--out", out, "--size", "medium", NULL },
        { "rtbench", "run", "--out", out, "--runtime", "go", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[8];
        int argc = 0;
        while (cases[i][argc] != NULL) {
            argv[argc] = (char *)cases[i][argc];
            argc++;
        }
        argv[argc] = NULL;
        ck_assert_int_eq(rb_main(argc, argv), 2);
        struct stat st;
        ck_assert_msg(stat(out, &st) != 0, "case %zu created its output directory", i);
    }
    rmdir(dir);
}
END_TEST

START_TEST(test_list_names_everything)
{
    static char text[16384];
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    rb_cli_list(f);
    rewind(f);
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    for (size_t i = 0; i < rb_nworkloads; i++) {
        ck_assert_ptr_nonnull(strstr(text, rb_workloads[i].name));
        for (int m = 0; m < rb_workloads[i].nmetrics; m++)
            ck_assert_ptr_nonnull(strstr(text, rb_workloads[i].metrics[m].name));
    }
    for (size_t i = 0; i < rb_nruntimes; i++) {
        ck_assert_ptr_nonnull(strstr(text, rb_runtimes[i].name));
        ck_assert_ptr_nonnull(strstr(text, rb_runtimes[i].exe));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bench_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_unknown_workload);
    tcase_add_test(tc, test_unknown_runtime);
    tcase_add_test(tc, test_unknown_size);
    tcase_add_test(tc, test_bad_numbers);
    tcase_add_test(tc, test_other_bad_input);
    tcase_add_test(tc, test_defaults_and_choices);
    tcase_add_test(tc, test_bad_input_runs_nothing);
    tcase_add_test(tc, test_list_names_everything);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
