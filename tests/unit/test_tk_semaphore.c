/* test_tk_semaphore.c: tk_semaphore -- FIFO fairness, partial assignment, cancellation, close, coop, threads. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "rt_async.h"
#include "rt_block_on.h"
#include "rt_combinators.h"
#include "rt_panic.h"
#include "rt_testkit.h"
#include "tk_coop.h"
#include "tk_sync.h"

/* A waker that counts the clones it has out and the wakes it received. `refs` back to 0 at
 * the end of a test proves no future leaked a waker (a leaked task reference, in a runtime). */
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

/* poll_with: poll f once with a context whose (borrowed) waker is t's. */
static rt_poll poll_with(void *f, twk *t)
{
    rt_waker w = { &twk_vt, t };
    rt_context cx = { &w };
    return rt_future_poll((rt_future *)f, &cx);
}

START_TEST(test_try_acquire_and_release)
{
    tk_semaphore s;
    ck_assert_int_eq(tk_semaphore_init(&s, 3), 0);
    ck_assert_int_eq(tk_semaphore_try_acquire(&s, 2), 0);
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), 1);
    ck_assert_int_eq(tk_semaphore_try_acquire(&s, 2), -EAGAIN);
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), 1); /* a failed try takes nothing */
    tk_semaphore_release(&s, 2);
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), 3);
    ck_assert_int_eq(tk_semaphore_try_acquire(&s, 0), 0);
    ck_assert(!tk_semaphore_is_closed(&s));
    tk_semaphore_destroy(&s);
}
END_TEST

START_TEST(test_acquire_waits_for_release)
{
    tk_semaphore s;
    twk t1 = { 0 }, t2 = { 0 };
    tk_semaphore_init(&s, 1);
    tk_semaphore_acquire_fut a1 = tk_semaphore_acquire(&s, 1);
    tk_semaphore_acquire_fut a2 = tk_semaphore_acquire(&s, 1);
    ck_assert_int_eq(poll_with(&a1, &t1), RT_READY);
    ck_assert_int_eq(a1.result, 0);
    ck_assert_int_eq(poll_with(&a2, &t2), RT_PENDING);
    ck_assert_int_eq(poll_with(&a2, &t2), RT_PENDING); /* a re-poll does not clone again */
    ck_assert_int_eq(atomic_load(&t2.refs), 1);
    ck_assert_int_eq(atomic_load(&t2.wakes), 0);
    tk_semaphore_release(&s, 1);
    ck_assert_int_eq(atomic_load(&t2.wakes), 1);
    ck_assert_int_eq(atomic_load(&t2.refs), 0);
    ck_assert_int_eq(poll_with(&a2, &t2), RT_READY);
    ck_assert_int_eq(a2.result, 0);
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), 0); /* handed over, not returned */
    ck_assert_int_eq(poll_with(&a2, &t2), RT_READY);          /* ready stays ready */
    rt_future_drop(&a1.base);
    rt_future_drop(&a2.base);
    tk_semaphore_release(&s, 1);
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), 1);
    tk_semaphore_destroy(&s);
}
END_TEST

START_TEST(test_big_request_at_head_blocks_small_ones)
{
    tk_semaphore s;
    twk tb = { 0 }, ts = { 0 };
    tk_semaphore_init(&s, 0);
    tk_semaphore_acquire_fut big = tk_semaphore_acquire(&s, 5);
    tk_semaphore_acquire_fut small = tk_semaphore_acquire(&s, 1);
    ck_assert_int_eq(poll_with(&big, &tb), RT_PENDING);
    ck_assert_int_eq(poll_with(&small, &ts), RT_PENDING);
    tk_semaphore_release(&s, 1);
    /* The one permit goes to the head (big), not to the small request that it would satisfy. */
    ck_assert_int_eq(atomic_load(&ts.wakes), 0);
    ck_assert_int_eq(atomic_load(&tb.wakes), 0);
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), 0);
    ck_assert_int_eq(tk_semaphore_try_acquire(&s, 1), -EAGAIN);
    ck_assert_int_eq(poll_with(&small, &ts), RT_PENDING);
    tk_semaphore_release(&s, 4);
    ck_assert_int_eq(atomic_load(&tb.wakes), 1);
    ck_assert_int_eq(atomic_load(&ts.wakes), 0);
    ck_assert_int_eq(poll_with(&big, &tb), RT_READY);
    tk_semaphore_release(&s, 1);
    ck_assert_int_eq(atomic_load(&ts.wakes), 1);
    ck_assert_int_eq(poll_with(&small, &ts), RT_READY);
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), 0);
    /* With nobody queued, released permits go back to the pool. */
    tk_semaphore_release(&s, 6);
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), 6);
    rt_future_drop(&big.base);
    rt_future_drop(&small.base);
    ck_assert_int_eq(atomic_load(&tb.refs) + atomic_load(&ts.refs), 0);
    tk_semaphore_destroy(&s);
}
END_TEST

START_TEST(test_dropped_partial_waiter_gives_permits_to_next)
{
    tk_semaphore s;
    twk tb = { 0 }, ts = { 0 };
    tk_semaphore_init(&s, 2);
    tk_semaphore_acquire_fut big = tk_semaphore_acquire(&s, 5);
    tk_semaphore_acquire_fut small = tk_semaphore_acquire(&s, 1);
    ck_assert_int_eq(poll_with(&big, &tb), RT_PENDING);   /* took 2, needs 3 */
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), 0);
    ck_assert_int_eq(poll_with(&small, &ts), RT_PENDING);
    tk_semaphore_release(&s, 1);                          /* big has 3 now */
    ck_assert_int_eq(atomic_load(&ts.wakes), 0);
    rt_future_drop(&big.base);                            /* its 3 go to small, then the pool */
    ck_assert_int_eq(atomic_load(&ts.wakes), 1);
    ck_assert_int_eq(poll_with(&small, &ts), RT_READY);
    ck_assert_int_eq(small.result, 0);
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), 2);
    ck_assert_int_eq(atomic_load(&tb.refs) + atomic_load(&ts.refs), 0);
    rt_future_drop(&small.base);
    tk_semaphore_destroy(&s);
}
END_TEST

START_TEST(test_dropped_after_assignment_passes_permit_on)
{
    tk_semaphore s;
    twk ta = { 0 }, tb = { 0 };
    tk_semaphore_init(&s, 0);
    tk_semaphore_acquire_fut a = tk_semaphore_acquire(&s, 1);
    tk_semaphore_acquire_fut b = tk_semaphore_acquire(&s, 1);
    ck_assert_int_eq(poll_with(&a, &ta), RT_PENDING);
    ck_assert_int_eq(poll_with(&b, &tb), RT_PENDING);
    tk_semaphore_release(&s, 1);
    ck_assert_int_eq(atomic_load(&ta.wakes), 1);  /* a owns the permit, but never looks */
    rt_future_drop(&a.base);
    ck_assert_int_eq(atomic_load(&tb.wakes), 1);  /* ... so it is b's, and b was told */
    ck_assert_int_eq(poll_with(&b, &tb), RT_READY);
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), 0);
    /* A never-polled future owns nothing: dropping it is a no-op. */
    tk_semaphore_acquire_fut c = tk_semaphore_acquire(&s, 1);
    rt_future_drop(&c.base);
    rt_future_drop(&b.base);
    ck_assert_int_eq(atomic_load(&ta.refs) + atomic_load(&tb.refs), 0);
    tk_semaphore_destroy(&s);
}
END_TEST

START_TEST(test_close_fails_pending_and_later_acquires)
{
    tk_semaphore s;
    twk ta = { 0 }, tb = { 0 }, tc = { 0 };
    tk_semaphore_init(&s, 1);
    tk_semaphore_acquire_fut a = tk_semaphore_acquire(&s, 3); /* takes the 1, needs 2 more */
    tk_semaphore_acquire_fut b = tk_semaphore_acquire(&s, 1);
    ck_assert_int_eq(poll_with(&a, &ta), RT_PENDING);
    ck_assert_int_eq(poll_with(&b, &tb), RT_PENDING);
    tk_semaphore_close(&s);
    ck_assert(tk_semaphore_is_closed(&s));
    ck_assert_int_eq(atomic_load(&ta.wakes), 1);
    ck_assert_int_eq(atomic_load(&tb.wakes), 1);
    ck_assert_int_eq(poll_with(&a, &ta), RT_READY);
    ck_assert_int_eq(a.result, -EPIPE);
    ck_assert_int_eq(poll_with(&b, &tb), RT_READY);
    ck_assert_int_eq(b.result, -EPIPE);
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), 1); /* a's partial share came back */
    tk_semaphore_acquire_fut c = tk_semaphore_acquire(&s, 1);
    ck_assert_int_eq(poll_with(&c, &tc), RT_READY);
    ck_assert_int_eq(c.result, -EPIPE);
    ck_assert_int_eq(tk_semaphore_try_acquire(&s, 1), -EPIPE);
    tk_semaphore_release(&s, 2);                             /* releases still count */
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), 3);
    tk_semaphore_close(&s);                                  /* idempotent */
    rt_future_drop(&a.base);
    rt_future_drop(&b.base);
    rt_future_drop(&c.base);
    ck_assert_int_eq(atomic_load(&ta.refs) + atomic_load(&tb.refs) + atomic_load(&tc.refs), 0);
    tk_semaphore_destroy(&s);
}
END_TEST

/* More waiters than one wake batch (32): release and close must reach every one of them. */
START_TEST(test_many_waiters_all_served)
{
    enum { N = 100 };
    static tk_semaphore_acquire_fut f[N];
    twk t = { 0 };
    tk_semaphore s;
    tk_semaphore_init(&s, 0);
    for (int i = 0; i < N; i++) {
        f[i] = tk_semaphore_acquire(&s, 1);
        ck_assert_int_eq(poll_with(&f[i], &t), RT_PENDING);
    }
    tk_semaphore_release(&s, N / 2);
    ck_assert_int_eq(atomic_load(&t.wakes), N / 2);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(poll_with(&f[i], &t), i < N / 2 ? RT_READY : RT_PENDING);
    tk_semaphore_close(&s);
    ck_assert_int_eq(atomic_load(&t.wakes), N);
    for (int i = N / 2; i < N; i++) {
        ck_assert_int_eq(poll_with(&f[i], &t), RT_READY);
        ck_assert_int_eq(f[i].result, -EPIPE);
    }
    for (int i = 0; i < N; i++)
        rt_future_drop(&f[i].base);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
    tk_semaphore_destroy(&s);
}
END_TEST

START_TEST(test_release_beyond_the_maximum_panics)
{
    tk_semaphore s;
    tk_semaphore_init(&s, TK_SEMAPHORE_MAX_PERMITS);
    rt_panic_frame frame;
    rt_panic_push(&frame);
    if (setjmp(frame.env) == 0) {
        tk_semaphore_release(&s, 1);
        rt_panic_pop(&frame);
        ck_abort_msg("no panic");
    }
    ck_assert_ptr_nonnull(strstr(frame.message, "would overflow"));
    /* The panic left the lock free and the count unchanged. */
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), TK_SEMAPHORE_MAX_PERMITS);
    tk_semaphore_destroy(&s);
}
END_TEST

START_TEST(test_coop_budget)
{
    tk_semaphore s;
    twk t = { 0 };
    tk_semaphore_init(&s, 1000);
    /* With the budget spent, even a ready acquire yields: it wakes itself and is pending. */
    tk_coop_set(0);
    unsigned long forced = tk_coop_forced_yields();
    tk_semaphore_acquire_fut a = tk_semaphore_acquire(&s, 1);
    ck_assert_int_eq(poll_with(&a, &t), RT_PENDING);
    ck_assert_int_eq(atomic_load(&t.wakes), 1);
    ck_assert_uint_eq(tk_coop_forced_yields(), forced + 1);
    ck_assert_uint_eq(tk_semaphore_available_permits(&s), 1000); /* it did nothing */
    /* A fresh budget: exactly TK_COOP_BUDGET acquires succeed in a row, then one yields. */
    tk_coop_set(TK_COOP_BUDGET);
    int ready = 0;
    for (;;) {
        tk_semaphore_acquire_fut b = tk_semaphore_acquire(&s, 1);
        rt_poll p = poll_with(&b, &t);
        rt_future_drop(&b.base);
        if (p == RT_PENDING)
            break;
        ready++;
    }
    ck_assert_int_eq(ready, TK_COOP_BUDGET);
    /* A pending acquire gives its unit back: no progress, no charge. */
    tk_semaphore z;
    tk_semaphore_init(&z, 0);
    tk_coop_set(TK_COOP_BUDGET);
    tk_semaphore_acquire_fut w = tk_semaphore_acquire(&z, 1);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(poll_with(&w, &t), RT_PENDING);
    ck_assert_int_eq(tk_coop_get(), TK_COOP_BUDGET);
    tk_coop_set(-1);
    rt_future_drop(&w.base);
    ck_assert_int_eq(poll_with(&a, &t), RT_READY);
    rt_future_drop(&a.base);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
    tk_semaphore_destroy(&z);
    tk_semaphore_destroy(&s);
}
END_TEST

/* ---- threads: a semaphore of LIMIT permits never has more than LIMIT holders ------------- */

enum { LIMIT = 3, THREADS = 4, TASKS = 4, ROUNDS = 3000 };

/*
 * Threads finish at different times on purpose: a task woken from another thread after its
 * executor's rt_block_on has returned must be harmless (the executor is reference counted).
 */
typedef struct shared {
    tk_semaphore sem;
    _Atomic int in_use;
    _Atomic int max_seen;
    _Atomic long acquired;
} shared;

/* A task: ROUNDS times, acquire 1..2 permits, check the bound, yield while holding, release. */
typedef struct holder {
    rt_future base;
    rt_async co;
    shared *sh;
    unsigned seed;
    int i;
    size_t n;
    tk_semaphore_acquire_fut acq;
    rt_yield_fut y;
} holder;

/* holder_poll: ROUNDS times: acquire 1-2 permits, record how many are held, maybe yield, release. */
static rt_poll holder_poll(rt_future *f, rt_context *cx)
{
    holder *h = (holder *)f;
    RT_BEGIN(&h->co);
    for (h->i = 0; h->i < ROUNDS; h->i++) {
        h->n = 1 + rand_r(&h->seed) % 2;
        h->acq = tk_semaphore_acquire(&h->sh->sem, h->n);
        RT_AWAIT(&h->co, &h->acq, cx);
        ck_assert_int_eq(h->acq.result, 0);
        int now = atomic_fetch_add(&h->sh->in_use, (int)h->n) + (int)h->n;
        int seen = atomic_load(&h->sh->max_seen);
        while (now > seen && !atomic_compare_exchange_weak(&h->sh->max_seen, &seen, now))
            ;
        if (h->i % 4 == 0) {
            h->y = rt_yield_now();
            RT_AWAIT(&h->co, &h->y, cx);
        }
        atomic_fetch_sub(&h->sh->in_use, (int)h->n);
        atomic_fetch_add(&h->sh->acquired, 1);
        tk_semaphore_release(&h->sh->sem, h->n);
    }
    RT_END(&h->co);
}

/* holder_drop: cancel whatever it was awaiting. */
static void holder_drop(rt_future *f)
{
    rt_async_drop(&((holder *)f)->co);
}

static const rt_future_vtable holder_vtable = { holder_poll, holder_drop, "holder" };

/* The main future of each thread: spawn TASKS holders and join them. */
typedef struct thread_main {
    rt_future base;
    rt_async co;
    shared *sh;
    unsigned seed;
    int i, ok;
    rt_join_handle jh[TASKS];
} thread_main;

/* thread_main_poll: spawn TASKS tasks, join them all, wait for the other threads. */
static rt_poll thread_main_poll(rt_future *f, rt_context *cx)
{
    thread_main *m = (thread_main *)f;
    RT_BEGIN(&m->co);
    for (m->i = 0; m->i < TASKS; m->i++) {
        holder h = { .base = { &holder_vtable }, .sh = m->sh, .seed = m->seed + (unsigned)m->i };
        ck_assert_int_eq(rt_spawn(&h.base, sizeof h, &m->jh[m->i]), 0);
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

START_TEST(test_threads_never_exceed_the_limit)
{
    static shared sh;
    static thread_main mains[THREADS];
    tk_semaphore_init(&sh.sem, LIMIT);
    atomic_init(&sh.in_use, 0);
    atomic_init(&sh.max_seen, 0);
    atomic_init(&sh.acquired, 0);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&mains[i], 0, sizeof mains[i]);
        mains[i].base.vtable = &thread_main_vtable;
        mains[i].sh = &sh;
        mains[i].seed = 1000u * (unsigned)i;
        ck_assert_int_eq(pthread_create(&th[i], NULL, thread_body, &mains[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(mains[i].ok, TASKS);
    }
    ck_assert_int_eq(atomic_load(&sh.acquired), (long)THREADS * TASKS * ROUNDS);
    ck_assert_int_le(atomic_load(&sh.max_seen), LIMIT);
    ck_assert_int_ge(atomic_load(&sh.max_seen), 2); /* it was actually shared */
    ck_assert_uint_eq(tk_semaphore_available_permits(&sh.sem), LIMIT);
    tk_semaphore_destroy(&sh.sem);
    rt_check_tasks_balanced();
}
END_TEST

/* main: the suite, one Check binary. */
int main(void)
{
    Suite *s = suite_create("tk_semaphore");
    TCase *tc = tcase_create("semantics");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_try_acquire_and_release);
    tcase_add_test(tc, test_acquire_waits_for_release);
    tcase_add_test(tc, test_big_request_at_head_blocks_small_ones);
    tcase_add_test(tc, test_dropped_partial_waiter_gives_permits_to_next);
    tcase_add_test(tc, test_dropped_after_assignment_passes_permit_on);
    tcase_add_test(tc, test_close_fails_pending_and_later_acquires);
    tcase_add_test(tc, test_many_waiters_all_served);
    tcase_add_test(tc, test_release_beyond_the_maximum_panics);
    tcase_add_test(tc, test_coop_budget);
    suite_add_tcase(s, tc);
    TCase *st = tcase_create("stress");
    tcase_set_timeout(st, 30);
    tcase_add_test(st, test_threads_never_exceed_the_limit);
    suite_add_tcase(s, st);
    return rt_suite_run(s);
}
