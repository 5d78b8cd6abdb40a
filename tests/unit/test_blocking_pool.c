/* test_blocking_pool.c: blocking pool: growth, cap, keep-alive, shutdown, ENOMEM, names, policy. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_alloc.h"
#include "rt_blocking_pool.h"

#define GUARD_MS 5000 /* only catches hangs; no assertion depends on being faster than this */

/* now_ms: CLOCK_MONOTONIC in milliseconds (the pool's keep-alive clock). */
static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* sleep_ms: nanosleep, resumed after signals. */
static void sleep_ms(unsigned ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/*
 * A tally the jobs report into: how many started, finished, were cancelled, plus a gate the
 * jobs can be made to wait on. All under one mutex, with a condvar for the test to wait on.
 */
struct tally {
    pthread_mutex_t m;
    pthread_cond_t c;
    int gate_open;
    long started, finished, cancelled;
    uint64_t last_end_ms;
    int ran[64], cancelled_ids[64];
    char names[64][16];
};

static struct tally T;

/* tally_reset: an empty tally with the gate closed. */
static void tally_reset(void)
{
    memset(&T, 0, sizeof T);
    pthread_mutex_init(&T.m, NULL);
    pthread_cond_init(&T.c, NULL);
}

/* tally_wait: wait until *field >= n (5 s guard); 1 if reached. */
static int tally_wait(const long *field, long n)
{
    uint64_t end = now_ms() + GUARD_MS;
    pthread_mutex_lock(&T.m);
    while (*field < n && now_ms() < end) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&T.c, &T.m, &ts);
    }
    int ok = *field >= n;
    pthread_mutex_unlock(&T.m);
    return ok;
}

/* gate_open: let every gated job finish. */
static void gate_open(void)
{
    pthread_mutex_lock(&T.m);
    T.gate_open = 1;
    pthread_cond_broadcast(&T.c);
    pthread_mutex_unlock(&T.m);
}

/* job_gated: record the start (id, thread name), wait for the gate, record the end. */
static void job_gated(void *arg)
{
    int id = (int)(intptr_t)arg;
    pthread_mutex_lock(&T.m);
    if (id >= 0 && id < 64) {
        T.ran[id]++;
        pthread_getname_np(pthread_self(), T.names[id], sizeof T.names[id]);
    }
    T.started++;
    pthread_cond_broadcast(&T.c);
    while (!T.gate_open)
        pthread_cond_wait(&T.c, &T.m);
    T.finished++;
    T.last_end_ms = now_ms();
    pthread_cond_broadcast(&T.c);
    pthread_mutex_unlock(&T.m);
}

/* job_cancel: the cancel callback: record which job was cancelled. */
static void job_cancel(void *arg)
{
    int id = (int)(intptr_t)arg;
    pthread_mutex_lock(&T.m);
    if (id >= 0 && id < 64)
        T.cancelled_ids[id]++;
    T.cancelled++;
    pthread_cond_broadcast(&T.c);
    pthread_mutex_unlock(&T.m);
}

/* job_must_not_cancel: a cancel callback for jobs that must run, never be cancelled. */
static void job_must_not_cancel(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&T.m);
    T.cancelled += 1000;
    pthread_mutex_unlock(&T.m);
}

static const rt_blocking_config TOKIO = { .max_threads = 512, .keep_alive_ms = 10000,
                                          .grow_factor = 0, .thread_name = "tk-blocking" };
static const rt_blocking_config ASYNC_STD = { .max_threads = 500, .keep_alive_ms = 500,
                                              .grow_factor = 5, .thread_name = "as-blocking" };

/* with_cap: a copy of base with another cap and keep-alive. */
static rt_blocking_config with_cap(rt_blocking_config base, size_t cap, uint64_t keep_alive_ms)
{
    base.max_threads = cap;
    base.keep_alive_ms = keep_alive_ms;
    return base;
}

/* stats: a snapshot. */
static rt_blocking_stats stats(rt_blocking_pool *p)
{
    rt_blocking_stats s;
    rt_blocking_pool_stats(p, &s);
    return s;
}

/* Every job runs exactly once and is counted, in both policies. */
START_TEST(test_jobs_all_complete)
{
    const rt_blocking_config *cfgs[2] = { &TOKIO, &ASYNC_STD };
    for (int k = 0; k < 2; k++) {
        tally_reset();
        gate_open();
        rt_blocking_pool *p = rt_blocking_pool_new(cfgs[k]);
        ck_assert_ptr_nonnull(p);
        for (int i = 0; i < 200; i++)
            ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, job_must_not_cancel,
                                                     (void *)(intptr_t)(i % 64)), 0);
        ck_assert(tally_wait(&T.finished, 200));
        rt_blocking_pool_free(p);
        ck_assert_int_eq(T.finished, 200);
        ck_assert_int_eq(T.cancelled, 0);
    }
}
END_TEST

/* check_cap: cap 8, 20 gated jobs: exactly 8 threads, 12 queued; then all 20 run. */
static void check_cap(rt_blocking_config base)
{
    tally_reset();
    rt_blocking_config cfg = with_cap(base, 8, 10000);
    rt_blocking_pool *p = rt_blocking_pool_new(&cfg);
    ck_assert_ptr_nonnull(p);
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, NULL, (void *)(intptr_t)i), 0);
    ck_assert(tally_wait(&T.started, 8));
    rt_blocking_stats s = stats(p);
    ck_assert_uint_eq(s.threads, 8);
    ck_assert_uint_eq(s.max_threads_seen, 8);
    ck_assert_uint_eq(s.spawned, 8);
    ck_assert_uint_eq(s.queued, 12);
    ck_assert_uint_eq(s.idle, 0);
    gate_open();
    ck_assert(tally_wait(&T.finished, 20));
    rt_blocking_pool_shutdown(p, UINT64_MAX);
    s = stats(p);
    ck_assert_uint_eq(s.jobs_run, 20);
    ck_assert_uint_eq(s.jobs_cancelled, 0);
    ck_assert_uint_eq(s.threads, 0);
    ck_assert_uint_eq(s.exited, 8);
    ck_assert_uint_eq(s.max_threads_seen, 8);
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(T.ran[i], 1);
    rt_blocking_pool_free(p);
}

/* tokio policy: one thread per blocked job, up to the cap; the rest queue. */
START_TEST(test_growth_to_cap_tokio)
{
    check_cap(TOKIO);
}
END_TEST

/*
 * blocking-crate policy: it grows lazily, but a thread that takes a job re-checks, so with
 * every job blocked the pool still reaches the cap (otherwise jobs 9..20 would starve).
 */
START_TEST(test_growth_to_cap_blocking)
{
    check_cap(ASYNC_STD);
}
END_TEST

/* job_wait_for_partner: job A: block until job B (submitted after A) has run. */
static void job_wait_for_partner(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&T.m);
    T.started++;
    while (T.finished == 0)
        pthread_cond_wait(&T.c, &T.m);
    T.finished++;
    pthread_cond_broadcast(&T.c);
    pthread_mutex_unlock(&T.m);
}

/* job_partner: job B: release job A. */
static void job_partner(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&T.m);
    T.finished++;
    pthread_cond_broadcast(&T.c);
    pthread_mutex_unlock(&T.m);
}

/* A job that waits on a job queued behind it completes under both policies (no starvation). */
START_TEST(test_dependent_jobs_do_not_deadlock)
{
    const rt_blocking_config *cfgs[2] = { &TOKIO, &ASYNC_STD };
    for (int k = 0; k < 2; k++) {
        tally_reset();
        rt_blocking_pool *p = rt_blocking_pool_new(cfgs[k]);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(rt_blocking_pool_submit(p, job_wait_for_partner, NULL, NULL), 0);
        ck_assert_int_eq(rt_blocking_pool_submit(p, job_partner, NULL, NULL), 0);
        ck_assert(tally_wait(&T.finished, 2));
        rt_blocking_pool_free(p);
    }
}
END_TEST

/* simulate_burst: feed n submissions to the policy with no thread making progress. */
static rt_blocking_counts simulate_burst(const rt_blocking_config *cfg, rt_blocking_counts c,
                                         int n)
{
    for (int i = 0; i < n; i++) {
        c.queued++;
        rt_blocking_plan plan = rt_blocking_plan_submit(cfg, &c);
        ck_assert_uint_le(plan.wake, c.idle);
        c.idle -= plan.wake;
        c.waking += plan.wake + plan.spawn;
        c.threads += plan.spawn;
    }
    return c;
}

/*
 * grow_factor 5 grows slower than 0. The policy is checked on its own, because in a live pool
 * the blocking crate's rule reads counts that move as woken threads get scheduled (that is the
 * crate's design, not a flaw of the test); here no thread runs between submissions.
 *   From empty, 20 jobs: tokio starts 20 threads (capped at 8: 8); the blocking rule tops up
 *   to ceil(queued/5) available threads: threads at jobs 1, 6, 11, 16 -> 4.
 *   With 2 idle threads, 20 jobs: tokio wakes 2 and starts 18; blocking wakes 2 (jobs 1, 2),
 *   then needs ceil(11/5) = 3 > 2 at job 11 and 4 at job 16: 2 new threads, 4 in all.
 */
START_TEST(test_policy_grow_factor_is_slower)
{
    rt_blocking_config tk = with_cap(TOKIO, 64, 10000), bl = with_cap(ASYNC_STD, 64, 500);
    rt_blocking_counts empty = { 0 }, two_idle = { .threads = 2, .idle = 2 };

    rt_blocking_counts c = simulate_burst(&tk, empty, 20);
    ck_assert_uint_eq(c.threads, 20);
    c = simulate_burst(&bl, empty, 20);
    ck_assert_uint_eq(c.threads, 4);
    rt_blocking_config tk8 = with_cap(TOKIO, 8, 10000), bl3 = with_cap(ASYNC_STD, 3, 500);
    ck_assert_uint_eq(simulate_burst(&tk8, empty, 20).threads, 8);
    ck_assert_uint_eq(simulate_burst(&bl3, empty, 20).threads, 3);

    c = simulate_burst(&tk, two_idle, 20);
    ck_assert_uint_eq(c.threads, 20);
    ck_assert_uint_eq(c.idle, 0);
    c = simulate_burst(&bl, two_idle, 20);
    ck_assert_uint_eq(c.threads, 4);
    ck_assert_uint_eq(c.idle, 0);
    ck_assert_uint_eq(c.waking, 4);
    c = simulate_burst(&bl, two_idle, 10); /* 10 <= 5 * 2: the idle threads absorb it all */
    ck_assert_uint_eq(c.threads, 2);

    /* Dequeue: the taker stops counting as available; tokio never grows here. */
    rt_blocking_counts after_take = { .threads = 4, .idle = 0, .waking = 3, .queued = 19 };
    ck_assert_uint_eq(rt_blocking_plan_dequeue(&bl, &after_take).spawn, 1);
    ck_assert_uint_eq(rt_blocking_plan_dequeue(&tk, &after_take).spawn, 0);
    rt_blocking_counts stuck = { .threads = 4, .idle = 0, .waking = 0, .queued = 1 };
    ck_assert_uint_eq(rt_blocking_plan_dequeue(&bl, &stuck).spawn, 1);
}
END_TEST

/* With a thread idle, a new job wakes it and starts no thread (both policies). */
START_TEST(test_idle_thread_is_reused)
{
    const rt_blocking_config *cfgs[2] = { &TOKIO, &ASYNC_STD };
    for (int k = 0; k < 2; k++) {
        tally_reset();
        gate_open();
        rt_blocking_config cfg = with_cap(*cfgs[k], 8, 10000);
        rt_blocking_pool *p = rt_blocking_pool_new(&cfg);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, NULL, (void *)(intptr_t)0), 0);
        ck_assert(tally_wait(&T.finished, 1));
        uint64_t end = now_ms() + GUARD_MS;
        while (stats(p).idle < 1 && now_ms() < end)
            sleep_ms(1);
        ck_assert_uint_eq(stats(p).idle, 1);
        ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, NULL, (void *)(intptr_t)1), 0);
        ck_assert(tally_wait(&T.finished, 2));
        ck_assert_uint_eq(stats(p).spawned, 1);
        rt_blocking_pool_free(p);
    }
}
END_TEST

/* Keep-alive: idle threads exit, but never before keep_alive_ms after the last job ended. */
START_TEST(test_keep_alive_shrinks)
{
    tally_reset();
    rt_blocking_config cfg = with_cap(TOKIO, 8, 50);
    rt_blocking_pool *p = rt_blocking_pool_new(&cfg);
    ck_assert_ptr_nonnull(p);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, NULL, (void *)(intptr_t)i), 0);
    ck_assert(tally_wait(&T.started, 4));
    ck_assert_uint_eq(stats(p).threads, 4);
    gate_open();
    ck_assert(tally_wait(&T.finished, 4));
    uint64_t end = now_ms() + GUARD_MS, seen = 0;
    while (now_ms() < end) {
        rt_blocking_stats s = stats(p);
        if (s.threads == 0) {
            seen = now_ms();
            break;
        }
        sleep_ms(1);
    }
    ck_assert_uint_ne(seen, 0);
    pthread_mutex_lock(&T.m);
    uint64_t last_end = T.last_end_ms;
    pthread_mutex_unlock(&T.m);
    ck_assert_uint_ge(seen - last_end, 50);
    rt_blocking_stats s = stats(p);
    ck_assert_uint_eq(s.exited, 4);
    ck_assert_uint_eq(s.idle, 0);
    /* The pool still works after shrinking to nothing. */
    ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, NULL, (void *)(intptr_t)5), 0);
    ck_assert(tally_wait(&T.finished, 5));
    rt_blocking_pool_free(p);
}
END_TEST

/* job_tiny: count a finished job, nothing else. */
static void job_tiny(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&T.m);
    T.finished++;
    pthread_cond_broadcast(&T.c);
    pthread_mutex_unlock(&T.m);
}

/*
 * Keep-alive of 1 ms, and each job submitted about 1 ms after the previous one finished: the
 * idle thread's keep-alive keeps running out just as the next job arrives. Each job must finish
 * before the next is sent, so a job stranded by a thread that chose to exit (instead of taking
 * the job it was handed) shows up at once as a hang, caught by the guard.
 */
START_TEST(test_keep_alive_race_strands_nothing)
{
    const rt_blocking_config *cfgs[2] = { &TOKIO, &ASYNC_STD };
    for (int k = 0; k < 2; k++) {
        tally_reset();
        rt_blocking_config cfg = with_cap(*cfgs[k], 4, 1);
        rt_blocking_pool *p = rt_blocking_pool_new(&cfg);
        ck_assert_ptr_nonnull(p);
        for (long i = 0; i < 400; i++) {
            ck_assert_int_eq(rt_blocking_pool_submit(p, job_tiny, NULL, NULL), 0);
            ck_assert(tally_wait(&T.finished, i + 1));
            struct timespec ts = { 0, 700000L + (i % 13) * 50000L }; /* 0.70 .. 1.30 ms */
            nanosleep(&ts, NULL);
        }
        rt_blocking_stats s = stats(p);
        ck_assert_uint_eq(s.jobs_run, 400);
        ck_assert_uint_ge(s.spawned, 1);
        rt_blocking_pool_free(p);
    }
}
END_TEST

/* shutdown_thread: run shutdown (forever) on its own thread. */
static void *shutdown_thread(void *arg)
{
    rt_blocking_pool_shutdown(arg, UINT64_MAX);
    return NULL;
}

/* Shutdown cancels exactly the queued jobs, lets the running ones finish, then refuses more. */
START_TEST(test_shutdown_cancels_queued)
{
    tally_reset();
    rt_blocking_config cfg = with_cap(TOKIO, 2, 10000);
    rt_blocking_pool *p = rt_blocking_pool_new(&cfg);
    ck_assert_ptr_nonnull(p);
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, job_cancel, (void *)(intptr_t)i), 0);
    ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, NULL, (void *)(intptr_t)7), 0);
    ck_assert(tally_wait(&T.started, 2));
    ck_assert_uint_eq(stats(p).queued, 6);

    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, shutdown_thread, p), 0);
    ck_assert(tally_wait(&T.cancelled, 5)); /* cancels happen before shutdown waits */
    gate_open();
    pthread_join(t, NULL);

    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(T.ran[i], i < 2 ? 1 : 0);
        ck_assert_int_eq(T.cancelled_ids[i], (i >= 2 && i < 7) ? 1 : 0);
    }
    rt_blocking_stats s = stats(p);
    ck_assert_uint_eq(s.jobs_run, 2);
    ck_assert_uint_eq(s.jobs_cancelled, 6); /* job 7 had no cancel callback but was dropped */
    ck_assert_uint_eq(s.threads, 0);
    ck_assert_uint_eq(s.queued, 0);

    ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, job_cancel, (void *)(intptr_t)9),
                     -ESHUTDOWN);
    ck_assert_int_eq(T.cancelled_ids[9], 0);
    rt_blocking_pool_free(p);
}
END_TEST

/* count_named_threads: threads of this process whose name is `name` (from /proc/self/task). */
static int count_named_threads(const char *name)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], comm[32] = { 0 };
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue; /* the thread exited while we looked */
        if (fgets(comm, sizeof comm, f) != NULL) {
            comm[strcspn(comm, "\n")] = '\0';
            n += strcmp(comm, name) == 0;
        }
        fclose(f);
    }
    closedir(d);
    return n;
}

/* Shutdown with a timeout gives up on a stuck job; the detached thread later frees the pool. */
START_TEST(test_shutdown_timeout_detaches)
{
    tally_reset();
    rt_blocking_config cfg = TOKIO;
    cfg.thread_name = "tmo-blocking";
    rt_blocking_pool *p = rt_blocking_pool_new(&cfg);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, NULL, (void *)(intptr_t)0), 0);
    ck_assert(tally_wait(&T.started, 1));
    ck_assert_int_eq(count_named_threads("tmo-blocking"), 1);
    uint64_t t0 = now_ms();
    rt_blocking_pool_shutdown(p, 30);
    ck_assert_uint_ge(now_ms() - t0, 30);
    ck_assert_uint_eq(stats(p).threads, 1); /* still inside its job, now detached */
    rt_blocking_pool_free(p); /* must not wait for it: the gate is still shut */
    ck_assert_int_eq(T.finished, 0);
    gate_open();
    ck_assert(tally_wait(&T.finished, 1));
    /* The detached thread drops the last reference and exits; ASan checks the free. */
    uint64_t end = now_ms() + GUARD_MS;
    while (count_named_threads("tmo-blocking") != 0 && now_ms() < end)
        sleep_ms(1);
    ck_assert_int_eq(count_named_threads("tmo-blocking"), 0);
}
END_TEST

/* Bad config and allocation failure: NULL with errno, nothing leaked. */
START_TEST(test_new_errors)
{
    rt_blocking_config bad = TOKIO;
    bad.max_threads = 0;
    errno = 0;
    ck_assert_ptr_null(rt_blocking_pool_new(&bad));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    rt_alloc_fail_after(1);
    ck_assert_ptr_null(rt_blocking_pool_new(&TOKIO));
    ck_assert_int_eq(errno, ENOMEM);
    rt_blocking_pool *p = rt_blocking_pool_new(&TOKIO);
    ck_assert_ptr_nonnull(p);
    rt_blocking_pool_free(p);
}
END_TEST

/* Submit under ENOMEM: refused with nothing queued, or queued when a thread can take it. */
START_TEST(test_submit_enomem)
{
    tally_reset();
    rt_blocking_pool *p = rt_blocking_pool_new(&TOKIO);
    ck_assert_ptr_nonnull(p);
    /* 1st allocation: the job node itself. */
    rt_alloc_fail_after(1);
    ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, job_cancel, (void *)(intptr_t)0),
                     -ENOMEM);
    /* 2nd allocation: the record of the pool's first thread; with no thread, refuse. */
    rt_alloc_fail_after(2);
    ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, job_cancel, (void *)(intptr_t)0),
                     -ENOMEM);
    rt_blocking_stats s = stats(p);
    ck_assert_uint_eq(s.threads, 0);
    ck_assert_uint_eq(s.queued, 0);
    ck_assert_uint_eq(s.spawned, 0);

    ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, job_cancel, (void *)(intptr_t)1), 0);
    ck_assert(tally_wait(&T.started, 1));
    /* A thread exists (busy): a failed spawn only means the job waits for it. */
    rt_alloc_fail_after(2);
    ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, job_cancel, (void *)(intptr_t)2), 0);
    s = stats(p);
    ck_assert_uint_eq(s.threads, 1);
    ck_assert_uint_eq(s.queued, 1);
    gate_open();
    ck_assert(tally_wait(&T.finished, 2));
    ck_assert_int_eq(T.ran[0], 0);
    ck_assert_int_eq(T.ran[1], 1);
    ck_assert_int_eq(T.ran[2], 1);
    ck_assert_int_eq(T.cancelled, 0);
    rt_blocking_pool_free(p);
}
END_TEST

/* Threads carry the configured name, cut to 15 characters, or the default. */
START_TEST(test_thread_names)
{
    const char *names[3] = { "tk-blocking", "a-much-too-long-thread-name", NULL };
    const char *want[3] = { "tk-blocking", "a-much-too-long", "rt-blocking" };
    for (int k = 0; k < 3; k++) {
        tally_reset();
        gate_open();
        rt_blocking_config cfg = TOKIO;
        cfg.thread_name = names[k];
        rt_blocking_pool *p = rt_blocking_pool_new(&cfg);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(rt_blocking_pool_submit(p, job_gated, NULL, (void *)(intptr_t)3), 0);
        ck_assert(tally_wait(&T.finished, 1));
        ck_assert_str_eq(T.names[3], want[k]);
        rt_blocking_pool_free(p);
    }
}
END_TEST

/* main: the blocking-pool suite; non-zero exit when any test fails. */
int main(void)
{
    Suite *s = suite_create("blocking_pool");
    TCase *tc = tcase_create("pool");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_jobs_all_complete);
    tcase_add_test(tc, test_growth_to_cap_tokio);
    tcase_add_test(tc, test_growth_to_cap_blocking);
    tcase_add_test(tc, test_dependent_jobs_do_not_deadlock);
    tcase_add_test(tc, test_idle_thread_is_reused);
    tcase_add_test(tc, test_keep_alive_shrinks);
    tcase_add_test(tc, test_keep_alive_race_strands_nothing);
    tcase_add_test(tc, test_shutdown_cancels_queued);
    tcase_add_test(tc, test_shutdown_timeout_detaches);
    tcase_add_test(tc, test_new_errors);
    tcase_add_test(tc, test_submit_enomem);
    tcase_add_test(tc, test_thread_names);
    suite_add_tcase(s, tc);

    TCase *pol = tcase_create("policy");
    tcase_set_timeout(pol, 5);
    tcase_add_test(pol, test_policy_grow_factor_is_slower);
    suite_add_tcase(s, pol);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
