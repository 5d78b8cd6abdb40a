/* grade.c: lesson 08's grader -- steal-half exactly, idle workers steal, every job runs once, no deadlock. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exercise.h"

/* fill: push items from..to onto q. */
static void fill(ws_queue *q, int from, int to)
{
    for (int i = from; i <= to; i++)
        ck_assert_int_eq(ws_queue_push(q, i), 0);
}

/* expect: q holds exactly the n items given, oldest first (and is left empty). */
static void expect(ws_queue *q, const int *want, size_t n, const char *which)
{
    ck_assert_msg(ws_queue_len(q) == n, "%s holds %zu items, want %zu", which, ws_queue_len(q), n);
    for (size_t i = 0; i < n; i++) {
        int got = -1;
        ws_queue_pop(q, &got);
        ck_assert_msg(got == want[i], "%s: item %zu is %d, want %d (oldest first, in order)",
                      which, i, got, want[i]);
    }
}

START_TEST(test_steal_half_even)
{
    static ws_queue v, t;
    ws_queue_init(&v);
    ws_queue_init(&t);
    fill(&v, 1, 10);
    ck_assert_uint_eq(ws_steal_half(&v, &t), 5);
    expect(&t, (int[]){ 1, 2, 3, 4, 5 }, 5, "the thief");
    expect(&v, (int[]){ 6, 7, 8, 9, 10 }, 5, "the victim");
}
END_TEST

START_TEST(test_steal_half_rounds_up)
{
    static ws_queue v, t;
    ws_queue_init(&v);
    ws_queue_init(&t);
    fill(&v, 1, 7);
    ck_assert_uint_eq(ws_steal_half(&v, &t), 4);
    expect(&t, (int[]){ 1, 2, 3, 4 }, 4, "the thief");
    fill(&v, 100, 100);
    ck_assert_uint_eq(ws_queue_len(&v), 4);
    while (ws_queue_len(&v) > 1) {
        int x;
        ws_queue_pop(&v, &x);
    }
    ck_assert_msg(ws_steal_half(&v, &t) == 1, "a single item must be stealable (half, rounded up)");
    ck_assert_uint_eq(ws_steal_half(&v, &t), 0); /* empty */
}
END_TEST

START_TEST(test_steal_appends_behind_the_thiefs_own)
{
    static ws_queue v, t;
    ws_queue_init(&v);
    ws_queue_init(&t);
    fill(&t, 100, 100);
    fill(&v, 1, 4);
    ck_assert_uint_eq(ws_steal_half(&v, &t), 2);
    expect(&t, (int[]){ 100, 1, 2 }, 3, "the thief");
}
END_TEST

START_TEST(test_steal_respects_the_thiefs_room)
{
    static ws_queue v, t;
    ws_queue_init(&v);
    ws_queue_init(&t);
    fill(&t, 1, WS_CAP - 2);
    fill(&v, 1, 10);
    ck_assert_msg(ws_steal_half(&v, &t) == 2, "the thief had room for 2");
    ck_assert_uint_eq(ws_queue_len(&t), WS_CAP);
    ck_assert_uint_eq(ws_queue_len(&v), 8);
}
END_TEST

/* nothing: a job that does nothing (for the single-threaded find_work test). */
static void nothing(ws_pool *p, int w, int job)
{
    (void)p, (void)w, (void)job;
}

START_TEST(test_find_work_steals_when_idle)
{
    static ws_pool p;
    ws_pool_init(&p, 3, nothing, NULL);
    ws_pool_add(&p, 0, 50);
    ws_pool_add(&p, 1, 1);
    ws_pool_add(&p, 1, 2);
    ws_pool_add(&p, 1, 3);
    ws_pool_add(&p, 1, 4);
    ws_pool_add(&p, 2, 10);
    int job = -1;
    ck_assert_int_eq(ws_find_work(&p, 0, &job), 1);
    ck_assert_msg(job == 50, "worker 0 has its own job 50 and must run it first (got %d)", job);
    ck_assert_msg(p.steals[0] == 0, "worker 0 stole although it had work");
    ck_assert_msg(ws_find_work(&p, 0, &job) == 1, "worker 0's queue is empty and worker 1 has "
                  "4 jobs: an idle worker must steal");
    ck_assert_msg(job == 1, "worker 0 stole from worker 1 (the first after it) and runs the "
                  "oldest stolen job, 1; it got %d", job);
    ck_assert_int_eq(p.steals[0], 1);
    ck_assert_int_eq(p.stolen[0], 2);
    expect(&p.queues[0], (int[]){ 2 }, 1, "worker 0's queue");
    expect(&p.queues[1], (int[]){ 3, 4 }, 2, "worker 1's queue");
    ws_pool_destroy(&p);
}
END_TEST

/* The multi-threaded tests: each job marks itself done and spins `spin_us`. */
typedef struct job_log {
    _Atomic int *runs;   /* runs[job]: how many times job ran */
    int spin_us;
} job_log;

/* spin_job: count the run, then spin (CPU work that never sleeps). */
static void spin_job(ws_pool *p, int w, int job)
{
    (void)w;
    job_log *log = p->ctx;
    atomic_fetch_add(&log->runs[job], 1);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000 < log->spin_us);
}

START_TEST(test_idle_worker_takes_a_share)
{
    static ws_pool p;
    static _Atomic int runs[400];
    job_log log = { runs, 200 };
    ws_pool_init(&p, 2, spin_job, &log);
    for (int j = 0; j < 400; j++)
        ck_assert_int_eq(ws_pool_add(&p, 0, j), 0); /* all on worker 0 */
    ck_assert_int_eq(ws_pool_run(&p), 0);
    for (int j = 0; j < 400; j++)
        ck_assert_msg(runs[j] == 1, "job %d ran %d times, want exactly once", j, runs[j]);
    ck_assert_msg(p.ran[1] > 0 && p.steals[1] > 0, "80 ms of jobs sat on worker 0 while worker 1 "
                  "ran %ld of them with %ld steals", p.ran[1], p.steals[1]);
    ck_assert_int_eq(p.ran[0] + p.ran[1], 400);
    ws_pool_destroy(&p);
}
END_TEST

START_TEST(test_many_thieves_lose_nothing)
{
    /* Four workers, uneven queues, tiny jobs: steals in every direction at once. Losing or
     * duplicating a job fails the counts. */
    static ws_pool p;
    static _Atomic int runs[10000];
    job_log log = { runs, 0 };
    ws_pool_init(&p, 4, spin_job, &log);
    for (int j = 0; j < 10000; j++)
        ck_assert_int_eq(ws_pool_add(&p, j < 4000 ? 0 : j < 6000 ? 1 : 2, j), 0);
    ck_assert_int_eq(ws_pool_run(&p), 0);
    for (int j = 0; j < 10000; j++)
        ck_assert_msg(runs[j] == 1, "job %d ran %d times, want exactly once", j, runs[j]);
    long steals = p.steals[0] + p.steals[1] + p.steals[2] + p.steals[3];
    long stolen = p.stolen[0] + p.stolen[1] + p.stolen[2] + p.stolen[3];
    ck_assert_msg(steals == 0 || stolen >= steals, "%ld steals moved only %ld jobs", steals,
                  stolen);
    ws_pool_destroy(&p);
}
END_TEST

START_TEST(test_idle_thieves_do_not_deadlock)
{
    /* One worker holds a few slow jobs; three idle workers keep trying to steal -- from it and
     * from each other -- for the whole time. A thief that holds its own lock while it waits for
     * the victim's can meet another thief doing the opposite, and then both wait for ever and
     * this test fails on its timeout. The window is a few instructions wide, so in a normal
     * build that is rare; under ThreadSanitizer (make grade N=08 VARIANT=tsan) the inverted
     * lock order is reported every time, whether or not the deadlock happens. */
    static ws_pool p;
    static _Atomic int runs[40];
    job_log log = { runs, 5000 };
    ws_pool_init(&p, 4, spin_job, &log);
    for (int j = 0; j < 40; j++)
        ck_assert_int_eq(ws_pool_add(&p, 0, j), 0);
    ck_assert_int_eq(ws_pool_run(&p), 0);
    for (int j = 0; j < 40; j++)
        ck_assert_int_eq(runs[j], 1);
    ws_pool_destroy(&p);
}
END_TEST

/* main: run the suite; exit 0 only if every check passed. */
int main(void)
{
    Suite *s = suite_create("lesson 08: work stealing");
    TCase *tc = tcase_create("steal half");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_steal_half_even);
    tcase_add_test(tc, test_steal_half_rounds_up);
    tcase_add_test(tc, test_steal_appends_behind_the_thiefs_own);
    tcase_add_test(tc, test_steal_respects_the_thiefs_room);
    tcase_add_test(tc, test_find_work_steals_when_idle);
    tcase_add_test(tc, test_idle_worker_takes_a_share);
    tcase_add_test(tc, test_many_thieves_lose_nothing);
    tcase_add_test(tc, test_idle_thieves_do_not_deadlock);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
