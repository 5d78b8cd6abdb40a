/* soak.c: both flavours' APIs mixed for SOAK_SECONDS, with RSS and fd count sampled every second; they must stay flat. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "as.h"
#include "rt_async.h"
#include "rt_clock.h"
#include "rt_combinators.h"
#include "tk_blocking.h"
#include "tk_net.h"
#include "tk_runtime.h"
#include "tk_sync.h"
#include "tk_time.h"

/*
 * Three threads, each running "rounds" until the time is up: a tk multi_thread runtime, a tk
 * current_thread runtime, and the global as runtime, side by side in one process. A round
 * uses every kind of thing its flavour offers, and checks each result:
 *
 *   spawn + join (8 tasks), sleep, yield, mutex, semaphore, channels (tk: mpsc, oneshot;
 *   as: a bounded channel), notify (tk), spawn_local (as), join_all and select, a timeout
 *   that fires, an interval (3 ticks), abort/cancel of a sleeping task, a task that panics,
 *   spawn_blocking, TCP (listen, connect, accept, 4 KiB), UDP (send_to/recv_from, and a
 *   connected pair), Unix streams (a pair, and a listener on a path).
 *
 * The main thread samples VmRSS (/proc/self/status) and the number of open descriptors
 * (/proc/self/fd) every second into SOAK_CSV (soak.csv). "Flat", checked at the end:
 *   - fds: the lowest count of the last minute equals the lowest count of the second
 *     minute. Every round closes what it opens, so between rounds the count is back at the
 *     same baseline; a sample may catch rounds mid-way (more open), which "lowest" ignores,
 *     while a leak raises the baseline itself.
 *   - RSS: the median of the last minute is within 5% (or 256 KiB, whichever is larger -- a
 *     few dozen pages of allocator slack) of the median of the second minute. The first
 *     minute is the warm-up: pools, caches and arenas grow to their working size.
 * Run it on the normal build: under ASan, freed memory sits in the quarantine (up to 256 MiB)
 * and RSS climbs without a leak (ASAN_OPTIONS=quarantine_size_mb=0 makes it flat again).
 * With SOAK_SECONDS < 180 the "minutes" shrink to thirds of the run (second third vs last
 * third). Exit status 0 if flat and every round's checks passed.
 *
 * SOAK_LEAK=fd or SOAK_LEAK=mem makes every tk round leak one socket or 4 KiB on purpose: the
 * way to see that the flatness check does fail when something leaks.
 */

static _Atomic int stop_now;
static _Atomic unsigned long tk_rounds, as_rounds;
static int leak_fd, leak_mem; /* SOAK_LEAK: the self-test of the flatness check */

/* fail: a check inside a round failed -- that is a bug, so stop the soak loudly. */
static void fail(const char *flavour, const char *what, long got)
{
    fprintf(stderr, "soak: %s: %s (got %ld)\n", flavour, what, got);
    exit(1);
}
#define CHECK(fl, cond, got) do { if (!(cond)) fail(fl, #cond, (long)(got)); } while (0)

/* fill / same: 4 KiB of a pattern that depends on the round, and its check. */
static void fill(unsigned char *b, size_t n, unsigned long seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(seed * 31 + i * 7);
}

/* blocking_sum: a little CPU work for spawn_blocking. */
static void *blocking_sum(void *arg)
{
    uintptr_t n = (uintptr_t)arg, s = 0;
    for (uintptr_t i = 1; i <= n; i++)
        s += i;
    return (void *)s;
}

/* ======================================== tk ============================================ */

/* What one tk runtime's rounds share: each runtime has its own. */
typedef struct tk_shared {
    tk_mutex mu;
    tk_semaphore sem;
    long counter;   /* under mu */
} tk_shared;

/* One tk worker: sleep, take the mutex, bump, take a permit, send its id. */
typedef struct tk_worker {
    rt_future base;
    rt_async co;
    int id;
    tk_shared *sh;
    tk_mpsc_tx tx;
    tk_yield_fut yield;
    tk_sleep_fut nap;
    tk_mutex_lock_fut lock;
    tk_semaphore_acquire_fut acq;
    tk_mpsc_send_fut send;
} tk_worker;

/* tk_worker_poll: the steps in order. */
static rt_poll tk_worker_poll(rt_future *f, rt_context *cx)
{
    tk_worker *w = (tk_worker *)f;
    RT_BEGIN(&w->co);
    w->nap = tk_sleep(1 + (uint64_t)(w->id % 3));
    RT_AWAIT(&w->co, &w->nap, cx);
    w->yield = tk_yield_now();
    RT_AWAIT(&w->co, &w->yield, cx);
    w->lock = tk_mutex_lock(&w->sh->mu);
    RT_AWAIT(&w->co, &w->lock, cx);
    w->sh->counter++;
    tk_mutex_unlock(&w->sh->mu);
    w->acq = tk_semaphore_acquire(&w->sh->sem, 1);
    RT_AWAIT(&w->co, &w->acq, cx);
    CHECK("tk", w->acq.result == 0, w->acq.result);
    tk_semaphore_release(&w->sh->sem, 1);
    w->send = tk_mpsc_send(&w->tx, &w->id);
    RT_AWAIT(&w->co, &w->send, cx);
    CHECK("tk", w->send.result == 0, w->send.result);
    RT_END(&w->co);
}

/* tk_worker_drop: release the sender (and whatever was pending). */
static void tk_worker_drop(rt_future *f)
{
    tk_worker *w = (tk_worker *)f;
    rt_async_drop(&w->co);
    tk_mpsc_sender_drop(&w->tx);
}

static const rt_future_vtable tk_worker_vtable = { tk_worker_poll, tk_worker_drop, "tk_worker" };

/* A task that waits on a Notify and then answers on a oneshot. */
typedef struct tk_waiter_task {
    rt_future base;
    rt_async co;
    tk_notify *n;
    tk_oneshot_tx tx;
    tk_notify_notified_fut wait;
} tk_waiter_task;

/* tk_waiter_poll: notified, then send 42. */
static rt_poll tk_waiter_poll(rt_future *f, rt_context *cx)
{
    tk_waiter_task *t = (tk_waiter_task *)f;
    RT_BEGIN(&t->co);
    t->wait = tk_notify_notified(t->n);
    RT_AWAIT(&t->co, &t->wait, cx);
    int v = 42;
    CHECK("tk", tk_oneshot_send(&t->tx, &v) == 0, -1);
    RT_END(&t->co);
}

/* tk_waiter_drop: release the sender if it was not used. */
static void tk_waiter_drop(rt_future *f)
{
    tk_waiter_task *t = (tk_waiter_task *)f;
    rt_async_drop(&t->co);
    tk_oneshot_tx_drop(&t->tx);
}

static const rt_future_vtable tk_waiter_vtable = { tk_waiter_poll, tk_waiter_drop, "tk_waiter" };

/* A task that sleeps for a long time: to be aborted. Both flavours' sleeps work inside it
 * because each flavour's sleep finds its own runtime; the tk one uses tk_sleep. */
typedef struct tk_sleeper {
    rt_future base;
    tk_sleep_fut nap;
    int started;
} tk_sleeper;

/* tk_sleeper_poll: sleep 60 s (it is aborted long before). */
static rt_poll tk_sleeper_poll(rt_future *f, rt_context *cx)
{
    tk_sleeper *t = (tk_sleeper *)f;
    if (!t->started) {
        t->nap = tk_sleep(60000);
        t->started = 1;
    }
    return rt_future_poll(&t->nap.base, cx);
}

/* tk_sleeper_drop: drop the pending sleep (its timer entry goes). */
static void tk_sleeper_drop(rt_future *f)
{
    tk_sleeper *t = (tk_sleeper *)f;
    if (t->started)
        rt_future_drop(&t->nap.base);
}

static const rt_future_vtable tk_sleeper_vtable = { tk_sleeper_poll, tk_sleeper_drop, "sleeper" };

/* A task that panics on its first poll; the runtime must catch it and report it. */
typedef struct panicker {
    rt_future base;
} panicker;

/* panicker_poll: panic (caught by the task harness, silently). */
static rt_poll panicker_poll(rt_future *f, rt_context *cx)
{
    (void)f;
    (void)cx;
    rt_panic("soak: a planned panic");
}

/* panicker_drop: nothing to release. */
static void panicker_drop(rt_future *f)
{
    (void)f;
}

static const rt_future_vtable panicker_vtable = { panicker_poll, panicker_drop, "panicker" };

#define NWORKERS 8
#define NBYTES 4096

/* One round of everything, repeated until stop_now. */
typedef struct tk_main {
    rt_future base;
    rt_async co;
    int i;
    unsigned long round;
    tk_shared sh;
    char path[108];
    tk_join_handle jh[NWORKERS], wjh, bjh, sjh, pjh;
    tk_sleep_fut s1, s2;
    rt_future *pair[2];
    rt_join_all_fut all;
    rt_select_fut sel;
    tk_unix_listener ul;
    tk_mpsc_tx tx;
    tk_mpsc_rx rx;
    int got;
    tk_mpsc_recv_fut recv;
    tk_notify notify;
    tk_oneshot_tx otx;
    tk_oneshot_rx orx;
    tk_oneshot_recv_fut orecv;
    int ovalue;
    tk_sleep_fut long_sleep;
    tk_timeout_fut to;
    tk_interval iv;
    tk_tick_fut tick;
    tk_tcp_listener l;
    tk_connect_fut conn;
    tk_accept_fut acc;
    tk_tcp_stream a, b;
    tk_write_all_fut wr;
    tk_read_exact_fut rd;
    tk_udp_socket u1, u2;
    tk_sockaddr u2addr;
    tk_udp_send_fut usend;
    tk_udp_recv_fut urecv;
    tk_unix_stream x, y;
    unsigned char out[NBYTES], in[NBYTES];
} tk_main;

/* tk_main_poll: the round, step by step; every result is checked. */
static rt_poll tk_main_poll(rt_future *f, rt_context *cx)
{
    tk_main *m = (tk_main *)f;
    RT_BEGIN(&m->co);
    while (!atomic_load(&stop_now)) {
        m->round++;
        /* spawn + join, mutex, semaphore, mpsc */
        CHECK("tk", tk_mpsc_channel(4, sizeof(int), &m->tx, &m->rx) == 0, 0);
        for (m->i = 0; m->i < NWORKERS; m->i++) {
            tk_worker w = { .base = { &tk_worker_vtable }, .id = m->i, .sh = &m->sh };
            w.tx = tk_mpsc_sender_clone(&m->tx);
            CHECK("tk", tk_spawn(&w.base, sizeof w, &m->jh[m->i]) == 0, m->i);
        }
        tk_mpsc_sender_drop(&m->tx);
        for (m->i = 0; m->i < NWORKERS; m->i++) {
            m->recv = tk_mpsc_recv(&m->rx, &m->got);
            RT_AWAIT(&m->co, &m->recv, cx);
            CHECK("tk", m->recv.result == 0 && m->got >= 0 && m->got < NWORKERS, m->got);
        }
        for (m->i = 0; m->i < NWORKERS; m->i++) {
            RT_AWAIT(&m->co, &m->jh[m->i], cx);
            CHECK("tk", m->jh[m->i].outcome == RT_OUTCOME_OK, m->jh[m->i].outcome);
            rt_future_drop(&m->jh[m->i].base); /* the task's future goes, and its sender */
        }
        m->recv = tk_mpsc_recv(&m->rx, &m->got);
        RT_AWAIT(&m->co, &m->recv, cx);
        CHECK("tk", m->recv.result == -EPIPE, m->recv.result); /* every sender is gone */
        tk_mpsc_receiver_drop(&m->rx);
        CHECK("tk", m->sh.counter == (long)m->round * NWORKERS, m->sh.counter);

        /* join_all of two sleeps; select between a short and a long one */
        m->s1 = tk_sleep(1);
        m->s2 = tk_sleep(2);
        m->pair[0] = &m->s1.base;
        m->pair[1] = &m->s2.base;
        m->all = rt_join_all(m->pair, 2);
        RT_AWAIT(&m->co, &m->all, cx);
        m->s1 = tk_sleep(1);
        m->s2 = tk_sleep(60000);
        m->sel = rt_select(m->pair, 2);
        RT_AWAIT(&m->co, &m->sel, cx);
        CHECK("tk", m->sel.winner == 0, m->sel.winner); /* the long sleep was dropped */

        /* abort a sleeping task; a task that panics */
        {
            tk_sleeper t = { .base = { &tk_sleeper_vtable } };
            CHECK("tk", tk_spawn(&t.base, sizeof t, &m->sjh) == 0, 0);
            panicker p = { .base = { &panicker_vtable } };
            CHECK("tk", tk_spawn(&p.base, sizeof p, &m->pjh) == 0, 0);
        }
        rt_join_handle_abort(&m->sjh);
        RT_AWAIT(&m->co, &m->sjh, cx);
        CHECK("tk", m->sjh.outcome == RT_OUTCOME_CANCELLED, m->sjh.outcome);
        rt_future_drop(&m->sjh.base);
        RT_AWAIT(&m->co, &m->pjh, cx);
        CHECK("tk", m->pjh.outcome == RT_OUTCOME_PANICKED, m->pjh.outcome);
        rt_future_drop(&m->pjh.base);

        /* notify + oneshot */
        CHECK("tk", tk_notify_init(&m->notify) == 0, 0);
        CHECK("tk", tk_oneshot_channel(sizeof(int), &m->otx, &m->orx) == 0, 0);
        {
            tk_waiter_task t = { .base = { &tk_waiter_vtable }, .n = &m->notify, .tx = m->otx };
            m->otx.chan = NULL; /* moved into the task */
            CHECK("tk", tk_spawn(&t.base, sizeof t, &m->wjh) == 0, 0);
        }
        tk_notify_notify_one(&m->notify); /* a stored permit if the task is not waiting yet */
        m->orecv = tk_oneshot_recv(&m->orx, &m->ovalue);
        RT_AWAIT(&m->co, &m->orecv, cx);
        CHECK("tk", m->orecv.result == 0 && m->ovalue == 42, m->ovalue);
        RT_AWAIT(&m->co, &m->wjh, cx);
        rt_future_drop(&m->wjh.base);
        tk_oneshot_rx_drop(&m->orx);
        tk_notify_destroy(&m->notify);

        /* timeout that fires, then an interval */
        m->long_sleep = tk_sleep(1000);
        m->to = tk_timeout(&m->long_sleep.base, 2);
        RT_AWAIT(&m->co, &m->to, cx);
        CHECK("tk", m->to.elapsed == 1, m->to.elapsed);
        m->iv = tk_interval_new(1);
        for (m->i = 0; m->i < 3; m->i++) {
            m->tick = tk_interval_tick(&m->iv);
            RT_AWAIT(&m->co, &m->tick, cx);
        }

        /* spawn_blocking */
        CHECK("tk", tk_spawn_blocking(blocking_sum, (void *)(uintptr_t)1000, &m->bjh) == 0, 0);
        RT_AWAIT(&m->co, &m->bjh, cx);
        CHECK("tk", (uintptr_t)tk_blocking_result(&m->bjh) == 500500u, 0);
        rt_future_drop(&m->bjh.base);

        /* TCP: connect and accept, 4 KiB one way */
        CHECK("tk", tk_tcp_listener_bind("127.0.0.1", 0, &m->l) == 0, 0);
        m->conn = tk_tcp_connect("127.0.0.1", (unsigned)tk_tcp_listener_local_port(&m->l));
        RT_AWAIT(&m->co, &m->conn, cx);
        CHECK("tk", m->conn.result == 0, m->conn.result);
        m->a = m->conn.stream;
        m->acc = tk_tcp_accept(&m->l);
        RT_AWAIT(&m->co, &m->acc, cx);
        CHECK("tk", m->acc.result == 0, m->acc.result);
        m->b = m->acc.stream;
        fill(m->out, NBYTES, m->round);
        m->wr = tk_tcp_write_all(&m->a, m->out, NBYTES);
        RT_AWAIT(&m->co, &m->wr, cx);
        CHECK("tk", m->wr.result == 0, m->wr.result);
        m->rd = tk_tcp_read_exact(&m->b, m->in, NBYTES);
        RT_AWAIT(&m->co, &m->rd, cx);
        CHECK("tk", m->rd.result == 0 && memcmp(m->in, m->out, NBYTES) == 0, m->rd.result);
        tk_tcp_stream_close(&m->a);
        tk_tcp_stream_close(&m->b);
        tk_tcp_listener_close(&m->l);

        /* UDP: one datagram */
        CHECK("tk", tk_udp_bind("127.0.0.1", 0, &m->u1) == 0, 0);
        CHECK("tk", tk_udp_bind("127.0.0.1", 0, &m->u2) == 0, 0);
        CHECK("tk", tk_udp_local_addr(&m->u2, &m->u2addr) == 0, 0);
        m->usend = tk_udp_send_to(&m->u1, m->out, 512, &m->u2addr);
        RT_AWAIT(&m->co, &m->usend, cx);
        CHECK("tk", m->usend.result == 512, m->usend.result);
        m->urecv = tk_udp_recv_from(&m->u2, m->in, NBYTES);
        RT_AWAIT(&m->co, &m->urecv, cx);
        CHECK("tk", m->urecv.result == 512 && memcmp(m->in, m->out, 512) == 0, m->urecv.result);
        /* ... and a connected pair: u1 -> u2 with send/recv */
        CHECK("tk", tk_udp_connect(&m->u1, "127.0.0.1",
                                   (unsigned)tk_sockaddr_port(&m->u2addr)) == 0, 0);
        m->usend = tk_udp_send(&m->u1, m->out, 256);
        RT_AWAIT(&m->co, &m->usend, cx);
        CHECK("tk", m->usend.result == 256, m->usend.result);
        m->urecv = tk_udp_recv(&m->u2, m->in, NBYTES);
        RT_AWAIT(&m->co, &m->urecv, cx);
        CHECK("tk", m->urecv.result == 256, m->urecv.result);
        tk_udp_close(&m->u1);
        tk_udp_close(&m->u2);
        if (leak_fd)
            CHECK("tk", dup(0) >= 0, errno); /* SOAK_LEAK=fd: one descriptor, never closed */
        if (leak_mem)
            CHECK("tk", malloc(4096) != NULL, 0); /* SOAK_LEAK=mem: never freed */

        /* Unix stream pair */
        CHECK("tk", tk_unix_stream_pair(&m->x, &m->y) == 0, 0);
        m->wr = tk_unix_write_all(&m->x, m->out, NBYTES);
        RT_AWAIT(&m->co, &m->wr, cx);
        CHECK("tk", m->wr.result == 0, m->wr.result);
        m->rd = tk_unix_read_exact(&m->y, m->in, NBYTES);
        RT_AWAIT(&m->co, &m->rd, cx);
        CHECK("tk", m->rd.result == 0 && memcmp(m->in, m->out, NBYTES) == 0, m->rd.result);
        tk_unix_stream_close(&m->x);
        tk_unix_stream_close(&m->y);

        /* Unix listener on a path */
        unlink(m->path);
        CHECK("tk", tk_unix_listener_bind(m->path, &m->ul) == 0, errno);
        m->conn = tk_unix_connect(m->path);
        RT_AWAIT(&m->co, &m->conn, cx);
        CHECK("tk", m->conn.result == 0, m->conn.result);
        m->x = m->conn.stream;
        m->acc = tk_unix_accept(&m->ul);
        RT_AWAIT(&m->co, &m->acc, cx);
        CHECK("tk", m->acc.result == 0, m->acc.result);
        m->y = m->acc.stream;
        m->wr = tk_unix_write_all(&m->y, m->out, 1024);
        RT_AWAIT(&m->co, &m->wr, cx);
        CHECK("tk", m->wr.result == 0, m->wr.result);
        m->rd = tk_unix_read_exact(&m->x, m->in, 1024);
        RT_AWAIT(&m->co, &m->rd, cx);
        CHECK("tk", m->rd.result == 0 && memcmp(m->in, m->out, 1024) == 0, m->rd.result);
        tk_unix_stream_close(&m->x);
        tk_unix_stream_close(&m->y);
        tk_listener_close(&m->ul);
        unlink(m->path);
        atomic_fetch_add(&tk_rounds, 1);
    }
    RT_END(&m->co);
}

/* tk_main_drop: the loop closes everything it opens before each round ends. */
static void tk_main_drop(rt_future *f)
{
    rt_async_drop(&((tk_main *)f)->co);
}

static const rt_future_vtable tk_main_vtable = { tk_main_poll, tk_main_drop, "tk_main" };

/* tk_thread: a runtime of the flavour `arg` names running rounds until stop_now. */
static void *tk_thread(void *arg)
{
    int multi = strcmp((const char *)arg, "multi_thread") == 0;
    tk_builder b = multi ? tk_builder_new_multi_thread() : tk_builder_new_current_thread();
    tk_builder_enable_all(&b);
    tk_runtime *rt = NULL;
    CHECK("tk", tk_builder_build(&b, &rt) == 0, 0);
    tk_main *m = calloc(1, sizeof *m); /* large: keep it off the thread's stack */
    CHECK("tk", m != NULL, 0);
    m->base.vtable = &tk_main_vtable;
    CHECK("tk", tk_mutex_init(&m->sh.mu) == 0 && tk_semaphore_init(&m->sh.sem, 3) == 0, 0);
    snprintf(m->path, sizeof m->path, "/tmp/soak-%d-%s.sock", (int)getpid(),
             multi ? "mt" : "ct");
    tk_runtime_block_on(rt, &m->base);
    rt_future_drop(&m->base);
    tk_runtime_free(rt);
    tk_mutex_destroy(&m->sh.mu);
    tk_semaphore_destroy(&m->sh.sem);
    free(m);
    return NULL;
}

/* ======================================== as ============================================ */

static as_mutex as_mu;
static as_semaphore as_sem;
static long as_counter;

/* One as worker: sleep, mutex, semaphore, send its id on a bounded channel. */
typedef struct as_worker {
    rt_future base;
    rt_async co;
    int id;
    as_sender tx;
    as_yield_fut yield;
    as_sleep_fut nap;
    as_lock_fut lock;
    as_acquire_fut acq;
    as_send_fut send;
} as_worker;

/* as_worker_poll: the steps in order. */
static rt_poll as_worker_poll(rt_future *f, rt_context *cx)
{
    as_worker *w = (as_worker *)f;
    RT_BEGIN(&w->co);
    w->nap = as_sleep(1 + (uint64_t)(w->id % 3));
    RT_AWAIT(&w->co, &w->nap, cx);
    w->yield = as_yield_now();
    RT_AWAIT(&w->co, &w->yield, cx);
    w->lock = as_mutex_lock(&as_mu);
    RT_AWAIT(&w->co, &w->lock, cx);
    as_counter++;
    as_mutex_unlock(&as_mu);
    w->acq = as_semaphore_acquire(&as_sem);
    RT_AWAIT(&w->co, &w->acq, cx);
    CHECK("as", w->acq.acquired, 0);
    as_semaphore_release(&as_sem);
    w->send = as_send(&w->tx, (void *)(intptr_t)(w->id + 1));
    RT_AWAIT(&w->co, &w->send, cx);
    CHECK("as", w->send.err == 0, w->send.err);
    RT_END(&w->co);
}

/* as_worker_drop: release the sender. */
static void as_worker_drop(rt_future *f)
{
    as_worker *w = (as_worker *)f;
    rt_async_drop(&w->co);
    as_sender_drop(&w->tx);
}

static const rt_future_vtable as_worker_vtable = { as_worker_poll, as_worker_drop, "as_worker" };

/* An as task that sleeps for a long time: to be cancelled. */
typedef struct as_sleeper {
    rt_future base;
    as_sleep_fut nap;
    int started;
} as_sleeper;

/* as_sleeper_poll: sleep 60 s (it is cancelled long before). */
static rt_poll as_sleeper_poll(rt_future *f, rt_context *cx)
{
    as_sleeper *t = (as_sleeper *)f;
    if (!t->started) {
        t->nap = as_sleep(60000);
        t->started = 1;
    }
    return rt_future_poll(&t->nap.base, cx);
}

/* as_sleeper_drop: drop the pending sleep. */
static void as_sleeper_drop(rt_future *f)
{
    as_sleeper *t = (as_sleeper *)f;
    if (t->started)
        rt_future_drop(&t->nap.base);
}

static const rt_future_vtable as_sleeper_vtable = { as_sleeper_poll, as_sleeper_drop, "sleeper" };

typedef struct as_main {
    rt_future base;
    rt_async co;
    int i;
    unsigned long round;
    as_task t[NWORKERS], st, pt, lt;
    as_sleep_fut s1, s2;
    rt_future *pair[2];
    rt_join_all_fut all;
    rt_select_fut sel;
    char path[108];
    as_io *ul;
    as_sender tx;
    as_receiver rx;
    as_recv_fut recv;
    as_sleep_fut long_sleep;
    as_timeout_fut to;
    as_interval iv;
    as_tick_fut tick;
    as_blocking_fut blk;
    as_io *l, *a, *b, *u1, *u2, *x, *y;
    char addr[64];
    as_connect_fut conn;
    as_accept_fut acc;
    as_write_all_fut wr;
    as_read_exact_fut rd;
    struct sockaddr_storage u2addr;
    socklen_t u2len;
    as_send_to_fut usend;
    as_recv_from_fut urecv;
    unsigned char out[NBYTES], in[NBYTES];
} as_main;

/* as_main_poll: the as round, step by step. */
static rt_poll as_main_poll(rt_future *f, rt_context *cx)
{
    as_main *m = (as_main *)f;
    RT_BEGIN(&m->co);
    while (!atomic_load(&stop_now)) {
        m->round++;
        /* spawn + join, mutex, semaphore, channel */
        CHECK("as", as_channel_bounded(4, &m->tx, &m->rx) == 0, 0);
        for (m->i = 0; m->i < NWORKERS; m->i++) {
            as_worker w = { .base = { &as_worker_vtable }, .id = m->i };
            w.tx = as_sender_clone(&m->tx);
            CHECK("as", AS_SPAWN(w, &m->t[m->i]) == 0, m->i);
        }
        as_sender_drop(&m->tx);
        for (m->i = 0; m->i < NWORKERS; m->i++) {
            m->recv = as_recv(&m->rx);
            RT_AWAIT(&m->co, &m->recv, cx);
            CHECK("as", m->recv.err == 0 && (intptr_t)m->recv.item >= 1, m->recv.err);
        }
        for (m->i = 0; m->i < NWORKERS; m->i++) {
            RT_AWAIT(&m->co, as_task_join(&m->t[m->i]), cx);
            CHECK("as", as_task_outcome(&m->t[m->i]) == RT_OUTCOME_OK, m->i);
            rt_future_drop(as_task_join(&m->t[m->i])); /* the future goes, and its sender */
        }
        m->recv = as_recv(&m->rx);
        RT_AWAIT(&m->co, &m->recv, cx);
        CHECK("as", m->recv.err == -EPIPE, m->recv.err);
        as_receiver_drop(&m->rx);
        CHECK("as", as_counter == (long)m->round * NWORKERS, as_counter);

        /* join_all and select; a local task; cancel a sleeper; a task that panics */
        m->s1 = as_sleep(1);
        m->s2 = as_sleep(2);
        m->pair[0] = &m->s1.base;
        m->pair[1] = &m->s2.base;
        m->all = rt_join_all(m->pair, 2);
        RT_AWAIT(&m->co, &m->all, cx);
        m->s1 = as_sleep(1);
        m->s2 = as_sleep(60000);
        m->sel = rt_select(m->pair, 2);
        RT_AWAIT(&m->co, &m->sel, cx);
        CHECK("as", m->sel.winner == 0, m->sel.winner);
        {
            as_sleeper t = { .base = { &as_sleeper_vtable } };
            CHECK("as", AS_SPAWN(t, &m->st) == 0, 0);
            panicker p = { .base = { &panicker_vtable } };
            CHECK("as", AS_SPAWN(p, &m->pt) == 0, 0);
            as_sleeper l = { .base = { &as_sleeper_vtable } };
            CHECK("as", as_spawn_local(&l.base, sizeof l, &m->lt) == 0, 0);
        }
        as_task_cancel(&m->st);
        RT_AWAIT(&m->co, as_task_join(&m->st), cx);
        CHECK("as", as_task_outcome(&m->st) == RT_OUTCOME_CANCELLED, as_task_outcome(&m->st));
        rt_future_drop(as_task_join(&m->st));
        as_task_cancel(&m->lt);
        RT_AWAIT(&m->co, as_task_join(&m->lt), cx);
        CHECK("as", as_task_outcome(&m->lt) == RT_OUTCOME_CANCELLED, as_task_outcome(&m->lt));
        rt_future_drop(as_task_join(&m->lt));
        RT_AWAIT(&m->co, as_task_join(&m->pt), cx);
        CHECK("as", as_task_outcome(&m->pt) == RT_OUTCOME_PANICKED, as_task_outcome(&m->pt));
        rt_future_drop(as_task_join(&m->pt));

        /* timeout that fires, interval, spawn_blocking */
        m->long_sleep = as_sleep(1000);
        m->to = as_timeout(&m->long_sleep.base, 2);
        RT_AWAIT(&m->co, &m->to, cx);
        CHECK("as", m->to.timed_out == 1, m->to.timed_out);
        m->iv = as_interval_new(1);
        for (m->i = 0; m->i < 3; m->i++) {
            m->tick = as_interval_tick(&m->iv);
            RT_AWAIT(&m->co, &m->tick, cx);
        }
        m->blk = as_spawn_blocking(blocking_sum, (void *)(uintptr_t)1000);
        RT_AWAIT(&m->co, &m->blk, cx);
        CHECK("as", m->blk.err == 0 && (uintptr_t)m->blk.result == 500500u, m->blk.err);

        /* TCP */
        CHECK("as", as_tcp_listen("127.0.0.1:0", &m->l) == 0, 0);
        snprintf(m->addr, sizeof m->addr, "127.0.0.1:%d", as_io_local_port(m->l));
        m->conn = as_tcp_connect(m->addr);
        RT_AWAIT(&m->co, &m->conn, cx);
        CHECK("as", m->conn.err == 0, m->conn.err);
        m->a = m->conn.stream;
        m->acc = as_tcp_accept(m->l);
        RT_AWAIT(&m->co, &m->acc, cx);
        CHECK("as", m->acc.err == 0, m->acc.err);
        m->b = m->acc.stream;
        fill(m->out, NBYTES, m->round);
        m->wr = as_write_all(m->a, m->out, NBYTES);
        RT_AWAIT(&m->co, &m->wr, cx);
        CHECK("as", m->wr.err == 0, m->wr.err);
        m->rd = as_read_exact(m->b, m->in, NBYTES);
        RT_AWAIT(&m->co, &m->rd, cx);
        CHECK("as", m->rd.err == 0 && memcmp(m->in, m->out, NBYTES) == 0, m->rd.err);
        as_io_close(m->a);
        as_io_close(m->b);
        as_io_close(m->l);

        /* UDP */
        CHECK("as", as_udp_bind("127.0.0.1:0", &m->u1) == 0, 0);
        CHECK("as", as_udp_bind("127.0.0.1:0", &m->u2) == 0, 0);
        m->u2len = sizeof m->u2addr;
        CHECK("as", getsockname(as_io_fd(m->u2), (struct sockaddr *)&m->u2addr, &m->u2len) == 0,
              errno);
        m->usend = as_udp_send_to(m->u1, m->out, 512, (struct sockaddr *)&m->u2addr, m->u2len);
        RT_AWAIT(&m->co, &m->usend, cx);
        CHECK("as", m->usend.result == 512, m->usend.result);
        m->urecv = as_udp_recv_from(m->u2, m->in, NBYTES);
        RT_AWAIT(&m->co, &m->urecv, cx);
        CHECK("as", m->urecv.result == 512 && memcmp(m->in, m->out, 512) == 0, m->urecv.result);
        /* ... and connected: u1 -> u2 with plain write/read */
        snprintf(m->addr, sizeof m->addr, "127.0.0.1:%d", as_io_local_port(m->u2));
        CHECK("as", as_udp_connect(m->u1, m->addr) == 0, 0);
        m->wr = as_write_all(m->u1, m->out, 256);
        RT_AWAIT(&m->co, &m->wr, cx);
        CHECK("as", m->wr.err == 0, m->wr.err);
        m->urecv = as_udp_recv_from(m->u2, m->in, NBYTES);
        RT_AWAIT(&m->co, &m->urecv, cx);
        CHECK("as", m->urecv.result == 256, m->urecv.result);
        as_io_close(m->u1);
        as_io_close(m->u2);

        /* Unix stream pair */
        CHECK("as", as_unix_pair(&m->x, &m->y) == 0, 0);
        m->wr = as_write_all(m->x, m->out, NBYTES);
        RT_AWAIT(&m->co, &m->wr, cx);
        CHECK("as", m->wr.err == 0, m->wr.err);
        m->rd = as_read_exact(m->y, m->in, NBYTES);
        RT_AWAIT(&m->co, &m->rd, cx);
        CHECK("as", m->rd.err == 0 && memcmp(m->in, m->out, NBYTES) == 0, m->rd.err);
        as_io_close(m->x);
        as_io_close(m->y);

        /* Unix listener on a path */
        unlink(m->path);
        CHECK("as", as_unix_listen(m->path, &m->ul) == 0, errno);
        m->conn = as_unix_connect(m->path);
        RT_AWAIT(&m->co, &m->conn, cx);
        CHECK("as", m->conn.err == 0, m->conn.err);
        m->x = m->conn.stream;
        m->acc = as_unix_accept(m->ul);
        RT_AWAIT(&m->co, &m->acc, cx);
        CHECK("as", m->acc.err == 0, m->acc.err);
        m->y = m->acc.stream;
        m->wr = as_write_all(m->y, m->out, 1024);
        RT_AWAIT(&m->co, &m->wr, cx);
        CHECK("as", m->wr.err == 0, m->wr.err);
        m->rd = as_read_exact(m->x, m->in, 1024);
        RT_AWAIT(&m->co, &m->rd, cx);
        CHECK("as", m->rd.err == 0 && memcmp(m->in, m->out, 1024) == 0, m->rd.err);
        as_io_close(m->x);
        as_io_close(m->y);
        as_io_close(m->ul);
        unlink(m->path);
        atomic_fetch_add(&as_rounds, 1);
    }
    RT_END(&m->co);
}

/* as_main_drop: only the coroutine. */
static void as_main_drop(rt_future *f)
{
    rt_async_drop(&((as_main *)f)->co);
}

static const rt_future_vtable as_main_vtable = { as_main_poll, as_main_drop, "as_main" };

/* as_thread: the global as runtime running rounds until stop_now. */
static void *as_thread(void *arg)
{
    (void)arg;
    CHECK("as", as_mutex_init(&as_mu) == 0 && as_semaphore_init(&as_sem, 3) == 0, 0);
    static as_main m;
    memset(&m, 0, sizeof m);
    m.base.vtable = &as_main_vtable;
    snprintf(m.path, sizeof m.path, "/tmp/soak-%d-as.sock", (int)getpid());
    as_block_on(&m.base);
    rt_future_drop(&m.base);
    return NULL;
}

/* ===================================== sampling ========================================= */

/* rss_kib: VmRSS of this process. */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

/* fd_count: open descriptors of this process (the directory's own fd excluded). */
static int fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n - 1;
}

/* cmp_long: for qsort. */
static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* median: of v[from, to). */
static long median(const long *v, int from, int to)
{
    int n = to - from;
    long *c = malloc(sizeof *c * (size_t)n);
    memcpy(c, v + from, sizeof *c * (size_t)n);
    qsort(c, (size_t)n, sizeof *c, cmp_long);
    long m = c[n / 2];
    free(c);
    return m;
}

/* min_of: of v[from, to). */
static long min_of(const long *v, int from, int to)
{
    long m = v[from];
    for (int i = from; i < to; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

/* main: start both flavours, sample every second, stop them, judge flatness. */
int main(void)
{
    const char *env = getenv("SOAK_SECONDS");
    int secs = env ? atoi(env) : 300;
    const char *csv_path = getenv("SOAK_CSV") ? getenv("SOAK_CSV") : "soak.csv";
    if (secs < 30) {
        fprintf(stderr, "soak: SOAK_SECONDS must be at least 30 (got %d)\n", secs);
        return 2;
    }
    FILE *csv = fopen(csv_path, "w");
    if (!csv) {
        fprintf(stderr, "soak: cannot write %s: %s\n", csv_path, strerror(errno));
        return 2;
    }
    fprintf(csv, "second,rss_kib,fds,tk_rounds,as_rounds\n");
    long *rss = calloc((size_t)secs + 1, sizeof *rss), *fds = calloc((size_t)secs + 1, sizeof *fds);
    const char *leak = getenv("SOAK_LEAK");
    leak_fd = leak && strcmp(leak, "fd") == 0;
    leak_mem = leak && strcmp(leak, "mem") == 0;
    pthread_t mt, ct, at;
    pthread_create(&mt, NULL, tk_thread, "multi_thread");
    pthread_create(&ct, NULL, tk_thread, "current_thread");
    pthread_create(&at, NULL, as_thread, NULL);
    printf("soak: %d s, tk (multi_thread and current_thread) and as side by side%s; samples in "
           "%s\n", secs, leak_fd ? ", leaking an fd per tk round" :
           leak_mem ? ", leaking 4 KiB per tk round" : "", csv_path);
    fflush(stdout);
    uint64_t t0 = rt_monotonic_ns();
    for (int s = 1; s <= secs; s++) {
        uint64_t due = t0 + (uint64_t)s * 1000000000u, now = rt_monotonic_ns();
        if (due > now) {
            struct timespec ts = { (time_t)((due - now) / 1000000000u),
                                   (long)((due - now) % 1000000000u) };
            nanosleep(&ts, NULL);
        }
        rss[s] = rss_kib();
        fds[s] = fd_count();
        fprintf(csv, "%d,%ld,%ld,%lu,%lu\n", s, rss[s], fds[s], atomic_load(&tk_rounds),
                atomic_load(&as_rounds));
        fflush(csv);
    }
    atomic_store(&stop_now, 1);
    pthread_join(mt, NULL);
    pthread_join(ct, NULL);
    pthread_join(at, NULL);
    fclose(csv);

    /* Windows: the second minute and the last minute (or the second and last thirds). */
    int w = secs >= 180 ? 60 : secs / 3;
    int a0 = w + 1, a1 = 2 * w + 1, b0 = secs - w + 1, b1 = secs + 1;
    long rss_a = median(rss, a0, a1), rss_b = median(rss, b0, b1);
    long fd_a = min_of(fds, a0, a1), fd_b = min_of(fds, b0, b1);
    long slack = rss_a / 20 > 256 ? rss_a / 20 : 256;
    printf("soak: %lu tk rounds, %lu as rounds\n", atomic_load(&tk_rounds),
           atomic_load(&as_rounds));
    printf("soak: RSS median %ld KiB in s %d-%d, %ld KiB in s %d-%d (allowed +-%ld); first "
           "sample %ld KiB, last %ld KiB\n", rss_a, a0, a1 - 1, rss_b, b0, b1 - 1, slack, rss[1],
           rss[secs]);
    printf("soak: fds min %ld in s %d-%d, %ld in s %d-%d; first sample %ld, last %ld\n", fd_a,
           a0, a1 - 1, fd_b, b0, b1 - 1, fds[1], fds[secs]);
    int ok = labs(rss_b - rss_a) <= slack && fd_b == fd_a && atomic_load(&tk_rounds) > 0 &&
             atomic_load(&as_rounds) > 0;
    printf("soak: %s\n", ok ? "PASS (flat)" : "FAIL (not flat)");
    free(rss);
    free(fds);
    return ok ? 0 : 1;
}
