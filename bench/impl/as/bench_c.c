/* bench_c.c (rtb-as): libevent's bench.c as one watcher task per pipe, awaiting as_readable. */
#include "asb.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "rt_alloc.h"
#include "rtb_benchc.h"
#include "rtb_util.h"

/*
 * bench.c's callbacks do their own reads and writes, so the as form must hand out readiness,
 * not bytes: each read end is registered as an as_io and watched by a task that loops on
 * as_readable (async-io's Async::readable) and then runs the shared callback body,
 * rtb_benchc_on_read (read one byte, chain one write), on the same descriptor.
 *
 * The reactor is epoll in ONESHOT mode, level-triggered: every wait re-arms the fd with one
 * epoll_ctl(MOD), and MOD re-checks readiness at that moment. So a second byte already sitting
 * in the pipe is reported again at once, and the watcher never has to read until EAGAIN to be
 * sure it saw everything -- one read per event, one MOD per wait. (A wake-up that finds
 * nothing, which readiness allows, makes on_read see EAGAIN and chain nothing.)
 *
 * With timeouts=1 each wait is wrapped in as_timeout(10 s + jitter): the timeout's sleep
 * enters the reactor's heap when the wait goes pending and leaves it when the event comes,
 * which is the re-arm on every event that bench.c -t does. None may fire.
 *
 * The iteration: the driver task kicks `a` writes and starts the clock, then awaits a
 * bounded(1) channel on which the watcher completing the iteration (every written byte read)
 * sends. The re-registration bench.c does before each iteration is untimed everywhere; as
 * registers once (as the epoll floor does) and lets one pass of the scheduler run (a yield)
 * before each kick.
 *
 * rtb_benchc is plain single-threaded state. With one worker every watcher and the driver run
 * on that one thread, so it is used as is; with several, watchers run on several workers at
 * once, so the callback body, the kick and the jitter draw run under one mutex then (and only
 * then), as rtb-tk does on multi_thread.
 */

static char asb__iteration_done;  /* the message on the done channel */

typedef struct asb__bc {
    rtb_benchc b;
    int locking;               /* several workers: serialise access to b */
    pthread_mutex_t lock;
    as_io **rd;                /* rd[i]: pair i's read end, registered (b.fds[2i] is its fd) */
    as_sender done_tx;         /* the iteration's last byte was read */
    as_receiver done_rx;
    _Atomic uint64_t started;  /* watchers polled at least once */
} asb__bc;

/* asb__bc_lock: enter the callback's critical section (several workers only). */
static void asb__bc_lock(asb__bc *bc)
{
    if (bc->locking)
        pthread_mutex_lock(&bc->lock);
}

/* asb__bc_unlock: leave it. */
static void asb__bc_unlock(asb__bc *bc)
{
    if (bc->locking)
        pthread_mutex_unlock(&bc->lock);
}

/* asb__bc_timeout_ms: the next -t timeout, from the shared (single-threaded) jitter generator. */
static uint64_t asb__bc_timeout_ms(asb__bc *bc)
{
    asb__bc_lock(bc);
    uint64_t ms = rtb_benchc_timeout_ms();
    asb__bc_unlock(bc);
    return ms;
}

/* ---- the watcher task -------------------------------------------------------------------- */

typedef struct asb__watcher {
    rt_future base;
    rt_async co;
    asb__bc *bc;
    uint64_t idx;
    as_ready_fut ready;
    as_timeout_fut to;
} asb__watcher;

/* asb__watcher_event: bench.c's callback body; the watcher that reads the iteration's last
 * byte tells the driver. */
static void asb__watcher_event(asb__watcher *w)
{
    asb__bc *bc = w->bc;
    asb__bc_lock(bc);
    uint64_t before = bc->b.count;
    rtb_benchc_on_read(&bc->b, w->idx);
    int finished = bc->b.count != before && rtb_benchc_done(&bc->b);
    asb__bc_unlock(bc);
    /* One send per iteration, taken by the driver before the next kick: the slot is free. */
    if (finished && as_try_send(&bc->done_tx, &asb__iteration_done) != 0)
        rtb_fail("bench_c: the end of an iteration could not be signalled");
}

/* asb__watcher_poll: wait for readable (under a fresh timeout with -t), handle it, forever. */
static rt_poll asb__watcher_poll(rt_future *f, rt_context *cx)
{
    asb__watcher *w = (asb__watcher *)f;
    asb__bc *bc = w->bc;
    RT_BEGIN(&w->co);
    atomic_fetch_add_explicit(&bc->started, 1, memory_order_release);
    for (;;) {
        w->ready = as_readable(bc->rd[w->idx]);
        if (!bc->b.timeouts) {
            RT_AWAIT(&w->co, &w->ready, cx);
        } else {
            w->to = as_timeout(&w->ready.base, asb__bc_timeout_ms(bc));
            RT_AWAIT(&w->co, &w->to, cx);
            if (w->to.timed_out) {
                asb__bc_lock(bc);
                bc->b.timeout_fired++;
                asb__bc_unlock(bc);
                continue;
            }
        }
        if (w->ready.err != 0)
            rtb_fail("bench_c: waiting for pair %llu: %s", (unsigned long long)w->idx,
                     strerror(-w->ready.err));
        asb__watcher_event(w);
    }
    RT_END(&w->co);
}

/* asb__watcher_drop: a cancelled watcher is pending in its wait (a timeout drops its sleep
 * and its readable future; a bare readable future leaves the fd's wait list). */
static void asb__watcher_drop(rt_future *f)
{
    rt_async_drop(&((asb__watcher *)f)->co);
}

static const rt_future_vtable asb__watcher_vtable = {
    asb__watcher_poll, asb__watcher_drop, "bench_c_watcher"
};

/* ---- the driver task: 25 iterations ------------------------------------------------------ */

typedef struct asb__bc_main {
    rt_future base;
    rt_async co;
    asb__bc *bc;
    as_task *watchers;
    int iter;
    uint64_t i, t0;
    as_yield_fut y;
    as_recv_fut wait;
} asb__bc_main;

/* asb__bc_main_poll: register the read ends, spawn the watchers, run the iterations, cancel
 * the watchers. */
static rt_poll asb__bc_main_poll(rt_future *f, rt_context *cx)
{
    asb__bc_main *m = (asb__bc_main *)f;
    asb__bc *bc = m->bc;
    RT_BEGIN(&m->co);
    for (uint64_t i = 0; i < bc->b.n; i++) {
        /* The handle shares the fd with b.fds[2i], which on_read reads; it is closed once, by
         * as_io_close, and the table entry is forgotten then (see asb_bench_c). */
        int rc = as_io_open(bc->b.fds[2 * i], &bc->rd[i]);
        if (rc != 0)
            rtb_fail("registering a socketpair: %s", strerror(-rc));
        asb__watcher w = { .base = { &asb__watcher_vtable }, .bc = bc, .idx = i };
        asb_spawn(&w.base, sizeof w, &m->watchers[i]);
    }
    /* Untimed: every watcher polled once, so waiting on its fd, before the first kick. */
    while (atomic_load_explicit(&bc->started, memory_order_acquire) < bc->b.n) {
        m->y = as_yield_now();
        RT_AWAIT(&m->co, &m->y, cx);
    }
    for (m->iter = 0; m->iter < RTB_BENCHC_ITERATIONS; m->iter++) {
        m->y = as_yield_now();  /* bench.c's untimed loop pass before the kick */
        RT_AWAIT(&m->co, &m->y, cx);
        asb__bc_lock(bc);
        rtb_benchc_kick(&bc->b);
        m->t0 = rtb_now_ns();  /* under the lock: no watcher can count a byte before t0 */
        asb__bc_unlock(bc);
        m->wait = as_recv(&bc->done_rx);
        RT_AWAIT(&m->co, &m->wait, cx);
        {
            uint64_t t1 = rtb_now_ns();
            if (m->wait.err != 0)
                rtb_fail("bench_c: the done channel closed");
            asb__bc_lock(bc);
            rtb_benchc_end(&bc->b, m->t0, t1);
            asb__bc_unlock(bc);
        }
    }
    for (uint64_t i = 0; i < bc->b.n; i++)
        as_task_cancel(&m->watchers[i]);
    for (m->i = 0; m->i < bc->b.n; m->i++) {
        RT_AWAIT(&m->co, as_task_join(&m->watchers[m->i]), cx);
        if (as_task_outcome(&m->watchers[m->i]) != RT_OUTCOME_CANCELLED)
            asb_joined(&m->watchers[m->i], "bench_c watcher");
        as_task_detach(&m->watchers[m->i]);
    }
    RT_END(&m->co);
}

/* asb__bc_main_drop: a pending yield, receive or join (rt_async_drop), then every handle still
 * held (zeroed array; a handle dropped twice is simply empty the second time). */
static void asb__bc_main_drop(rt_future *f)
{
    asb__bc_main *m = (asb__bc_main *)f;
    rt_async_drop(&m->co);
    for (uint64_t i = 0; i < m->bc->b.n; i++)
        as_task_detach(&m->watchers[i]);
}

static const rt_future_vtable asb__bc_main_vtable = {
    asb__bc_main_poll, asb__bc_main_drop, "bench_c"
};

/* asb_bench_c: process us per iteration and ns per event, 25 iterations, all checked. */
int asb_bench_c(rtb_args *args)
{
    asb__bc bc;
    rtb_benchc_params(&bc.b, args);
    rtb_benchc_open(&bc.b);
    bc.locking = asb_workers() > 1;
    if (pthread_mutex_init(&bc.lock, NULL) != 0)
        rtb_fail("pthread_mutex_init failed");
    if (as_channel_bounded(1, &bc.done_tx, &bc.done_rx) != 0)
        rtb_fail("out of memory for a channel");
    atomic_init(&bc.started, 0);
    bc.rd = rt_calloc(bc.b.n, sizeof *bc.rd);
    as_task *watchers = rt_calloc(bc.b.n, sizeof *watchers);
    if (bc.rd == NULL || watchers == NULL)
        rtb_fail("out of memory for %llu watchers", (unsigned long long)bc.b.n);
    asb__bc_main m = { .base = { &asb__bc_main_vtable }, .bc = &bc, .watchers = watchers };
    asb_block_on_task(&m.base, sizeof m);
    for (uint64_t i = 0; i < bc.b.n; i++) {
        if (bc.rd[i] != NULL)
            bc.b.fds[2 * i] = -1;  /* closed just below, by its handle */
        as_io_close(bc.rd[i]);
    }
    rtb_benchc_report(&bc.b);
    as_sender_drop(&bc.done_tx);
    as_receiver_drop(&bc.done_rx);
    pthread_mutex_destroy(&bc.lock);
    rt_free(watchers);
    rt_free(bc.rd);
    rtb_benchc_close(&bc.b);
    return 0;
}
