/* test_tk_runtime.c: the tk runtime -- build, block_on, spawn on both schedulers, shutdown, errors. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_async.h"
#include "rt_block_on.h"
#include "rt_combinators.h"
#include "rt_clock.h"
#include "rt_testkit.h"
#include "tk_blocking.h"
#include "tk_runtime.h"
#include "tk_time.h"
#include "tk_testkit.h"

/* ---- a main future that sleeps ----------------------------------------------------------- */
typedef struct sleeper {
    rt_future base;
    rt_async co;
    tk_sleep_fut sleep;
    uint64_t ms;
} sleeper;

static rt_poll sleeper_poll(rt_future *f, rt_context *cx)
{
    sleeper *s = (sleeper *)f;
    RT_BEGIN(&s->co);
    s->sleep = tk_sleep(s->ms);
    RT_AWAIT(&s->co, &s->sleep, cx);
    RT_END(&s->co);
}

static void sleeper_drop(rt_future *f)
{
    rt_async_drop(&((sleeper *)f)->co);
}

static const rt_future_vtable sleeper_vtable = { sleeper_poll, sleeper_drop, "sleeper" };

static sleeper sleeper_new(uint64_t ms)
{
    sleeper s;
    memset(&s, 0, sizeof s);
    s.base.vtable = &sleeper_vtable;
    s.ms = ms;
    return s;
}

START_TEST(test_block_on_sleep_both_flavours)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        sleeper s = sleeper_new(30);
        uint64_t t0 = rt_monotonic_ns();
        tk_runtime_block_on(rt, &s.base);
        uint64_t took = rt_monotonic_ns() - t0;
        ck_assert_uint_ge(took, 30 * 1000000u); /* never early */
        ck_assert(tk_sleep_is_elapsed(&s.sleep));
        rt_future_drop(&s.base);
        tk_runtime_free(rt);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- spawn many tasks that each yield, then count --------------------------------------- */
typedef struct counter_task {
    rt_future base;
    rt_async co;
    _Atomic long *counter;
    int yields, i;
    rt_yield_fut y;
} counter_task;

static rt_poll counter_poll(rt_future *f, rt_context *cx)
{
    counter_task *t = (counter_task *)f;
    RT_BEGIN(&t->co);
    for (t->i = 0; t->i < t->yields; t->i++) {
        t->y = rt_yield_now();
        RT_AWAIT(&t->co, &t->y, cx);
    }
    atomic_fetch_add(t->counter, 1);
    RT_END(&t->co);
}

static const rt_future_vtable counter_vtable = { counter_poll, NULL, "counter" };

typedef struct spawner {
    rt_future base;
    rt_async co;
    int n, i, yields;
    _Atomic long *counter;
    tk_join_handle *handles;
} spawner;

static rt_poll spawner_poll(rt_future *f, rt_context *cx)
{
    spawner *s = (spawner *)f;
    RT_BEGIN(&s->co);
    for (s->i = 0; s->i < s->n; s->i++) {
        counter_task t = { .base = { &counter_vtable }, .counter = s->counter, .yields = s->yields };
        ck_assert_int_eq(tk_spawn(&t.base, sizeof t, &s->handles[s->i]), 0);
    }
    for (s->i = 0; s->i < s->n; s->i++) {
        RT_AWAIT(&s->co, &s->handles[s->i], cx);
        ck_assert_int_eq(s->handles[s->i].outcome, RT_OUTCOME_OK);
        rt_join_handle_detach(&s->handles[s->i]);
    }
    RT_END(&s->co);
}

static const rt_future_vtable spawner_vtable = { spawner_poll, NULL, "spawner" };

static void run_spawner(tk_flavor flavor, unsigned workers, int n, int yields)
{
    tk_runtime *rt = build(flavor, workers);
    _Atomic long counter = 0;
    spawner s = { .base = { &spawner_vtable }, .n = n, .yields = yields, .counter = &counter };
    s.handles = calloc((size_t)n, sizeof *s.handles);
    tk_runtime_block_on(rt, &s.base);
    ck_assert_int_eq(atomic_load(&counter), n);
    free(s.handles);
    tk_runtime_free(rt);
    rt_check_tasks_balanced();
}

START_TEST(test_spawn_and_join_current_thread)
{
    run_spawner(TK_CURRENT_THREAD, 0, 5000, 3);
}
END_TEST

START_TEST(test_spawn_and_join_multi_thread)
{
    run_spawner(TK_MULTI_THREAD, 2, 20000, 3);
    run_spawner(TK_MULTI_THREAD, 4, 20000, 10);
}
END_TEST

/* ---- free with pending tasks: every future dropped, nothing leaked ----------------------- */
typedef struct forever {
    rt_future base;
    rt_async co;
    tk_sleep_fut sleep;
    _Atomic int *drops;
} forever;

static rt_poll forever_poll(rt_future *f, rt_context *cx)
{
    forever *t = (forever *)f;
    RT_BEGIN(&t->co);
    t->sleep = tk_sleep(3600 * 1000);
    RT_AWAIT(&t->co, &t->sleep, cx);
    RT_END(&t->co);
}

static void forever_drop(rt_future *f)
{
    forever *t = (forever *)f;
    rt_async_drop(&t->co);
    atomic_fetch_add(t->drops, 1);
}

static const rt_future_vtable forever_vtable = { forever_poll, forever_drop, "forever" };

typedef struct leave_pending {
    rt_future base;
    rt_async co;
    _Atomic int *drops;
    int i;
    tk_sleep_fut nap;
} leave_pending;

static rt_poll leave_pending_poll(rt_future *f, rt_context *cx)
{
    leave_pending *l = (leave_pending *)f;
    RT_BEGIN(&l->co);
    for (l->i = 0; l->i < 100; l->i++) {
        forever t = { .base = { &forever_vtable }, .drops = l->drops };
        tk_join_handle jh;
        ck_assert_int_eq(tk_spawn(&t.base, sizeof t, &jh), 0);
        rt_join_handle_detach(&jh);
    }
    l->nap = tk_sleep(20); /* let them all register their timers */
    RT_AWAIT(&l->co, &l->nap, cx);
    RT_END(&l->co);
}

static const rt_future_vtable leave_pending_vtable = { leave_pending_poll, NULL, "leave_pending" };

START_TEST(test_free_cancels_pending_tasks)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        _Atomic int drops = 0;
        leave_pending l = { .base = { &leave_pending_vtable }, .drops = &drops };
        tk_runtime_block_on(rt, &l.base);
        tk_runtime_free(rt);
        ck_assert_int_eq(atomic_load(&drops), 100);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- context errors ---------------------------------------------------------------------- */

/* run_child: run fn in a child process; return its exit code and what it wrote to stderr. */
static int run_child(void (*fn)(void), char *err, size_t errlen)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn();
        _exit(0);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t n;
    while (got + 1 < errlen && (n = read(fds[0], err + got, errlen - 1 - got)) > 0)
        got += (size_t)n;
    err[got] = '\0';
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void sleep_outside_runtime(void)
{
    sleeper s = sleeper_new(10);
    rt_block_on(&s.base); /* the core's executor: no tk runtime here */
}

static void nested_block_on(void)
{
    tk_runtime *rt = build(TK_CURRENT_THREAD, 0);
    tk_enter_guard g = tk_handle_enter(tk_runtime_handle(rt));
    (void)g;
    /* block_on inside block_on: from a future running on the runtime */
    extern void nested_inner(tk_runtime *rt);
    nested_inner(rt);
}

typedef struct nester {
    rt_future base;
    tk_runtime *rt;
} nester;

static rt_poll nester_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    sleeper s = sleeper_new(1);
    tk_runtime_block_on(((nester *)f)->rt, &s.base);
    return RT_READY;
}

static const rt_future_vtable nester_vtable = { nester_poll, NULL, "nester" };

void nested_inner(tk_runtime *rt);
void nested_inner(tk_runtime *rt)
{
    nester n = { { &nester_vtable }, rt };
    tk_runtime_block_on(rt, &n.base);
}

static void time_disabled(void)
{
    tk_builder b = tk_builder_new_current_thread();
    tk_builder_enable_io(&b);
    tk_runtime *rt = NULL;
    ck_assert_int_eq(tk_builder_build(&b, &rt), 0);
    sleeper s = sleeper_new(10);
    tk_runtime_block_on(rt, &s.base);
}

START_TEST(test_context_errors)
{
    char err[2048];
    ck_assert_int_eq(run_child(sleep_outside_runtime, err, sizeof err), 101);
    ck_assert_ptr_nonnull(strstr(err, TK_MSG_NO_REACTOR));
    ck_assert_int_eq(run_child(nested_block_on, err, sizeof err), 101);
    ck_assert_ptr_nonnull(strstr(err, "Cannot start a runtime from within a runtime"));
    ck_assert_int_eq(run_child(time_disabled, err, sizeof err), 101);
    ck_assert_ptr_nonnull(strstr(err, TK_MSG_TIME_DISABLED));
}
END_TEST

/* ---- spawn_blocking ---------------------------------------------------------------------- */
static void *square(void *arg)
{
    long x = (long)arg;
    usleep(20000);
    return (void *)(x * x);
}

typedef struct blocker {
    rt_future base;
    rt_async co;
    tk_join_handle jh;
    long result;
} blocker;

static rt_poll blocker_poll(rt_future *f, rt_context *cx)
{
    blocker *b = (blocker *)f;
    RT_BEGIN(&b->co);
    ck_assert_int_eq(tk_spawn_blocking(square, (void *)7L, &b->jh), 0);
    RT_AWAIT(&b->co, &b->jh, cx);
    ck_assert_int_eq(b->jh.outcome, RT_OUTCOME_OK);
    b->result = (long)tk_blocking_result(&b->jh);
    rt_join_handle_detach(&b->jh);
    RT_END(&b->co);
}

static const rt_future_vtable blocker_vtable = { blocker_poll, NULL, "blocker" };

START_TEST(test_spawn_blocking)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        blocker b = { .base = { &blocker_vtable } };
        tk_runtime_block_on(rt, &b.base);
        ck_assert_int_eq(b.result, 49);
        tk_runtime_free(rt);
    }
    rt_check_tasks_balanced();
}
END_TEST

START_TEST(test_builder_rejects_bad_settings)
{
    tk_builder b = tk_builder_new_multi_thread();
    tk_builder_event_interval(&b, 0);
    tk_runtime *rt = NULL;
    ck_assert_int_eq(tk_builder_build(&b, &rt), -EINVAL);
    ck_assert_ptr_null(rt);
    b = tk_builder_new_multi_thread();
    setenv("TK_WORKER_THREADS", "lots", 1);
    ck_assert_int_eq(tk_builder_build(&b, &rt), -EINVAL);
    setenv("TK_WORKER_THREADS", "3", 1);
    ck_assert_int_eq(tk_builder_build(&b, &rt), 0);
    ck_assert_uint_eq(tk_runtime_worker_count(rt), 3);
    tk_runtime_free(rt);
    unsetenv("TK_WORKER_THREADS");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tk_runtime");
    TCase *tc = tcase_create("runtime");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_block_on_sleep_both_flavours);
    tcase_add_test(tc, test_spawn_and_join_current_thread);
    tcase_add_test(tc, test_spawn_and_join_multi_thread);
    tcase_add_test(tc, test_free_cancels_pending_tasks);
    tcase_add_test(tc, test_context_errors);
    tcase_add_test(tc, test_spawn_blocking);
    tcase_add_test(tc, test_builder_rejects_bad_settings);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
