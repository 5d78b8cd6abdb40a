/* bench_c.c (rtb-tk): libevent's bench.c as one watcher task per pipe, awaiting readiness. */
#include "tkb.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "rt_alloc.h"
#include "rtb_benchc.h"
#include "rtb_util.h"
#include "tk_coop.h"
#include "tk_net.h"
#include "tk_registration.h"
#include "tk_sync.h"
#include "tk_time.h"

/*
 * bench.c's callbacks do their own reads and writes, so the tk form must hand out readiness,
 * not bytes: each read end is adopted as a tk stream (registered once with the edge-triggered
 * driver) and watched by a task that loops on a small "readable" leaf future -- tokio's
 * AsyncFd::readable() -- built on the same registration calls tk's own sockets use
 * (tk__io_poll_ready, tk__io_clear_readiness). When readable, the task runs the shared callback
 * body, rtb_benchc_on_read (read one byte, chain one write). If that read found nothing
 * (EAGAIN), the readiness is used up and is cleared, as AsyncFd's guard does on WouldBlock; if
 * it found a byte the readiness stays, because an edge-triggered fd may hold a second byte and
 * will not report it again. So each event costs its read plus, eventually, one EAGAIN read.
 *
 * With timeouts=1 each wait is wrapped in tk_timeout(10 s + jitter): the timeout's sleep enters
 * the wheel when the wait goes pending and leaves it when the event comes, which is the re-arm
 * on every event that bench.c -t does. None may fire.
 *
 * The iteration: the driver task kicks `a` writes and starts the clock, then awaits a notify
 * that the watcher completing the iteration (every written byte read) sends. The re-registration
 * bench.c does before each iteration is untimed everywhere; tk registers once (as the epoll
 * floor does) and lets one pass of the scheduler run (a yield) before each kick.
 *
 * rtb_benchc is plain single-threaded state. On current_thread every watcher runs on one
 * thread, so it is used as is; on multi_thread watchers run on several workers at once, so the
 * callback body, the kick and the jitter draw run under one mutex there (and only there).
 */

typedef struct tkb__bc {
    rtb_benchc b;
    int locking;               /* multi_thread: serialise access to b */
    pthread_mutex_t lock;
    tk_stream *rd;             /* rd[i]: pair i's read end, adopted (b.fds[2i] is the same fd) */
    tk_notify done;            /* the iteration's last byte was read */
    _Atomic uint64_t started;  /* watchers polled at least once */
} tkb__bc;

/* tkb__bc_lock: enter the callback's critical section (multi_thread only). */
static void tkb__bc_lock(tkb__bc *bc)
{
    if (bc->locking)
        pthread_mutex_lock(&bc->lock);
}

/* tkb__bc_unlock: leave it. */
static void tkb__bc_unlock(tkb__bc *bc)
{
    if (bc->locking)
        pthread_mutex_unlock(&bc->lock);
}

/* tkb__bc_timeout_ms: the next -t timeout, from the shared (single-threaded) jitter generator. */
static uint64_t tkb__bc_timeout_ms(tkb__bc *bc)
{
    tkb__bc_lock(bc);
    uint64_t ms = rtb_benchc_timeout_ms();
    tkb__bc_unlock(bc);
    return ms;
}

/* ---- readable(): a leaf future, ready when the driver has seen the fd readable ----------- */

typedef struct tkb__readable {
    rt_future base;
    tk_registration *reg;
    tk__ready_event ev;        /* output: the readiness seen, for a later clear */
} tkb__readable;

/* tkb__readable_poll: one unit of coop budget, given back if the fd is not ready. */
static rt_poll tkb__readable_poll(rt_future *f, rt_context *cx)
{
    tkb__readable *r = (tkb__readable *)f;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;
    if (tk__io_poll_ready(r->reg, TK_READY_READABLE, cx, &r->ev) == RT_PENDING) {
        tk_coop_undo();
        return RT_PENDING;
    }
    return RT_READY;
}

/* The registration keeps the waker; it is replaced by the next wait or dropped at deregister. */
static const rt_future_vtable tkb__readable_vtable = { tkb__readable_poll, NULL, "readable" };

/* ---- the watcher task -------------------------------------------------------------------- */

typedef struct tkb__watcher {
    rt_future base;
    rt_async co;
    tkb__bc *bc;
    uint64_t idx;
    tkb__readable ready;
    tk_timeout_fut to;
} tkb__watcher;

/* tkb__watcher_event: bench.c's callback body, then clear spent readiness or signal the end. */
static void tkb__watcher_event(tkb__watcher *w)
{
    tkb__bc *bc = w->bc;
    tkb__bc_lock(bc);
    uint64_t before = bc->b.count;
    rtb_benchc_on_read(&bc->b, w->idx);
    int got = bc->b.count != before;  /* on_read fails loudly on anything but a byte or EAGAIN */
    int finished = got && rtb_benchc_done(&bc->b);
    tkb__bc_unlock(bc);
    if (!got)
        tk__io_clear_readiness(w->ready.reg, w->ready.ev);
    else if (finished)
        tk_notify_notify_one(&bc->done);
}

/* tkb__watcher_poll: wait for readable (under a fresh timeout with -t), handle it, forever. */
static rt_poll tkb__watcher_poll(rt_future *f, rt_context *cx)
{
    tkb__watcher *w = (tkb__watcher *)f;
    tkb__bc *bc = w->bc;
    RT_BEGIN(&w->co);
    atomic_fetch_add_explicit(&bc->started, 1, memory_order_release);
    for (;;) {
        w->ready = (tkb__readable){ .base = { &tkb__readable_vtable }, .reg = &bc->rd[w->idx].reg };
        if (!bc->b.timeouts) {
            RT_AWAIT(&w->co, &w->ready, cx);
        } else {
            w->to = tk_timeout(&w->ready.base, tkb__bc_timeout_ms(bc));
            RT_AWAIT(&w->co, &w->to, cx);
            if (w->to.elapsed) {
                tkb__bc_lock(bc);
                bc->b.timeout_fired++;
                tkb__bc_unlock(bc);
                continue;
            }
        }
        tkb__watcher_event(w);
    }
    RT_END(&w->co);
}

/* tkb__watcher_drop: an aborted watcher is pending in its wait (a timeout drops its sleep). */
static void tkb__watcher_drop(rt_future *f)
{
    rt_async_drop(&((tkb__watcher *)f)->co);
}

static const rt_future_vtable tkb__watcher_vtable = {
    tkb__watcher_poll, tkb__watcher_drop, "bench_c_watcher"
};

/* ---- the driver task: 25 iterations ------------------------------------------------------ */

typedef struct tkb__bc_main {
    rt_future base;
    rt_async co;
    tkb__bc *bc;
    tk_join_handle *watchers;
    int iter;
    uint64_t i, t0;
    tk_yield_fut y;
    tk_notify_notified_fut wait;
} tkb__bc_main;

/* tkb__bc_main_poll: adopt the read ends, spawn the watchers, run the iterations, abort them. */
static rt_poll tkb__bc_main_poll(rt_future *f, rt_context *cx)
{
    tkb__bc_main *m = (tkb__bc_main *)f;
    tkb__bc *bc = m->bc;
    RT_BEGIN(&m->co);
    for (uint64_t i = 0; i < bc->b.n; i++) {
        /* The stream shares the fd with b.fds[2i], which on_read reads; it is closed once, by
         * tk_stream_close, and the table entry is forgotten then (see tkb_bench_c). */
        int rc = tk_stream_from_fd(bc->b.fds[2 * i], &bc->rd[i]);
        if (rc != 0) {
            bc->b.fds[2 * i] = -1;  /* from_fd closed it */
            rtb_fail("registering a socketpair: %s", strerror(-rc));
        }
        tkb__watcher w = { .base = { &tkb__watcher_vtable }, .bc = bc, .idx = i };
        tkb_spawn(&w.base, sizeof w, &m->watchers[i]);
    }
    /* Untimed: every watcher polled once, so waiting on its fd, before the first kick. */
    while (atomic_load_explicit(&bc->started, memory_order_acquire) < bc->b.n) {
        m->y = tk_yield_now();
        RT_AWAIT(&m->co, &m->y, cx);
    }
    for (m->iter = 0; m->iter < RTB_BENCHC_ITERATIONS; m->iter++) {
        m->y = tk_yield_now();  /* bench.c's untimed loop pass before the kick */
        RT_AWAIT(&m->co, &m->y, cx);
        m->wait = tk_notify_notified(&bc->done);
        tkb__bc_lock(bc);
        rtb_benchc_kick(&bc->b);
        m->t0 = rtb_now_ns();  /* under the lock: no watcher can count a byte before t0 */
        tkb__bc_unlock(bc);
        RT_AWAIT(&m->co, &m->wait, cx);
        {
            uint64_t t1 = rtb_now_ns();
            tkb__bc_lock(bc);
            rtb_benchc_end(&bc->b, m->t0, t1);
            tkb__bc_unlock(bc);
        }
    }
    for (uint64_t i = 0; i < bc->b.n; i++)
        rt_join_handle_abort(&m->watchers[i]);
    for (m->i = 0; m->i < bc->b.n; m->i++) {
        RT_AWAIT(&m->co, &m->watchers[m->i], cx);
        if (m->watchers[m->i].outcome != RT_OUTCOME_CANCELLED)
            tkb_joined(&m->watchers[m->i], "bench_c watcher");
        rt_join_handle_detach(&m->watchers[m->i]);
    }
    RT_END(&m->co);
}

/* tkb__bc_main_drop: handles still held (zeroed array; detach is idempotent). */
static void tkb__bc_main_drop(rt_future *f)
{
    tkb__bc_main *m = (tkb__bc_main *)f;
    rt_async_drop(&m->co);
    for (uint64_t i = 0; i < m->bc->b.n; i++)
        rt_join_handle_detach(&m->watchers[i]);
}

static const rt_future_vtable tkb__bc_main_vtable = {
    tkb__bc_main_poll, tkb__bc_main_drop, "bench_c"
};

/* tkb_bench_c: process us per iteration and ns per event, 25 iterations, all checked. */
int tkb_bench_c(rtb_args *args)
{
    tkb__bc bc;
    rtb_benchc_params(&bc.b, args);
    rtb_benchc_open(&bc.b);
    tk_runtime *rt = tkb_runtime_new();
    bc.locking = tk_runtime_flavor(rt) == TK_MULTI_THREAD;
    if (pthread_mutex_init(&bc.lock, NULL) != 0 || tk_notify_init(&bc.done) != 0)
        rtb_fail("mutex/notify init failed");
    atomic_init(&bc.started, 0);
    bc.rd = rt_calloc(bc.b.n, sizeof *bc.rd);
    tk_join_handle *watchers = rt_calloc(bc.b.n, sizeof *watchers);
    if (bc.rd == NULL || watchers == NULL)
        rtb_fail("out of memory for %llu watchers", (unsigned long long)bc.b.n);
    tkb__bc_main m = { .base = { &tkb__bc_main_vtable }, .bc = &bc, .watchers = watchers };
    tkb_block_on_task(rt, &m.base, sizeof m);
    for (uint64_t i = 0; i < bc.b.n; i++) {
        if (tk_stream_is_open(&bc.rd[i]))
            bc.b.fds[2 * i] = -1;  /* closed just below, by its stream */
        tk_stream_close(&bc.rd[i]);
    }
    tk_runtime_free(rt);
    rtb_benchc_report(&bc.b);
    tk_notify_destroy(&bc.done);
    pthread_mutex_destroy(&bc.lock);
    rt_free(watchers);
    rt_free(bc.rd);
    rtb_benchc_close(&bc.b);
    return 0;
}
