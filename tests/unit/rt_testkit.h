/* rt_testkit.h: shared helpers for the core's suites -- a manual scheduler, a probe future, a yielder, sweep helpers. */
#ifndef RT_TESTKIT_H
#define RT_TESTKIT_H

#include <check.h>
#include <stdatomic.h>

#include "rt_async.h"
#include "rt_future.h"
#include "rt_inject.h"
#include "rt_join_handle.h"

/* RT_SANITIZED: 1 in the ASan and TSan builds (gcc says so with __SANITIZE_*__, clang with
 * __has_feature), where a suite scales its sizes down or skips glibc's heap counts. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define RT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define RT_SANITIZED 1
#endif
#endif
#ifndef RT_SANITIZED
#define RT_SANITIZED 0
#endif

/*
 * A scheduler the test drives by hand: schedule pushes on a queue, and the test decides when
 * to run what. It counts schedules and catches a task queued twice at once (a doubled wake).
 */
typedef struct rt_test_sched {
    rt_inject queue;
    _Atomic long schedules;
    _Atomic long double_schedules;
} rt_test_sched;

/*
 * A future whose behaviour the test sets: it counts polls and drops, can stay pending a number
 * of polls (keeping the waker for the test to fire), can wake itself or panic inside its poll.
 * Counters are pointers to the test's own variables, because spawn copies the future.
 */
typedef struct rt_probe {
    rt_future base;
    _Atomic int queued;        /* set while it sits in rt_test_sched's queue */
    int pending_polls;         /* return RT_PENDING this many times before RT_READY */
    int wake_self;             /* wake_by_ref inside each pending poll */
    int panic_on_poll;         /* rt_panic on this poll number (1-based), 0 = never */
    _Atomic int *polls;
    _Atomic int *drops;
    rt_waker *stash;           /* if set, each pending poll stores a clone of the waker here */
    int output;                /* set to 42 when ready */
    int polled;
} rt_probe;

/* rt_test_sched_init: an empty manual scheduler. */
void rt_test_sched_init(rt_test_sched *s);
/* rt_test_sched_destroy: drop whatever is still queued and release the queue. */
void rt_test_sched_destroy(rt_test_sched *s);
/* rt_test_sched_run: run queued tasks until the queue is empty; returns how many runs. */
int rt_test_sched_run(rt_test_sched *s);
/* rt_test_sched_run_one: run one queued task; 0 if the queue was empty. */
int rt_test_sched_run_one(rt_test_sched *s);
/* rt_test_sched_vtable: the schedule hook for tasks spawned on an rt_test_sched. */
extern const rt_task_vtable rt_test_sched_vtable;

/* A future that takes one trip through the run queue (it yields once), then is ready with
 * out = 7: the smallest task that must be scheduled twice. */
typedef struct rt_yielder {
    rt_future base;
    rt_async co;
    int out;
} rt_yielder;

/* rt_yielder_new: a yielder that has not been polled yet. */
rt_yielder rt_yielder_new(void);

/* rt_echo_arg: a blocking job that hands its argument back, so a test sees the value return. */
void *rt_echo_arg(void *arg);

/* rt_first_error: record rc and the step it came from in *err / *where, unless an error is
 * already recorded -- a program under an allocation sweep stops at its first failure. */
void rt_first_error(int *err, const char **where, int rc, const char *where_now);
/* rt_say_step_error: print which step failed to stderr -- always for an unexpected error, for
 * the swept -ENOMEM only with RT_SWEEP_VERBOSE set (there is one per run). */
void rt_say_step_error(int err, const char *where);

/* rt_probe_new: a probe with the given counters; other behaviour zero (ready at first poll). */
rt_probe rt_probe_new(_Atomic int *polls, _Atomic int *drops);

/* rt_check_tasks_balanced: every task allocated so far in this process has been freed. */
void rt_check_tasks_balanced(void);

/* rt_suite_run: run a suite with the usual runner; returns the process exit code. */
int rt_suite_run(Suite *s);

#endif
