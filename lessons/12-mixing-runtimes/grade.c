/* grade.c: lesson 12's grader -- a bridged tk future runs on tk's workers, from as and from the core executor. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "exercise.h"
#include "rt_block_on.h"
#include "tk_time.h"

/*
 * The bridged future is a probe: a tk future that sleeps on the tk wheel, writes down which
 * thread polled it, and answers 42 (or panics, or counts its own drop). The awaiting side is
 * an as task wherever possible, so that a panic on the wrong thread is caught and reported as
 * a failed check instead of ending the grader.
 */

static _Atomic int probe_drops;

typedef struct probe_fut {
    rt_future base;
    rt_async co;
    unsigned ms;
    int panic;
    tk_sleep_fut nap;
    char thread[16];   /* output: who polled it */
    long value;        /* output */
} probe_fut;

static rt_poll probe_poll(rt_future *f, rt_context *cx)
{
    probe_fut *p = (probe_fut *)f;
    RT_BEGIN(&p->co);
    pthread_getname_np(pthread_self(), p->thread, sizeof p->thread);
    p->nap = tk_sleep(p->ms);
    RT_AWAIT(&p->co, &p->nap, cx);
    if (p->panic)
        rt_panic("the probe panics on purpose");
    p->value = 42;
    RT_END(&p->co);
}

/* probe_drop: counts every drop, so the grader can see a cancel arrive. */
static void probe_drop(rt_future *f)
{
    rt_async_drop(&((probe_fut *)f)->co);
    atomic_fetch_add(&probe_drops, 1);
}

static const rt_future_vtable probe_vtable = { probe_poll, probe_drop, "probe" };

/* new_mt: a multi_thread tk runtime with two workers. */
static tk_runtime *new_mt(void)
{
    tk_builder b = tk_builder_new_multi_thread();
    tk_builder_worker_threads(&b, 2);
    tk_builder_enable_all(&b);
    tk_runtime *rt = NULL;
    ck_assert_int_eq(tk_builder_build(&b, &rt), 0);
    return rt;
}

/* The as task that awaits a bridge (optionally under a timeout), and copies out the result. */
typedef struct awaiter_fut {
    rt_future base;
    rt_async co;
    tk_handle *h;
    probe_fut probe;
    uint64_t timeout_ms;   /* 0: none */
    bridge_fut br;
    as_timeout_fut to;
    as_sleep_fut nap;
    int timed_out, waited;
    rt_task_outcome outcome;
    char thread[16];
    long value;
} awaiter_fut;

static rt_poll awaiter_poll(rt_future *f, rt_context *cx)
{
    awaiter_fut *a = (awaiter_fut *)f;
    RT_BEGIN(&a->co);
    a->br = bridge(a->h, &a->probe.base, sizeof a->probe);
    if (a->timeout_ms == 0) {
        RT_AWAIT(&a->co, &a->br, cx);
        a->outcome = a->br.outcome;
        probe_fut *done = (probe_fut *)bridge_output(&a->br);
        if (done != NULL) {
            memcpy(a->thread, done->thread, sizeof a->thread);
            a->value = done->value;
        }
        rt_future_drop(&a->br.base);
    } else {
        a->to = as_timeout(&a->br.base, a->timeout_ms);   /* drops the bridge when time is up */
        RT_AWAIT(&a->co, &a->to, cx);
        a->timed_out = a->to.timed_out;
        /* Wait (up to 2 s) for the cancel to reach the tk task and drop the probe. */
        for (a->waited = 0; a->waited < 200 && atomic_load(&probe_drops) == 0; a->waited++) {
            a->nap = as_sleep(10);
            RT_AWAIT(&a->co, &a->nap, cx);
        }
    }
    RT_END(&a->co);
}

static const rt_future_vtable awaiter_vtable = { awaiter_poll, NULL, "awaiter" };

/* run_in_as_task: await a bridged probe inside an as task; fails the check if the task
 * panicked (the tk future was polled where it cannot run). */
static awaiter_fut run_in_as_task(tk_handle *h, probe_fut probe, uint64_t timeout_ms)
{
    awaiter_fut a = { .base = { &awaiter_vtable }, .h = h, .probe = probe,
                      .timeout_ms = timeout_ms };
    as_task t;
    ck_assert_int_eq(AS_SPAWN(a, &t), 0);
    as_block_on(as_task_join(&t));
    ck_assert_msg(as_task_outcome(&t) == RT_OUTCOME_OK, "the as task awaiting the bridge "
                  "panicked: \"%s\" -- the tk future was polled on an as thread; it must run "
                  "on the tk runtime (tk_spawn_on)", as_task_panic_message(&t)
                  ? as_task_panic_message(&t) : "?");
    awaiter_fut out = *(awaiter_fut *)as_task_output(&t);
    as_task_detach(&t);
    return out;
}

static probe_fut probe(unsigned ms, int panic)
{
    return (probe_fut){ .base = { &probe_vtable }, .ms = ms, .panic = panic };
}

START_TEST(test_tk_sleep_from_an_as_task)
{
    tk_runtime *rt = new_mt();
    awaiter_fut a = run_in_as_task(tk_runtime_handle(rt), probe(20, 0), 0);
    ck_assert_msg(a.outcome == RT_OUTCOME_OK, "the bridge's outcome is %s, want ok",
                  rt_join_outcome_name(a.outcome));
    ck_assert_msg(a.value == 42, "bridge_output gave a probe with value %ld, want 42: "
                  "bridge_output must return the task's finished future", a.value);
    tk_runtime_free(rt);
}
END_TEST

START_TEST(test_runs_on_a_tk_worker)
{
    tk_runtime *rt = new_mt();
    awaiter_fut a = run_in_as_task(tk_runtime_handle(rt), probe(5, 0), 0);
    ck_assert_msg(strcmp(a.thread, "tk-worker") == 0, "the tk future was polled on thread "
                  "'%s'; it must run on the tk runtime's own threads ('tk-worker')", a.thread);
    tk_runtime_free(rt);
}
END_TEST

START_TEST(test_from_the_core_executor)
{
    /* No task here: if the bridge polls the tk future on this thread, the panic ends this
     * check (exit 101), which Check reports as an error. */
    tk_runtime *rt = new_mt();
    probe_fut p = probe(10, 0);
    bridge_fut br = bridge(tk_runtime_handle(rt), &p.base, sizeof p);
    rt_block_on(&br.base);
    ck_assert_int_eq(br.outcome, RT_OUTCOME_OK);
    probe_fut *done = (probe_fut *)bridge_output(&br);
    ck_assert_ptr_nonnull(done);
    ck_assert_int_eq(done->value, 42);
    rt_future_drop(&br.base);
    tk_runtime_free(rt);
}
END_TEST

START_TEST(test_drop_cancels_the_tk_task)
{
    tk_runtime *rt = new_mt();
    atomic_store(&probe_drops, 0);
    awaiter_fut a = run_in_as_task(tk_runtime_handle(rt), probe(10000, 0), 50);
    ck_assert_msg(a.timed_out, "a 10 s tk sleep finished before a 50 ms timeout?");
    ck_assert_msg(atomic_load(&probe_drops) == 1, "the bridge was dropped (timed out), but "
                  "the tk task it started was not cancelled within 2 s: bridge_drop must "
                  "abort it");
    tk_runtime_free(rt);
}
END_TEST

START_TEST(test_panic_is_an_outcome)
{
    tk_runtime *rt = new_mt();
    awaiter_fut a = run_in_as_task(tk_runtime_handle(rt), probe(5, 1), 0);
    ck_assert_msg(a.outcome == RT_OUTCOME_PANICKED, "a tk future that panicked gave the "
                  "outcome %s, want panicked", rt_join_outcome_name(a.outcome));
    tk_runtime_free(rt);
}
END_TEST

/* main: run the suite; exit 0 only if every check passed. */
int main(void)
{
    Suite *s = suite_create("lesson 12: mixing runtimes");
    TCase *tc = tcase_create("bridge");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_tk_sleep_from_an_as_task);
    tcase_add_test(tc, test_runs_on_a_tk_worker);
    tcase_add_test(tc, test_from_the_core_executor);
    tcase_add_test(tc, test_drop_cancels_the_tk_task);
    tcase_add_test(tc, test_panic_is_an_outcome);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
