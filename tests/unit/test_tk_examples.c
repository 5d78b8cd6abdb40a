/* test_tk_examples.c: transcript tests -- each tk example prints what its Rust original prints. */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "example_kit.h"
#include "rt_clock.h"
#include "rt_testkit.h"

/*
 * Every example is run as a child process, with stdout and stderr on one pipe, so a sanitizer
 * report or a stray warning shows up as an unexpected line and fails the exact comparison.
 * Timing is checked only as "not earlier than" (a 1 s sleep cannot end before 1 s); never as
 * "faster than", because the machine is shared.
 */

#define MAX_LINES 256
#define CHILD_LIMIT_S 120 /* a hung example is killed after this; Check's timeout is the backstop */

typedef struct transcript {
    char out[32768];
    char *lines[MAX_LINES];
    int nlines;
    int exit_code;       /* -1 if killed by a signal */
    uint64_t elapsed_ms;
} transcript;

/* no_metrics: in the child -- the metrics dump would add lines the transcript does not expect. */
static void no_metrics(const void *arg)
{
    (void)arg;
    unsetenv("TK_METRICS");
}

/* run_example: fork/exec the example, collect its output and exit code, split into lines. */
static void run_example(const char *name, transcript *t)
{
    char path[PATH_MAX];
    ek_example_path(NULL, name, path, sizeof path);
    memset(t, 0, sizeof *t);
    int fds[2];
    ek_pipe(fds);
    uint64_t t0 = rt_monotonic_ns();
    const char *const argv[] = { path, NULL };
    pid_t pid = ek_spawn(path, argv, fds[1], fds[1], no_metrics, NULL);
    size_t got = 0;
    uint64_t deadline = t0 + (uint64_t)CHILD_LIMIT_S * 1000000000u;
    for (;;) {
        uint64_t now = rt_monotonic_ns();
        if (now >= deadline) {
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd p = { .fd = fds[0], .events = POLLIN };
        int r = poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        ssize_t n = read(fds[0], t->out + got, sizeof t->out - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got == sizeof t->out - 1)
            break;
    }
    close(fds[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    t->elapsed_ms = (rt_monotonic_ns() - t0) / 1000000u;
    t->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    t->out[got] = '\0';
    ck_assert_msg(t->exit_code == 0, "%s exited with %d; output:\n%s", name, t->exit_code, t->out);
    char *save = NULL;
    for (char *line = strtok_r(t->out, "\n", &save); line && t->nlines < MAX_LINES;
         line = strtok_r(NULL, "\n", &save))
        t->lines[t->nlines++] = line;
}

/* parse_worker_line: "worker N started|finished" -> id and kind (1 started, 2 finished). */
static int parse_worker_line(const char *line, int *id)
{
    char word[16];
    if (sscanf(line, "worker %d %15s", id, word) != 2)
        return 0;
    if (strcmp(word, "started") == 0)
        return 1;
    if (strcmp(word, "finished") == 0)
        return 2;
    return 0;
}

/* test_hello: "start", then "end", and not before the 1 s sleep could have passed. */
START_TEST(test_hello)
{
    transcript t;
    run_example("tk_hello", &t);
    ck_assert_int_eq(t.nlines, 2);
    ck_assert_str_eq(t.lines[0], "start");
    ck_assert_str_eq(t.lines[1], "end");
    ck_assert_uint_ge(t.elapsed_ms, 1000); /* the sleep is never early */
}
END_TEST

/* test_workers: three "started" lines before any "finished" -- the sleeps overlap. */
START_TEST(test_workers)
{
    transcript t;
    run_example("tk_workers", &t);
    ck_assert_msg(t.nlines == 6, "expected 6 lines, got %d", t.nlines);
    /* Three "started" (any order of ids, the tasks run on two threads), then three
     * "finished": the sleeps overlap, so nobody finishes before everyone started. */
    int seen[2][4] = { { 0 } };
    for (int i = 0; i < 6; i++) {
        int id = 0;
        int kind = parse_worker_line(t.lines[i], &id);
        ck_assert_msg(kind == (i < 3 ? 1 : 2), "line %d out of order: '%s'", i + 1, t.lines[i]);
        ck_assert_msg(id >= 1 && id <= 3, "bad id in '%s'", t.lines[i]);
        ck_assert_msg(!seen[kind - 1][id], "duplicate line '%s'", t.lines[i]);
        seen[kind - 1][id] = 1;
    }
    ck_assert_uint_ge(t.elapsed_ms, 2000); /* main's 2 s sleep */
}
END_TEST

static const char *const blocking_explanation[] = {
    "The workers ran one after another, not side by side:",
    "  nanosleep (std::thread::sleep) blocks the thread it is called on, and this runtime",
    "  has a single worker thread, so no other task could run until it returned.",
    "  Use tk_sleep (it yields), or tk_spawn_blocking for blocking work.",
};

/* test_blocking_serialised: each worker finishes before the next starts; then the explanation. */
START_TEST(test_blocking_serialised)
{
    transcript t;
    run_example("tk_blocking", &t);
    ck_assert_msg(t.nlines == 10, "expected 10 lines, got %d:\n%s", t.nlines, t.out);
    /* Serialised: every "started" is followed by its own "finished" before the next
     * "started" -- never two workers inside the blocking sleep at once. */
    int seen[4] = { 0 };
    for (int i = 0; i < 6; i += 2) {
        int id = 0, id2 = 0;
        ck_assert_msg(parse_worker_line(t.lines[i], &id) == 1, "expected a start: '%s'",
                      t.lines[i]);
        ck_assert_msg(parse_worker_line(t.lines[i + 1], &id2) == 2 && id2 == id,
                      "worker %d started but the next line is '%s'", id, t.lines[i + 1]);
        ck_assert_msg(id >= 1 && id <= 3 && !seen[id], "bad or repeated worker %d", id);
        seen[id] = 1;
    }
    for (int i = 0; i < 4; i++)
        ck_assert_str_eq(t.lines[6 + i], blocking_explanation[i]);
    ck_assert_uint_ge(t.elapsed_ms, 3000); /* three 1 s blocking sleeps, one after another */
}
END_TEST

/* test_spawn_blocking_ticks_on_time: ticks keep coming, never early, while the pool computes. */
START_TEST(test_spawn_blocking_ticks_on_time)
{
    transcript t;
    run_example("tk_spawn_blocking", &t);
    int started = -1, finished = -1, ticks = 0, ticks_during = 0;
    for (int i = 0; i < t.nlines; i++) {
        unsigned n;
        unsigned long ms;
        if (strcmp(t.lines[i], "computation started on a blocking thread") == 0) {
            ck_assert_int_eq(started, -1);
            started = i;
        } else if (strcmp(t.lines[i], "computation finished") == 0) {
            ck_assert_int_eq(finished, -1);
            finished = i;
        } else if (sscanf(t.lines[i], "tick %u at %lu ms", &n, &ms) == 2) {
            ck_assert_uint_eq(n, (unsigned)ticks + 1); /* numbered 1, 2, 3, ... */
            /* Tick n is due at (n-1) * 200 ms; it may be late, never early. */
            ck_assert_uint_ge(ms, (unsigned long)(n - 1) * 200);
            ticks++;
            if (started >= 0 && finished < 0)
                ticks_during++;
        } else if (i != t.nlines - 1) {
            ck_abort_msg("unexpected line %d: '%s'", i + 1, t.lines[i]);
        }
    }
    ck_assert_int_ge(started, 0);
    ck_assert_int_gt(finished, started);
    ck_assert_str_eq(t.lines[t.nlines - 1], "primes below 5000000: 348513");
    /* The point of the example: the ticker kept ticking while the pool thread computed. The
     * computation takes most of a second or more; the ticks come every 200 ms. */
    ck_assert_msg(ticks_during >= 2, "only %d ticks during the computation:\n%s", ticks_during,
                  t.out);
}
END_TEST

/* test_steal_demo: the metrics table, then the conclusion that both workers ran and stole. */
START_TEST(test_steal_demo)
{
    transcript t;
    run_example("tk_steal_demo", &t);
    ck_assert_int_ge(t.nlines, 3);
    ck_assert_str_eq(t.lines[0], "runtime metrics: tk multi_thread, 2 workers");
    int has_polls = 0, has_steals = 0;
    for (int i = 0; i < t.nlines; i++) {
        has_polls |= strncmp(t.lines[i], "  polls ", 8) == 0;
        has_steals |= strncmp(t.lines[i], "  steal_operations ", 19) == 0;
    }
    ck_assert(has_polls && has_steals);
    const char *want = "conclusion: both workers polled tasks, and work was stolen (";
    ck_assert_msg(strncmp(t.lines[t.nlines - 1], want, strlen(want)) == 0, "got '%s'",
                  t.lines[t.nlines - 1]);
}
END_TEST

/* main: one suite, one case; each example gets the case timeout (scaled for sanitizers). */
int main(void)
{
    Suite *s = suite_create("tk_examples");
    TCase *tc = tcase_create("transcripts");
    tcase_set_timeout(tc, 150);
    tcase_add_test(tc, test_hello);
    tcase_add_test(tc, test_workers);
    tcase_add_test(tc, test_blocking_serialised);
    tcase_add_test(tc, test_spawn_blocking_ticks_on_time);
    tcase_add_test(tc, test_steal_demo);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
