/* rt_testkit.c: the manual scheduler, the probe and yielder futures and the sweep helpers used across the suites. */
#include "rt_testkit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_panic.h"

/* rt__test_schedule: queue, counting, and flag a task that is already queued. */
static void rt__test_schedule(rt_task *task)
{
    rt_test_sched *s = task->scheduler;
    rt_probe *p = (rt_probe *)rt_task_future(task);
    atomic_fetch_add(&s->schedules, 1);
    if (task->future_live && task->future_size == sizeof(rt_probe) &&
        atomic_exchange(&p->queued, 1) != 0)
        atomic_fetch_add(&s->double_schedules, 1);
    if (rt_inject_push(&s->queue, &task->queue_node) != 0)
        rt_task_drop_ref(task);
}

const rt_task_vtable rt_test_sched_vtable = { .schedule = rt__test_schedule };

/* rt_test_sched_init: see header. */
void rt_test_sched_init(rt_test_sched *s)
{
    ck_assert_int_eq(rt_inject_init(&s->queue), 0);
    atomic_init(&s->schedules, 0);
    atomic_init(&s->double_schedules, 0);
}

/* rt_test_sched_run_one: pop, clear the queued flag, run. */
int rt_test_sched_run_one(rt_test_sched *s)
{
    rt_qnode *n = rt_inject_pop(&s->queue);
    if (!n)
        return 0;
    rt_task *task = rt_task_of(n);
    if (task->future_size == sizeof(rt_probe))
        atomic_store(&((rt_probe *)rt_task_future(task))->queued, 0);
    rt_task_run(task);
    return 1;
}

/* rt_test_sched_run: drain. */
int rt_test_sched_run(rt_test_sched *s)
{
    int n = 0;
    while (rt_test_sched_run_one(s))
        n++;
    return n;
}

/* rt_test_sched_destroy: queued entries each hold a reference; give them back. */
void rt_test_sched_destroy(rt_test_sched *s)
{
    rt_qnode *n;
    rt_inject_close(&s->queue);
    while ((n = rt_inject_pop(&s->queue)) != NULL)
        rt_task_drop_ref(rt_task_of(n));
    rt_inject_destroy(&s->queue);
}

/* rt__probe_poll: count, maybe panic, maybe stay pending. */
static rt_poll rt__probe_poll(rt_future *self, rt_context *cx)
{
    rt_probe *p = (rt_probe *)self;
    p->polled++;
    if (p->polls)
        atomic_fetch_add(p->polls, 1);
    if (p->panic_on_poll && p->polled == p->panic_on_poll)
        rt_panic("probe panicked on poll %d", p->polled);
    if (p->pending_polls > 0) {
        p->pending_polls--;
        if (p->stash)
            rt_waker_replace(p->stash, cx->waker);
        if (p->wake_self)
            rt_waker_wake_by_ref(cx->waker);
        return RT_PENDING;
    }
    p->output = 42;
    return RT_READY;
}

/* rt__probe_drop: count; the stash belongs to the test, not to us. */
static void rt__probe_drop(rt_future *self)
{
    rt_probe *p = (rt_probe *)self;
    if (p->drops)
        atomic_fetch_add(p->drops, 1);
}

static const rt_future_vtable rt__probe_vtable = {
    .poll = rt__probe_poll, .drop = rt__probe_drop, .name = "probe",
};

/* rt_probe_new: see header. */
rt_probe rt_probe_new(_Atomic int *polls, _Atomic int *drops)
{
    rt_probe p = { .base = { &rt__probe_vtable } };
    atomic_init(&p.queued, 0);
    p.polls = polls;
    p.drops = drops;
    return p;
}

/* rt_check_tasks_balanced: the leak check ASan cannot do for us when a test forks. */
void rt_check_tasks_balanced(void)
{
    ck_assert_uint_eq(rt_task_count_allocated(), rt_task_count_freed());
}

/* rt_suite_run: CK_NORMAL output, so the runner can read the "Checks:" line. */
int rt_suite_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* rt__yielder_poll: RT_YIELD wakes itself and returns pending, so the second poll finishes. */
static rt_poll rt__yielder_poll(rt_future *f, rt_context *cx)
{
    rt_yielder *y = (rt_yielder *)f;
    RT_BEGIN(&y->co);
    RT_YIELD(&y->co, cx);
    y->out = 7;
    RT_END(&y->co);
}

static const rt_future_vtable rt__yielder_vtable = { rt__yielder_poll, NULL, "yielder" };

/* rt_yielder_new: see header. */
rt_yielder rt_yielder_new(void)
{
    rt_yielder y = { .base = { &rt__yielder_vtable } };
    return y;
}

/* rt_echo_arg: see header. */
void *rt_echo_arg(void *arg)
{
    return arg;
}

/* rt_first_error: later failures are consequences of the first, so only it is kept. */
void rt_first_error(int *err, const char **where, int rc, const char *where_now)
{
    if (*err == 0) {
        *err = rc;
        *where = where_now;
    }
}

/* rt_say_step_error: quiet for the expected error, so a sweep of hundreds of runs stays readable. */
void rt_say_step_error(int err, const char *where)
{
    if (err != 0 && (err != -ENOMEM || getenv("RT_SWEEP_VERBOSE")))
        fprintf(stderr, "step '%s' failed: %s\n", where, strerror(-err));
}
