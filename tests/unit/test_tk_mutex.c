/* test_tk_mutex.c: tk_mutex -- FIFO hand-over, cancelled lockers, misuse, and 4-thread mutual exclusion. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_async.h"
#include "rt_block_on.h"
#include "rt_combinators.h"
#include "rt_testkit.h"
#include "tk_coop.h"
#include "tk_sync.h"

/* A waker that counts its outstanding clones and the wakes it received. */
typedef struct twk {
    _Atomic int refs;
    _Atomic int wakes;
} twk;

static rt_waker twk_clone(const void *d);

/* twk_wake: count the wake; the clone it consumes is no longer out. */
static void twk_wake(const void *d)
{
    atomic_fetch_add(&((twk *)d)->wakes, 1);
    atomic_fetch_sub(&((twk *)d)->refs, 1);
}

/* twk_wake_by_ref: count the wake; the clone stays out. */
static void twk_wake_by_ref(const void *d)
{
    atomic_fetch_add(&((twk *)d)->wakes, 1);
}

/* twk_drop: one clone fewer. */
static void twk_drop(const void *d)
{
    atomic_fetch_sub(&((twk *)d)->refs, 1);
}

static const rt_waker_vtable twk_vt = { twk_clone, twk_wake, twk_wake_by_ref, twk_drop };

/* twk_clone: one clone more. */
static rt_waker twk_clone(const void *d)
{
    atomic_fetch_add(&((twk *)d)->refs, 1);
    return (rt_waker){ &twk_vt, d };
}

/* poll_with: poll f once with t's (borrowed) waker. */
static rt_poll poll_with(void *f, twk *t)
{
    rt_waker w = { &twk_vt, t };
    rt_context cx = { &w };
    return rt_future_poll((rt_future *)f, &cx);
}

START_TEST(test_lock_unlock_try_lock)
{
    tk_mutex m;
    twk t = { 0 };
    ck_assert_int_eq(tk_mutex_init(&m), 0);
    tk_mutex_lock_fut l = tk_mutex_lock(&m);
    ck_assert_int_eq(poll_with(&l, &t), RT_READY);
    ck_assert_int_eq(tk_mutex_try_lock(&m), -EAGAIN);
    tk_mutex_unlock(&m);
    ck_assert_int_eq(tk_mutex_try_lock(&m), 0);
    ck_assert_int_eq(tk_mutex_try_lock(&m), -EAGAIN);
    tk_mutex_unlock(&m);
    rt_future_drop(&l.base); /* a ready lock future's drop does not unlock */
    ck_assert_int_eq(tk_mutex_try_lock(&m), 0);
    tk_mutex_unlock(&m);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
    tk_mutex_destroy(&m);
}
END_TEST

START_TEST(test_fifo_hand_over)
{
    enum { N = 4 };
    tk_mutex m;
    twk t[N] = { 0 };
    tk_mutex_lock_fut l[N];
    tk_mutex_init(&m);
    ck_assert_int_eq(tk_mutex_try_lock(&m), 0);
    for (int i = 0; i < N; i++) {
        l[i] = tk_mutex_lock(&m);
        ck_assert_int_eq(poll_with(&l[i], &t[i]), RT_PENDING);
    }
    for (int i = 0; i < N; i++) {
        tk_mutex_unlock(&m);
        /* Exactly the oldest waiter was woken, and the lock is already its: no barging. */
        for (int j = 0; j < N; j++)
            ck_assert_int_eq(atomic_load(&t[j].wakes), j <= i ? 1 : 0);
        ck_assert_int_eq(tk_mutex_try_lock(&m), -EAGAIN);
        ck_assert_int_eq(poll_with(&l[i], &t[i]), RT_READY);
        for (int j = i + 1; j < N; j++)
            ck_assert_int_eq(poll_with(&l[j], &t[j]), RT_PENDING);
    }
    tk_mutex_unlock(&m);
    for (int i = 0; i < N; i++) {
        rt_future_drop(&l[i].base);
        ck_assert_int_eq(atomic_load(&t[i].refs), 0);
    }
    tk_mutex_destroy(&m);
}
END_TEST

START_TEST(test_dropped_pending_lock_does_not_block_others)
{
    tk_mutex m;
    twk ta = { 0 }, tb = { 0 };
    tk_mutex_init(&m);
    tk_mutex_try_lock(&m);
    tk_mutex_lock_fut a = tk_mutex_lock(&m), b = tk_mutex_lock(&m);
    ck_assert_int_eq(poll_with(&a, &ta), RT_PENDING);
    ck_assert_int_eq(poll_with(&b, &tb), RT_PENDING);
    rt_future_drop(&a.base);
    ck_assert_int_eq(atomic_load(&ta.refs), 0);
    tk_mutex_unlock(&m);
    ck_assert_int_eq(atomic_load(&tb.wakes), 1);
    ck_assert_int_eq(poll_with(&b, &tb), RT_READY);
    tk_mutex_unlock(&m);
    rt_future_drop(&b.base);
    ck_assert_int_eq(tk_mutex_try_lock(&m), 0);
    tk_mutex_unlock(&m);
    tk_mutex_destroy(&m);
}
END_TEST

START_TEST(test_lock_handed_over_then_dropped_is_given_back)
{
    tk_mutex m;
    twk ta = { 0 }, tb = { 0 };
    tk_mutex_init(&m);
    tk_mutex_try_lock(&m);
    tk_mutex_lock_fut a = tk_mutex_lock(&m), b = tk_mutex_lock(&m);
    ck_assert_int_eq(poll_with(&a, &ta), RT_PENDING);
    ck_assert_int_eq(poll_with(&b, &tb), RT_PENDING);
    tk_mutex_unlock(&m);                         /* a now owns the lock ... */
    ck_assert_int_eq(atomic_load(&ta.wakes), 1);
    rt_future_drop(&a.base);                     /* ... but is cancelled before it sees it */
    ck_assert_int_eq(atomic_load(&tb.wakes), 1); /* b inherits it and is told */
    ck_assert_int_eq(poll_with(&b, &tb), RT_READY);
    tk_mutex_unlock(&m);
    /* The same with nobody behind: the mutex ends up unlocked. */
    tk_mutex_try_lock(&m);
    tk_mutex_lock_fut c = tk_mutex_lock(&m);
    ck_assert_int_eq(poll_with(&c, &ta), RT_PENDING);
    tk_mutex_unlock(&m);
    rt_future_drop(&c.base);
    ck_assert_int_eq(tk_mutex_try_lock(&m), 0);
    tk_mutex_unlock(&m);
    rt_future_drop(&b.base);
    ck_assert_int_eq(atomic_load(&ta.refs) + atomic_load(&tb.refs), 0);
    tk_mutex_destroy(&m);
}
END_TEST

START_TEST(test_unlock_of_unlocked_mutex_panics)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        tk_mutex m;
        tk_mutex_init(&m);
        tk_mutex_unlock(&m);
        _exit(0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 101);
}
END_TEST

START_TEST(test_coop_budget)
{
    tk_mutex m;
    twk t = { 0 };
    tk_mutex_init(&m);
    tk_coop_set(0);
    tk_mutex_lock_fut l = tk_mutex_lock(&m);
    ck_assert_int_eq(poll_with(&l, &t), RT_PENDING); /* free, but the budget says yield */
    ck_assert_int_eq(atomic_load(&t.wakes), 1);
    ck_assert_int_eq(tk_mutex_try_lock(&m), 0);      /* the yielded lock took nothing */
    tk_coop_set(5);
    tk_mutex_lock_fut l2 = tk_mutex_lock(&m);
    ck_assert_int_eq(poll_with(&l2, &t), RT_PENDING); /* held: pending, unit given back */
    ck_assert_int_eq(tk_coop_get(), 5);
    tk_coop_set(-1);
    rt_future_drop(&l2.base);
    tk_mutex_unlock(&m);
    rt_future_drop(&l.base);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
    tk_mutex_destroy(&m);
}
END_TEST

/* ---- 4 threads x TASKS tasks, a plain (non-atomic) counter under the lock ----------------- */

enum { THREADS = 4, TASKS = 4, ROUNDS = 10000 };

/*
 * Threads finish at different times on purpose: a task woken from another thread after its
 * executor's rt_block_on has returned must be harmless (the executor is reference counted).
 */
typedef struct shared {
    tk_mutex m;
    long counter;          /* deliberately not atomic: only the mutex protects it */
    _Atomic long cancelled;
} shared;

/*
 * A task: ROUNDS increments, sometimes yielding inside the critical section (so other tasks
 * on the same thread queue up behind it). Odd tasks first race the lock against a yield with
 * rt_select and fall back to a plain lock when the yield wins: that drops pending lock
 * futures all the time, some of them just handed the lock by another thread. (They do not
 * retry the race in a loop: a loop of "try, cancel, try" is a busy wait that starves the
 * other threads of the two cores and makes the test slow, not stronger.)
 */
typedef struct incrementer {
    rt_future base;
    rt_async co;
    shared *sh;
    int id, i, locked;
    long before;
    tk_mutex_lock_fut lock;
    rt_yield_fut y;
    rt_future *kids[2];
    rt_select_fut sel;
} incrementer;

/* incrementer_poll: ROUNDS times: lock (odd ids race it first), read, maybe yield, write, unlock. */
static rt_poll incrementer_poll(rt_future *f, rt_context *cx)
{
    incrementer *t = (incrementer *)f;
    RT_BEGIN(&t->co);
    for (t->i = 0; t->i < ROUNDS; t->i++) {
        if (t->id % 2 == 1) {
            t->lock = tk_mutex_lock(&t->sh->m);
            t->y = rt_yield_now();
            t->kids[0] = &t->lock.base;
            t->kids[1] = &t->y.base;
            t->sel = rt_select(t->kids, 2);
            RT_AWAIT(&t->co, &t->sel, cx);
            t->locked = t->sel.winner == 0;
            if (!t->locked)
                atomic_fetch_add(&t->sh->cancelled, 1);
        } else {
            t->locked = 0;
        }
        if (!t->locked) {
            t->lock = tk_mutex_lock(&t->sh->m);
            RT_AWAIT(&t->co, &t->lock, cx);
        }
        t->before = t->sh->counter;
        if (t->i % 8 == 0) {
            t->y = rt_yield_now();
            RT_AWAIT(&t->co, &t->y, cx);
        }
        t->sh->counter = t->before + 1; /* a lost update shows up in the final count */
        tk_mutex_unlock(&t->sh->m);
    }
    RT_END(&t->co);
}

/* incrementer_drop: cancel whatever it was awaiting. */
static void incrementer_drop(rt_future *f)
{
    rt_async_drop(&((incrementer *)f)->co);
}

static const rt_future_vtable incrementer_vtable = { incrementer_poll, incrementer_drop, "incr" };

typedef struct thread_main {
    rt_future base;
    rt_async co;
    shared *sh;
    int thread, i, ok;
    rt_join_handle jh[TASKS];
} thread_main;

/* thread_main_poll: spawn TASKS tasks, join them all, wait for the other threads. */
static rt_poll thread_main_poll(rt_future *f, rt_context *cx)
{
    thread_main *m = (thread_main *)f;
    RT_BEGIN(&m->co);
    for (m->i = 0; m->i < TASKS; m->i++) {
        incrementer t = { .base = { &incrementer_vtable }, .sh = m->sh, .id = m->thread + m->i };
        ck_assert_int_eq(rt_spawn(&t.base, sizeof t, &m->jh[m->i]), 0);
    }
    for (m->i = 0; m->i < TASKS; m->i++) {
        RT_AWAIT(&m->co, &m->jh[m->i], cx);
        m->ok += m->jh[m->i].outcome == RT_OUTCOME_OK;
        rt_join_handle_detach(&m->jh[m->i]);
    }
    RT_END(&m->co);
}

static const rt_future_vtable thread_main_vtable = { thread_main_poll, NULL, "thread_main" };

/* thread_body: a thread whose whole life is one rt_block_on of `arg`. */
static void *thread_body(void *arg)
{
    rt_block_on((rt_future *)arg);
    return NULL;
}

START_TEST(test_mutual_exclusion_across_threads)
{
    static shared sh;
    static thread_main mains[THREADS];
    tk_mutex_init(&sh.m);
    sh.counter = 0;
    atomic_init(&sh.cancelled, 0);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&mains[i], 0, sizeof mains[i]);
        mains[i].base.vtable = &thread_main_vtable;
        mains[i].sh = &sh;
        mains[i].thread = i;
        ck_assert_int_eq(pthread_create(&th[i], NULL, thread_body, &mains[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(mains[i].ok, TASKS);
    }
    ck_assert_int_eq(sh.counter, (long)THREADS * TASKS * ROUNDS);
    ck_assert_int_gt(atomic_load(&sh.cancelled), 0); /* the cancellation path really ran */
    ck_assert_int_eq(tk_mutex_try_lock(&sh.m), 0);   /* and left the mutex unlocked */
    tk_mutex_unlock(&sh.m);
    tk_mutex_destroy(&sh.m);
    rt_check_tasks_balanced();
}
END_TEST

/* main: the suite, one Check binary. */
int main(void)
{
    Suite *s = suite_create("tk_mutex");
    TCase *tc = tcase_create("semantics");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_lock_unlock_try_lock);
    tcase_add_test(tc, test_fifo_hand_over);
    tcase_add_test(tc, test_dropped_pending_lock_does_not_block_others);
    tcase_add_test(tc, test_lock_handed_over_then_dropped_is_given_back);
    tcase_add_test(tc, test_unlock_of_unlocked_mutex_panics);
    tcase_add_test(tc, test_coop_budget);
    suite_add_tcase(s, tc);
    TCase *st = tcase_create("stress");
    tcase_set_timeout(st, 30);
    tcase_add_test(st, test_mutual_exclusion_across_threads);
    suite_add_tcase(s, st);
    return rt_suite_run(s);
}
