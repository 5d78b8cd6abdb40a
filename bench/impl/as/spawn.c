/* spawn.c (rtb-as): spawn_many, yield_many and chained_spawn -- the scheduler's basic costs. */
#include "asb.h"

#include <stdatomic.h>

#include "rt_alloc.h"
#include "rtb_util.h"

/*
 * The async-std anchor's tasks.rs, one future per async block. Shared state (the anchor's Arc)
 * lives in the run function's frame: as_block_on returns only after the main task has seen
 * every child finish, so no task can still be touching it when the frame goes.
 *
 * The signal the anchor sends over a bounded(1) channel is sent here with as_try_send: the
 * channel has room for exactly the one message that is ever sent on it, so the send cannot
 * wait, and a child needs no await (and no coroutine state) for it. The children reach the
 * sender through the shared struct instead of each holding a clone: a clone is Rust's way to
 * share ownership, not part of the work being measured.
 */

/* The token sent as the signal: any pointer the receiver can recognise. */
static char asb__signal;

/* asb__check_signal: the received message must be the signal (not a close: a chain broke). */
static void asb__check_signal(const as_recv_fut *r, const char *what)
{
    if (r->err != 0 || r->item != &asb__signal)
        rtb_fail("%s: the signal did not come (channel closed)", what);
}

/* ======================================================================================== */
/* spawn_many: one task spawns N; each decrements a counter, the last one signals            */
/* ======================================================================================== */

typedef struct asb__sm_shared {
    _Atomic uint64_t remaining;
    as_sender done_tx;
} asb__sm_shared;

/* The child: `if remaining.fetch_sub(1) == 1 { done_tx.send(()) }` -- no await, no rt_async. */
typedef struct asb__sm_child {
    rt_future base;
    asb__sm_shared *sh;
} asb__sm_child;

/* asb__sm_child_poll: count down; whoever reaches zero signals the spawner. */
static rt_poll asb__sm_child_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    asb__sm_shared *sh = ((asb__sm_child *)f)->sh;
    /* acq_rel: the signaller has seen every other child's decrement, and the spawner, which
     * reads the counter after receiving, sees them too (the channel's lock orders the rest). */
    if (atomic_fetch_sub_explicit(&sh->remaining, 1, memory_order_acq_rel) == 1
        && as_try_send(&sh->done_tx, &asb__signal) != 0)
        rtb_fail("spawn_many: the signal could not be sent");
    return RT_READY;
}

static const rt_future_vtable asb__sm_child_vtable = {
    asb__sm_child_poll, NULL, "spawn_many_child"
};

typedef struct asb__sm_main {
    rt_future base;
    rt_async co;
    asb__sm_shared *sh;
    as_receiver *done_rx;
    uint64_t n, i;
    uint64_t t0, elapsed, left;  /* outputs: wall ns, and the counter at the end */
    as_recv_fut wait;
} asb__sm_main;

/* asb__sm_main_poll: time N spawns up to the last child's signal. */
static rt_poll asb__sm_main_poll(rt_future *f, rt_context *cx)
{
    asb__sm_main *m = (asb__sm_main *)f;
    RT_BEGIN(&m->co);
    m->t0 = rtb_now_ns();
    for (m->i = 0; m->i < m->n; m->i++) {
        asb__sm_child c = { .base = { &asb__sm_child_vtable }, .sh = m->sh };
        asb_spawn_detached(&c.base, sizeof c);
    }
    m->wait = as_recv(m->done_rx);
    RT_AWAIT(&m->co, &m->wait, cx);
    asb__check_signal(&m->wait, "spawn_many");
    m->elapsed = rtb_now_ns() - m->t0;
    m->left = atomic_load_explicit(&m->sh->remaining, memory_order_acquire);
    RT_END(&m->co);
}

/* asb__sm_main_drop: a pending main task is waiting on the channel. */
static void asb__sm_main_drop(rt_future *f)
{
    rt_async_drop(&((asb__sm_main *)f)->co);
}

static const rt_future_vtable asb__sm_main_vtable = {
    asb__sm_main_poll, asb__sm_main_drop, "spawn_many"
};

/* asb_spawn_many: ns per task from the first spawn to the signal; the counter must end at 0. */
int asb_spawn_many(rtb_args *args)
{
    uint64_t n = rtb_param_u64(args, "tasks", 1, 100000000);
    rtb_params_done(args);
    asb__sm_shared sh;
    as_receiver done_rx;
    atomic_init(&sh.remaining, n);
    if (as_channel_bounded(1, &sh.done_tx, &done_rx) != 0)
        rtb_fail("out of memory for a channel");
    asb__sm_main m = { .base = { &asb__sm_main_vtable }, .sh = &sh, .done_rx = &done_rx,
                       .n = n };
    asb_block_on_task(&m.base, sizeof m);
    as_sender_drop(&sh.done_tx);
    as_receiver_drop(&done_rx);
    if (m.left != 0)
        rtb_fail("spawn_many: %llu of %llu tasks did not run", (unsigned long long)m.left,
                 (unsigned long long)n);
    rtb_metric("spawn", "ns", (double)m.elapsed / (double)n);
    return 0;
}

/* ======================================================================================== */
/* yield_many: T tasks each yield Y times, joined                                            */
/* ======================================================================================== */

typedef struct asb__ym_child {
    rt_future base;
    rt_async co;
    uint64_t yields;
    uint64_t done;     /* output: yields completed */
    as_yield_fut y;
} asb__ym_child;

/* asb__ym_child_poll: `for _ in 0..Y { task::yield_now().await; done += 1 }`. */
static rt_poll asb__ym_child_poll(rt_future *f, rt_context *cx)
{
    asb__ym_child *c = (asb__ym_child *)f;
    RT_BEGIN(&c->co);
    for (c->done = 0; c->done < c->yields; c->done++) {
        c->y = as_yield_now();
        RT_AWAIT(&c->co, &c->y, cx);
    }
    RT_END(&c->co);
}

/* A yield future owns nothing, so a cancelled child has nothing to release. */
static const rt_future_vtable asb__ym_child_vtable = {
    asb__ym_child_poll, NULL, "yield_many_child"
};

typedef struct asb__ym_main {
    rt_future base;
    rt_async co;
    uint64_t tasks, yields, i;
    as_task *handles;
    uint64_t t0, elapsed, total;  /* outputs */
} asb__ym_main;

/* asb__ym_main_poll: spawn T, then join them in order, summing their yields. */
static rt_poll asb__ym_main_poll(rt_future *f, rt_context *cx)
{
    asb__ym_main *m = (asb__ym_main *)f;
    RT_BEGIN(&m->co);
    m->t0 = rtb_now_ns();
    for (m->i = 0; m->i < m->tasks; m->i++) {
        asb__ym_child c = { .base = { &asb__ym_child_vtable }, .yields = m->yields };
        asb_spawn(&c.base, sizeof c, &m->handles[m->i]);
    }
    for (m->i = 0; m->i < m->tasks; m->i++) {
        RT_AWAIT(&m->co, as_task_join(&m->handles[m->i]), cx);
        asb_joined(&m->handles[m->i], "yield_many");
        m->total += ((asb__ym_child *)as_task_output(&m->handles[m->i]))->done;
        as_task_detach(&m->handles[m->i]);
    }
    m->elapsed = rtb_now_ns() - m->t0;
    RT_END(&m->co);
}

/* asb__ym_main_drop: detach every handle still held; the array starts zeroed and a detached or
 * never-filled handle is empty, so detaching all of them is safe in any state (the awaited
 * one among them). */
static void asb__ym_main_drop(rt_future *f)
{
    asb__ym_main *m = (asb__ym_main *)f;
    for (uint64_t i = 0; i < m->tasks; i++)
        as_task_detach(&m->handles[i]);
}

static const rt_future_vtable asb__ym_main_vtable = {
    asb__ym_main_poll, asb__ym_main_drop, "yield_many"
};

/* asb_yield_many: ns per yield; the joined tasks must report T * Y yields. */
int asb_yield_many(rtb_args *args)
{
    uint64_t tasks = rtb_param_u64(args, "tasks", 1, 1000000);
    uint64_t yields = rtb_param_u64(args, "yields", 1, 1000000000);
    rtb_params_done(args);
    as_task *handles = rt_calloc(tasks, sizeof *handles);
    if (handles == NULL)
        rtb_fail("out of memory for %llu join handles", (unsigned long long)tasks);
    asb__ym_main m = { .base = { &asb__ym_main_vtable }, .tasks = tasks, .yields = yields,
                       .handles = handles };
    asb_block_on_task(&m.base, sizeof m);
    rt_free(handles);
    if (m.total != tasks * yields)
        rtb_fail("yield_many: %llu yields, expected %llu", (unsigned long long)m.total,
                 (unsigned long long)(tasks * yields));
    rtb_metric("yield", "ns", (double)m.elapsed / (double)m.total);
    return 0;
}

/* ======================================================================================== */
/* chained_spawn: C chains of D links, each link spawning the next; the last one signals     */
/* ======================================================================================== */

typedef struct asb__link {
    rt_future base;
    uint64_t left;
    _Atomic uint64_t *count;
    as_sender tx;      /* moved from link to link; the last one sends */
} asb__link;

static const rt_future_vtable asb__link_vtable;

/* asb__link_poll: count this link, then pass the sender on to a new link, or send. */
static rt_poll asb__link_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    asb__link *l = (asb__link *)f;
    atomic_fetch_add_explicit(l->count, 1, memory_order_relaxed);
    if (l->left == 0) {
        /* The anchor's `done.try_send(())`: the receiver is waiting and the slot is free. */
        if (as_try_send(&l->tx, &asb__signal) != 0)
            rtb_fail("chained_spawn: the signal could not be sent");
        as_sender_drop(&l->tx);
        return RT_READY;
    }
    asb__link next = { .base = { &asb__link_vtable }, .left = l->left - 1, .count = l->count,
                       .tx = l->tx };
    l->tx.ch = NULL;  /* moved: the next link owns the sender now */
    asb_spawn_detached(&next.base, sizeof next);
    return RT_READY;
}

/* asb__link_drop: a link cancelled before it ran still owns the sender (dropping it closes
 * the channel, so the waiting receiver learns the chain broke). Empty after a move or a send. */
static void asb__link_drop(rt_future *f)
{
    as_sender_drop(&((asb__link *)f)->tx);
}

static const rt_future_vtable asb__link_vtable = { asb__link_poll, asb__link_drop, "chain_link" };

typedef struct asb__cs_main {
    rt_future base;
    rt_async co;
    uint64_t depth, chains, c;
    _Atomic uint64_t *count;
    as_receiver rx;
    as_recv_fut recv;
    uint64_t t0, elapsed;  /* output */
} asb__cs_main;

/* asb__cs_main_poll: one chain at a time, each awaited on its own bounded(1) channel. */
static rt_poll asb__cs_main_poll(rt_future *f, rt_context *cx)
{
    asb__cs_main *m = (asb__cs_main *)f;
    RT_BEGIN(&m->co);
    m->t0 = rtb_now_ns();
    for (m->c = 0; m->c < m->chains; m->c++) {
        {
            asb__link first = { .base = { &asb__link_vtable }, .left = m->depth - 1,
                                .count = m->count };
            if (as_channel_bounded(1, &first.tx, &m->rx) != 0)
                rtb_fail("out of memory for a channel");
            asb_spawn_detached(&first.base, sizeof first);
        }
        m->recv = as_recv(&m->rx);
        RT_AWAIT(&m->co, &m->recv, cx);
        asb__check_signal(&m->recv, "chained_spawn");
        as_receiver_drop(&m->rx);
    }
    m->elapsed = rtb_now_ns() - m->t0;
    RT_END(&m->co);
}

/* asb__cs_main_drop: a pending receive, and the receiver it reads (empty after a drop). */
static void asb__cs_main_drop(rt_future *f)
{
    asb__cs_main *m = (asb__cs_main *)f;
    rt_async_drop(&m->co);
    as_receiver_drop(&m->rx);
}

static const rt_future_vtable asb__cs_main_vtable = {
    asb__cs_main_poll, asb__cs_main_drop, "chained_spawn"
};

/* asb_chained_spawn: ns per link; D * C links must have run. */
int asb_chained_spawn(rtb_args *args)
{
    uint64_t depth = rtb_param_u64(args, "depth", 1, 100000000);
    uint64_t chains = rtb_param_u64(args, "chains", 1, 1000000);
    rtb_params_done(args);
    _Atomic uint64_t count;
    atomic_init(&count, 0);
    asb__cs_main m = { .base = { &asb__cs_main_vtable }, .depth = depth, .chains = chains,
                       .count = &count };
    asb_block_on_task(&m.base, sizeof m);
    uint64_t links = atomic_load_explicit(&count, memory_order_acquire);
    if (links != depth * chains)
        rtb_fail("chained_spawn: %llu links ran, expected %llu", (unsigned long long)links,
                 (unsigned long long)(depth * chains));
    rtb_metric("spawn", "ns", (double)m.elapsed / (double)links);
    return 0;
}
