/* test_tk_notify.c: tk_notify -- one stored permit, FIFO notify_one, notify_waiters generations, cancellation. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "rt_async.h"
#include "rt_block_on.h"
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

START_TEST(test_notify_one_stores_one_permit)
{
    tk_notify n;
    twk t = { 0 };
    ck_assert_int_eq(tk_notify_init(&n), 0);
    tk_notify_notify_one(&n);
    tk_notify_notify_one(&n); /* still one permit: it is a flag, not a count */
    tk_notify_notified_fut a = tk_notify_notified(&n), b = tk_notify_notified(&n);
    ck_assert_int_eq(poll_with(&a, &t), RT_READY);
    ck_assert_int_eq(poll_with(&b, &t), RT_PENDING);
    ck_assert_int_eq(poll_with(&a, &t), RT_READY); /* done stays done */
    tk_notify_notify_one(&n);
    ck_assert_int_eq(atomic_load(&t.wakes), 1);
    ck_assert_int_eq(poll_with(&b, &t), RT_READY);
    rt_future_drop(&a.base);
    rt_future_drop(&b.base);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
    tk_notify_destroy(&n);
}
END_TEST

START_TEST(test_notify_one_wakes_oldest_waiter)
{
    enum { N = 3 };
    tk_notify n;
    twk t[N] = { 0 };
    tk_notify_notified_fut f[N];
    tk_notify_init(&n);
    for (int i = 0; i < N; i++) {
        f[i] = tk_notify_notified(&n);
        ck_assert_int_eq(poll_with(&f[i], &t[i]), RT_PENDING);
    }
    for (int i = 0; i < N; i++) {
        tk_notify_notify_one(&n);
        for (int j = 0; j < N; j++)
            ck_assert_int_eq(atomic_load(&t[j].wakes), j <= i);
        ck_assert_int_eq(poll_with(&f[i], &t[i]), RT_READY);
        for (int j = i + 1; j < N; j++)
            ck_assert_int_eq(poll_with(&f[j], &t[j]), RT_PENDING);
    }
    /* Every waiter was served, so nothing was stored. */
    tk_notify_notified_fut g = tk_notify_notified(&n);
    ck_assert_int_eq(poll_with(&g, &t[0]), RT_PENDING);
    rt_future_drop(&g.base);
    for (int i = 0; i < N; i++) {
        rt_future_drop(&f[i].base);
        ck_assert_int_eq(atomic_load(&t[i].refs), 0);
    }
    tk_notify_destroy(&n);
}
END_TEST

START_TEST(test_notify_waiters_wakes_all_and_stores_nothing)
{
    enum { N = 70 }; /* more than one wake batch */
    static tk_notify_notified_fut f[N];
    tk_notify n;
    twk t = { 0 }, u = { 0 };
    tk_notify_init(&n);
    for (int i = 0; i < N; i++) {
        f[i] = tk_notify_notified(&n);
        ck_assert_int_eq(poll_with(&f[i], &t), RT_PENDING);
    }
    tk_notify_notify_waiters(&n);
    ck_assert_int_eq(atomic_load(&t.wakes), N);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(poll_with(&f[i], &t), RT_READY);
    tk_notify_notified_fut later = tk_notify_notified(&n);
    ck_assert_int_eq(poll_with(&later, &u), RT_PENDING); /* no permit was stored */
    tk_notify_notify_waiters(&n);
    ck_assert_int_eq(poll_with(&later, &u), RT_READY);
    /* notify_waiters leaves a stored notify_one permit alone. */
    tk_notify_notify_one(&n);
    tk_notify_notify_waiters(&n);
    tk_notify_notified_fut p = tk_notify_notified(&n);
    ck_assert_int_eq(poll_with(&p, &u), RT_READY);
    rt_future_drop(&p.base);
    rt_future_drop(&later.base);
    for (int i = 0; i < N; i++)
        rt_future_drop(&f[i].base);
    ck_assert_int_eq(atomic_load(&t.refs) + atomic_load(&u.refs), 0);
    tk_notify_destroy(&n);
}
END_TEST

/* tokio 1.24's rule: a future counts notify_waiters calls made after it was created. */
START_TEST(test_notify_waiters_reaches_created_but_unpolled_futures)
{
    tk_notify n;
    twk t = { 0 };
    tk_notify_init(&n);
    tk_notify_notified_fut before = tk_notify_notified(&n);
    tk_notify_notify_waiters(&n);
    tk_notify_notified_fut after = tk_notify_notified(&n);
    ck_assert_int_eq(poll_with(&before, &t), RT_READY);
    ck_assert_int_eq(poll_with(&after, &t), RT_PENDING);
    rt_future_drop(&after.base);
    rt_future_drop(&before.base);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
    tk_notify_destroy(&n);
}
END_TEST

START_TEST(test_dropped_chosen_waiter_passes_notification_on)
{
    tk_notify n;
    twk ta = { 0 }, tb = { 0 }, tc = { 0 };
    tk_notify_init(&n);
    tk_notify_notified_fut a = tk_notify_notified(&n), b = tk_notify_notified(&n);
    ck_assert_int_eq(poll_with(&a, &ta), RT_PENDING);
    ck_assert_int_eq(poll_with(&b, &tb), RT_PENDING);
    tk_notify_notify_one(&n);
    ck_assert_int_eq(atomic_load(&ta.wakes), 1);
    rt_future_drop(&a.base); /* chosen, never observed: b must get it */
    ck_assert_int_eq(atomic_load(&tb.wakes), 1);
    ck_assert_int_eq(poll_with(&b, &tb), RT_READY);
    /* With nobody left to pass it to, it becomes the stored permit. */
    tk_notify_notified_fut c = tk_notify_notified(&n);
    ck_assert_int_eq(poll_with(&c, &tc), RT_PENDING);
    tk_notify_notify_one(&n);
    rt_future_drop(&c.base);
    tk_notify_notified_fut d = tk_notify_notified(&n);
    ck_assert_int_eq(poll_with(&d, &tc), RT_READY);
    rt_future_drop(&d.base);
    rt_future_drop(&b.base);
    ck_assert_int_eq(atomic_load(&ta.refs) + atomic_load(&tb.refs) + atomic_load(&tc.refs), 0);
    tk_notify_destroy(&n);
}
END_TEST

START_TEST(test_dropped_waiters_do_not_eat_notifications)
{
    tk_notify n;
    twk ta = { 0 }, tb = { 0 };
    tk_notify_init(&n);
    tk_notify_notified_fut a = tk_notify_notified(&n), b = tk_notify_notified(&n);
    ck_assert_int_eq(poll_with(&a, &ta), RT_PENDING);
    ck_assert_int_eq(poll_with(&b, &tb), RT_PENDING);
    rt_future_drop(&a.base); /* a pending, unchosen waiter leaves quietly */
    ck_assert_int_eq(atomic_load(&ta.refs), 0);
    tk_notify_notify_one(&n);
    ck_assert_int_eq(atomic_load(&tb.wakes), 1);
    ck_assert_int_eq(poll_with(&b, &tb), RT_READY);
    /* A waiter woken by notify_waiters and dropped passes nothing on. */
    tk_notify_notified_fut c = tk_notify_notified(&n), d = tk_notify_notified(&n);
    ck_assert_int_eq(poll_with(&c, &ta), RT_PENDING);
    tk_notify_notify_waiters(&n);
    rt_future_drop(&c.base);
    ck_assert_int_eq(poll_with(&d, &tb), RT_READY); /* d was created before the call */
    tk_notify_notified_fut e = tk_notify_notified(&n);
    ck_assert_int_eq(poll_with(&e, &tb), RT_PENDING);
    rt_future_drop(&e.base);
    rt_future_drop(&d.base);
    rt_future_drop(&b.base);
    ck_assert_int_eq(atomic_load(&ta.refs) + atomic_load(&tb.refs), 0);
    tk_notify_destroy(&n);
}
END_TEST

START_TEST(test_coop_budget)
{
    tk_notify n;
    twk t = { 0 };
    tk_notify_init(&n);
    tk_notify_notify_one(&n);
    tk_coop_set(0);
    tk_notify_notified_fut a = tk_notify_notified(&n);
    ck_assert_int_eq(poll_with(&a, &t), RT_PENDING); /* a permit is there, but yield first */
    ck_assert_int_eq(atomic_load(&t.wakes), 1);
    tk_coop_set(3);
    ck_assert_int_eq(poll_with(&a, &t), RT_READY);   /* the permit was not lost */
    ck_assert_int_eq(tk_coop_get(), 2);
    tk_notify_notified_fut b = tk_notify_notified(&n);
    ck_assert_int_eq(poll_with(&b, &t), RT_PENDING);
    ck_assert_int_eq(tk_coop_get(), 2);              /* pending gave its unit back */
    tk_coop_set(-1);
    rt_future_drop(&b.base);
    rt_future_drop(&a.base);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
    tk_notify_destroy(&n);
}
END_TEST

/* ---- cross-thread: ping-pong through two Notify, each side on its own rt_block_on -------- */

enum { PINGS = 20000 };

typedef struct pinger {
    rt_future base;
    rt_async co;
    tk_notify *mine, *theirs;
    int i, first;
    tk_notify_notified_fut wait;
} pinger;

/* pinger_poll: PINGS rounds of "notify the other side, wait to be notified" (or the reverse). */
static rt_poll pinger_poll(rt_future *f, rt_context *cx)
{
    pinger *p = (pinger *)f;
    RT_BEGIN(&p->co);
    for (p->i = 0; p->i < PINGS; p->i++) {
        if (p->first)
            tk_notify_notify_one(p->theirs);
        p->wait = tk_notify_notified(p->mine);
        RT_AWAIT(&p->co, &p->wait, cx);
        if (!p->first)
            tk_notify_notify_one(p->theirs);
    }
    RT_END(&p->co);
}

/* pinger_drop: cancel the pending notified future, if any. */
static void pinger_drop(rt_future *f)
{
    rt_async_drop(&((pinger *)f)->co);
}

static const rt_future_vtable pinger_vtable = { pinger_poll, pinger_drop, "pinger" };

/* pinger_thread: a thread whose whole life is one rt_block_on of `arg`. */
static void *pinger_thread(void *arg)
{
    rt_block_on((rt_future *)arg);
    return NULL;
}

START_TEST(test_cross_thread_ping_pong)
{
    static tk_notify a, b;
    tk_notify_init(&a);
    tk_notify_init(&b);
    pinger pa = { .base = { &pinger_vtable }, .mine = &a, .theirs = &b, .first = 1 };
    pinger pb = { .base = { &pinger_vtable }, .mine = &b, .theirs = &a, .first = 0 };
    pthread_t ta, tb;
    ck_assert_int_eq(pthread_create(&ta, NULL, pinger_thread, &pa), 0);
    ck_assert_int_eq(pthread_create(&tb, NULL, pinger_thread, &pb), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    /* Each side got exactly PINGS notifications; a lost wake-up would have hung the test. */
    ck_assert_int_eq(pa.i, PINGS);
    ck_assert_int_eq(pb.i, PINGS);
    tk_notify_destroy(&a);
    tk_notify_destroy(&b);
}
END_TEST

/* main: the suite, one Check binary. */
int main(void)
{
    Suite *s = suite_create("tk_notify");
    TCase *tc = tcase_create("semantics");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_notify_one_stores_one_permit);
    tcase_add_test(tc, test_notify_one_wakes_oldest_waiter);
    tcase_add_test(tc, test_notify_waiters_wakes_all_and_stores_nothing);
    tcase_add_test(tc, test_notify_waiters_reaches_created_but_unpolled_futures);
    tcase_add_test(tc, test_dropped_chosen_waiter_passes_notification_on);
    tcase_add_test(tc, test_dropped_waiters_do_not_eat_notifications);
    tcase_add_test(tc, test_coop_budget);
    suite_add_tcase(s, tc);
    TCase *st = tcase_create("threads");
    tcase_set_timeout(st, 30);
    tcase_add_test(st, test_cross_thread_ping_pong);
    suite_add_tcase(s, st);
    return rt_suite_run(s);
}
