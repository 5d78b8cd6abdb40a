/* ping_pong.c (rtb-as): task_ping_pong -- T tasks each spawn a peer and trade two bounded(1)s. */
#include "asb.h"

#include <stdatomic.h>

#include "rtb_util.h"

/*
 * The anchor's shape exactly: per round, T pinger tasks; each creates a ping and a pong
 * channel of capacity one (async-std has no oneshot; bounded(1) from async-channel is its
 * idiom), spawns its peer with the ping receiver and the pong sender, sends the ping and
 * awaits the pong. The last pinger of the round to finish signals the main task (one more
 * bounded(1) channel), which then starts the next round. One ping-pong is one spawn, two
 * channels (two allocations each: the channel and its one-slot ring), two sends, two receives
 * and two cross-task wake-ups through the global queue.
 *
 * Channel handles are moved, never cloned: the pinger keeps ping_tx and pong_rx, the peer
 * gets ping_rx and pong_tx; each drops what it holds when it is done, and the last handle of
 * a channel frees it. The send and receive futures point at the channel, so a future is
 * always dropped before the handle it was built from (rt_async_drop first in every drop).
 */

static char asb__ping, asb__pong, asb__done;  /* the messages: recognisable pointers */

typedef struct asb__tpp_shared {
    _Atomic uint64_t remaining;  /* pingers of this round still running */
    _Atomic uint64_t pongs;      /* completed ping-pongs, all rounds */
    as_sender done_tx;
} asb__tpp_shared;

/* ---- the peer: await the ping, send the pong --------------------------------------------- */

typedef struct asb__peer {
    rt_future base;
    rt_async co;
    as_receiver ping_rx;
    as_sender pong_tx;
    as_recv_fut recv;
    as_send_fut send;
} asb__peer;

/* asb__peer_poll: `ping_rx.recv().await.unwrap(); pong_tx.send(()).await.unwrap();`. */
static rt_poll asb__peer_poll(rt_future *f, rt_context *cx)
{
    asb__peer *p = (asb__peer *)f;
    RT_BEGIN(&p->co);
    p->recv = as_recv(&p->ping_rx);
    RT_AWAIT(&p->co, &p->recv, cx);
    if (p->recv.err != 0 || p->recv.item != &asb__ping)
        rtb_fail("task_ping_pong: the ping never came");
    as_receiver_drop(&p->ping_rx);
    p->send = as_send(&p->pong_tx, &asb__pong);
    RT_AWAIT(&p->co, &p->send, cx);
    if (p->send.err != 0)
        rtb_fail("task_ping_pong: the pinger is gone before the pong");
    as_sender_drop(&p->pong_tx);
    RT_END(&p->co);
}

/* asb__peer_drop: the pending future first, then both handles (drops are idempotent). */
static void asb__peer_drop(rt_future *f)
{
    asb__peer *p = (asb__peer *)f;
    rt_async_drop(&p->co);
    as_receiver_drop(&p->ping_rx);
    as_sender_drop(&p->pong_tx);
}

static const rt_future_vtable asb__peer_vtable = {
    asb__peer_poll, asb__peer_drop, "ping_pong_peer"
};

/* ---- the pinger -------------------------------------------------------------------------- */

typedef struct asb__pinger {
    rt_future base;
    rt_async co;
    asb__tpp_shared *sh;
    as_sender ping_tx;
    as_receiver pong_rx;
    as_send_fut send;
    as_recv_fut recv;
} asb__pinger;

/* asb__pinger_poll: spawn the peer, ping it, await the pong, count, maybe signal the round. */
static rt_poll asb__pinger_poll(rt_future *f, rt_context *cx)
{
    asb__pinger *p = (asb__pinger *)f;
    RT_BEGIN(&p->co);
    {
        asb__peer peer = { .base = { &asb__peer_vtable } };
        if (as_channel_bounded(1, &p->ping_tx, &peer.ping_rx) != 0
            || as_channel_bounded(1, &peer.pong_tx, &p->pong_rx) != 0)
            rtb_fail("task_ping_pong: out of memory for a channel");
        asb_spawn_detached(&peer.base, sizeof peer);
    }
    p->send = as_send(&p->ping_tx, &asb__ping);
    RT_AWAIT(&p->co, &p->send, cx);
    if (p->send.err != 0)
        rtb_fail("task_ping_pong: the peer is gone before the ping");
    as_sender_drop(&p->ping_tx);
    p->recv = as_recv(&p->pong_rx);
    RT_AWAIT(&p->co, &p->recv, cx);
    if (p->recv.err != 0 || p->recv.item != &asb__pong)
        rtb_fail("task_ping_pong: the pong never came");
    as_receiver_drop(&p->pong_rx);
    atomic_fetch_add_explicit(&p->sh->pongs, 1, memory_order_relaxed);
    /* The last of the round: the channel is empty (the main task took the previous round's
     * signal before spawning this round), so the send cannot wait. */
    if (atomic_fetch_sub_explicit(&p->sh->remaining, 1, memory_order_acq_rel) == 1
        && as_try_send(&p->sh->done_tx, &asb__done) != 0)
        rtb_fail("task_ping_pong: the round's signal could not be sent");
    RT_END(&p->co);
}

/* asb__pinger_drop: the pending future first, then the handles it may still hold. */
static void asb__pinger_drop(rt_future *f)
{
    asb__pinger *p = (asb__pinger *)f;
    rt_async_drop(&p->co);
    as_sender_drop(&p->ping_tx);
    as_receiver_drop(&p->pong_rx);
}

static const rt_future_vtable asb__pinger_vtable = {
    asb__pinger_poll, asb__pinger_drop, "ping_pong_pinger"
};

/* ---- the main task: R rounds of T pingers ------------------------------------------------ */

typedef struct asb__tpp_main {
    rt_future base;
    rt_async co;
    asb__tpp_shared *sh;
    as_receiver *done_rx;
    uint64_t tasks, rounds, r, i;
    as_recv_fut wait;
    uint64_t t0, elapsed;  /* output */
} asb__tpp_main;

/* asb__tpp_main_poll: each round spawns T pingers and waits for the last one's signal. */
static rt_poll asb__tpp_main_poll(rt_future *f, rt_context *cx)
{
    asb__tpp_main *m = (asb__tpp_main *)f;
    RT_BEGIN(&m->co);
    m->t0 = rtb_now_ns();
    for (m->r = 0; m->r < m->rounds; m->r++) {
        /* Every pinger of the previous round has counted down already (the last one's
         * decrement came before the signal we received), so resetting races with nobody. */
        atomic_store_explicit(&m->sh->remaining, m->tasks, memory_order_relaxed);
        for (m->i = 0; m->i < m->tasks; m->i++) {
            asb__pinger p = { .base = { &asb__pinger_vtable }, .sh = m->sh };
            asb_spawn_detached(&p.base, sizeof p);
        }
        m->wait = as_recv(m->done_rx);
        RT_AWAIT(&m->co, &m->wait, cx);
        if (m->wait.err != 0 || m->wait.item != &asb__done)
            rtb_fail("task_ping_pong: round %llu ended without its signal",
                     (unsigned long long)m->r);
    }
    m->elapsed = rtb_now_ns() - m->t0;
    RT_END(&m->co);
}

/* asb__tpp_main_drop: a pending receive. */
static void asb__tpp_main_drop(rt_future *f)
{
    rt_async_drop(&((asb__tpp_main *)f)->co);
}

static const rt_future_vtable asb__tpp_main_vtable = {
    asb__tpp_main_poll, asb__tpp_main_drop, "task_ping_pong"
};

/* asb_task_ping_pong: ns per ping-pong; exactly T * R must have completed. */
int asb_task_ping_pong(rtb_args *args)
{
    uint64_t tasks = rtb_param_u64(args, "tasks", 1, 10000000);
    uint64_t rounds = rtb_param_u64(args, "rounds", 1, 1000000);
    rtb_params_done(args);
    asb__tpp_shared sh;
    as_receiver done_rx;
    atomic_init(&sh.remaining, 0);
    atomic_init(&sh.pongs, 0);
    if (as_channel_bounded(1, &sh.done_tx, &done_rx) != 0)
        rtb_fail("out of memory for a channel");
    asb__tpp_main m = { .base = { &asb__tpp_main_vtable }, .sh = &sh, .done_rx = &done_rx,
                        .tasks = tasks, .rounds = rounds };
    asb_block_on_task(&m.base, sizeof m);
    as_sender_drop(&sh.done_tx);
    as_receiver_drop(&done_rx);
    uint64_t n = atomic_load_explicit(&sh.pongs, memory_order_acquire);
    if (n != tasks * rounds)
        rtb_fail("task_ping_pong: %llu ping-pongs, expected %llu", (unsigned long long)n,
                 (unsigned long long)(tasks * rounds));
    rtb_metric("ping_pong", "ns", (double)m.elapsed / (double)n);
    return 0;
}
