/* test_as_examples.c: the as examples' transcripts, exit codes and timing, and exit with tasks still pending. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "example_kit.h"
#include "rt_testkit.h"

/*
 * Each example is run as its own process, the way a student runs it. The binaries of build
 * variant V sit in <build>/V/examples (normal: <build>/examples); this test finds them from its
 * own path (<build>/V/tests/test_as_examples), or from AS_EXAMPLES_DIR if set. In the asan
 * build the examples are sanitized too, so an example that leaked at exit (as_workers leaves
 * tasks running on purpose) would exit non-zero here.
 */

static char examples_dir[PATH_MAX];

/* find_examples: derive the directory once (AS_EXAMPLES_DIR wins, for running by hand). */
static void find_examples(void)
{
    const char *env = getenv("AS_EXAMPLES_DIR");
    if (env != NULL)
        snprintf(examples_dir, sizeof examples_dir, "%s", env);
    else
        ek_examples_dir(examples_dir, sizeof examples_dir);
}

typedef struct run_result {
    int status;         /* exit code, or 128 + signal */
    double seconds;
    char out[4096], err[4096];
} run_result;

/* with_env: in the child -- the one extra environment setting, if any. */
static void with_env(const void *env)
{
    if (env != NULL)
        putenv((char *)env);
}

/* run: fork+exec an example with argv, extra env "K=V" (may be NULL); capture both streams. */
static void run(run_result *r, const char *name, const char *arg, const char *env)
{
    char path[PATH_MAX + 64];
    ek_example_path(examples_dir, name, path, sizeof path);
    int out[2], err[2];
    ek_pipe(out);
    ek_pipe(err);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *const argv[] = { name, arg, NULL };
    pid_t pid = ek_spawn(path, argv, out[1], err[1], with_env, env);
    ek_read_all(out[0], r->out, sizeof r->out);
    ek_read_all(err[0], r->err, sizeof r->err);
    close(out[0]);
    close(err[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

START_TEST(test_as_hello_transcript)
{
    run_result r;
    run(&r, "as_hello", NULL, NULL);
    ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
    ck_assert_str_eq(r.out, "working...\ndone\n");
    ck_assert_msg(r.seconds >= 1.0, "took %.3f s, less than the 1 s sleep", r.seconds);
    ck_assert_msg(r.seconds < 30.0, "took %.3f s", r.seconds); /* hang guard */
}
END_TEST

/* line_index: position of a full line in text, or -1. */
static int line_index(const char *text, const char *line)
{
    int idx = 0;
    const char *p = text;
    size_t len = strlen(line);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (l == len && strncmp(p, line, len) == 0)
            return idx;
        idx++;
        if (!nl)
            break;
        p = nl + 1;
    }
    return -1;
}

START_TEST(test_as_workers_joined_transcript)
{
    run_result r;
    run(&r, "as_workers_joined", NULL, NULL);
    ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
    int lines = 0;
    for (const char *p = r.out; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, 6);
    int last_started = -1, first_finished = 100;
    for (int i = 1; i <= 3; i++) {
        char s[32], f[32];
        snprintf(s, sizeof s, "worker %d started", i);
        snprintf(f, sizeof f, "worker %d finished", i);
        int si = line_index(r.out, s), fi = line_index(r.out, f);
        ck_assert_msg(si >= 0 && fi >= 0, "missing worker %d lines in:\n%s", i, r.out);
        if (si > last_started)
            last_started = si;
        if (fi < first_finished)
            first_finished = fi;
    }
    ck_assert_msg(last_started < first_finished, "a worker finished before all started:\n%s", r.out);
    ck_assert_msg(r.seconds >= 1.0 && r.seconds < 30.0, "took %.3f s", r.seconds);
}
END_TEST

START_TEST(test_as_workers_exits_with_tasks_pending)
{
    /* block_on returns right after spawning; main ends while the workers sleep. The runtime
     * must cancel them, free everything (the asan build's LeakSanitizer checks) and not hang. */
    for (int round = 0; round < 3; round++) {
        run_result r;
        run(&r, "as_workers", NULL, NULL);
        ck_assert_msg(r.status == 0, "exit %d, stderr: %s", r.status, r.err);
        ck_assert_msg(r.seconds < 10.0, "exit took %.3f s", r.seconds);
        ck_assert_msg(strstr(r.out, "finished") == NULL, "a worker outlived main:\n%s", r.out);
        /* whatever did get printed is a "started" line */
        for (const char *p = r.out; *p;) {
            ck_assert_msg(strncmp(p, "worker ", 7) == 0 && strstr(p, " started\n") != NULL,
                          "unexpected output: %s", r.out);
            p = strchr(p, '\n') + 1;
        }
        ck_assert_msg(strstr(r.err, "block_on returned as soon as the workers were spawned") != NULL,
                      "the note is missing: %s", r.err);
    }
}
END_TEST

START_TEST(test_metrics_dump_at_exit)
{
    run_result r;
    run(&r, "as_hello", NULL, "AS_METRICS=1");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "working...\ndone\n");
    ck_assert_msg(strstr(r.err, "runtime metrics: as") != NULL, "no dump: %s", r.err);
    ck_assert_ptr_nonnull(strstr(r.err, "polls"));
    ck_assert_ptr_nonnull(strstr(r.err, "timers_fired"));
    /* no LIFO slot, no budget: printed as "-" */
    const char *lifo = strstr(r.err, "lifo_hits");
    ck_assert_ptr_nonnull(lifo);
    const char *eol = strchr(lifo, '\n');
    ck_assert_ptr_nonnull(memchr(lifo, '-', (size_t)(eol - lifo)));
    run(&r, "as_hello", NULL, NULL);
    ck_assert_ptr_null(strstr(r.err, "runtime metrics"));
}
END_TEST

START_TEST(test_echo_server_bad_port)
{
    static const char *bad[] = { "abc", "-1", "65536", "", "80x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        run_result r;
        run(&r, "as_echo_server", bad[i], NULL);
        ck_assert_msg(r.status == 2, "port '%s': exit %d", bad[i], r.status);
        ck_assert_ptr_nonnull(strstr(r.err, "usage: as_echo_server PORT"));
        ck_assert_msg(strstr(r.err, "invalid port") != NULL, "port '%s': %s", bad[i], r.err);
    }
}
END_TEST

/* connect_port: a blocking client to 127.0.0.1:port. */
static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(0x7f000001) };
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    struct timeval tv = { 10, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* echo_once: send msg, expect it back. */
static void echo_once(int fd, const char *msg)
{
    size_t len = strlen(msg);
    ck_assert_int_eq(send(fd, msg, len, MSG_NOSIGNAL), (ssize_t)len);
    char buf[256];
    size_t got = 0;
    while (got < len) {
        ssize_t n = recv(fd, buf + got, sizeof buf - got, 0);
        ck_assert_msg(n > 0, "echo: recv %zd (errno %d)", n, errno);
        got += (size_t)n;
    }
    ck_assert_mem_eq(buf, msg, len);
}

START_TEST(test_echo_server_serves_survives_resets_and_stops)
{
    char path[PATH_MAX + 64];
    ek_example_path(examples_dir, "as_echo_server", path, sizeof path);
    int out[2], err[2];
    ek_pipe(out);
    ek_pipe(err);
    const char *const argv[] = { "as_echo_server", "0", NULL };
    pid_t pid = ek_spawn(path, argv, out[1], err[1], NULL, NULL);
    int port = ek_read_port(out[0], "as_echo_server", 20000);

    int a = connect_port(port), b = connect_port(port), c = connect_port(port);
    echo_once(a, "hello from a");
    echo_once(b, "hello from b");
    /* b resets its connection with unread data in flight */
    ck_assert_int_eq(send(b, "doomed", 6, MSG_NOSIGNAL), 6);
    struct linger lg = { 1, 0 };
    setsockopt(b, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(b);
    echo_once(a, "a is fine");
    echo_once(c, "c is fine");
    shutdown(c, SHUT_WR); /* EOF: the server closes its side */
    char tmp[8];
    ck_assert_int_eq(recv(c, tmp, sizeof tmp, 0), 0);
    close(c);
    /* a stays connected: the server stops with a connection task still pending */
    kill(pid, SIGTERM);
    int status;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    close(a);
    char errbuf[4096];
    ek_read_all(err[0], errbuf, sizeof errbuf);
    close(out[0]);
    close(err[0]);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "server status %d, stderr: %s",
                  status, errbuf);
    ck_assert_msg(t1.tv_sec - t0.tv_sec < 10, "server took too long to stop");
    ck_assert_msg(strstr(errbuf, "stopping after 3 connection(s)") != NULL, "stderr: %s", errbuf);
}
END_TEST

static Suite *as_examples_suite(void)
{
    Suite *s = suite_create("as_examples");
    TCase *tc = tcase_create("examples");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, find_examples, NULL);
    tcase_add_test(tc, test_as_hello_transcript);
    tcase_add_test(tc, test_as_workers_joined_transcript);
    tcase_add_test(tc, test_as_workers_exits_with_tasks_pending);
    tcase_add_test(tc, test_metrics_dump_at_exit);
    tcase_add_test(tc, test_echo_server_bad_port);
    tcase_add_test(tc, test_echo_server_serves_survives_resets_and_stops);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_suite_run(as_examples_suite());
}
