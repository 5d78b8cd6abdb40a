/* rt_alloc_sweep.c: the allocation-failure sweep shared by the test_alloc_paths_* suites. */
#include "rt_alloc_sweep.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_alloc.h"

/* rt_open_fds: how many descriptors this process has open (LeakSanitizer does not see fds). */
int rt_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

/* rt_alloc_sweep: see the header; every assertion names the path and the n that broke it. */
rt_sweep_result rt_alloc_sweep(const char *what, rt_sweep_op op, void *arg, int expect,
                               long max_runs)
{
    rt_sweep_result r = { 0 };
    for (long n = 1;; n++) {
        ck_assert_msg(n <= max_runs, "%s: still failing after %ld runs; the sweep never ended",
                      what, max_runs);
        int fds = rt_open_fds();
        long before = rt_alloc_injected_failures();
        rt_alloc_fail_after(n);
        int rc = op(arg);
        rt_alloc_fail_after(0); /* disarm before anything else allocates */
        long hit = rt_alloc_injected_failures() - before;
        if (getenv("RT_SWEEP_VERBOSE"))
            fprintf(stderr, "  %s: n=%ld rc=%d (%s)%s\n", what, n, rc, strerror(-rc),
                    hit ? "" : " -- nothing left to fail");
        ck_assert_msg(rt_open_fds() == fds, "%s: %d descriptors leaked when allocation %ld failed",
                      what, rt_open_fds() - fds, n);
        r.runs++;
        r.injected += hit;
        if (hit == 0) {
            /* Fewer than n allocations: nothing failed, so the operation must have worked. */
            ck_assert_msg(rc == 0, "%s: failed with %d (%s) though no allocation failed (n=%ld)",
                          what, rc, strerror(-rc), n);
            break;
        }
        if (rc == 0) {
            r.absorbed++;
        } else {
            ck_assert_msg(rc == expect, "%s: allocation %ld failed and it returned %d (%s), "
                          "expected %d (%s)", what, n, rc, strerror(-rc), expect, strerror(-expect));
            r.reported++;
        }
        /* The failure must not have broken anything: the same operation works again. */
        int again = op(arg);
        ck_assert_msg(again == 0, "%s: after allocation %ld failed, a clean run returned %d (%s)",
                      what, n, again, strerror(-again));
    }
    printf("alloc-sweep %-40s runs=%ld injected=%ld reported=%ld absorbed=%ld\n", what, r.runs,
           r.injected, r.reported, r.absorbed);
    fflush(stdout);
    return r;
}

/* What a child tells its parent through its exit code; anything else is a failure. */
enum { SWEEP_CLEAN = 40, SWEEP_REPORTED = 41, SWEEP_ABSORBED = 42 };

/* rt__sweep_child: one armed run in this (child) process; exits with one of the codes above.
 * No fd count here: a runtime started by the run keeps its own descriptors by design, so the
 * operation checks its own (see test_alloc_paths_as.c). */
static _Noreturn void rt__sweep_child(const char *what, long n, rt_sweep_op op,
                                      rt_sweep_op after, void *arg, int expect)
{
    long before = rt_alloc_injected_failures();
    rt_alloc_fail_after(n);
    int rc = op(arg);
    rt_alloc_fail_after(0);
    long hit = rt_alloc_injected_failures() - before;
    if (getenv("RT_SWEEP_VERBOSE"))
        fprintf(stderr, "  %s: n=%ld rc=%d (%s)%s\n", what, n, rc, strerror(-rc),
                hit ? "" : " -- nothing left to fail");
    if (hit == 0) {
        ck_assert_msg(rc == 0, "%s: failed with %d (%s) though no allocation failed (n=%ld)",
                      what, rc, strerror(-rc), n);
        exit(SWEEP_CLEAN);
    }
    ck_assert_msg(rc == 0 || rc == expect, "%s: allocation %ld failed and it returned %d (%s), "
                  "expected %d (%s)", what, n, rc, strerror(-rc), expect, strerror(-expect));
    int again = after(arg);
    ck_assert_msg(again == 0, "%s: after allocation %ld failed, the check of what is left "
                  "returned %d (%s)", what, n, again, strerror(-again));
    exit(rc == 0 ? SWEEP_ABSORBED : SWEEP_REPORTED);
}

/* rt_alloc_sweep_forked: see the header. */
rt_sweep_result rt_alloc_sweep_forked(const char *what, rt_sweep_op op, rt_sweep_op after,
                                      void *arg, int expect, long max_runs)
{
    rt_sweep_result r = { 0 };
    for (long n = 1;; n++) {
        ck_assert_msg(n <= max_runs, "%s: still failing after %ld runs; the sweep never ended",
                      what, max_runs);
        fflush(NULL); /* or the child's exit flushes our buffered output a second time */
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0)
            rt__sweep_child(what, n, op, after, arg, expect);
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status), "%s: the child died of signal %d when allocation %ld "
                      "failed", what, WIFSIGNALED(status) ? WTERMSIG(status) : 0, n);
        int code = WEXITSTATUS(status);
        ck_assert_msg(code == SWEEP_CLEAN || code == SWEEP_REPORTED || code == SWEEP_ABSORBED,
                      "%s: the child exited with %d when allocation %ld failed (1: a failed "
                      "check, or under ASan a leak; 66: a TSan report; see above)", what, code, n);
        r.runs++;
        if (code == SWEEP_CLEAN)
            break;
        r.injected++; /* the countdown fails exactly one allocation per armed run */
        r.reported += code == SWEEP_REPORTED;
        r.absorbed += code == SWEEP_ABSORBED;
    }
    printf("alloc-sweep %-40s runs=%ld injected=%ld reported=%ld absorbed=%ld (forked)\n", what,
           r.runs, r.injected, r.reported, r.absorbed);
    fflush(stdout);
    return r;
}
