/* test_as_task.c: as tasks -- spawn, join, detach, cancel (also while sleeping), panics, current, yield, local tasks, 1M spawns. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "as.h"
#include "rt_alloc.h"
#include "rt_testkit.h"

/*
 * Every test runs in its own forked process (Check's default), so each one starts the global
 * runtime afresh, lazily, on its first as_ call. The runtime's exit handler then cancels what
 * is left and frees everything, which the ASan build checks for leaks on every test.
 */

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* ---- small futures the tests share ------------------------------------------------------ */

/* add_fut: adds `add` to *counter (atomically) after `yields` yields; output = value seen. */
typedef struct add_fut {
    rt_future base;
    rt_async co;
    _Atomic long *counter;
    long add;
    int yields, i;
    long output;
    as_yield_fut y;
} add_fut;

static rt_poll add_poll(rt_future *f, rt_context *cx)
{
    add_fut *self = (add_fut *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < self->yields; self->i++) {
        self->y = as_yield_now();
        RT_AWAIT(&self->co, &self->y, cx);
    }
    self->output = atomic_fetch_add(self->counter, self->add) + self->add;
    RT_END(&self->co);
}

static const rt_future_vtable add_vtable = { add_poll, NULL, "add_fut" };

static add_fut add_new(_Atomic long *counter, long add, int yields)
{
    return (add_fut){ .base = { &add_vtable }, .counter = counter, .add = add, .yields = yields };
}

/* sleeper_fut: sleeps ms, counting drops (cancellation must drop it exactly once). */
typedef struct sleeper_fut {
    rt_future base;
    rt_async co;
    uint64_t ms;
    as_sleep_fut nap;
    _Atomic int *started, *finished, *drops;
} sleeper_fut;

static rt_poll sleeper_poll(rt_future *f, rt_context *cx)
{
    sleeper_fut *self = (sleeper_fut *)f;
    RT_BEGIN(&self->co);
    if (self->started)
        atomic_fetch_add(self->started, 1);
    self->nap = as_sleep(self->ms);
    RT_AWAIT(&self->co, &self->nap, cx);
    if (self->finished)
        atomic_fetch_add(self->finished, 1);
    RT_END(&self->co);
}

static void sleeper_drop(rt_future *f)
{
    sleeper_fut *self = (sleeper_fut *)f;
    rt_async_drop(&self->co);
    if (self->drops)
        atomic_fetch_add(self->drops, 1);
}

static const rt_future_vtable sleeper_vtable = { sleeper_poll, sleeper_drop, "sleeper" };

/* join_fut: awaits a handle (from as_block_on). */
typedef struct join_fut {
    rt_future base;
    as_task *t;
} join_fut;

static rt_poll join_poll(rt_future *f, rt_context *cx)
{
    return rt_future_poll(as_task_join(((join_fut *)f)->t), cx);
}

static const rt_future_vtable join_vtable = { join_poll, NULL, "join" };

/* block_join: as_block_on(t.join). */
static void block_join(as_task *t)
{
    join_fut j = { .base = { &join_vtable }, .t = t };
    as_block_on(&j.base);
}

/* wait_until: spin politely until *flag >= want, up to 10 s; returns the last value. */
static long wait_until(_Atomic long *flag, long want)
{
    for (int i = 0; i < 10000 && atomic_load(flag) < want; i++)
        usleep(1000);
    return atomic_load(flag);
}

/* ---- tests ------------------------------------------------------------------------------- */

START_TEST(test_lazy_start)
{
    ck_assert_int_eq(as_runtime_is_started(), 0);
    _Atomic long c = 0;
    add_fut a = add_new(&c, 5, 0);
    as_task t;
    ck_assert_int_eq(AS_SPAWN(a, &t), 0);
    ck_assert_int_eq(as_runtime_is_started(), 1);
    block_join(&t);
    ck_assert_int_eq(as_task_outcome(&t), RT_OUTCOME_OK);
    ck_assert_int_eq(((add_fut *)as_task_output(&t))->output, 5);
    ck_assert_ptr_null(as_task_panic_message(&t));
    as_task_detach(&t);
}
END_TEST

START_TEST(test_spawn_join_many_outputs)
{
    enum { N = 500 };
    static as_task ts[N];
    _Atomic long c = 0;
    for (int i = 0; i < N; i++) {
        add_fut a = add_new(&c, 1, i % 7);
        ck_assert_int_eq(AS_SPAWN(a, &ts[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        block_join(&ts[i]);
        ck_assert_int_eq(as_task_outcome(&ts[i]), RT_OUTCOME_OK);
        ck_assert_int_ge(((add_fut *)as_task_output(&ts[i]))->output, 1);
        as_task_detach(&ts[i]);
    }
    ck_assert_int_eq(atomic_load(&c), N);
}
END_TEST

START_TEST(test_detach_and_drop_keep_running)
{
    _Atomic long c = 0;
    add_fut a = add_new(&c, 1, 3);
    as_task t1, t2;
    ck_assert_int_eq(AS_SPAWN(a, &t1), 0);
    ck_assert_int_eq(AS_SPAWN(a, &t2), 0);
    ck_assert_uint_ne(as_task_id(&t1), as_task_id(&t2));
    as_task_detach(&t1);
    as_task_detach(&t1); /* idempotent */
    ck_assert_uint_eq(as_task_id(&t1), 0);
    rt_future_drop(as_task_join(&t2)); /* dropping the handle detaches too */
    ck_assert_int_eq(wait_until(&c, 2), 2);
}
END_TEST

START_TEST(test_cancel_while_sleeping_releases_timer)
{
    _Atomic int started = 0, finished = 0, drops = 0;
    sleeper_fut s = { .base = { &sleeper_vtable }, .ms = 60000, .started = &started,
                      .finished = &finished, .drops = &drops };
    as_task t;
    ck_assert_int_eq(AS_SPAWN(s, &t), 0);
    for (int i = 0; i < 5000 && (atomic_load(&started) == 0 || as_timer_count() == 0); i++)
        usleep(1000);
    ck_assert_int_eq(atomic_load(&started), 1);
    ck_assert_uint_eq(as_timer_count(), 1);
    as_task_cancel(&t);
    as_task_cancel(&t); /* idempotent */
    block_join(&t);
    ck_assert_int_eq(as_task_outcome(&t), RT_OUTCOME_CANCELLED);
    ck_assert_int_eq(atomic_load(&finished), 0);
    ck_assert_int_eq(atomic_load(&drops), 1);
    ck_assert_uint_eq(as_timer_count(), 0); /* the heap entry went with the future */
    as_task_detach(&t);
}
END_TEST

START_TEST(test_cancel_many_sleepers)
{
    enum { N = 1000 };
    static as_task ts[N];
    _Atomic int started = 0, drops = 0;
    for (int i = 0; i < N; i++) {
        sleeper_fut s = { .base = { &sleeper_vtable }, .ms = 30000 + (uint64_t)i,
                          .started = &started, .drops = &drops };
        ck_assert_int_eq(AS_SPAWN(s, &ts[i]), 0);
    }
    for (int i = 0; i < 10000 && atomic_load(&started) < N; i++)
        usleep(1000);
    ck_assert_int_eq(atomic_load(&started), N);
    for (int i = 0; i < N; i++)
        as_task_cancel(&ts[i]);
    for (int i = 0; i < N; i++) {
        block_join(&ts[i]);
        ck_assert_int_eq(as_task_outcome(&ts[i]), RT_OUTCOME_CANCELLED);
        as_task_detach(&ts[i]);
    }
    ck_assert_int_eq(atomic_load(&drops), N);
    ck_assert_uint_eq(as_timer_count(), 0);
}
END_TEST

START_TEST(test_cancel_after_finish_keeps_output)
{
    _Atomic long c = 0;
    add_fut a = add_new(&c, 7, 0);
    as_task t;
    ck_assert_int_eq(AS_SPAWN(a, &t), 0);
    block_join(&t);
    ck_assert(as_task_is_finished(&t));
    as_task_cancel(&t);
    ck_assert_int_eq(as_task_outcome(&t), RT_OUTCOME_OK);
    ck_assert_int_eq(((add_fut *)as_task_output(&t))->output, 7);
    as_task_detach(&t);
}
END_TEST

/* panicker: panics on its second poll, after a yield, so it panics on a worker mid-task. */
typedef struct panicker {
    rt_future base;
    int polls;
    _Atomic int *drops;
} panicker;

static rt_poll panicker_poll(rt_future *f, rt_context *cx)
{
    panicker *p = (panicker *)f;
    if (++p->polls == 1) {
        rt_waker_wake_by_ref(cx->waker);
        return RT_PENDING;
    }
    rt_panic("boom %d", 42);
}

static void panicker_drop(rt_future *f)
{
    atomic_fetch_add(((panicker *)f)->drops, 1);
}

static const rt_future_vtable panicker_vtable = { panicker_poll, panicker_drop, "panicker" };

START_TEST(test_panicking_task_is_reported_and_runtime_survives)
{
    _Atomic int drops = 0;
    enum { N = 50 };
    as_task ts[N];
    for (int i = 0; i < N; i++) {
        panicker p = { .base = { &panicker_vtable }, .drops = &drops };
        ck_assert_int_eq(AS_SPAWN(p, &ts[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        block_join(&ts[i]);
        ck_assert_int_eq(as_task_outcome(&ts[i]), RT_OUTCOME_PANICKED);
        ck_assert_str_eq(as_task_panic_message(&ts[i]), "boom 42");
        ck_assert_ptr_null(as_task_output(&ts[i]));
        as_task_detach(&ts[i]);
    }
    ck_assert_int_eq(atomic_load(&drops), N); /* each panicked future was dropped */
    /* Still serving. */
    _Atomic long c = 0;
    add_fut a = add_new(&c, 1, 2);
    as_task t;
    ck_assert_int_eq(AS_SPAWN(a, &t), 0);
    block_join(&t);
    ck_assert_int_eq(as_task_outcome(&t), RT_OUTCOME_OK);
    as_task_detach(&t);
}
END_TEST

/* whoami: records as_task_current() from inside. */
typedef struct whoami {
    rt_future base;
    as_task_info seen;
} whoami;

static rt_poll whoami_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    ((whoami *)f)->seen = as_task_current();
    return RT_READY;
}

static const rt_future_vtable whoami_vtable = { whoami_poll, NULL, "whoami" };

START_TEST(test_task_current)
{
    as_task_info outside = as_task_current();
    ck_assert_uint_eq(outside.id, 0);
    ck_assert_ptr_null(outside.name);
    whoami w = { .base = { &whoami_vtable } };
    as_task t;
    ck_assert_int_eq(AS_SPAWN(w, &t), 0);
    uint64_t id = as_task_id(&t);
    ck_assert_uint_ne(id, 0);
    block_join(&t);
    whoami *out = (whoami *)as_task_output(&t);
    ck_assert_uint_eq(out->seen.id, id);
    ck_assert_str_eq(out->seen.name, "whoami");
    as_task_detach(&t);
}
END_TEST

START_TEST(test_yield_many)
{
    enum { TASKS = 200, YIELDS = 1000 };
    static as_task ts[TASKS];
    _Atomic long c = 0;
    for (int i = 0; i < TASKS; i++) {
        add_fut a = add_new(&c, 1, YIELDS);
        ck_assert_int_eq(AS_SPAWN(a, &ts[i]), 0);
    }
    for (int i = 0; i < TASKS; i++) {
        block_join(&ts[i]);
        ck_assert_int_eq(as_task_outcome(&ts[i]), RT_OUTCOME_OK);
        as_task_detach(&ts[i]);
    }
    ck_assert_int_eq(atomic_load(&c), TASKS);
}
END_TEST

/* ---- local tasks ------------------------------------------------------------------------- */

typedef struct tid_fut {
    rt_future base;
    rt_async co;
    pid_t tid;
    as_yield_fut y;
} tid_fut;

static rt_poll tid_poll(rt_future *f, rt_context *cx)
{
    tid_fut *self = (tid_fut *)f;
    RT_BEGIN(&self->co);
    self->y = as_yield_now();
    RT_AWAIT(&self->co, &self->y, cx);
    self->tid = gettid_();
    RT_END(&self->co);
}

static const rt_future_vtable tid_vtable = { tid_poll, NULL, "tid" };

/* local_main: spawns local tasks, joins some, leaves sleepers behind to be cancelled. */
typedef struct local_main {
    rt_future base;
    rt_async co;
    int i;
    as_task ts[8];
    pid_t tids[8];
    _Atomic int *drops;
} local_main;

static rt_poll local_main_poll(rt_future *f, rt_context *cx)
{
    local_main *self = (local_main *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < 8; self->i++) {
        tid_fut t = { .base = { &tid_vtable } };
        ck_assert_int_eq(as_spawn_local(&t.base, sizeof t, &self->ts[self->i]), 0);
    }
    for (self->i = 0; self->i < 8; self->i++) {
        RT_AWAIT(&self->co, as_task_join(&self->ts[self->i]), cx);
        self->tids[self->i] = ((tid_fut *)as_task_output(&self->ts[self->i]))->tid;
        as_task_detach(&self->ts[self->i]);
    }
    {
        /* Left running when block_on returns: must be cancelled then. */
        sleeper_fut s = { .base = { &sleeper_vtable }, .ms = 60000, .drops = self->drops };
        as_task t;
        ck_assert_int_eq(as_spawn_local(&s.base, sizeof s, &t), 0);
        as_task_detach(&t);
    }
    RT_END(&self->co);
}

static const rt_future_vtable local_main_vtable = { local_main_poll, NULL, "local_main" };

START_TEST(test_spawn_local_runs_on_this_thread_and_is_cancelled_at_end)
{
    _Atomic int drops = 0;
    local_main m = { .base = { &local_main_vtable }, .drops = &drops };
    as_block_on(&m.base);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(m.tids[i], gettid_());
    ck_assert_int_eq(atomic_load(&drops), 1);
    ck_assert_uint_eq(as_timer_count(), 0);
}
END_TEST

START_TEST(test_spawn_local_outside_block_on_panics)
{
    tid_fut t = { .base = { &tid_vtable } };
    as_task h;
    as_spawn_local(&t.base, sizeof t, &h); /* exits the process with 101 */
}
END_TEST

/* ---- 1M tasks ---------------------------------------------------------------------------- */

/* tick_fut: one unit of work: bump the counter, release a permit. */
typedef struct tick_fut {
    rt_future base;
    _Atomic long *counter;
    as_semaphore *sem;
} tick_fut;

static rt_poll tick_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    tick_fut *t = (tick_fut *)f;
    atomic_fetch_add_explicit(t->counter, 1, memory_order_relaxed);
    as_semaphore_release(t->sem);
    return RT_READY;
}

static const rt_future_vtable tick_vtable = { tick_poll, NULL, "tick" };

/* spawner_fut: spawns n ticks from inside a task, at most `window` alive at once (a permit
 * each), then waits until all are done by taking back every permit. */
typedef struct spawner_fut {
    rt_future base;
    rt_async co;
    long n, i, window;
    _Atomic long *counter;
    as_semaphore *sem;
    as_acquire_fut acq;
} spawner_fut;

static rt_poll spawner_poll(rt_future *f, rt_context *cx)
{
    spawner_fut *self = (spawner_fut *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < self->n; self->i++) {
        self->acq = as_semaphore_acquire(self->sem);
        RT_AWAIT(&self->co, &self->acq, cx);
        tick_fut t = { .base = { &tick_vtable }, .counter = self->counter, .sem = self->sem };
        as_task h;
        ck_assert_int_eq(AS_SPAWN(t, &h), 0);
        as_task_detach(&h);
    }
    for (self->i = 0; self->i < self->window; self->i++) {
        self->acq = as_semaphore_acquire(self->sem);
        RT_AWAIT(&self->co, &self->acq, cx);
    }
    RT_END(&self->co);
}

static const rt_future_vtable spawner_vtable = { spawner_poll, NULL, "spawner" };

START_TEST(test_one_million_tasks)
{
    /* 1M in every build: measured at well under the time budget even under TSan. */
    const long n = 1000000, window = 20000;
    _Atomic long counter = 0;
    as_semaphore sem;
    ck_assert_int_eq(as_semaphore_init(&sem, (size_t)window), 0);
    uint64_t before_alloc = rt_task_count_allocated();
    spawner_fut s = { .base = { &spawner_vtable }, .n = n, .window = window,
                      .counter = &counter, .sem = &sem };
    as_task t;
    ck_assert_int_eq(AS_SPAWN(s, &t), 0);
    block_join(&t);
    ck_assert_int_eq(as_task_outcome(&t), RT_OUTCOME_OK);
    as_task_detach(&t);
    ck_assert_int_eq(atomic_load(&counter), n);
    ck_assert_uint_eq(rt_task_count_allocated() - before_alloc, (uint64_t)n + 1);
    /* Every tick task is freed once it finished (the spawner's handle went just now). */
    for (int i = 0; i < 5000 && rt_task_count_freed() < rt_task_count_allocated(); i++)
        usleep(1000);
    ck_assert_uint_eq(rt_task_count_freed(), rt_task_count_allocated());
    as_semaphore_destroy(&sem);
}
END_TEST

START_TEST(test_spawn_out_of_memory_is_reported)
{
    ck_assert_uint_gt(as_thread_count(), 0); /* start the runtime first */
    _Atomic long c = 0;
    add_fut a = add_new(&c, 1, 0);
    as_task t;
    rt_alloc_fail_after(1);
    ck_assert_int_eq(AS_SPAWN(a, &t), -ENOMEM);
    rt_alloc_fail_after(0);
    ck_assert_int_eq(as_spawn(NULL, 0, &t), -EINVAL);
    ck_assert_int_eq(AS_SPAWN(a, &t), 0);
    block_join(&t);
    as_task_detach(&t);
    ck_assert_int_eq(atomic_load(&c), 1);
}
END_TEST

/* nested_fut: on a worker, block_on a future that awaits a spawned task (needs the nested
 * block_on to keep running global tasks when there is only one worker). */
typedef struct nested_fut {
    rt_future base;
    long result;
} nested_fut;

static rt_poll nested_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    nested_fut *self = (nested_fut *)f;
    _Atomic long c = 0;
    add_fut a = add_new(&c, 11, 3);
    as_task t;
    ck_assert_int_eq(AS_SPAWN(a, &t), 0);
    block_join(&t); /* nested as_block_on inside a task on a worker thread */
    self->result = ((add_fut *)as_task_output(&t))->output;
    as_task_detach(&t);
    return RT_READY;
}

static const rt_future_vtable nested_vtable = { nested_poll, NULL, "nested" };

START_TEST(test_nested_block_on_in_worker_with_one_thread)
{
    setenv("AS_THREAD_COUNT", "1", 1);
    ck_assert_uint_eq(as_thread_count(), 1);
    nested_fut n = { .base = { &nested_vtable } };
    as_task t;
    ck_assert_int_eq(AS_SPAWN(n, &t), 0);
    block_join(&t);
    ck_assert_int_eq(as_task_outcome(&t), RT_OUTCOME_OK);
    ck_assert_int_eq(((nested_fut *)as_task_output(&t))->result, 11);
    as_task_detach(&t);
}
END_TEST

static Suite *as_task_suite(void)
{
    Suite *s = suite_create("as_task");
    TCase *tc = tcase_create("tasks");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_lazy_start);
    tcase_add_test(tc, test_spawn_join_many_outputs);
    tcase_add_test(tc, test_detach_and_drop_keep_running);
    tcase_add_test(tc, test_cancel_while_sleeping_releases_timer);
    tcase_add_test(tc, test_cancel_many_sleepers);
    tcase_add_test(tc, test_cancel_after_finish_keeps_output);
    tcase_add_test(tc, test_panicking_task_is_reported_and_runtime_survives);
    tcase_add_test(tc, test_task_current);
    tcase_add_test(tc, test_yield_many);
    tcase_add_test(tc, test_spawn_local_runs_on_this_thread_and_is_cancelled_at_end);
    tcase_add_exit_test(tc, test_spawn_local_outside_block_on_panics, 101);
    tcase_add_test(tc, test_spawn_out_of_memory_is_reported);
    tcase_add_test(tc, test_nested_block_on_in_worker_with_one_thread);
    suite_add_tcase(s, tc);
    TCase *big = tcase_create("million");
    tcase_set_timeout(big, 30);
    tcase_add_test(big, test_one_million_tasks);
    suite_add_tcase(s, big);
    return s;
}

int main(void)
{
    return rt_suite_run(as_task_suite());
}
