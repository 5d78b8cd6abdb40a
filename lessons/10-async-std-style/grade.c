/* grade.c: lesson 10's grader -- block_on returns only after every worker finished, the report is complete and in order, a panic is one line of it. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

/*
 * Every check runs the student's crew_main inside a gate_probe (../09-tokio-style/gate.h)
 * under as_block_on. The workers wait on the gate, which opens only once main is waiting and
 * all workers have started: a main that joins its workers always sees them finish, and the
 * seed's main, which returns as soon as it has spawned them, never does -- on any machine, at
 * any load. Nothing here measures time.
 *
 * Check runs each test in its own child process, so each test starts the global runtime
 * afresh (lazily, at its first as_ call) and tears it down when the child exits.
 */

/* A run: the crew, its gate, and the probe around the student's main. */
typedef struct run {
    crew c;
    gate g;
    crew_main_fut main;
    gate_probe_fut probe;
} run;

/* run_crew: n workers behind a gate (panic_id 0 = nobody panics), under as_block_on. */
static void run_crew(run *r, unsigned n, unsigned panic_id)
{
    memset(r, 0, sizeof *r);
    crew_init(&r->c, n, 0);
    gate_init(&r->g);
    r->c.gate = &r->g;
    r->c.panic_id = panic_id;
    r->main = crew_main(&r->c);
    r->probe = gate_probe(&r->main.base, &r->g);
    as_block_on(&r->probe.base);
    rt_future_drop(&r->probe.base); /* block_on leaves the future to its owner */
}

/* expect_report: the ordered lines "worker i -> i*i" (or the panic line), then "joined n workers". */
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
    snprintf(want + used, sizeof want - used, "joined %u workers\n", n);
    ck_assert_msg(strcmp(r->c.report.text, want) == 0,
                  "main's report (c->report) should be one line per worker in id order, then "
                  "the total:\n%sbut it is:\n%s", want,
                  r->c.report.text[0] ? r->c.report.text : "(nothing)\n");
}

/* expect_all_finished: every worker finished before as_block_on returned. */
static void expect_all_finished(run *r, unsigned n, unsigned panicked)
{
    unsigned finished = atomic_load(&r->c.finished), started = atomic_load(&r->c.started);
    ck_assert_msg(r->probe.ready, "as_block_on returned before main was ready");
    ck_assert_msg(finished == n - panicked,
                  "as_block_on returned with %u of %u workers finished (%u had started): main "
                  "did not wait for them%s. When the process exits, the runtime cancels the rest "
                  "-- the seed's detached workers", finished, n - panicked, started,
                  gate_is_open(&r->g) ? "" : " (it never even returned RT_PENDING)");
    ck_assert_msg(atomic_load(&r->c.dropped) == n,
                  "%u worker futures were dropped by the time block_on returned, want all %u "
                  "(as_task_detach each handle after reading it)", atomic_load(&r->c.dropped), n);
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

START_TEST(test_three_workers_all_finish)
{
    run r;
    run_crew(&r, 3, 0);
    expect_all_finished(&r, 3, 0);
    expect_overlap(&r, 3);
    expect_report(&r, 3, 0);
    gate_destroy(&r.g);
    crew_destroy(&r.c);
}
END_TEST

START_TEST(test_workers_run_on_the_runtime_threads)
{
    run r;
    run_crew(&r, 8, 0);
    expect_all_finished(&r, 8, 0);
    for (unsigned i = 1; i <= 8; i++)
        ck_assert_msg(strncmp(r.c.thread_name[i], "as-worker-", 10) == 0,
                      "worker %u ran on thread '%s'; as_spawn runs tasks on the runtime's "
                      "as-worker-N threads -- did you poll it yourself?", i, r.c.thread_name[i]);
    ck_assert_msg(pthread_equal(r.probe.polled_on, pthread_self()),
                  "main was not polled on the thread that called as_block_on");
    gate_destroy(&r.g);
    crew_destroy(&r.c);
}
END_TEST

START_TEST(test_forty_workers_complete_and_in_order)
{
    run r;
    run_crew(&r, 40, 0);
    expect_all_finished(&r, 40, 0);
    expect_overlap(&r, 40);
    ck_assert_int_eq(r.c.log.lines, 80);
    expect_report(&r, 40, 0);
    gate_destroy(&r.g);
    crew_destroy(&r.c);
}
END_TEST

START_TEST(test_a_panicking_worker_is_one_line)
{
    run r;
    run_crew(&r, 4, 3);
    expect_all_finished(&r, 4, 1);
    expect_report(&r, 4, 3);
    gate_destroy(&r.g);
    crew_destroy(&r.c);
}
END_TEST

START_TEST(test_real_sleeps)
{
    /* The seed's own workers: a real as_sleep, no gate. */
    crew c;
    crew_init(&c, 3, 20);
    crew_main_fut m = crew_main(&c);
    as_block_on(&m.base);
    rt_future_drop(&m.base);
    ck_assert_msg(atomic_load(&c.finished) == 3, "%u of 3 sleeping workers had finished when "
                  "as_block_on returned", atomic_load(&c.finished));
    ck_assert_str_eq(c.report.text, "worker 1 -> 1\nworker 2 -> 4\nworker 3 -> 9\njoined 3 workers\n");
    crew_destroy(&c);
}
END_TEST

/* main: run the suite; exit 0 only if every check passed. */
int main(void)
{
    Suite *s = suite_create("lesson 10: the async-std-style flavour");
    TCase *tc = tcase_create("crew_main");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_three_workers_all_finish);
    tcase_add_test(tc, test_workers_run_on_the_runtime_threads);
    tcase_add_test(tc, test_forty_workers_complete_and_in_order);
    tcase_add_test(tc, test_a_panicking_worker_is_one_line);
    tcase_add_test(tc, test_real_sleeps);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
