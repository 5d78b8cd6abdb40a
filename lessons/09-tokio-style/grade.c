/* grade.c: lesson 09's grader -- the runtime the attributes ask for, a clean error, and a main whose workers all finish, reported in order. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"
#include "threads.h"

/*
 * Every check runs the student's crew_main inside a gate_probe (gate.h) through the student's
 * tk_main_by_hand. The workers wait on the gate, which opens only once main is waiting and all
 * workers have started. So a main that joins its workers always sees them finish, and a main
 * that drops its JoinHandles and returns always sees them cancelled -- whatever the machine's
 * speed. Nothing here measures time.
 */

enum { THREAD_WAIT_MS = 10000 };

/* A run: the crew, its gate, and the probe around the student's main. */
typedef struct run {
    crew c;
    gate g;
    crew_main_fut main;
    gate_probe_fut probe;
    int probe_drops;
    int rc;
} run;

static int *probe_drop_counter; /* the running test's run.probe_drops */

/* counting_probe_drop: count the drops of the probe (the student must drop main exactly once). */
static void counting_probe_drop(rt_future *f)
{
    (*probe_drop_counter)++;
    gate_probe_drop(f);
}

static const rt_future_vtable counting_probe_vtable = { gate_probe_poll, counting_probe_drop, "main" };

/* run_crew: n workers behind a gate (panic_id 0 = nobody panics), under the given attributes. */
static void run_crew(run *r, const tk_main_attrs *attrs, unsigned n, unsigned panic_id)
{
    memset(r, 0, sizeof *r);
    crew_init(&r->c, n, 0);
    gate_init(&r->g);
    r->c.gate = &r->g;
    r->c.panic_id = panic_id;
    r->main = crew_main(&r->c);
    r->probe = gate_probe(&r->main.base, &r->g);
    r->probe.base.vtable = &counting_probe_vtable;
    probe_drop_counter = &r->probe_drops;
    r->rc = tk_main_by_hand(attrs, &r->probe.base);
}

/* run_free: after the runtime is gone, nothing waits at the gate any more. */
static void run_free(run *r)
{
    gate_destroy(&r->g);
    crew_destroy(&r->c);
}

/* expect_report: the ordered lines "worker i -> i*i" (or the panic line for panic_id). */
static void expect_report(run *r, unsigned n, unsigned panic_id)
{
    char want[4096] = "";
    size_t used = 0;
    for (unsigned i = 1; i <= n; i++) {
        if (i == panic_id)
            used += (size_t)snprintf(want + used, sizeof want - used,
                                     "worker %u panicked: worker %u gave up\n", i, i);
        else
            used += (size_t)snprintf(want + used, sizeof want - used, "worker %u -> %u\n", i, i * i);
    }
    ck_assert_msg(strcmp(r->c.report.text, want) == 0,
                  "main's report (c->report) should have one line per worker, in id order:\n%s"
                  "but it has:\n%s", want, r->c.report.text[0] ? r->c.report.text : "(nothing)\n");
}

/* expect_all_finished: every worker finished before tk_main_by_hand returned. */
static void expect_all_finished(run *r, unsigned n, unsigned panicked)
{
    unsigned finished = atomic_load(&r->c.finished), started = atomic_load(&r->c.started);
    ck_assert_msg(finished == n - panicked,
                  "%u of %u workers finished (%u started): the rest were cancelled when the "
                  "runtime was freed, because main ended without awaiting their JoinHandles%s",
                  finished, n - panicked, started,
                  gate_is_open(&r->g) ? "" : " (main never even waited for anything)");
    ck_assert_msg(atomic_load(&r->c.dropped) == n,
                  "%u worker futures were dropped, want each of the %u exactly once",
                  atomic_load(&r->c.dropped), n);
}

/* expect_overlap: all "started" lines come before the first "finished" -- they ran side by side. */
static void expect_overlap(run *r, unsigned n)
{
    const char *first_finished = strstr(r->c.log.text, "finished");
    unsigned started_before = 0;
    for (const char *p = r->c.log.text; (p = strstr(p, " started\n")) != NULL; p++)
        if (!first_finished || p < first_finished)
            started_before++;
    ck_assert_msg(started_before == n, "only %u of %u workers had started when the first one "
                  "finished: spawn them all first, then await the handles\n%s",
                  started_before, n, r->c.log.text);
}

START_TEST(test_current_thread_runs_on_the_caller)
{
    run r;
    tk_main_attrs attrs = { .flavor = TK_CURRENT_THREAD };
    run_crew(&r, &attrs, 3, 0);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_msg(r.probe_drops == 1, "main was dropped %d times, want exactly once", r.probe_drops);
    expect_all_finished(&r, 3, 0);
    for (unsigned i = 1; i <= 3; i++)
        ck_assert_msg(pthread_equal(r.c.ran_on[i], pthread_self()),
                      "flavor = \"current_thread\": worker %u ran on thread '%s', not on the thread "
                      "that called block_on -- was a multi_thread runtime built?", i,
                      r.c.thread_name[i]);
    expect_report(&r, 3, 0);
    run_free(&r);
}
END_TEST

START_TEST(test_multi_thread_uses_named_workers)
{
    run r;
    tk_main_attrs attrs = { .flavor = TK_MULTI_THREAD, .worker_threads = 2, .thread_name = "crew-w" };
    run_crew(&r, &attrs, 6, 0);
    ck_assert_int_eq(r.rc, 0);
    expect_all_finished(&r, 6, 0);
    ck_assert_msg(pthread_equal(r.probe.polled_on, pthread_self()),
                  "main was not polled on the thread that called block_on");
    for (unsigned i = 1; i <= 6; i++) {
        ck_assert_msg(strcmp(r.c.thread_name[i], "crew-w") == 0,
                      "worker %u ran on a thread named '%s'; thread_name = \"crew-w\" was asked for",
                      i, r.c.thread_name[i]);
        ck_assert_msg(!pthread_equal(r.c.ran_on[i], pthread_self()),
                      "worker %u ran on the block_on thread of a multi_thread runtime", i);
    }
    expect_report(&r, 6, 0);
    ck_assert_msg(threads_wait_gone("crew-w", THREAD_WAIT_MS) == 0,
                  "worker threads are still alive after tk_main_by_hand returned: free the runtime");
    run_free(&r);
}
END_TEST

/* A main that counts the threads called "crew-x", then is done. */
typedef struct count_main {
    rt_future base;
    int seen;
} count_main;

/* count_main_poll: wait (bounded) for the workers to name themselves, then count them. */
static rt_poll count_main_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    count_main *m = (count_main *)f;
    m->seen = threads_wait_named("crew-x", 3, THREAD_WAIT_MS);
    return RT_READY;
}

static const rt_future_vtable count_main_vtable = { count_main_poll, NULL, "count_main" };

START_TEST(test_worker_threads_is_honoured)
{
    tk_main_attrs attrs = { .flavor = TK_MULTI_THREAD, .worker_threads = 3, .thread_name = "crew-x" };
    count_main m = { .base = { &count_main_vtable } };
    ck_assert_int_eq(tk_main_by_hand(&attrs, &m.base), 0);
    ck_assert_msg(m.seen == 3, "worker_threads = 3, thread_name = \"crew-x\": saw %d threads named "
                  "crew-x", m.seen);
}
END_TEST

START_TEST(test_bad_attrs_are_an_error_not_a_crash)
{
    run r;
    tk_main_attrs attrs = { .flavor = TK_MULTI_THREAD, .worker_threads = 5000 };
    run_crew(&r, &attrs, 3, 0);
    ck_assert_msg(r.rc == -EINVAL, "worker_threads = 5000: tk_main_by_hand returned %d, want "
                  "tk_builder_build's -EINVAL (%d)", r.rc, -EINVAL);
    ck_assert_msg(r.probe.polls == 0, "main was polled %d times on a runtime that failed to build",
                  r.probe.polls);
    ck_assert_msg(r.probe_drops == 1, "main was dropped %d times, want exactly once", r.probe_drops);
    run_free(&r);
}
END_TEST

START_TEST(test_forty_workers_complete_and_in_order)
{
    run r;
    tk_main_attrs attrs = { .flavor = TK_MULTI_THREAD, .worker_threads = 2 };
    run_crew(&r, &attrs, 40, 0);
    ck_assert_int_eq(r.rc, 0);
    expect_all_finished(&r, 40, 0);
    expect_overlap(&r, 40);
    ck_assert_int_eq(r.c.log.lines, 80);
    expect_report(&r, 40, 0);
    run_free(&r);
}
END_TEST

START_TEST(test_a_panicking_worker_is_reported)
{
    run r;
    tk_main_attrs attrs = { .flavor = TK_MULTI_THREAD, .worker_threads = 2 };
    run_crew(&r, &attrs, 4, 2);
    ck_assert_int_eq(r.rc, 0);
    expect_all_finished(&r, 4, 1);
    expect_report(&r, 4, 2);
    run_free(&r);
}
END_TEST

START_TEST(test_real_sleeps_current_thread)
{
    /* The seed's own workers: a real tk_sleep, no gate. */
    crew c;
    crew_init(&c, 3, 20);
    crew_main_fut m = crew_main(&c);
    tk_main_attrs attrs = { .flavor = TK_CURRENT_THREAD };
    ck_assert_int_eq(tk_main_by_hand(&attrs, &m.base), 0);
    ck_assert_msg(atomic_load(&c.finished) == 3, "%u of 3 sleeping workers finished",
                  atomic_load(&c.finished));
    ck_assert_str_eq(c.report.text, "worker 1 -> 1\nworker 2 -> 4\nworker 3 -> 9\n");
    crew_destroy(&c);
}
END_TEST

/* main: run the suite; exit 0 only if every check passed. */
int main(void)
{
    Suite *s = suite_create("lesson 09: the tokio-style flavour");
    TCase *tc = tcase_create("tk_main_by_hand + crew_main");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_current_thread_runs_on_the_caller);
    tcase_add_test(tc, test_multi_thread_uses_named_workers);
    tcase_add_test(tc, test_worker_threads_is_honoured);
    tcase_add_test(tc, test_bad_attrs_are_an_error_not_a_crash);
    tcase_add_test(tc, test_forty_workers_complete_and_in_order);
    tcase_add_test(tc, test_a_panicking_worker_is_reported);
    tcase_add_test(tc, test_real_sleeps_current_thread);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
