/* test_block_on.c: the core's minimal executor -- spawning, parking, cross-thread wakes, shutdown. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "rt_async.h"
#include "rt_block_on.h"
#include "rt_testkit.h"

/* An async fn that spawns `n` probes, then awaits every JoinHandle and checks the outputs. */
enum { MAX_SPAWN = 2000 };
typedef struct spawner {
    rt_future base;
    rt_async co;
    int n, i, ok, panicked;
    int panic_every;          /* 0: none; k: every k-th probe panics on its 2nd poll */
    _Atomic int *polls, *drops;
    rt_join_handle handles[MAX_SPAWN];
} spawner;

static rt_poll spawner_poll(rt_future *f, rt_context *cx)
{
    spawner *self = (spawner *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < self->n; self->i++) {
        rt_probe p = rt_probe_new(self->polls, self->drops);
        p.pending_polls = 2;
        p.wake_self = 1;
        if (self->panic_every && self->i % self->panic_every == 0)
            p.panic_on_poll = 2;
        ck_assert_int_eq(rt_spawn(&p.base, sizeof p, &self->handles[self->i]), 0);
    }
    for (self->i = 0; self->i < self->n; self->i++) {
        RT_AWAIT(&self->co, &self->handles[self->i], cx);
        if (self->handles[self->i].outcome == RT_OUTCOME_OK &&
            ((rt_probe *)rt_join_handle_output(&self->handles[self->i]))->output == 42)
            self->ok++;
        if (self->handles[self->i].outcome == RT_OUTCOME_PANICKED)
            self->panicked++;
        rt_join_handle_detach(&self->handles[self->i]);
    }
    RT_END(&self->co);
}

static const rt_future_vtable spawner_vtable = { spawner_poll, NULL, "spawner" };

START_TEST(test_spawn_and_join_many)
{
    static spawner s; /* big: keep it off the stack */
    _Atomic int polls = 0, drops = 0;
    memset(&s, 0, sizeof s);
    s.base.vtable = &spawner_vtable;
    s.n = MAX_SPAWN;
    s.polls = &polls;
    s.drops = &drops;
    rt_block_on_stats st;
    rt_block_on_stats_run(&s.base, &st);
    ck_assert_int_eq(s.ok, MAX_SPAWN);
    ck_assert_int_eq(polls, 3 * MAX_SPAWN); /* exactly 3 polls each: 2 pending + ready */
    ck_assert_int_eq(drops, MAX_SPAWN);     /* each output dropped with its handle */
    ck_assert_uint_eq(st.spawned, MAX_SPAWN);
    ck_assert_uint_eq(st.task_polls, 3 * MAX_SPAWN);
    rt_check_tasks_balanced();
}
END_TEST

START_TEST(test_panicking_tasks_do_not_stop_the_executor)
{
    static spawner s;
    _Atomic int polls = 0, drops = 0;
    memset(&s, 0, sizeof s);
    s.base.vtable = &spawner_vtable;
    s.n = 100;
    s.panic_every = 10;
    s.polls = &polls;
    s.drops = &drops;
    rt_block_on(&s.base);
    ck_assert_int_eq(s.panicked, 10);
    ck_assert_int_eq(s.ok, 90);
    ck_assert_int_eq(drops, 100);
    rt_check_tasks_balanced();
}
END_TEST

/* A future that hands its waker to another thread, which wakes it after a delay. */
typedef struct remote {
    rt_future base;
    int started;
    _Atomic int fired;
    pthread_t thread;
    rt_waker waker;
} remote;

static void *remote_thread(void *arg)
{
    remote *r = arg;
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    atomic_store(&r->fired, 1);
    rt_waker_wake(&r->waker); /* consumes the clone the future gave us */
    return NULL;
}

static rt_poll remote_poll(rt_future *f, rt_context *cx)
{
    remote *r = (remote *)f;
    if (!r->started) {
        r->started = 1;
        r->waker = rt_waker_clone(cx->waker);
        pthread_create(&r->thread, NULL, remote_thread, r);
        return RT_PENDING;
    }
    if (!atomic_load(&r->fired))
        return RT_PENDING; /* spurious poll: the thread still holds the waker */
    pthread_join(r->thread, NULL);
    return RT_READY;
}

static const rt_future_vtable remote_vtable = { remote_poll, NULL, "remote" };

START_TEST(test_cross_thread_wake_unparks)
{
    remote r;
    memset(&r, 0, sizeof r);
    r.base.vtable = &remote_vtable;
    rt_block_on_stats st;
    rt_block_on_stats_run(&r.base, &st);
    ck_assert_int_eq(atomic_load(&r.fired), 1);
    ck_assert_uint_ge(st.parks, 1);      /* it slept instead of spinning ... */
    ck_assert_uint_le(st.main_polls, 3); /* ... and was polled only when woken */
}
END_TEST

/* A main future that spawns tasks that never finish, then returns: they are cancelled. */
typedef struct leaver {
    rt_future base;
    _Atomic int *drops;
} leaver;

static rt_poll leaver_poll(rt_future *f, rt_context *cx)
{
    leaver *l = (leaver *)f;
    (void)cx;
    for (int i = 0; i < 50; i++) {
        rt_probe p = rt_probe_new(NULL, l->drops);
        p.pending_polls = 1 << 30;
        rt_join_handle jh;
        ck_assert_int_eq(rt_spawn(&p.base, sizeof p, &jh), 0);
        rt_join_handle_detach(&jh);
    }
    return RT_READY;
}

static const rt_future_vtable leaver_vtable = { leaver_poll, NULL, "leaver" };

START_TEST(test_remaining_tasks_cancelled_at_exit)
{
    _Atomic int drops = 0;
    leaver l = { { &leaver_vtable }, &drops };
    rt_block_on(&l.base);
    ck_assert_int_eq(drops, 50);
    rt_check_tasks_balanced();
}
END_TEST

/* Nested: a task may block_on another future; the inner executor is its own. */
typedef struct nester {
    rt_future base;
    int inner_ok;
} nester;

static rt_poll nester_poll(rt_future *f, rt_context *cx)
{
    nester *n = (nester *)f;
    (void)cx;
    static spawner inner;
    _Atomic int polls = 0, drops = 0;
    memset(&inner, 0, sizeof inner);
    inner.base.vtable = &spawner_vtable;
    inner.n = 10;
    inner.polls = &polls;
    inner.drops = &drops;
    rt_block_on(&inner.base);
    n->inner_ok = inner.ok;
    return RT_READY;
}

static const rt_future_vtable nester_vtable = { nester_poll, NULL, "nester" };

START_TEST(test_nested_block_on)
{
    nester n = { { &nester_vtable }, 0 };
    rt_block_on(&n.base);
    ck_assert_int_eq(n.inner_ok, 10);
}
END_TEST

START_TEST(test_spawn_outside_panics)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int devnull = open("/dev/null", 1);
        dup2(devnull, 2);
        rt_probe p = rt_probe_new(NULL, NULL);
        rt_join_handle jh;
        rt_spawn(&p.base, sizeof p, &jh);
        _exit(0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 101);
}
END_TEST

/* A task and the main future that both leak a waker clone past the end of rt_block_on. */
static rt_waker leaked_task_waker, leaked_main_waker;

typedef struct leaker {
    rt_future base;
    rt_waker *slot;
} leaker;

static rt_poll leaker_poll(rt_future *f, rt_context *cx)
{
    leaker *l = (leaker *)f;
    if (rt_waker_is_empty(l->slot))
        *l->slot = rt_waker_clone(cx->waker);
    return RT_PENDING; /* never finishes on its own */
}

static const rt_future_vtable leaker_vtable = { leaker_poll, NULL, "leaker" };

typedef struct leak_main {
    rt_future base;
    int polls;
} leak_main;

static rt_poll leak_main_poll(rt_future *f, rt_context *cx)
{
    leak_main *m = (leak_main *)f;
    if (m->polls++ == 0) {
        leaker l = { { &leaker_vtable }, &leaked_task_waker };
        rt_join_handle jh;
        ck_assert_int_eq(rt_spawn(&l.base, sizeof l, &jh), 0);
        rt_join_handle_detach(&jh);
        leaked_main_waker = rt_waker_clone(cx->waker);
        rt_waker_wake_by_ref(cx->waker); /* come back once the task has run */
        return RT_PENDING;
    }
    return RT_READY;
}

static const rt_future_vtable leak_main_vtable = { leak_main_poll, NULL, "leak_main" };

static void *late_waker_thread(void *arg)
{
    (void)arg;
    rt_waker_wake(&leaked_task_waker); /* the task was cancelled: nothing to schedule */
    rt_waker_wake(&leaked_main_waker); /* the executor is gone: only its memory is touched */
    return NULL;
}

START_TEST(test_wakes_after_block_on_returned)
{
    leak_main m = { { &leak_main_vtable }, 0 };
    rt_block_on(&m.base);
    ck_assert(!rt_waker_is_empty(&leaked_task_waker));
    ck_assert(!rt_waker_is_empty(&leaked_main_waker));
    /* Both wakers outlive the executor; waking them from another thread must be harmless, and
     * the last one out frees the executor (ASan checks the memory, the counters the tasks). */
    pthread_t t;
    pthread_create(&t, NULL, late_waker_thread, NULL);
    pthread_join(t, NULL);
    rt_check_tasks_balanced();
}
END_TEST

/* A panic in a nested block_on's main future unwinds to the task that called it, and the
 * outer executor is still this thread's executor afterwards. */
typedef struct boom_main {
    rt_future base;
} boom_main;

static rt_poll boom_main_poll(rt_future *f, rt_context *cx)
{
    (void)f, (void)cx;
    rt_panic("inner main future failed");
}

static const rt_future_vtable boom_main_vtable = { boom_main_poll, NULL, "boom_main" };

typedef struct calls_inner {
    rt_future base;
} calls_inner;

static rt_poll calls_inner_poll(rt_future *f, rt_context *cx)
{
    (void)f, (void)cx;
    boom_main b = { { &boom_main_vtable } };
    rt_block_on(&b.base);
    return RT_READY;
}

static const rt_future_vtable calls_inner_vtable = { calls_inner_poll, NULL, "calls_inner" };

typedef struct outer_main {
    rt_future base;
    rt_async co;
    rt_join_handle jh, after;
    int outcome, after_outcome;
} outer_main;

static rt_poll outer_main_poll(rt_future *f, rt_context *cx)
{
    outer_main *m = (outer_main *)f;
    RT_BEGIN(&m->co);
    calls_inner c = { { &calls_inner_vtable } };
    ck_assert_int_eq(rt_spawn(&c.base, sizeof c, &m->jh), 0);
    RT_AWAIT(&m->co, &m->jh, cx);
    m->outcome = m->jh.outcome;
    rt_join_handle_detach(&m->jh);
    /* still our executor: spawning works */
    rt_probe p = rt_probe_new(NULL, NULL);
    ck_assert_int_eq(rt_spawn(&p.base, sizeof p, &m->after), 0);
    RT_AWAIT(&m->co, &m->after, cx);
    m->after_outcome = m->after.outcome;
    rt_join_handle_detach(&m->after);
    RT_END(&m->co);
}

static const rt_future_vtable outer_main_vtable = { outer_main_poll, NULL, "outer_main" };

START_TEST(test_panic_in_nested_block_on_restores_executor)
{
    outer_main m;
    memset(&m, 0, sizeof m);
    m.base.vtable = &outer_main_vtable;
    rt_block_on(&m.base);
    ck_assert_int_eq(m.outcome, RT_OUTCOME_PANICKED);
    ck_assert_int_eq(m.after_outcome, RT_OUTCOME_OK);
    rt_check_tasks_balanced();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("block_on");
    TCase *tc = tcase_create("executor");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_spawn_and_join_many);
    tcase_add_test(tc, test_panicking_tasks_do_not_stop_the_executor);
    tcase_add_test(tc, test_cross_thread_wake_unparks);
    tcase_add_test(tc, test_remaining_tasks_cancelled_at_exit);
    tcase_add_test(tc, test_nested_block_on);
    tcase_add_test(tc, test_spawn_outside_panics);
    tcase_add_test(tc, test_wakes_after_block_on_returned);
    tcase_add_test(tc, test_panic_in_nested_block_on_restores_executor);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
