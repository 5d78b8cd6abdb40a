/* test_as_blocking.c: as_spawn_blocking -- results, the pool's growth while jobs block and its shrink after 500 ms idle. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "as.h"
#include "rt_block_on.h"
#include "rt_testkit.h"

/* square: a blocking job's function; also records the thread name it ran on. */
static char job_thread_name[32];

static void *square(void *arg)
{
    uintptr_t v = (uintptr_t)arg;
    pthread_getname_np(pthread_self(), job_thread_name, sizeof job_thread_name);
    return (void *)(v * v);
}

START_TEST(test_result_and_thread_name)
{
    as_blocking_fut b = as_spawn_blocking(square, (void *)(uintptr_t)12);
    as_block_on(&b.base);
    ck_assert_int_eq(b.err, 0);
    ck_assert_uint_eq((uintptr_t)b.result, 144);
    ck_assert_str_eq(job_thread_name, "as-blocking");
    rt_future_drop(&b.base);
}
END_TEST

START_TEST(test_works_under_core_rt_block_on)
{
    as_blocking_fut b = as_spawn_blocking(square, (void *)(uintptr_t)7);
    rt_block_on(&b.base);
    ck_assert_int_eq(b.err, 0);
    ck_assert_uint_eq((uintptr_t)b.result, 49);
}
END_TEST

START_TEST(test_bad_input)
{
    as_blocking_fut b = as_spawn_blocking(NULL, NULL);
    as_block_on(&b.base);
    ck_assert_int_eq(b.err, -EINVAL);
}
END_TEST

/* A gate the jobs block on until the test opens it. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open;
static _Atomic int jobs_running, jobs_done;

static void *gated_job(void *arg)
{
    atomic_fetch_add(&jobs_running, 1);
    pthread_mutex_lock(&gate_lock);
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    atomic_fetch_add(&jobs_done, 1);
    return arg;
}

static void open_gate(void)
{
    pthread_mutex_lock(&gate_lock);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_lock);
}

/* many_blocking: spawn n gated jobs from a task, await them all, sum the results. */
typedef struct many_blocking {
    rt_future base;
    rt_async co;
    int n, i;
    uintptr_t sum;
    as_blocking_fut jobs[64];
} many_blocking;

static rt_poll many_blocking_poll(rt_future *f, rt_context *cx)
{
    many_blocking *self = (many_blocking *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < self->n; self->i++)
        self->jobs[self->i] = as_spawn_blocking(gated_job, (void *)(uintptr_t)(self->i + 1));
    for (self->i = 0; self->i < self->n; self->i++) {
        RT_AWAIT(&self->co, &self->jobs[self->i], cx);
        ck_assert_int_eq(self->jobs[self->i].err, 0);
        self->sum += (uintptr_t)self->jobs[self->i].result;
    }
    RT_END(&self->co);
}

static void many_blocking_drop(rt_future *f)
{
    many_blocking *self = (many_blocking *)f;
    for (int i = 0; i < self->n; i++)
        rt_future_drop(&self->jobs[i].base);
}

static const rt_future_vtable many_blocking_vtable = { many_blocking_poll, many_blocking_drop,
                                                       "many_blocking" };

START_TEST(test_pool_grows_while_jobs_block_and_shrinks_when_idle)
{
    enum { N = 40 };
    many_blocking m = { .base = { &many_blocking_vtable }, .n = N };
    as_task t;
    ck_assert_int_eq(AS_SPAWN(m, &t), 0);
    /* Every job blocks, so no thread is ever free: the pool must add a thread per waiting
     * job until all run at once (the cap of 500 is far away). */
    for (int i = 0; i < 10000 && atomic_load(&jobs_running) < N; i++)
        usleep(1000);
    ck_assert_int_eq(atomic_load(&jobs_running), N);
    rt_blocking_stats st;
    as_blocking_stats(&st);
    ck_assert_uint_eq(st.threads, N);
    ck_assert_uint_eq(st.max_threads_seen, N);
    rt_runtime_metrics mt;
    ck_assert_int_eq(as_metrics(&mt), 0);
    ck_assert_uint_eq(mt.blocking_threads, N);
    /* The jobs can only finish, and their threads go idle, after the gate opens. */
    uint64_t opened = as_now_ns();
    open_gate();
    as_block_on(as_task_join(&t));
    ck_assert_int_eq(as_task_outcome(&t), RT_OUTCOME_OK);
    ck_assert_uint_eq(((many_blocking *)as_task_output(&t))->sum, N * (N + 1) / 2);
    as_task_detach(&t);
    /* Idle threads leave after 500 ms: all of them within a generous bound ... */
    as_blocking_stats(&st);
    while (st.threads > 0 && as_now_ns() - opened < 10000000000ull) {
        usleep(10000);
        as_blocking_stats(&st);
    }
    ck_assert_uint_eq(st.threads, 0);
    /* ... and not earlier than the keep-alive after they went idle. */
    ck_assert_uint_ge(as_now_ns() - opened, 500000000ull);
    ck_assert_uint_eq(st.exited, st.spawned);
    ck_assert_uint_eq(st.jobs_run, N);
}
END_TEST

/* A slow job whose future is dropped: the job still runs to its end. */
static _Atomic int slow_done;

static void *slow_job(void *arg)
{
    usleep(50000);
    atomic_store(&slow_done, 1);
    return arg;
}

START_TEST(test_dropped_future_detaches_job)
{
    as_blocking_fut b = as_spawn_blocking(slow_job, NULL);
    rt_waker noop = rt_waker_noop();
    rt_context cx = { &noop };
    ck_assert_int_eq(rt_future_poll(&b.base, &cx), RT_PENDING);
    rt_future_drop(&b.base);
    for (int i = 0; i < 5000 && !atomic_load(&slow_done); i++)
        usleep(1000);
    ck_assert_int_eq(atomic_load(&slow_done), 1);
}
END_TEST

static Suite *as_blocking_suite(void)
{
    Suite *s = suite_create("as_blocking");
    TCase *tc = tcase_create("blocking");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_result_and_thread_name);
    tcase_add_test(tc, test_works_under_core_rt_block_on);
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_pool_grows_while_jobs_block_and_shrinks_when_idle);
    tcase_add_test(tc, test_dropped_future_detaches_job);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_suite_run(as_blocking_suite());
}
