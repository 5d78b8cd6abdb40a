/* test_tk_oneshot.c: tk_oneshot -- send/recv, either side dropped or closed, cancellation, threads, OOM. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "rt_alloc.h"
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

typedef struct msg {
    int a;
    double b;
    char tag[13];
} msg;

START_TEST(test_send_then_recv_copies_the_value)
{
    tk_oneshot_tx tx;
    tk_oneshot_rx rx;
    twk t = { 0 };
    ck_assert_int_eq(tk_oneshot_channel(sizeof(msg), &tx, &rx), 0);
    ck_assert(!tk_oneshot_tx_closed(&tx));
    msg in = { 7, 2.5, "hello" }, out;
    memset(&out, 0, sizeof out);
    ck_assert_int_eq(tk_oneshot_send(&tx, &in), 0);
    ck_assert_ptr_null(tx.chan); /* the sender is used up */
    tk_oneshot_recv_fut r = tk_oneshot_recv(&rx, &out);
    ck_assert_int_eq(poll_with(&r, &t), RT_READY);
    ck_assert_int_eq(r.result, 0);
    ck_assert_int_eq(out.a, 7);
    ck_assert(out.b == 2.5);
    ck_assert_str_eq(out.tag, "hello");
    rt_future_drop(&r.base);
    /* The value was taken: a second receive finds nothing will ever come. */
    ck_assert_int_eq(tk_oneshot_try_recv(&rx, &out), -EPIPE);
    tk_oneshot_rx_drop(&rx);
    tk_oneshot_rx_drop(&rx); /* idempotent */
    tk_oneshot_tx_drop(&tx); /* a no-op on a used sender */
    ck_assert_int_eq(atomic_load(&t.refs), 0);
}
END_TEST

START_TEST(test_pending_recv_is_woken_by_send)
{
    tk_oneshot_tx tx;
    tk_oneshot_rx rx;
    twk t = { 0 };
    tk_oneshot_channel(sizeof(int), &tx, &rx);
    int out = 0, v = 99;
    tk_oneshot_recv_fut r = tk_oneshot_recv(&rx, &out);
    ck_assert_int_eq(poll_with(&r, &t), RT_PENDING);
    ck_assert_int_eq(poll_with(&r, &t), RT_PENDING);
    ck_assert_int_eq(atomic_load(&t.refs), 1);
    ck_assert_int_eq(tk_oneshot_try_recv(&rx, &out), -EAGAIN);
    ck_assert_int_eq(tk_oneshot_send(&tx, &v), 0);
    ck_assert_int_eq(atomic_load(&t.wakes), 1);
    ck_assert_int_eq(poll_with(&r, &t), RT_READY);
    ck_assert_int_eq(r.result, 0);
    ck_assert_int_eq(out, 99);
    rt_future_drop(&r.base);
    tk_oneshot_rx_drop(&rx);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
}
END_TEST

START_TEST(test_sender_dropped_gives_epipe)
{
    tk_oneshot_tx tx;
    tk_oneshot_rx rx;
    twk t = { 0 };
    tk_oneshot_channel(sizeof(int), &tx, &rx);
    int out = -1;
    tk_oneshot_recv_fut r = tk_oneshot_recv(&rx, &out);
    ck_assert_int_eq(poll_with(&r, &t), RT_PENDING);
    tk_oneshot_tx_drop(&tx);
    ck_assert_int_eq(atomic_load(&t.wakes), 1);
    ck_assert_int_eq(poll_with(&r, &t), RT_READY);
    ck_assert_int_eq(r.result, -EPIPE);
    ck_assert_int_eq(out, -1);
    ck_assert_int_eq(tk_oneshot_try_recv(&rx, &out), -EPIPE);
    rt_future_drop(&r.base);
    tk_oneshot_rx_drop(&rx);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
}
END_TEST

START_TEST(test_receiver_dropped_send_fails)
{
    tk_oneshot_tx tx;
    tk_oneshot_rx rx;
    twk t = { 0 };
    tk_oneshot_channel(sizeof(int), &tx, &rx);
    tk_oneshot_closed_fut c = tk_oneshot_closed(&tx);
    ck_assert_int_eq(poll_with(&c, &t), RT_PENDING);
    tk_oneshot_rx_drop(&rx);
    ck_assert_int_eq(atomic_load(&t.wakes), 1); /* closed() was told */
    ck_assert(tk_oneshot_tx_closed(&tx));
    ck_assert_int_eq(poll_with(&c, &t), RT_READY);
    rt_future_drop(&c.base);
    int v = 5;
    ck_assert_int_eq(tk_oneshot_send(&tx, &v), -EPIPE);
    ck_assert_ptr_null(tx.chan);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
}
END_TEST

START_TEST(test_receiver_close)
{
    tk_oneshot_tx tx;
    tk_oneshot_rx rx;
    int v = 1, out = 0;
    /* Sent before the close: still received. */
    tk_oneshot_channel(sizeof(int), &tx, &rx);
    ck_assert_int_eq(tk_oneshot_send(&tx, &v), 0);
    tk_oneshot_rx_close(&rx);
    ck_assert_int_eq(tk_oneshot_try_recv(&rx, &out), 0);
    ck_assert_int_eq(out, 1);
    tk_oneshot_rx_drop(&rx);
    /* Closed first: the send fails, the receiver sees the end. */
    tk_oneshot_channel(sizeof(int), &tx, &rx);
    tk_oneshot_rx_close(&rx);
    ck_assert(tk_oneshot_tx_closed(&tx));
    ck_assert_int_eq(tk_oneshot_send(&tx, &v), -EPIPE);
    ck_assert_int_eq(tk_oneshot_try_recv(&rx, &out), -EPIPE);
    tk_oneshot_rx_drop(&rx);
    /* Closed with the sender still alive and silent: a receive ends at once. */
    twk t = { 0 };
    tk_oneshot_channel(sizeof(int), &tx, &rx);
    tk_oneshot_rx_close(&rx);
    tk_oneshot_recv_fut r = tk_oneshot_recv(&rx, &out);
    ck_assert_int_eq(poll_with(&r, &t), RT_READY);
    ck_assert_int_eq(r.result, -EPIPE);
    rt_future_drop(&r.base);
    tk_oneshot_tx_drop(&tx);
    tk_oneshot_rx_drop(&rx);
}
END_TEST

START_TEST(test_cancelled_recv_releases_waker_and_keeps_value)
{
    tk_oneshot_tx tx;
    tk_oneshot_rx rx;
    twk t = { 0 }, u = { 0 };
    tk_oneshot_channel(sizeof(int), &tx, &rx);
    int out = 0, v = 42;
    tk_oneshot_recv_fut r = tk_oneshot_recv(&rx, &out);
    ck_assert_int_eq(poll_with(&r, &t), RT_PENDING);
    rt_future_drop(&r.base);
    ck_assert_int_eq(atomic_load(&t.refs), 0); /* the channel no longer holds our task */
    ck_assert_int_eq(tk_oneshot_send(&tx, &v), 0);
    ck_assert_int_eq(atomic_load(&t.wakes), 0);
    tk_oneshot_recv_fut r2 = tk_oneshot_recv(&rx, &out);
    ck_assert_int_eq(poll_with(&r2, &u), RT_READY);
    ck_assert_int_eq(out, 42);
    rt_future_drop(&r2.base);
    tk_oneshot_rx_drop(&rx);
    ck_assert_int_eq(atomic_load(&u.refs), 0);
}
END_TEST

START_TEST(test_allocation_failure)
{
    tk_oneshot_tx tx = { (tk__oneshot_chan *)&tx };
    tk_oneshot_rx rx = { (tk__oneshot_chan *)&rx };
    rt_alloc_fail_after(1);
    ck_assert_int_eq(tk_oneshot_channel(64, &tx, &rx), -ENOMEM);
    ck_assert_ptr_null(tx.chan);
    ck_assert_ptr_null(rx.chan);
    ck_assert_int_eq(tk_oneshot_channel(SIZE_MAX - 8, &tx, &rx), -ENOMEM);
    ck_assert_int_eq(tk_oneshot_channel(0, &tx, &rx), 0); /* a value of no bytes: a signal */
    ck_assert_int_eq(tk_oneshot_send(&tx, NULL), 0);
    ck_assert_int_eq(tk_oneshot_try_recv(&rx, NULL), 0);
    tk_oneshot_rx_drop(&rx);
}
END_TEST

START_TEST(test_coop_budget)
{
    tk_oneshot_tx tx;
    tk_oneshot_rx rx;
    twk t = { 0 };
    int v = 3, out = 0;
    tk_oneshot_channel(sizeof v, &tx, &rx);
    tk_oneshot_send(&tx, &v);
    tk_coop_set(0);
    tk_oneshot_recv_fut r = tk_oneshot_recv(&rx, &out);
    ck_assert_int_eq(poll_with(&r, &t), RT_PENDING);
    ck_assert_int_eq(atomic_load(&t.wakes), 1);
    ck_assert_int_eq(out, 0);
    tk_coop_set(1);
    ck_assert_int_eq(poll_with(&r, &t), RT_READY);
    ck_assert_int_eq(out, 3);
    ck_assert_int_eq(tk_coop_get(), 0);
    rt_future_drop(&r.base);
    tk_oneshot_rx_drop(&rx);
    /* A receive that has to wait made no progress: its unit is given back. */
    tk_oneshot_channel(sizeof v, &tx, &rx);
    tk_coop_set(5);
    r = tk_oneshot_recv(&rx, &out);
    ck_assert_int_eq(poll_with(&r, &t), RT_PENDING);
    ck_assert_int_eq(tk_coop_get(), 5);
    tk_oneshot_closed_fut c = tk_oneshot_closed(&tx);
    ck_assert_int_eq(poll_with(&c, &t), RT_PENDING);
    ck_assert_int_eq(tk_coop_get(), 5);
    tk_coop_set(-1);
    rt_future_drop(&c.base);
    rt_future_drop(&r.base);
    tk_oneshot_tx_drop(&tx);
    tk_oneshot_rx_drop(&rx);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
}
END_TEST

/* ---- threads: ROUNDS channels, the receiver parked in rt_block_on, sent from elsewhere ---- */

enum { ROUNDS = 3000 };

typedef struct slot {
    tk_oneshot_tx tx;
    tk_oneshot_rx rx;
} slot;

static slot slots[ROUNDS];

/* The receiving side: awaits each channel in order; the sender thread races it. */
typedef struct receiver {
    rt_future base;
    rt_async co;
    int i, got, sum, closed;
    int out;
    tk_oneshot_recv_fut r;
} receiver;

/* receiver_poll: await each channel in turn, count values and ends, drop each receiver. */
static rt_poll receiver_poll(rt_future *f, rt_context *cx)
{
    receiver *s = (receiver *)f;
    RT_BEGIN(&s->co);
    for (s->i = 0; s->i < ROUNDS; s->i++) {
        s->r = tk_oneshot_recv(&slots[s->i].rx, &s->out);
        RT_AWAIT(&s->co, &s->r, cx);
        if (s->r.result == 0) {
            s->got++;
            ck_assert_int_eq(s->out, s->i);
        } else {
            s->closed++;
        }
        tk_oneshot_rx_drop(&slots[s->i].rx);
    }
    RT_END(&s->co);
}

static const rt_future_vtable receiver_vtable = { receiver_poll, NULL, "receiver" };

/* sender_thread: send on every channel in order, dropping every tenth sender instead. */
static void *sender_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        if (i % 10 == 9)
            tk_oneshot_tx_drop(&slots[i].tx); /* every tenth: no value */
        else
            tk_oneshot_send(&slots[i].tx, &i);
    }
    return NULL;
}

START_TEST(test_cross_thread_send)
{
    for (int i = 0; i < ROUNDS; i++)
        ck_assert_int_eq(tk_oneshot_channel(sizeof(int), &slots[i].tx, &slots[i].rx), 0);
    receiver r = { .base = { &receiver_vtable } };
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, sender_thread, NULL), 0);
    rt_block_on(&r.base);
    pthread_join(th, NULL);
    ck_assert_int_eq(r.got, ROUNDS - ROUNDS / 10);
    ck_assert_int_eq(r.closed, ROUNDS / 10);
}
END_TEST

/* main: the suite, one Check binary. */
int main(void)
{
    Suite *s = suite_create("tk_oneshot");
    TCase *tc = tcase_create("semantics");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_send_then_recv_copies_the_value);
    tcase_add_test(tc, test_pending_recv_is_woken_by_send);
    tcase_add_test(tc, test_sender_dropped_gives_epipe);
    tcase_add_test(tc, test_receiver_dropped_send_fails);
    tcase_add_test(tc, test_receiver_close);
    tcase_add_test(tc, test_cancelled_recv_releases_waker_and_keeps_value);
    tcase_add_test(tc, test_allocation_failure);
    tcase_add_test(tc, test_coop_budget);
    suite_add_tcase(s, tc);
    TCase *st = tcase_create("threads");
    tcase_set_timeout(st, 30);
    tcase_add_test(st, test_cross_thread_send);
    suite_add_tcase(s, st);
    return rt_suite_run(s);
}
