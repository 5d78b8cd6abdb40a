/* test_tk_errors.c: tk when things go wrong -- panicking tasks, context errors, abort mid-run. */
#include <check.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_async.h"
#include "rt_block_on.h"
#include "rt_testkit.h"
#include "tk_internal.h"
#include "tk_runtime.h"
#include "tk_time.h"
#include "tk_testkit.h"

/* ---- futures that fail in the ways the tests need ------------------------------------------ */
enum {
    DO_SLEEP_THEN_PANIC,  /* a normal sleep, then rt_panic("boom 7") */
    DO_PANIC_AT_ONCE,     /* rt_panic on the first poll */
    DO_NESTED_BLOCK_ON,   /* tk_runtime_block_on from inside the runtime */
    DO_USE_IO,            /* what a socket's first poll does: ask for the IO driver */
    DO_SLEEP,             /* a 5 ms sleep, then ready */
    DO_SPIN,              /* yield forever (until aborted) */
};

typedef struct actor {
    rt_future base;
    rt_async co;
    int what;
    tk_runtime *rt;       /* DO_NESTED_BLOCK_ON */
    tk_sleep_fut sleep;
    _Atomic int *drops;
    _Atomic int *spins;
} actor;

static const rt_future_vtable actor_vtable;

/* actor_poll: do `what`. */
static rt_poll actor_poll(rt_future *f, rt_context *cx)
{
    actor *a = (actor *)f;
    RT_BEGIN(&a->co);
    if (a->what == DO_SLEEP_THEN_PANIC || a->what == DO_SLEEP) {
        a->sleep = tk_sleep(5);
        RT_AWAIT(&a->co, &a->sleep, cx);
        if (a->what == DO_SLEEP_THEN_PANIC)
            rt_panic("boom %d", 7);
    } else if (a->what == DO_PANIC_AT_ONCE) {
        rt_panic("boom at once");
    } else if (a->what == DO_NESTED_BLOCK_ON) {
        actor inner = { .base = { &actor_vtable }, .what = DO_SLEEP };
        tk_runtime_block_on(a->rt, &inner.base);
    } else if (a->what == DO_USE_IO) {
        (void)tk__driver_for_io();
    } else if (a->what == DO_SPIN) {
        for (;;) {
            if (a->spins)
                atomic_fetch_add(a->spins, 1);
            RT_YIELD(&a->co, cx);
        }
    }
    RT_END(&a->co);
}

/* actor_drop: release the pending sleep, count. */
static void actor_drop(rt_future *f)
{
    actor *a = (actor *)f;
    rt_async_drop(&a->co);
    if (a->drops)
        atomic_fetch_add(a->drops, 1);
}

static const rt_future_vtable actor_vtable = { actor_poll, actor_drop, "actor" };

/* actor_new: an actor with no counters. */
static actor actor_new(int what, tk_runtime *rt)
{
    return (actor){ .base = { &actor_vtable }, .what = what, .rt = rt };
}

/* ---- a panicking task leaves the runtime serving the others ------------------------------- */
#define GOOD 60
#define BAD 20

typedef struct panic_main {
    rt_future base;
    rt_async co;
    int i;
    _Atomic int drops;
    tk_join_handle good[GOOD], bad[BAD], after[GOOD];
} panic_main;

/* panic_main_poll: good and panicking tasks side by side, then more good ones. */
static rt_poll panic_main_poll(rt_future *f, rt_context *cx)
{
    panic_main *m = (panic_main *)f;
    RT_BEGIN(&m->co);
    /* Interleave good and panicking tasks so the panics land on every worker. */
    for (m->i = 0; m->i < GOOD; m->i++) {
        actor g = actor_new(DO_SLEEP, NULL);
        g.drops = &m->drops;
        ck_assert_int_eq(tk_spawn(&g.base, sizeof g, &m->good[m->i]), 0);
        if (m->i < BAD) {
            actor b = actor_new(m->i % 2 ? DO_SLEEP_THEN_PANIC : DO_PANIC_AT_ONCE, NULL);
            b.drops = &m->drops;
            ck_assert_int_eq(tk_spawn(&b.base, sizeof b, &m->bad[m->i]), 0);
        }
    }
    for (m->i = 0; m->i < BAD; m->i++) {
        RT_AWAIT(&m->co, &m->bad[m->i], cx);
        ck_assert_int_eq(m->bad[m->i].outcome, RT_OUTCOME_PANICKED);
        ck_assert_ptr_null(rt_join_handle_output(&m->bad[m->i]));
        ck_assert_str_eq(rt_join_handle_panic_message(&m->bad[m->i]),
                         m->i % 2 ? "boom 7" : "boom at once");
        rt_join_handle_detach(&m->bad[m->i]);
    }
    for (m->i = 0; m->i < GOOD; m->i++) {
        RT_AWAIT(&m->co, &m->good[m->i], cx);
        ck_assert_int_eq(m->good[m->i].outcome, RT_OUTCOME_OK);
        rt_join_handle_detach(&m->good[m->i]);
    }
    /* And it still takes new work afterwards. */
    for (m->i = 0; m->i < GOOD; m->i++) {
        actor g = actor_new(DO_SLEEP, NULL);
        ck_assert_int_eq(tk_spawn(&g.base, sizeof g, &m->after[m->i]), 0);
    }
    for (m->i = 0; m->i < GOOD; m->i++) {
        RT_AWAIT(&m->co, &m->after[m->i], cx);
        ck_assert_int_eq(m->after[m->i].outcome, RT_OUTCOME_OK);
        rt_join_handle_detach(&m->after[m->i]);
    }
    RT_END(&m->co);
}

static const rt_future_vtable panic_main_vtable = { panic_main_poll, NULL, "panic_main" };

/* test_panicking_task_leaves_runtime_serving: panics stay in their tasks; the rest runs on. */
START_TEST(test_panicking_task_leaves_runtime_serving)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build_with((tk_flavor)flavor, 2, 1, 1);
        panic_main m = { .base = { &panic_main_vtable } };
        tk_runtime_block_on(rt, &m.base); /* returns: the panics stayed inside their tasks */
        /* A panicked future is dropped right away (its sleep released); a finished one when
         * its handle lets go of the output. Every one exactly once. */
        ck_assert_int_eq(atomic_load(&m.drops), GOOD + BAD);
        tk_runtime_free(rt);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- context errors inside a task: the JoinHandle carries tokio's message ----------------- */
typedef struct one_task_main {
    rt_future base;
    rt_async co;
    actor a;
    tk_join_handle jh;
} one_task_main;

/* one_task_main_poll: run the actor as a task and wait for its handle. */
static rt_poll one_task_main_poll(rt_future *f, rt_context *cx)
{
    one_task_main *m = (one_task_main *)f;
    RT_BEGIN(&m->co);
    ck_assert_int_eq(tk_spawn(&m->a.base, sizeof m->a, &m->jh), 0);
    RT_AWAIT(&m->co, &m->jh, cx);
    RT_END(&m->co);
}

static const rt_future_vtable one_task_main_vtable = { one_task_main_poll, NULL, "one_task" };

/* task_panic_message: run `what` as a task on a fresh runtime; the outcome must be a panic,
 * whose message is returned (copied into buf). */
static void task_panic_message(tk_flavor flavor, int io, int time, int what, char *buf, size_t len)
{
    tk_runtime *rt = build_with(flavor, 2, io, time);
    one_task_main m = { .base = { &one_task_main_vtable }, .a = actor_new(what, rt) };
    tk_runtime_block_on(rt, &m.base);
    ck_assert_int_eq(m.jh.outcome, RT_OUTCOME_PANICKED);
    snprintf(buf, len, "%s", rt_join_handle_panic_message(&m.jh));
    rt_join_handle_detach(&m.jh);
    tk_runtime_free(rt);
}

/* test_context_errors_inside_tasks: each context error, caught per task, with tokio's words. */
START_TEST(test_context_errors_inside_tasks)
{
    char msg[1024];
    for (int flavor = 0; flavor < 2; flavor++) {
        task_panic_message((tk_flavor)flavor, 1, 1, DO_NESTED_BLOCK_ON, msg, sizeof msg);
        ck_assert_str_eq(msg, TK_MSG_NESTED_RUNTIME);
        task_panic_message((tk_flavor)flavor, 0, 1, DO_USE_IO, msg, sizeof msg);
        ck_assert_str_eq(msg, TK_MSG_IO_DISABLED);
        task_panic_message((tk_flavor)flavor, 1, 0, DO_SLEEP, msg, sizeof msg);
        ck_assert_str_eq(msg, TK_MSG_TIME_DISABLED);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- context errors outside any task: the process panics like a Rust main ----------------- */

/* run_child: run fn in a child process; its exit code, and its stderr in err. */
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

/* spawn_outside: tk_spawn with no runtime anywhere. */
static void spawn_outside(void)
{
    actor a = actor_new(DO_SLEEP, NULL);
    tk_join_handle jh;
    tk_spawn(&a.base, sizeof a, &jh);
}

/* handle_current_outside: Handle::current() with no runtime. */
static void handle_current_outside(void)
{
    (void)tk_handle_current();
}

/* sleep_polled_by_other_executor: a tk leaf future under a foreign executor. */
static void sleep_polled_by_other_executor(void)
{
    actor a = actor_new(DO_SLEEP, NULL);
    rt_block_on(&a.base); /* the core's executor has no tk reactor */
}

/* in_main: block_on `what` as the main future of a fresh runtime. */
static void in_main(tk_flavor flavor, int io, int time, int what)
{
    tk_runtime *rt = build_with(flavor, 2, io, time);
    actor a = actor_new(what, rt);
    tk_runtime_block_on(rt, &a.base);
}

static void nested_in_main_mt(void) { in_main(TK_MULTI_THREAD, 1, 1, DO_NESTED_BLOCK_ON); }
static void nested_in_main_ct(void) { in_main(TK_CURRENT_THREAD, 1, 1, DO_NESTED_BLOCK_ON); }
static void io_disabled_mt(void) { in_main(TK_MULTI_THREAD, 0, 1, DO_USE_IO); }
static void io_disabled_ct(void) { in_main(TK_CURRENT_THREAD, 0, 1, DO_USE_IO); }
static void time_disabled_mt(void) { in_main(TK_MULTI_THREAD, 1, 0, DO_SLEEP); }
static void panic_in_main_mt(void) { in_main(TK_MULTI_THREAD, 1, 1, DO_SLEEP_THEN_PANIC); }

/* expect_panic: the child exits 101 with Rust's two lines: where, then the message. */
static void expect_panic(void (*fn)(void), const char *message)
{
    char err[4096];
    ck_assert_int_eq(run_child(fn, err, sizeof err), 101);
    ck_assert_msg(strncmp(err, "thread 'main' panicked at ", 26) == 0, "stderr: %s", err);
    char want[1024];
    snprintf(want, sizeof want, ":\n%s\n", message);
    ck_assert_msg(strstr(err, want) != NULL, "stderr: %s", err);
}

/* test_context_errors_outside_tasks: the same errors outside a task end the process like Rust. */
START_TEST(test_context_errors_outside_tasks)
{
    expect_panic(spawn_outside, TK_MSG_NO_REACTOR);
    expect_panic(handle_current_outside, TK_MSG_NO_REACTOR);
    expect_panic(sleep_polled_by_other_executor, TK_MSG_NO_REACTOR);
    expect_panic(nested_in_main_mt, TK_MSG_NESTED_RUNTIME);
    expect_panic(nested_in_main_ct, TK_MSG_NESTED_RUNTIME);
    expect_panic(io_disabled_mt, TK_MSG_IO_DISABLED);
    expect_panic(io_disabled_ct, TK_MSG_IO_DISABLED);
    expect_panic(time_disabled_mt, TK_MSG_TIME_DISABLED);
    expect_panic(panic_in_main_mt, "boom 7");
}
END_TEST

/* ---- a panic in block_on's main future, caught further out --------------------------------- */

/* block_on_catching: block_on inside a catch frame; 1 and the message if it panicked. */
static int block_on_catching(tk_runtime *rt, rt_future *f, char *msg, size_t len)
{
    rt_panic_frame frame;
    rt_panic_push(&frame);
    if (setjmp(frame.env) == 0) {
        tk_runtime_block_on(rt, f);
        rt_panic_pop(&frame);
        return 0;
    }
    snprintf(msg, len, "%s", frame.message);
    return 1;
}

/* rt_spawn_outside_panics: in a child (a dead executor may hang on a mutex in a dead stack
 * frame, hence the alarm): 0 if rt_spawn panics with its "outside" message, 1 if it spawned,
 * 2 for another panic, or the signal that ended it. */
static int rt_spawn_outside_panics(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGALRM, SIG_DFL); /* Check's handler would kill the whole test */
        alarm(5);
        rt_panic_frame frame;
        rt_panic_push(&frame);
        if (setjmp(frame.env) == 0) {
            actor a = actor_new(DO_SLEEP, NULL);
            rt_join_handle jh;
            rt_spawn(&a.base, sizeof a, &jh);
            rt_panic_pop(&frame);
            _exit(1);
        }
        _exit(strstr(frame.message, "outside rt_block_on") ? 0 : 2);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

/* test_block_on_panic_caught_outside: a panic out of block_on leaves the thread clean. */
START_TEST(test_block_on_panic_caught_outside)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build_with((tk_flavor)flavor, 2, 1, 1);
        actor bad = actor_new(DO_SLEEP_THEN_PANIC, NULL);
        char msg[RT_PANIC_MESSAGE_MAX];
        ck_assert_int_eq(block_on_catching(rt, &bad.base, msg, sizeof msg), 1);
        ck_assert_str_eq(msg, "boom 7");
        rt_future_drop(&bad.base);
        /* The thread left the runtime's context on the way out... */
        ck_assert_ptr_null(tk_handle_try_current());
        /* ...so it may block_on again, and the runtime still works. */
        actor good = actor_new(DO_SLEEP, NULL);
        tk_runtime_block_on(rt, &good.base);
        tk_runtime_free(rt);
        /* No executor is left behind on this thread either: rt_spawn outside any executor
         * must panic with its own message, not use a dead one. */
        int rc = rt_spawn_outside_panics();
        ck_assert_msg(rc == 0, "flavour %d: after a panic in block_on's main future, rt_spawn "
                      "on this thread used a dead executor (child: %d; 1 = it spawned, "
                      "2 = another panic, 100+N = signal N)", flavor, rc);
    }
}
END_TEST

/* ---- abort a task that is running on another worker --------------------------------------- */
typedef struct abort_busy_main {
    rt_future base;
    rt_async co;
    _Atomic int drops, spins;
    tk_join_handle jh;
    tk_sleep_fut pause;
} abort_busy_main;

/* abort_busy_main_poll: let a yielding task spin, abort it twice, expect one cancellation. */
static rt_poll abort_busy_main_poll(rt_future *f, rt_context *cx)
{
    abort_busy_main *m = (abort_busy_main *)f;
    RT_BEGIN(&m->co);
    {
        actor a = actor_new(DO_SPIN, NULL);
        a.drops = &m->drops;
        a.spins = &m->spins;
        ck_assert_int_eq(tk_spawn(&a.base, sizeof a, &m->jh), 0);
    }
    while (atomic_load(&m->spins) < 1000) {
        m->pause = tk_sleep(1);
        RT_AWAIT(&m->co, &m->pause, cx);
    }
    rt_join_handle_abort(&m->jh);
    rt_join_handle_abort(&m->jh); /* idempotent */
    RT_AWAIT(&m->co, &m->jh, cx);
    ck_assert_int_eq(m->jh.outcome, RT_OUTCOME_CANCELLED);
    ck_assert_int_eq(atomic_load(&m->drops), 1);
    rt_join_handle_detach(&m->jh);
    RT_END(&m->co);
}

static const rt_future_vtable abort_busy_main_vtable = { abort_busy_main_poll, NULL, "abort_busy" };

/* test_abort_busy_task: abort reaches a task that is always running or queued. */
START_TEST(test_abort_busy_task)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build_with((tk_flavor)flavor, 2, 1, 1);
        abort_busy_main m = { .base = { &abort_busy_main_vtable } };
        tk_runtime_block_on(rt, &m.base);
        tk_runtime_free(rt);
        ck_assert_int_eq(atomic_load(&m.drops), 1);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* main: one suite, one case. */
int main(void)
{
    Suite *s = suite_create("tk_errors");
    TCase *tc = tcase_create("errors");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_panicking_task_leaves_runtime_serving);
    tcase_add_test(tc, test_context_errors_inside_tasks);
    tcase_add_test(tc, test_context_errors_outside_tasks);
    tcase_add_test(tc, test_block_on_panic_caught_outside);
    tcase_add_test(tc, test_abort_busy_task);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
