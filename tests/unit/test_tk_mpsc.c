/* test_tk_mpsc.c: tk_mpsc -- backpressure, FIFO senders, close, cancellation, growth, coop, a cross-thread storm. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "rt_alloc.h"
#include "rt_async.h"
#include "rt_block_on.h"
#include "rt_panic.h"
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

/* recv_now: one receive that must complete on its first poll; returns its result. */
static int recv_now(tk_mpsc_rx *rx, int *out)
{
    twk t = { 0 };
    tk_mpsc_recv_fut r = tk_mpsc_recv(rx, out);
    ck_assert_int_eq(poll_with(&r, &t), RT_READY);
    rt_future_drop(&r.base);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
    return r.result;
}

START_TEST(test_bounded_backpressure_and_order)
{
    tk_mpsc_tx tx;
    tk_mpsc_rx rx;
    twk t = { 0 }, tr = { 0 };
    ck_assert_int_eq(tk_mpsc_channel(2, sizeof(int), &tx, &rx), 0);
    int v[3] = { 10, 20, 30 }, out = 0;
    tk_mpsc_send_fut s[3];
    for (int i = 0; i < 3; i++)
        s[i] = tk_mpsc_send(&tx, &v[i]);
    ck_assert_int_eq(poll_with(&s[0], &t), RT_READY);
    ck_assert_int_eq(poll_with(&s[1], &t), RT_READY);
    ck_assert_int_eq(s[0].result + s[1].result, 0);
    ck_assert_uint_eq(tk_mpsc_sender_capacity(&tx), 0);
    ck_assert_int_eq(poll_with(&s[2], &t), RT_PENDING); /* full: the third send waits */
    ck_assert_int_eq(tk_mpsc_try_send(&tx, &v[2]), -EAGAIN);
    ck_assert_int_eq(atomic_load(&t.wakes), 0);
    ck_assert_int_eq(recv_now(&rx, &out), 0);
    ck_assert_int_eq(out, 10);
    ck_assert_int_eq(atomic_load(&t.wakes), 1);         /* the slot went to the waiting send */
    ck_assert_int_eq(poll_with(&s[2], &t), RT_READY);
    ck_assert_int_eq(s[2].result, 0);
    ck_assert_int_eq(recv_now(&rx, &out), 0);
    ck_assert_int_eq(out, 20);
    ck_assert_int_eq(recv_now(&rx, &out), 0);
    ck_assert_int_eq(out, 30);
    ck_assert_uint_eq(tk_mpsc_sender_capacity(&tx), 2);
    tk_mpsc_recv_fut r = tk_mpsc_recv(&rx, &out);
    ck_assert_int_eq(poll_with(&r, &tr), RT_PENDING);   /* empty: the receive waits */
    ck_assert_int_eq(tk_mpsc_try_send(&tx, &v[0]), 0);
    ck_assert_int_eq(atomic_load(&tr.wakes), 1);
    ck_assert_int_eq(poll_with(&r, &tr), RT_READY);
    ck_assert_int_eq(out, 10);
    rt_future_drop(&r.base);
    for (int i = 0; i < 3; i++)
        rt_future_drop(&s[i].base);
    tk_mpsc_sender_drop(&tx);
    tk_mpsc_receiver_drop(&rx);
    ck_assert_int_eq(atomic_load(&t.refs) + atomic_load(&tr.refs), 0);
}
END_TEST

START_TEST(test_waiting_senders_are_served_in_order)
{
    enum { N = 4 };
    tk_mpsc_tx tx;
    tk_mpsc_rx rx;
    twk t[N] = { 0 };
    int v[N] = { 1, 2, 3, 4 }, zero = 0, out;
    tk_mpsc_send_fut s[N];
    tk_mpsc_channel(1, sizeof(int), &tx, &rx);
    ck_assert_int_eq(tk_mpsc_try_send(&tx, &zero), 0);
    for (int i = 0; i < N; i++) {
        s[i] = tk_mpsc_send(&tx, &v[i]);
        ck_assert_int_eq(poll_with(&s[i], &t[i]), RT_PENDING);
    }
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(recv_now(&rx, &out), 0);
        ck_assert_int_eq(out, i == 0 ? 0 : v[i - 1]);
        for (int j = 0; j < N; j++)
            ck_assert_int_eq(atomic_load(&t[j].wakes), j <= i); /* exactly the oldest */
        ck_assert_int_eq(poll_with(&s[i], &t[i]), RT_READY);
    }
    ck_assert_int_eq(recv_now(&rx, &out), 0);
    ck_assert_int_eq(out, v[N - 1]);
    for (int i = 0; i < N; i++) {
        rt_future_drop(&s[i].base);
        ck_assert_int_eq(atomic_load(&t[i].refs), 0);
    }
    tk_mpsc_sender_drop(&tx);
    tk_mpsc_receiver_drop(&rx);
}
END_TEST

START_TEST(test_receiver_close_fails_senders_keeps_buffer)
{
    tk_mpsc_tx tx;
    tk_mpsc_rx rx;
    twk t = { 0 }, u = { 0 };
    int v[3] = { 1, 2, 3 }, out;
    tk_mpsc_channel(2, sizeof(int), &tx, &rx);
    tk_mpsc_try_send(&tx, &v[0]);
    tk_mpsc_try_send(&tx, &v[1]);
    tk_mpsc_send_fut s = tk_mpsc_send(&tx, &v[2]);
    ck_assert_int_eq(poll_with(&s, &t), RT_PENDING);
    tk_mpsc_receiver_close(&rx);
    ck_assert(tk_mpsc_sender_is_closed(&tx));
    ck_assert_int_eq(atomic_load(&t.wakes), 1);
    ck_assert_int_eq(poll_with(&s, &t), RT_READY);
    ck_assert_int_eq(s.result, -EPIPE);
    ck_assert_int_eq(tk_mpsc_try_send(&tx, &v[2]), -EPIPE);
    tk_mpsc_send_fut s2 = tk_mpsc_send(&tx, &v[2]);
    ck_assert_int_eq(poll_with(&s2, &u), RT_READY);
    ck_assert_int_eq(s2.result, -EPIPE);
    /* What was buffered before the close is still delivered, then the end. */
    ck_assert_int_eq(recv_now(&rx, &out), 0);
    ck_assert_int_eq(out, 1);
    ck_assert_int_eq(tk_mpsc_try_recv(&rx, &out), 0);
    ck_assert_int_eq(out, 2);
    ck_assert_int_eq(recv_now(&rx, &out), -EPIPE);
    ck_assert_int_eq(tk_mpsc_try_recv(&rx, &out), -EPIPE);
    tk_mpsc_receiver_close(&rx); /* idempotent */
    rt_future_drop(&s.base);
    rt_future_drop(&s2.base);
    tk_mpsc_sender_drop(&tx);
    tk_mpsc_receiver_drop(&rx);
    ck_assert_int_eq(atomic_load(&t.refs) + atomic_load(&u.refs), 0);
}
END_TEST

START_TEST(test_all_senders_dropped_ends_after_drain)
{
    tk_mpsc_tx tx, tx2;
    tk_mpsc_rx rx;
    twk t = { 0 };
    int v = 5, out;
    ck_assert_int_eq(tk_mpsc_unbounded_channel(sizeof(int), &tx, &rx), 0);
    tx2 = tk_mpsc_sender_clone(&tx);
    ck_assert_int_eq(tk_mpsc_unbounded_send(&tx2, &v), 0);
    tk_mpsc_sender_drop(&tx2);
    ck_assert_int_eq(recv_now(&rx, &out), 0);
    ck_assert_int_eq(out, 5);
    tk_mpsc_recv_fut r = tk_mpsc_recv(&rx, &out);
    ck_assert_int_eq(poll_with(&r, &t), RT_PENDING); /* tx is still alive */
    ck_assert_int_eq(tk_mpsc_try_recv(&rx, &out), -EAGAIN);
    v = 6;
    tk_mpsc_unbounded_send(&tx, &v);
    tx2 = tk_mpsc_sender_clone(&tx);
    tk_mpsc_sender_drop(&tx);
    ck_assert_int_eq(poll_with(&r, &t), RT_READY);   /* woken by the send */
    ck_assert_int_eq(out, 6);
    rt_future_drop(&r.base);
    r = tk_mpsc_recv(&rx, &out);
    ck_assert_int_eq(poll_with(&r, &t), RT_PENDING);
    tk_mpsc_sender_drop(&tx2);                       /* the last one: wakes the receiver */
    ck_assert_int_eq(atomic_load(&t.wakes), 2);
    ck_assert_int_eq(poll_with(&r, &t), RT_READY);
    ck_assert_int_eq(r.result, -EPIPE);
    rt_future_drop(&r.base);
    ck_assert_int_eq(tk_mpsc_try_recv(&rx, &out), -EPIPE);
    tk_mpsc_receiver_drop(&rx);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
}
END_TEST

START_TEST(test_receiver_dropped_fails_every_send)
{
    tk_mpsc_tx tx, utx;
    tk_mpsc_rx rx, urx;
    twk t = { 0 };
    int v = 1;
    tk_mpsc_channel(1, sizeof(int), &tx, &rx);
    tk_mpsc_try_send(&tx, &v);
    tk_mpsc_send_fut s = tk_mpsc_send(&tx, &v);
    ck_assert_int_eq(poll_with(&s, &t), RT_PENDING);
    tk_mpsc_receiver_drop(&rx);
    ck_assert_ptr_null(rx.chan);
    ck_assert_int_eq(atomic_load(&t.wakes), 1);
    ck_assert_int_eq(poll_with(&s, &t), RT_READY);
    ck_assert_int_eq(s.result, -EPIPE);
    rt_future_drop(&s.base);
    ck_assert(tk_mpsc_sender_is_closed(&tx));
    ck_assert_int_eq(tk_mpsc_try_send(&tx, &v), -EPIPE);
    tk_mpsc_sender_drop(&tx);
    tk_mpsc_unbounded_channel(sizeof(int), &utx, &urx);
    tk_mpsc_receiver_drop(&urx);
    ck_assert_int_eq(tk_mpsc_unbounded_send(&utx, &v), -EPIPE);
    ck_assert_int_eq(tk_mpsc_try_send(&utx, &v), -EPIPE);
    tk_mpsc_send_fut us = tk_mpsc_send(&utx, &v);
    ck_assert_int_eq(poll_with(&us, &t), RT_READY);
    ck_assert_int_eq(us.result, -EPIPE);
    rt_future_drop(&us.base);
    tk_mpsc_sender_drop(&utx);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
}
END_TEST

START_TEST(test_dropped_pending_send_releases_its_slot)
{
    tk_mpsc_tx tx;
    tk_mpsc_rx rx;
    twk ta = { 0 }, tb = { 0 };
    int zero = 0, va = 1, vb = 2, out;
    tk_mpsc_channel(1, sizeof(int), &tx, &rx);
    /* Cancelled while queued: the next sender moves up. */
    tk_mpsc_try_send(&tx, &zero);
    tk_mpsc_send_fut a = tk_mpsc_send(&tx, &va), b = tk_mpsc_send(&tx, &vb);
    ck_assert_int_eq(poll_with(&a, &ta), RT_PENDING);
    ck_assert_int_eq(poll_with(&b, &tb), RT_PENDING);
    rt_future_drop(&a.base);
    ck_assert_int_eq(recv_now(&rx, &out), 0);
    ck_assert_int_eq(atomic_load(&tb.wakes), 1);
    ck_assert_int_eq(poll_with(&b, &tb), RT_READY);
    ck_assert_int_eq(recv_now(&rx, &out), 0);
    ck_assert_int_eq(out, 2);
    rt_future_drop(&b.base);
    /* Cancelled after the slot was handed to it: the slot goes on, with a wake-up. */
    tk_mpsc_try_send(&tx, &zero);
    a = tk_mpsc_send(&tx, &va);
    b = tk_mpsc_send(&tx, &vb);
    ck_assert_int_eq(poll_with(&a, &ta), RT_PENDING);
    ck_assert_int_eq(poll_with(&b, &tb), RT_PENDING);
    ck_assert_int_eq(recv_now(&rx, &out), 0);
    ck_assert_int_eq(atomic_load(&ta.wakes), 1); /* a owns the slot now */
    ck_assert_int_eq(atomic_load(&tb.wakes), 1); /* (from the first half) */
    rt_future_drop(&a.base);
    ck_assert_int_eq(atomic_load(&tb.wakes), 2);
    ck_assert_int_eq(poll_with(&b, &tb), RT_READY);
    ck_assert_int_eq(recv_now(&rx, &out), 0);
    ck_assert_int_eq(out, 2);                   /* a's value never went in */
    ck_assert_int_eq(tk_mpsc_try_recv(&rx, &out), -EAGAIN);
    ck_assert_uint_eq(tk_mpsc_sender_capacity(&tx), 1);
    rt_future_drop(&b.base);
    tk_mpsc_sender_drop(&tx);
    tk_mpsc_receiver_drop(&rx);
    ck_assert_int_eq(atomic_load(&ta.refs) + atomic_load(&tb.refs), 0);
}
END_TEST

START_TEST(test_dropped_pending_recv_releases_its_waker)
{
    tk_mpsc_tx tx;
    tk_mpsc_rx rx;
    twk t = { 0 };
    int v = 8, out = 0;
    tk_mpsc_channel(4, sizeof(int), &tx, &rx);
    tk_mpsc_recv_fut r = tk_mpsc_recv(&rx, &out);
    ck_assert_int_eq(poll_with(&r, &t), RT_PENDING);
    rt_future_drop(&r.base);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
    ck_assert_int_eq(tk_mpsc_try_send(&tx, &v), 0);
    ck_assert_int_eq(atomic_load(&t.wakes), 0);
    ck_assert_int_eq(recv_now(&rx, &out), 0); /* nothing was lost with the dropped receive */
    ck_assert_int_eq(out, 8);
    tk_mpsc_sender_drop(&tx);
    tk_mpsc_receiver_drop(&rx);
}
END_TEST

START_TEST(test_unbounded_grows_keeps_order_and_survives_oom)
{
    tk_mpsc_tx tx;
    tk_mpsc_rx rx;
    int out;
    tk_mpsc_unbounded_channel(sizeof(int), &tx, &rx);
    int next_in = 0, next_out = 0;
    /* Interleave so the ring wraps before each growth. */
    for (int round = 0; round < 12; round++) {
        for (int k = 0; k < 37 * (round + 1); k++, next_in++)
            ck_assert_int_eq(tk_mpsc_unbounded_send(&tx, &next_in), 0);
        for (int k = 0; k < 20 * (round + 1); k++, next_out++) {
            ck_assert_int_eq(tk_mpsc_try_recv(&rx, &out), 0);
            ck_assert_int_eq(out, next_out);
        }
    }
    /* Fill to the ring's capacity, then make the growth fail. */
    int sent = 0;
    for (;;) {
        rt_alloc_fail_after(1);
        int rc = tk_mpsc_unbounded_send(&tx, &next_in);
        long failures = rt_alloc_injected_failures();
        rt_alloc_fail_after(0);
        if (rc == -ENOMEM) {
            ck_assert_int_ge(failures, 1);
            break;
        }
        ck_assert_int_eq(rc, 0);
        next_in++;
        ck_assert_int_lt(++sent, 1 << 20);
    }
    ck_assert_int_eq(tk_mpsc_unbounded_send(&tx, &next_in), 0); /* memory is back: it grows */
    next_in++;
    while (next_out < next_in) {
        ck_assert_int_eq(tk_mpsc_try_recv(&rx, &out), 0);
        ck_assert_int_eq(out, next_out++);
    }
    ck_assert_int_eq(tk_mpsc_try_recv(&rx, &out), -EAGAIN);
    tk_mpsc_sender_drop(&tx);
    ck_assert_int_eq(tk_mpsc_try_recv(&rx, &out), -EPIPE);
    tk_mpsc_receiver_drop(&rx);
}
END_TEST

START_TEST(test_creation_errors_and_zero_sized_values)
{
    tk_mpsc_tx tx;
    tk_mpsc_rx rx;
    ck_assert_int_eq(tk_mpsc_channel(0, 4, &tx, &rx), -EINVAL);
    ck_assert_ptr_null(tx.chan);
    ck_assert_int_eq(tk_mpsc_channel(SIZE_MAX / 16, 64, &tx, &rx), -ENOMEM);
    rt_alloc_fail_after(1);
    ck_assert_int_eq(tk_mpsc_channel(4, 4, &tx, &rx), -ENOMEM);
    ck_assert_ptr_null(rx.chan);
    rt_alloc_fail_after(1);
    ck_assert_int_eq(tk_mpsc_unbounded_channel(4, &tx, &rx), -ENOMEM);
    /* Zero-sized values: a counting channel. */
    ck_assert_int_eq(tk_mpsc_unbounded_channel(0, &tx, &rx), 0);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(tk_mpsc_unbounded_send(&tx, NULL), 0);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(tk_mpsc_try_recv(&rx, NULL), 0);
    ck_assert_int_eq(tk_mpsc_try_recv(&rx, NULL), -EAGAIN);
    tk_mpsc_sender_drop(&tx);
    tk_mpsc_receiver_drop(&rx);
    ck_assert_int_eq(tk_mpsc_channel(3, 0, &tx, &rx), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(tk_mpsc_try_send(&tx, NULL), 0);
    ck_assert_int_eq(tk_mpsc_try_send(&tx, NULL), -EAGAIN);
    ck_assert_int_eq(tk_mpsc_try_recv(&rx, NULL), 0);
    ck_assert_int_eq(tk_mpsc_try_send(&tx, NULL), 0);
    tk_mpsc_receiver_drop(&rx); /* drops with values still buffered */
    tk_mpsc_sender_drop(&tx);
}
END_TEST

START_TEST(test_misuse_panics)
{
    tk_mpsc_tx tx;
    tk_mpsc_rx rx;
    int v = 1;
    tk_mpsc_channel(1, sizeof v, &tx, &rx);
    rt_panic_frame frame;
    rt_panic_push(&frame);
    if (setjmp(frame.env) == 0) {
        tk_mpsc_unbounded_send(&tx, &v); /* would bypass the backpressure */
        rt_panic_pop(&frame);
        ck_abort_msg("no panic");
    }
    ck_assert_ptr_nonnull(strstr(frame.message, "bounded channel"));
    tk_mpsc_sender_drop(&tx);
    rt_panic_push(&frame);
    if (setjmp(frame.env) == 0) {
        tk_mpsc_try_send(&tx, &v);       /* a dropped sender */
        rt_panic_pop(&frame);
        ck_abort_msg("no panic");
    }
    ck_assert_ptr_nonnull(strstr(frame.message, "dropped"));
    tk_mpsc_receiver_drop(&rx);
}
END_TEST

/* The coop budget: a loop receiving from a channel that always has values must still yield,
 * after exactly TK_COOP_BUDGET receives; a loop sending into one with room likewise. */
START_TEST(test_coop_budget_forces_a_yield)
{
    tk_mpsc_tx tx;
    tk_mpsc_rx rx;
    twk t = { 0 };
    int out;
    tk_mpsc_unbounded_channel(sizeof(int), &tx, &rx);
    for (int i = 0; i < 3 * TK_COOP_BUDGET; i++)
        tk_mpsc_unbounded_send(&tx, &i);
    unsigned long forced = tk_coop_forced_yields();
    tk_coop_set(TK_COOP_BUDGET);
    int received = 0;
    for (;;) {
        tk_mpsc_recv_fut r = tk_mpsc_recv(&rx, &out);
        rt_poll p = poll_with(&r, &t);
        if (p == RT_PENDING) {
            rt_future_drop(&r.base);
            break;
        }
        ck_assert_int_eq(out, received++);
        rt_future_drop(&r.base);
    }
    ck_assert_int_eq(received, TK_COOP_BUDGET);
    ck_assert_int_eq(atomic_load(&t.wakes), 1); /* it asked to be polled again */
    ck_assert_uint_eq(tk_coop_forced_yields(), forced + 1);
    tk_coop_set(TK_COOP_BUDGET);                /* the next tick: it carries on in order */
    ck_assert_int_eq(recv_now(&rx, &out), 0);
    ck_assert_int_eq(out, TK_COOP_BUDGET);
    tk_mpsc_sender_drop(&tx);
    tk_mpsc_receiver_drop(&rx);

    tk_mpsc_channel(4 * TK_COOP_BUDGET, sizeof(int), &tx, &rx);
    tk_coop_set(TK_COOP_BUDGET);
    int sent = 0;
    for (;;) {
        tk_mpsc_send_fut s = tk_mpsc_send(&tx, &sent);
        rt_poll p = poll_with(&s, &t);
        rt_future_drop(&s.base);
        if (p == RT_PENDING)
            break;
        sent++;
    }
    ck_assert_int_eq(sent, TK_COOP_BUDGET);
    ck_assert_uint_eq(tk_mpsc_sender_capacity(&tx), 3 * TK_COOP_BUDGET);
    /* A receive or a send that has to wait made no progress: its unit is given back. */
    while (tk_mpsc_try_recv(&rx, &out) == 0)
        ;
    tk_coop_set(TK_COOP_BUDGET);
    tk_mpsc_recv_fut r = tk_mpsc_recv(&rx, &out);
    ck_assert_int_eq(poll_with(&r, &t), RT_PENDING);
    ck_assert_int_eq(tk_coop_get(), TK_COOP_BUDGET);
    rt_future_drop(&r.base);
    while (tk_mpsc_try_send(&tx, &sent) == 0)
        ;
    tk_mpsc_send_fut s = tk_mpsc_send(&tx, &sent);
    ck_assert_int_eq(poll_with(&s, &t), RT_PENDING);
    ck_assert_int_eq(tk_coop_get(), TK_COOP_BUDGET);
    rt_future_drop(&s.base);
    tk_coop_set(-1);
    tk_mpsc_sender_drop(&tx);
    tk_mpsc_receiver_drop(&rx);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
}
END_TEST

/* An async fn that receives until the channel ends, checking the values count up from 0. */
typedef struct drainer {
    rt_future base;
    rt_async co;
    tk_mpsc_rx *rx;
    int out, received;
    tk_mpsc_recv_fut r;
} drainer;

/* drainer_poll: loop { recv().await } -- never pending on its own while values are there. */
static rt_poll drainer_poll(rt_future *f, rt_context *cx)
{
    drainer *d = (drainer *)f;
    RT_BEGIN(&d->co);
    for (;;) {
        d->r = tk_mpsc_recv(d->rx, &d->out);
        RT_AWAIT(&d->co, &d->r, cx);
        if (d->r.result != 0)
            break;
        ck_assert_int_eq(d->out, d->received);
        d->received++;
    }
    RT_END(&d->co);
}

static const rt_future_vtable drainer_vtable = { drainer_poll, NULL, "drainer" };

/* The task-level view of the budget: each poll of a busy receive loop, granted the budget the
 * way a tk worker grants it, gives up after exactly TK_COOP_BUDGET values and asks to be
 * polled again; nothing is lost or repeated across the forced yields. */
START_TEST(test_coop_busy_task_yields_every_budget)
{
    enum { EXTRA = 10 };
    tk_mpsc_tx tx;
    tk_mpsc_rx rx;
    twk t = { 0 };
    tk_mpsc_unbounded_channel(sizeof(int), &tx, &rx);
    for (int i = 0; i < 3 * TK_COOP_BUDGET + EXTRA; i++)
        tk_mpsc_unbounded_send(&tx, &i);
    tk_mpsc_sender_drop(&tx);
    drainer d = { .base = { &drainer_vtable }, .rx = &rx };
    for (int tick = 1; tick <= 3; tick++) {
        tk_coop_set(TK_COOP_BUDGET);
        ck_assert_int_eq(poll_with(&d, &t), RT_PENDING);
        tk_coop_set(-1);
        ck_assert_int_eq(d.received, tick * TK_COOP_BUDGET);
        ck_assert_int_eq(atomic_load(&t.wakes), tick);
    }
    tk_coop_set(TK_COOP_BUDGET);
    ck_assert_int_eq(poll_with(&d, &t), RT_READY); /* the rest, then the end of the channel */
    tk_coop_set(-1);
    ck_assert_int_eq(d.received, 3 * TK_COOP_BUDGET + EXTRA);
    ck_assert_int_eq(atomic_load(&t.refs), 0);
    tk_mpsc_receiver_drop(&rx);
}
END_TEST

/* ---- the storm: 2 producer threads x `per` sends into one bounded channel ----------------- */

/*
 * Every side is the main future of its own rt_block_on on its own thread, so every wake
 * crosses threads: producers wake the parked consumer with each push, the consumer wakes
 * the parked producers with each permit it gives back. Each value carries its producer and
 * sequence number, so a lost, duplicated or reordered value is caught.
 */
enum { PRODUCERS = 2 };

typedef struct producer {
    rt_future base;
    rt_async co;
    tk_mpsc_tx tx;
    uint64_t id, i, v, per;
    tk_mpsc_send_fut s;
    int failures;
} producer;

/* producer_poll: send `per` numbered values, each awaited (waiting for room), then drop the sender. */
static rt_poll producer_poll(rt_future *f, rt_context *cx)
{
    producer *p = (producer *)f;
    RT_BEGIN(&p->co);
    for (p->i = 0; p->i < p->per; p->i++) {
        p->v = p->id << 32 | p->i;
        p->s = tk_mpsc_send(&p->tx, &p->v);
        RT_AWAIT(&p->co, &p->s, cx);
        p->failures += p->s.result != 0;
    }
    tk_mpsc_sender_drop(&p->tx);
    RT_END(&p->co);
}

static const rt_future_vtable producer_vtable = { producer_poll, NULL, "producer" };

typedef struct consumer {
    rt_future base;
    rt_async co;
    tk_mpsc_rx *rx;
    uint64_t v;
    uint64_t next[PRODUCERS];
    long received, out_of_order;
    tk_mpsc_recv_fut r;
} consumer;

/* consumer_poll: receive until the end, checking each producer's sequence numbers. */
static rt_poll consumer_poll(rt_future *f, rt_context *cx)
{
    consumer *c = (consumer *)f;
    RT_BEGIN(&c->co);
    for (;;) {
        c->r = tk_mpsc_recv(c->rx, &c->v);
        RT_AWAIT(&c->co, &c->r, cx);
        if (c->r.result != 0)
            break;
        uint64_t id = c->v >> 32, seq = c->v & 0xffffffffu;
        if (id >= PRODUCERS || seq != c->next[id])
            c->out_of_order++;
        else
            c->next[id]++;
        c->received++;
    }
    RT_END(&c->co);
}

static const rt_future_vtable consumer_vtable = { consumer_poll, NULL, "consumer" };

/* run_on_own_executor: a thread whose whole life is one rt_block_on of `arg`. */
static void *run_on_own_executor(void *arg)
{
    rt_block_on((rt_future *)arg);
    return NULL;
}

/* run_storm: PRODUCERS x per values through a channel of `cap`; checks exactly-once, in order. */
static void run_storm(size_t cap, uint64_t per)
{
    tk_mpsc_tx tx;
    tk_mpsc_rx rx;
    ck_assert_int_eq(tk_mpsc_channel(cap, sizeof(uint64_t), &tx, &rx), 0);
    static producer prods[PRODUCERS];
    static consumer cons;
    memset(&cons, 0, sizeof cons);
    cons.base.vtable = &consumer_vtable;
    cons.rx = &rx;
    pthread_t th[PRODUCERS + 1];
    for (int i = 0; i < PRODUCERS; i++) {
        memset(&prods[i], 0, sizeof prods[i]);
        prods[i].base.vtable = &producer_vtable;
        prods[i].id = (uint64_t)i;
        prods[i].per = per;
        prods[i].tx = tk_mpsc_sender_clone(&tx);
    }
    tk_mpsc_sender_drop(&tx); /* the consumer ends when both producers are done */
    ck_assert_int_eq(pthread_create(&th[PRODUCERS], NULL, run_on_own_executor, &cons), 0);
    for (int i = 0; i < PRODUCERS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, run_on_own_executor, &prods[i]), 0);
    for (int i = 0; i <= PRODUCERS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < PRODUCERS; i++) {
        ck_assert_int_eq(prods[i].failures, 0);
        ck_assert_uint_eq(cons.next[i], per);
    }
    ck_assert_int_eq(cons.out_of_order, 0);
    ck_assert_int_eq(cons.received, (long)(PRODUCERS * per));
    tk_mpsc_receiver_drop(&rx);
}

START_TEST(test_cross_thread_storm)
{
    run_storm(64, 200000);
}
END_TEST

/* Capacity 1: every single send waits for the receive before it, a wake per value each way. */
START_TEST(test_cross_thread_storm_capacity_one)
{
    run_storm(1, 20000);
}
END_TEST

/* main: the suite, one Check binary. */
int main(void)
{
    Suite *s = suite_create("tk_mpsc");
    TCase *tc = tcase_create("semantics");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_bounded_backpressure_and_order);
    tcase_add_test(tc, test_waiting_senders_are_served_in_order);
    tcase_add_test(tc, test_receiver_close_fails_senders_keeps_buffer);
    tcase_add_test(tc, test_all_senders_dropped_ends_after_drain);
    tcase_add_test(tc, test_receiver_dropped_fails_every_send);
    tcase_add_test(tc, test_dropped_pending_send_releases_its_slot);
    tcase_add_test(tc, test_dropped_pending_recv_releases_its_waker);
    tcase_add_test(tc, test_unbounded_grows_keeps_order_and_survives_oom);
    tcase_add_test(tc, test_creation_errors_and_zero_sized_values);
    tcase_add_test(tc, test_misuse_panics);
    tcase_add_test(tc, test_coop_budget_forces_a_yield);
    tcase_add_test(tc, test_coop_busy_task_yields_every_budget);
    suite_add_tcase(s, tc);
    TCase *st = tcase_create("storm");
    tcase_set_timeout(st, 30);
    tcase_add_test(st, test_cross_thread_storm);
    tcase_add_test(st, test_cross_thread_storm_capacity_one);
    suite_add_tcase(s, st);
    return rt_suite_run(s);
}
