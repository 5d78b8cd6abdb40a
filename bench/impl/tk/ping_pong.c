/* ping_pong.c (rtb-tk): task_ping_pong -- T tasks each spawn a peer and trade two oneshots. */
#include "tkb.h"

#include <stdatomic.h>

#include "rtb_util.h"
#include "tk_sync.h"

/*
 * The anchor's shape exactly: per round, T pinger tasks; each creates a ping and a pong
 * oneshot, spawns its peer with the ping receiver and the pong sender, sends the ping and
 * awaits the pong. The last pinger of the round to finish notifies the main task, which then
 * starts the next round. One ping-pong is one spawn, two oneshot channels (one allocation
 * each), two sends and two cross-task wake-ups.
 */

typedef struct tkb__tpp_shared {
    _Atomic uint64_t remaining;  /* pingers of this round still running */
    _Atomic uint64_t pongs;      /* completed ping-pongs, all rounds */
    tk_notify done;
} tkb__tpp_shared;

/* ---- the peer: await the ping, send the pong --------------------------------------------- */

typedef struct tkb__peer {
    rt_future base;
    rt_async co;
    tk_oneshot_rx ping_rx;
    tk_oneshot_tx pong_tx;
    tk_oneshot_recv_fut recv;
    char unit;
} tkb__peer;

/* tkb__peer_poll: `ping_rx.await.unwrap(); pong_tx.send(()).unwrap();`. */
static rt_poll tkb__peer_poll(rt_future *f, rt_context *cx)
{
    tkb__peer *p = (tkb__peer *)f;
    RT_BEGIN(&p->co);
    p->recv = tk_oneshot_recv(&p->ping_rx, &p->unit);
    RT_AWAIT(&p->co, &p->recv, cx);
    if (p->recv.result != 0)
        rtb_fail("task_ping_pong: the ping never came");
    tk_oneshot_rx_drop(&p->ping_rx);
    if (tk_oneshot_send(&p->pong_tx, &p->unit) != 0)
        rtb_fail("task_ping_pong: the pinger is gone before the pong");
    RT_END(&p->co);
}

/* tkb__peer_drop: both channel ends, whatever was used of them (the drops are idempotent). */
static void tkb__peer_drop(rt_future *f)
{
    tkb__peer *p = (tkb__peer *)f;
    rt_async_drop(&p->co);
    tk_oneshot_rx_drop(&p->ping_rx);
    tk_oneshot_tx_drop(&p->pong_tx);
}

static const rt_future_vtable tkb__peer_vtable = {
    tkb__peer_poll, tkb__peer_drop, "ping_pong_peer"
};

/* ---- the pinger -------------------------------------------------------------------------- */

typedef struct tkb__pinger {
    rt_future base;
    rt_async co;
    tkb__tpp_shared *sh;
    tk_oneshot_tx ping_tx;
    tk_oneshot_rx pong_rx;
    tk_oneshot_recv_fut recv;
    char unit;
} tkb__pinger;

/* tkb__pinger_poll: spawn the peer, ping it, await the pong, count, maybe signal the round. */
static rt_poll tkb__pinger_poll(rt_future *f, rt_context *cx)
{
    tkb__pinger *p = (tkb__pinger *)f;
    RT_BEGIN(&p->co);
    {
        tkb__peer peer = { .base = { &tkb__peer_vtable } };
        if (tk_oneshot_channel(sizeof p->unit, &p->ping_tx, &peer.ping_rx) != 0
            || tk_oneshot_channel(sizeof p->unit, &peer.pong_tx, &p->pong_rx) != 0)
            rtb_fail("task_ping_pong: out of memory for a oneshot");
        tkb_spawn_detached(&peer.base, sizeof peer);
    }
    p->unit = 0;
    if (tk_oneshot_send(&p->ping_tx, &p->unit) != 0)
        rtb_fail("task_ping_pong: the peer is gone before the ping");
    p->recv = tk_oneshot_recv(&p->pong_rx, &p->unit);
    RT_AWAIT(&p->co, &p->recv, cx);
    if (p->recv.result != 0)
        rtb_fail("task_ping_pong: the pong never came");
    tk_oneshot_rx_drop(&p->pong_rx);
    atomic_fetch_add_explicit(&p->sh->pongs, 1, memory_order_relaxed);
    if (atomic_fetch_sub_explicit(&p->sh->remaining, 1, memory_order_acq_rel) == 1)
        tk_notify_notify_one(&p->sh->done);
    RT_END(&p->co);
}

/* tkb__pinger_drop: the channel ends it may still hold. */
static void tkb__pinger_drop(rt_future *f)
{
    tkb__pinger *p = (tkb__pinger *)f;
    rt_async_drop(&p->co);
    tk_oneshot_tx_drop(&p->ping_tx);
    tk_oneshot_rx_drop(&p->pong_rx);
}

static const rt_future_vtable tkb__pinger_vtable = {
    tkb__pinger_poll, tkb__pinger_drop, "ping_pong_pinger"
};

/* ---- the main task: R rounds of T pingers ------------------------------------------------ */

typedef struct tkb__tpp_main {
    rt_future base;
    rt_async co;
    tkb__tpp_shared *sh;
    uint64_t tasks, rounds, r, i;
    tk_notify_notified_fut wait;
    uint64_t t0, elapsed;  /* output */
} tkb__tpp_main;

/* tkb__tpp_main_poll: each round spawns T pingers and waits for the last one's signal. */
static rt_poll tkb__tpp_main_poll(rt_future *f, rt_context *cx)
{
    tkb__tpp_main *m = (tkb__tpp_main *)f;
    RT_BEGIN(&m->co);
    m->t0 = rtb_now_ns();
    for (m->r = 0; m->r < m->rounds; m->r++) {
        /* Every pinger of the previous round has counted down already (the last one's
         * decrement is what woke us), so resetting the counter races with nobody. */
        atomic_store_explicit(&m->sh->remaining, m->tasks, memory_order_relaxed);
        for (m->i = 0; m->i < m->tasks; m->i++) {
            tkb__pinger p = { .base = { &tkb__pinger_vtable }, .sh = m->sh };
            tkb_spawn_detached(&p.base, sizeof p);
        }
        m->wait = tk_notify_notified(&m->sh->done);
        RT_AWAIT(&m->co, &m->wait, cx);
    }
    m->elapsed = rtb_now_ns() - m->t0;
    RT_END(&m->co);
}

/* tkb__tpp_main_drop: a pending notified future. */
static void tkb__tpp_main_drop(rt_future *f)
{
    rt_async_drop(&((tkb__tpp_main *)f)->co);
}

static const rt_future_vtable tkb__tpp_main_vtable = {
    tkb__tpp_main_poll, tkb__tpp_main_drop, "task_ping_pong"
};

/* tkb_task_ping_pong: ns per ping-pong; exactly T * R must have completed. */
int tkb_task_ping_pong(rtb_args *args)
{
    uint64_t tasks = rtb_param_u64(args, "tasks", 1, 10000000);
    uint64_t rounds = rtb_param_u64(args, "rounds", 1, 1000000);
    rtb_params_done(args);
    tkb__tpp_shared sh;
    atomic_init(&sh.remaining, 0);
    atomic_init(&sh.pongs, 0);
    if (tk_notify_init(&sh.done) != 0)
        rtb_fail("tk_notify_init failed");
    tk_runtime *rt = tkb_runtime_new();
    tkb__tpp_main m = { .base = { &tkb__tpp_main_vtable }, .sh = &sh, .tasks = tasks,
                        .rounds = rounds };
    tkb_block_on_task(rt, &m.base, sizeof m);
    tk_runtime_free(rt);
    tk_notify_destroy(&sh.done);
    uint64_t n = atomic_load_explicit(&sh.pongs, memory_order_acquire);
    if (n != tasks * rounds)
        rtb_fail("task_ping_pong: %llu ping-pongs, expected %llu", (unsigned long long)n,
                 (unsigned long long)(tasks * rounds));
    rtb_metric("ping_pong", "ns", (double)m.elapsed / (double)n);
    return 0;
}
