/* spawn.c (rtb-tk): spawn_many, yield_many and chained_spawn -- the scheduler's basic costs. */
#include "tkb.h"

#include <stdatomic.h>

#include "rt_alloc.h"
#include "rtb_util.h"
#include "tk_sync.h"

/*
 * The tokio anchor's tasks.rs, one future per async block. Shared state (tokio's Arc) lives in
 * the run function's frame: block_on returns only after the main task has seen every child
 * finish, and the runtime is freed -- its workers joined -- before the frame goes, so no task
 * can still be touching it.
 */

/* ======================================================================================== */
/* spawn_many: one task spawns N; each decrements a counter, the last one notifies           */
/* ======================================================================================== */

typedef struct tkb__sm_shared {
    _Atomic uint64_t remaining;
    tk_notify done;
} tkb__sm_shared;

/* The child: `if remaining.fetch_sub(1) == 1 { done.notify_one() }`, no await, so no rt_async. */
typedef struct tkb__sm_child {
    rt_future base;
    tkb__sm_shared *sh;
} tkb__sm_child;

/* tkb__sm_child_poll: count down; whoever reaches zero signals the spawner. */
static rt_poll tkb__sm_child_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    tkb__sm_shared *sh = ((tkb__sm_child *)f)->sh;
    /* acq_rel: the notifier has seen every other child's decrement, and the spawner, which
     * reads the counter after the notify, sees them too. */
    if (atomic_fetch_sub_explicit(&sh->remaining, 1, memory_order_acq_rel) == 1)
        tk_notify_notify_one(&sh->done);
    return RT_READY;
}

static const rt_future_vtable tkb__sm_child_vtable = {
    tkb__sm_child_poll, NULL, "spawn_many_child"
};

typedef struct tkb__sm_main {
    rt_future base;
    rt_async co;
    tkb__sm_shared *sh;
    uint64_t n, i;
    uint64_t t0, elapsed, left;  /* outputs: wall ns, and the counter at the end */
    tk_notify_notified_fut wait;
} tkb__sm_main;

/* tkb__sm_main_poll: time N spawns up to the last child's signal. */
static rt_poll tkb__sm_main_poll(rt_future *f, rt_context *cx)
{
    tkb__sm_main *m = (tkb__sm_main *)f;
    RT_BEGIN(&m->co);
    m->t0 = rtb_now_ns();
    for (m->i = 0; m->i < m->n; m->i++) {
        tkb__sm_child c = { .base = { &tkb__sm_child_vtable }, .sh = m->sh };
        tkb_spawn_detached(&c.base, sizeof c);
    }
    m->wait = tk_notify_notified(&m->sh->done);
    RT_AWAIT(&m->co, &m->wait, cx);
    m->elapsed = rtb_now_ns() - m->t0;
    m->left = atomic_load_explicit(&m->sh->remaining, memory_order_acquire);
    RT_END(&m->co);
}

/* tkb__sm_main_drop: a pending main task is waiting on the notify. */
static void tkb__sm_main_drop(rt_future *f)
{
    rt_async_drop(&((tkb__sm_main *)f)->co);
}

static const rt_future_vtable tkb__sm_main_vtable = {
    tkb__sm_main_poll, tkb__sm_main_drop, "spawn_many"
};

/* tkb_spawn_many: ns per task from the first spawn to the signal; the counter must end at 0. */
int tkb_spawn_many(rtb_args *args)
{
    uint64_t n = rtb_param_u64(args, "tasks", 1, 100000000);
    rtb_params_done(args);
    tkb__sm_shared sh;
    atomic_init(&sh.remaining, n);
    if (tk_notify_init(&sh.done) != 0)
        rtb_fail("tk_notify_init failed");
    tk_runtime *rt = tkb_runtime_new();
    tkb__sm_main m = { .base = { &tkb__sm_main_vtable }, .sh = &sh, .n = n };
    tkb_block_on_task(rt, &m.base, sizeof m);
    tk_runtime_free(rt);
    tk_notify_destroy(&sh.done);
    if (m.left != 0)
        rtb_fail("spawn_many: %llu of %llu tasks did not run", (unsigned long long)m.left,
                 (unsigned long long)n);
    rtb_metric("spawn", "ns", (double)m.elapsed / (double)n);
    return 0;
}

/* ======================================================================================== */
/* yield_many: T tasks each yield Y times, joined                                            */
/* ======================================================================================== */

typedef struct tkb__ym_child {
    rt_future base;
    rt_async co;
    uint64_t yields;
    uint64_t done;     /* output: yields completed */
    tk_yield_fut y;
} tkb__ym_child;

/* tkb__ym_child_poll: `for _ in 0..Y { yield_now().await; done += 1 }`. */
static rt_poll tkb__ym_child_poll(rt_future *f, rt_context *cx)
{
    tkb__ym_child *c = (tkb__ym_child *)f;
    RT_BEGIN(&c->co);
    for (c->done = 0; c->done < c->yields; c->done++) {
        c->y = tk_yield_now();
        RT_AWAIT(&c->co, &c->y, cx);
    }
    RT_END(&c->co);
}

/* A yield future owns nothing, so a cancelled child has nothing to release. */
static const rt_future_vtable tkb__ym_child_vtable = {
    tkb__ym_child_poll, NULL, "yield_many_child"
};

typedef struct tkb__ym_main {
    rt_future base;
    rt_async co;
    uint64_t tasks, yields, i;
    tk_join_handle *handles;
    uint64_t t0, elapsed, total;  /* outputs */
} tkb__ym_main;

/* tkb__ym_main_poll: spawn T, then join them in order, summing their yields. */
static rt_poll tkb__ym_main_poll(rt_future *f, rt_context *cx)
{
    tkb__ym_main *m = (tkb__ym_main *)f;
    RT_BEGIN(&m->co);
    m->t0 = rtb_now_ns();
    for (m->i = 0; m->i < m->tasks; m->i++) {
        tkb__ym_child c = { .base = { &tkb__ym_child_vtable }, .yields = m->yields };
        tkb_spawn(&c.base, sizeof c, &m->handles[m->i]);
    }
    for (m->i = 0; m->i < m->tasks; m->i++) {
        RT_AWAIT(&m->co, &m->handles[m->i], cx);
        tkb_joined(&m->handles[m->i], "yield_many");
        m->total += ((tkb__ym_child *)rt_join_handle_output(&m->handles[m->i]))->done;
        rt_join_handle_detach(&m->handles[m->i]);
    }
    m->elapsed = rtb_now_ns() - m->t0;
    RT_END(&m->co);
}

/* tkb__ym_main_drop: detach every handle still held; the array starts zeroed and a detached or
 * never-filled handle is empty, so detaching all of them is safe in any state. */
static void tkb__ym_main_drop(rt_future *f)
{
    tkb__ym_main *m = (tkb__ym_main *)f;
    rt_async_drop(&m->co);
    for (uint64_t i = 0; i < m->tasks; i++)
        rt_join_handle_detach(&m->handles[i]);
}

static const rt_future_vtable tkb__ym_main_vtable = {
    tkb__ym_main_poll, tkb__ym_main_drop, "yield_many"
};

/* tkb_yield_many: ns per yield; the joined tasks must report T * Y yields. */
int tkb_yield_many(rtb_args *args)
{
    uint64_t tasks = rtb_param_u64(args, "tasks", 1, 1000000);
    uint64_t yields = rtb_param_u64(args, "yields", 1, 1000000000);
    rtb_params_done(args);
    tk_join_handle *handles = rt_calloc(tasks, sizeof *handles);
    if (handles == NULL)
        rtb_fail("out of memory for %llu join handles", (unsigned long long)tasks);
    tk_runtime *rt = tkb_runtime_new();
    tkb__ym_main m = { .base = { &tkb__ym_main_vtable }, .tasks = tasks, .yields = yields,
                       .handles = handles };
    tkb_block_on_task(rt, &m.base, sizeof m);
    tk_runtime_free(rt);
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

typedef struct tkb__link {
    rt_future base;
    uint64_t left;
    _Atomic uint64_t *count;
    tk_oneshot_tx tx;  /* moved from link to link; the last one sends */
} tkb__link;

static const rt_future_vtable tkb__link_vtable;

/* tkb__link_poll: count this link, then pass the sender on to a new link, or send. */
static rt_poll tkb__link_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    tkb__link *l = (tkb__link *)f;
    atomic_fetch_add_explicit(l->count, 1, memory_order_relaxed);
    if (l->left == 0) {
        char unit = 0;
        tk_oneshot_send(&l->tx, &unit);  /* the receiver is waiting; it cannot be gone */
        return RT_READY;
    }
    tkb__link next = { .base = { &tkb__link_vtable }, .left = l->left - 1, .count = l->count,
                       .tx = l->tx };
    l->tx.chan = NULL;  /* moved: the next link owns the sender now */
    tkb_spawn_detached(&next.base, sizeof next);
    return RT_READY;
}

/* tkb__link_drop: a link cancelled before it ran still owns the sender (dropped: -EPIPE). */
static void tkb__link_drop(rt_future *f)
{
    tk_oneshot_tx_drop(&((tkb__link *)f)->tx);
}

static const rt_future_vtable tkb__link_vtable = { tkb__link_poll, tkb__link_drop, "chain_link" };

typedef struct tkb__cs_main {
    rt_future base;
    rt_async co;
    uint64_t depth, chains, c;
    _Atomic uint64_t *count;
    tk_oneshot_rx rx;
    tk_oneshot_recv_fut recv;
    char unit;
    uint64_t t0, elapsed;  /* output */
} tkb__cs_main;

/* tkb__cs_main_poll: one chain at a time, each awaited on its oneshot. */
static rt_poll tkb__cs_main_poll(rt_future *f, rt_context *cx)
{
    tkb__cs_main *m = (tkb__cs_main *)f;
    RT_BEGIN(&m->co);
    m->t0 = rtb_now_ns();
    for (m->c = 0; m->c < m->chains; m->c++) {
        tkb__link first = { .base = { &tkb__link_vtable }, .left = m->depth - 1,
                            .count = m->count };
        if (tk_oneshot_channel(sizeof m->unit, &first.tx, &m->rx) != 0)
            rtb_fail("out of memory for a oneshot");
        tkb_spawn_detached(&first.base, sizeof first);
        m->recv = tk_oneshot_recv(&m->rx, &m->unit);
        RT_AWAIT(&m->co, &m->recv, cx);
        if (m->recv.result != 0)
            rtb_fail("chained_spawn: chain %llu ended without its signal",
                     (unsigned long long)m->c);
        tk_oneshot_rx_drop(&m->rx);
    }
    m->elapsed = rtb_now_ns() - m->t0;
    RT_END(&m->co);
}

/* tkb__cs_main_drop: a pending receive, and the receiver it reads. */
static void tkb__cs_main_drop(rt_future *f)
{
    tkb__cs_main *m = (tkb__cs_main *)f;
    rt_async_drop(&m->co);
    tk_oneshot_rx_drop(&m->rx);
}

static const rt_future_vtable tkb__cs_main_vtable = {
    tkb__cs_main_poll, tkb__cs_main_drop, "chained_spawn"
};

/* tkb_chained_spawn: ns per link; D * C links must have run. */
int tkb_chained_spawn(rtb_args *args)
{
    uint64_t depth = rtb_param_u64(args, "depth", 1, 100000000);
    uint64_t chains = rtb_param_u64(args, "chains", 1, 1000000);
    rtb_params_done(args);
    _Atomic uint64_t count;
    atomic_init(&count, 0);
    tk_runtime *rt = tkb_runtime_new();
    tkb__cs_main m = { .base = { &tkb__cs_main_vtable }, .depth = depth, .chains = chains,
                       .count = &count };
    tkb_block_on_task(rt, &m.base, sizeof m);
    tk_runtime_free(rt);
    uint64_t links = atomic_load_explicit(&count, memory_order_acquire);
    if (links != depth * chains)
        rtb_fail("chained_spawn: %llu links ran, expected %llu", (unsigned long long)links,
                 (unsigned long long)(depth * chains));
    rtb_metric("spawn", "ns", (double)m.elapsed / (double)links);
    return 0;
}
