/* idle_memory.c (rtb-tk): idle_task_memory -- N tasks parked on their own oneshot; RSS per task. */
#include "tkb.h"

#include <stdatomic.h>

#include "rt_alloc.h"
#include "rtb_util.h"
#include "tk_sync.h"
#include "tk_time.h"

/*
 * As the anchor: the senders' array is allocated, RSS is read ("before"), N tasks are spawned,
 * each counting itself started and then awaiting its oneshot; once all N have started (polled
 * once, so parked on the channel), RSS is read again ("after"). Then every sender sends and all
 * N must finish. The figure, (after - before) / N, is what one idle task costs: the task (its
 * header and its future, stored inline) plus its channel, plus what the allocator keeps
 * around them -- and the sender's slot in the array, whose pages are first touched in between,
 * as the anchor's Vec::with_capacity is.
 */

typedef struct tkb__itm_shared {
    _Atomic uint64_t started, finished;
} tkb__itm_shared;

typedef struct tkb__idle {
    rt_future base;
    rt_async co;
    tkb__itm_shared *sh;
    tk_oneshot_rx rx;
    tk_oneshot_recv_fut recv;
    char unit;
} tkb__idle;

/* tkb__idle_poll: started, wait for the release, finished. */
static rt_poll tkb__idle_poll(rt_future *f, rt_context *cx)
{
    tkb__idle *t = (tkb__idle *)f;
    RT_BEGIN(&t->co);
    atomic_fetch_add_explicit(&t->sh->started, 1, memory_order_relaxed);
    t->recv = tk_oneshot_recv(&t->rx, &t->unit);
    RT_AWAIT(&t->co, &t->recv, cx);
    if (t->recv.result != 0)
        rtb_fail("idle_task_memory: a task's sender was dropped without sending");
    tk_oneshot_rx_drop(&t->rx);
    atomic_fetch_add_explicit(&t->sh->finished, 1, memory_order_relaxed);
    RT_END(&t->co);
}

/* tkb__idle_drop: the receive, and the receiver. */
static void tkb__idle_drop(rt_future *f)
{
    tkb__idle *t = (tkb__idle *)f;
    rt_async_drop(&t->co);
    tk_oneshot_rx_drop(&t->rx);
}

static const rt_future_vtable tkb__idle_vtable = { tkb__idle_poll, tkb__idle_drop, "idle_task" };

typedef struct tkb__itm_main {
    rt_future base;
    rt_async co;
    tkb__itm_shared *sh;
    uint64_t n, i;
    tk_oneshot_tx *senders;
    uint64_t filled;         /* senders[0..filled) were written (the rest is uninitialised) */
    tk_sleep_fut nap;
    uint64_t before, after;  /* output: RSS in bytes */
} tkb__itm_main;

/* tkb__itm_main_poll: spawn N idle tasks, measure, release them all, wait for them all. */
static rt_poll tkb__itm_main_poll(rt_future *f, rt_context *cx)
{
    tkb__itm_main *m = (tkb__itm_main *)f;
    RT_BEGIN(&m->co);
    m->before = rtb_rss_bytes();
    for (m->i = 0; m->i < m->n; m->i++) {
        tkb__idle t = { .base = { &tkb__idle_vtable }, .sh = m->sh };
        if (tk_oneshot_channel(sizeof t.unit, &m->senders[m->i], &t.rx) != 0)
            rtb_fail("idle_task_memory: out of memory for oneshot %llu", (unsigned long long)m->i);
        m->filled = m->i + 1;
        tkb_spawn_detached(&t.base, sizeof t);
    }
    /* Every task must have been polled once, and so be parked on its channel, before measuring. */
    while (atomic_load_explicit(&m->sh->started, memory_order_acquire) < m->n) {
        m->nap = tk_sleep(1);
        RT_AWAIT(&m->co, &m->nap, cx);
    }
    m->after = rtb_rss_bytes();
    for (m->i = 0; m->i < m->n; m->i++) {
        char unit = 0;
        if (tk_oneshot_send(&m->senders[m->i], &unit) != 0)
            rtb_fail("idle_task_memory: task %llu dropped its receiver", (unsigned long long)m->i);
    }
    while (atomic_load_explicit(&m->sh->finished, memory_order_acquire) < m->n) {
        m->nap = tk_sleep(1);
        RT_AWAIT(&m->co, &m->nap, cx);
    }
    RT_END(&m->co);
}

/* tkb__itm_main_drop: a pending nap, and any sender written but not yet used (a sent one is
 * already empty, and dropping an empty sender does nothing). */
static void tkb__itm_main_drop(rt_future *f)
{
    tkb__itm_main *m = (tkb__itm_main *)f;
    rt_async_drop(&m->co);
    for (uint64_t i = 0; i < m->filled; i++)
        tk_oneshot_tx_drop(&m->senders[i]);
}

static const rt_future_vtable tkb__itm_main_vtable = {
    tkb__itm_main_poll, tkb__itm_main_drop, "idle_task_memory"
};

/* tkb_idle_task_memory: bytes of RSS per idle task; all N started, then all N finished. */
int tkb_idle_task_memory(rtb_args *args)
{
    uint64_t n = rtb_param_u64(args, "tasks", 1, 100000000);
    rtb_params_done(args);
    tkb__itm_shared sh;
    atomic_init(&sh.started, 0);
    atomic_init(&sh.finished, 0);
    tk_runtime *rt = tkb_runtime_new();
    /* Allocated, not touched: its pages count once the senders are written, as the anchor's. */
    tk_oneshot_tx *senders = rt_malloc(n * sizeof *senders);
    if (senders == NULL)
        rtb_fail("out of memory for %llu senders", (unsigned long long)n);
    tkb__itm_main m = { .base = { &tkb__itm_main_vtable }, .sh = &sh, .n = n,
                        .senders = senders };
    tkb_block_on_task(rt, &m.base, sizeof m);
    tk_runtime_free(rt);
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
