/* idle_memory.c (rtb-as): idle_task_memory -- N tasks parked on a bounded(1) channel each. */
#include "asb.h"

#include <stdatomic.h>

#include "rt_alloc.h"
#include "rtb_util.h"

/*
 * As the anchor: the senders' array is allocated, RSS is read ("before"), N tasks are spawned,
 * each with its own bounded(1) channel, counting itself started and then awaiting its message;
 * once all N have started (polled once, so parked on the channel), RSS is read again
 * ("after"). Then every sender sends and all N must finish. The figure, (after - before) / N,
 * is what one idle task costs: the task (its header and its future, stored inline) plus its
 * channel (the channel struct, its mutex and its one-slot ring), plus what the allocator keeps
 * around them -- and the sender's slot in the array, whose pages are first touched in between,
 * as the anchor's Vec::with_capacity is.
 */

static char asb__release;  /* the message that lets an idle task finish */

typedef struct asb__itm_shared {
    _Atomic uint64_t started, finished;
} asb__itm_shared;

typedef struct asb__idle {
    rt_future base;
    rt_async co;
    asb__itm_shared *sh;
    as_receiver rx;
    as_recv_fut recv;
} asb__idle;

/* asb__idle_poll: started, wait for the release, finished. */
static rt_poll asb__idle_poll(rt_future *f, rt_context *cx)
{
    asb__idle *t = (asb__idle *)f;
    RT_BEGIN(&t->co);
    atomic_fetch_add_explicit(&t->sh->started, 1, memory_order_relaxed);
    t->recv = as_recv(&t->rx);
    RT_AWAIT(&t->co, &t->recv, cx);
    if (t->recv.err != 0 || t->recv.item != &asb__release)
        rtb_fail("idle_task_memory: a task's channel closed without its message");
    as_receiver_drop(&t->rx);
    atomic_fetch_add_explicit(&t->sh->finished, 1, memory_order_relaxed);
    RT_END(&t->co);
}

/* asb__idle_drop: the pending receive first, then the receiver (idempotent). */
static void asb__idle_drop(rt_future *f)
{
    asb__idle *t = (asb__idle *)f;
    rt_async_drop(&t->co);
    as_receiver_drop(&t->rx);
}

static const rt_future_vtable asb__idle_vtable = { asb__idle_poll, asb__idle_drop, "idle_task" };

typedef struct asb__itm_main {
    rt_future base;
    rt_async co;
    asb__itm_shared *sh;
    uint64_t n, i;
    as_sender *senders;
    uint64_t filled;         /* senders[0..filled) were written (the rest is uninitialised) */
    as_sleep_fut nap;
    uint64_t before, after;  /* output: RSS in bytes */
} asb__itm_main;

/* asb__itm_main_poll: spawn N idle tasks, measure, release them all, wait for them all. */
static rt_poll asb__itm_main_poll(rt_future *f, rt_context *cx)
{
    asb__itm_main *m = (asb__itm_main *)f;
    RT_BEGIN(&m->co);
    m->before = rtb_rss_bytes();
    for (m->i = 0; m->i < m->n; m->i++) {
        asb__idle t = { .base = { &asb__idle_vtable }, .sh = m->sh };
        if (as_channel_bounded(1, &m->senders[m->i], &t.rx) != 0)
            rtb_fail("idle_task_memory: out of memory for channel %llu", (unsigned long long)m->i);
        m->filled = m->i + 1;
        asb_spawn_detached(&t.base, sizeof t);
    }
    /* Every task must have been polled once, and so be parked on its channel, before measuring. */
    while (atomic_load_explicit(&m->sh->started, memory_order_acquire) < m->n) {
        m->nap = as_sleep(1);
        RT_AWAIT(&m->co, &m->nap, cx);
    }
    m->after = rtb_rss_bytes();
    /* The anchor's `tx.send(()).await` on an empty one-slot channel never waits: try_send. */
    for (m->i = 0; m->i < m->n; m->i++) {
        if (as_try_send(&m->senders[m->i], &asb__release) != 0)
            rtb_fail("idle_task_memory: task %llu's channel refused the release",
                     (unsigned long long)m->i);
        as_sender_drop(&m->senders[m->i]);
    }
    while (atomic_load_explicit(&m->sh->finished, memory_order_acquire) < m->n) {
        m->nap = as_sleep(1);
        RT_AWAIT(&m->co, &m->nap, cx);
    }
    RT_END(&m->co);
}

/* asb__itm_main_drop: a pending nap, and any sender written but not yet used (a used one is
 * already empty, and dropping an empty sender does nothing). */
static void asb__itm_main_drop(rt_future *f)
{
    asb__itm_main *m = (asb__itm_main *)f;
    rt_async_drop(&m->co);
    for (uint64_t i = 0; i < m->filled; i++)
        as_sender_drop(&m->senders[i]);
}

static const rt_future_vtable asb__itm_main_vtable = {
    asb__itm_main_poll, asb__itm_main_drop, "idle_task_memory"
};

/* asb_idle_task_memory: bytes of RSS per idle task; all N started, then all N finished. */
int asb_idle_task_memory(rtb_args *args)
{
    uint64_t n = rtb_param_u64(args, "tasks", 1, 100000000);
    rtb_params_done(args);
    asb__itm_shared sh;
    atomic_init(&sh.started, 0);
    atomic_init(&sh.finished, 0);
    (void)asb_workers();  /* the runtime is up before "before", as the anchor's is */
    /* Allocated, not touched: its pages count once the senders are written, as the anchor's. */
    as_sender *senders = rt_malloc(n * sizeof *senders);
    if (senders == NULL)
        rtb_fail("out of memory for %llu senders", (unsigned long long)n);
    asb__itm_main m = { .base = { &asb__itm_main_vtable }, .sh = &sh, .n = n,
                        .senders = senders };
    asb_block_on_task(&m.base, sizeof m);
    rt_free(senders);
    uint64_t finished = atomic_load_explicit(&sh.finished, memory_order_acquire);
    if (finished != n)
        rtb_fail("idle_task_memory: %llu of %llu tasks finished", (unsigned long long)finished,
                 (unsigned long long)n);
    if (m.after <= m.before)
        rtb_fail("idle_task_memory: RSS did not grow, so the measurement says nothing");
    rtb_metric("per_task", "B", (double)(m.after - m.before) / (double)n);
    return 0;
}
