/* test_alloc_paths_tk.c: every allocation path of the tk flavour, failed at the Nth call for every N. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rt_alloc_sweep.h"
#include "rt_async.h"
#include "rt_testkit.h"
#include "tk_blocking.h"
#include "tk_net.h"
#include "tk_runtime.h"
#include "tk_sync.h"
#include "tk_testkit.h"
#include "tk_time.h"

/*
 * Paths covered. Each sweep builds a fresh runtime, runs a whole program on it and frees it,
 * with allocation n failing, for n = 1, 2, ... until a run has none left to fail; the first
 * error stops the program, which then closes what it opened. The sweep checks that the error is
 * -ENOMEM, that no descriptor and (under ASan) no byte leaked, and that a clean run right after
 * works. Allocations are listed in the order the program makes them.
 *
 * | path                                  | allocations it makes                   | on failure                       |
 * |---------------------------------------|----------------------------------------|----------------------------------|
 * | tk_builder_build, current_thread and  | runtime, poller (3), wheel, blocking   | -ENOMEM, everything unwound      |
 * |   multi_thread (2 workers), io + time | pool, workers, idle lists (mt)         |                                  |
 * | tk_runtime_block_on (multi_thread)    | the rt_block_on executor               | panic "out of memory" (void API) |
 * | tk_tcp_listener_bind                  | the first page of IO registrations     | -ENOMEM, socket closed           |
 * | tk_tcp_connect / tk_tcp_accept        | (registration slots: no allocation)    |                                  |
 * | tk_udp_bind, send_to, recv_from       | -                                      |                                  |
 * | tk_unix_stream_pair, unix bind/connect| -                                      |                                  |
 * | tk_oneshot_channel                    | the channel                            | -ENOMEM, handles empty           |
 * | tk_mpsc_unbounded_channel + 100 sends | channel, ring growth (8,16,..,128)     | -ENOMEM, channel intact          |
 * | tk_mpsc_channel (bounded 4)           | channel with its ring                  | -ENOMEM                          |
 * | tk_spawn x3 + join                    | the tasks                              | -ENOMEM, future not taken        |
 * | tk_spawn_blocking + join              | task, pool job, pool thread record     | -ENOMEM (task) or the handle     |
 * |                                       |                                        | reports cancelled, with a message|
 * | tk_sleep (1 ms)                       | - (intrusive wheel entry)              |                                  |
 * | tk_runtime_metrics                    | the per-worker array                   | workers 0, per_worker NULL       |
 * | current_thread block_on from a second | a waiter record                        | absorbed: waits for the core     |
 * |   thread while the core is taken      |                                        |   (test_ct_waiter, not a sweep)  |
 *
 * tk_mutex, tk_notify, tk_semaphore, tk_sleep/timeout/interval and the IO registrations after
 * the first page are intrusive: they allocate nothing, so there is nothing to fail.
 */

enum { SWEEP_MAX = 400 };

/* ---- the program ------------------------------------------------------------------------ */

typedef struct prog {
    rt_future base;
    rt_async co;
    int err;                  /* the first error; later steps are skipped */
    const char *where;        /* which step it came from */
    int i, nspawned;
    tk_tcp_listener l;
    tk_tcp_stream c, s;
    tk_connect_fut conn;
    tk_accept_fut acc;
    tk_write_all_fut wr;
    tk_read_exact_fut rd;
    tk_udp_socket ua, ub;
    tk_udp_send_fut us;
    tk_udp_recv_fut ur;
    tk_unix_stream pa, pb;
    tk_unix_listener ul;
    char path[64];
    tk_oneshot_tx otx;
    tk_oneshot_rx orx;
    tk_oneshot_recv_fut orecv;
    tk_join_handle jh[4];
    tk_sleep_fut nap;
    int value;
    char buf[8];
} prog;

/* prog_fail: remember the first error and where it happened. */
static void prog_fail(prog *p, int rc, const char *where)
{
    rt_first_error(&p->err, &p->where, rc, where);
}

/* prog_close: close whatever is open (each close is idempotent on a closed handle). */
static void prog_close(prog *p)
{
    tk_tcp_stream_close(&p->c);
    tk_tcp_stream_close(&p->s);
    tk_tcp_listener_close(&p->l);
    tk_udp_close(&p->ua);
    tk_udp_close(&p->ub);
    tk_unix_stream_close(&p->pa);
    tk_unix_stream_close(&p->pb);
    tk_unix_listener_close(&p->ul);
    unlink(p->path);
    tk_oneshot_tx_drop(&p->otx);
    tk_oneshot_rx_drop(&p->orx);
}

/* prog_channels: the synchronous channel paths (no await needed). */
static void prog_channels(prog *p)
{
    tk_mpsc_tx tx;
    tk_mpsc_rx rx;
    int rc = tk_mpsc_unbounded_channel(sizeof(int), &tx, &rx);
    if (rc != 0)
        return prog_fail(p, rc, "mpsc unbounded channel");
    int sent = 0;
    for (; sent < 100; sent++)
        if ((rc = tk_mpsc_unbounded_send(&tx, &sent)) != 0)
            break;
    for (int i = 0; i < sent; i++) {
        int v = -1;
        ck_assert_int_eq(tk_mpsc_try_recv(&rx, &v), 0);
        ck_assert_int_eq(v, i); /* a failed growth lost nothing and kept the order */
    }
    tk_mpsc_sender_drop(&tx);
    ck_assert_int_eq(tk_mpsc_try_recv(&rx, &sent), -EPIPE);
    tk_mpsc_receiver_drop(&rx);
    if (rc != 0)
        return prog_fail(p, rc, "mpsc unbounded send");
    if ((rc = tk_mpsc_channel(4, sizeof(int), &tx, &rx)) != 0)
        return prog_fail(p, rc, "mpsc bounded channel");
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(tk_mpsc_try_send(&tx, &i), 0);
    ck_assert_int_eq(tk_mpsc_try_send(&tx, &sent), -EAGAIN);
    tk_mpsc_receiver_drop(&rx);
    tk_mpsc_sender_drop(&tx);
}

/* prog_poll: every step in turn, each only if nothing failed before it. */
static rt_poll prog_poll(rt_future *f, rt_context *cx)
{
    prog *p = (prog *)f;
    int rc;
    RT_BEGIN(&p->co);
    /* TCP: bind, connect, accept, five bytes across. */
    if ((rc = tk_tcp_listener_bind("127.0.0.1", 0, &p->l)) != 0)
        prog_fail(p, rc, "tcp bind");
    if (!p->err) {
        p->conn = tk_tcp_connect("127.0.0.1", (unsigned)tk_tcp_listener_local_port(&p->l));
        RT_AWAIT(&p->co, &p->conn, cx);
        if (p->conn.result != 0)
            prog_fail(p, p->conn.result, "tcp connect");
        else
            p->c = p->conn.stream;
    }
    if (!p->err) {
        p->acc = tk_tcp_accept(&p->l);
        RT_AWAIT(&p->co, &p->acc, cx);
        if (p->acc.result != 0)
            prog_fail(p, p->acc.result, "tcp accept");
        else
            p->s = p->acc.stream;
    }
    if (!p->err) {
        p->wr = tk_tcp_write_all(&p->c, "hello", 5);
        RT_AWAIT(&p->co, &p->wr, cx);
        ck_assert_int_eq(p->wr.result, 0);
        p->rd = tk_tcp_read_exact(&p->s, p->buf, 5);
        RT_AWAIT(&p->co, &p->rd, cx);
        ck_assert_int_eq(p->rd.result, 0);
        ck_assert(memcmp(p->buf, "hello", 5) == 0);
    }
    /* UDP: one datagram from a to b. */
    if (!p->err && (rc = tk_udp_bind("127.0.0.1", 0, &p->ua)) != 0)
        prog_fail(p, rc, "udp bind a");
    if (!p->err && (rc = tk_udp_bind("127.0.0.1", 0, &p->ub)) != 0)
        prog_fail(p, rc, "udp bind b");
    if (!p->err) {
        tk_sockaddr to;
        ck_assert_int_eq(tk_udp_local_addr(&p->ub, &to), 0);
        p->us = tk_udp_send_to(&p->ua, "dgram", 5, &to);
        RT_AWAIT(&p->co, &p->us, cx);
        ck_assert_int_eq(p->us.result, 5);
        p->ur = tk_udp_recv_from(&p->ub, p->buf, sizeof p->buf);
        RT_AWAIT(&p->co, &p->ur, cx);
        ck_assert_int_eq(p->ur.result, 5);
    }
    /* Unix: a pair, then a listener and a connection to it. */
    if (!p->err && (rc = tk_unix_stream_pair(&p->pa, &p->pb)) != 0)
        prog_fail(p, rc, "unix pair");
    if (!p->err) {
        p->wr = tk_unix_write_all(&p->pa, "pair", 4);
        RT_AWAIT(&p->co, &p->wr, cx);
        ck_assert_int_eq(p->wr.result, 0);
        p->rd = tk_unix_read_exact(&p->pb, p->buf, 4);
        RT_AWAIT(&p->co, &p->rd, cx);
        ck_assert_int_eq(p->rd.result, 0);
    }
    if (!p->err && (rc = tk_unix_listener_bind(p->path, &p->ul)) != 0)
        prog_fail(p, rc, "unix bind");
    if (!p->err) {
        tk_unix_stream_close(&p->pa);
        p->conn = tk_unix_connect(p->path);
        RT_AWAIT(&p->co, &p->conn, cx);
        if (p->conn.result != 0)
            prog_fail(p, p->conn.result, "unix connect");
        else
            p->pa = p->conn.stream;
    }
    /* oneshot */
    if (!p->err && (rc = tk_oneshot_channel(sizeof(int), &p->otx, &p->orx)) != 0)
        prog_fail(p, rc, "oneshot channel");
    if (!p->err) {
        p->value = 41;
        ck_assert_int_eq(tk_oneshot_send(&p->otx, &p->value), 0);
        p->orecv = tk_oneshot_recv(&p->orx, &p->value);
        RT_AWAIT(&p->co, &p->orecv, cx);
        ck_assert_int_eq(p->orecv.result, 0);
    }
    if (!p->err)
        prog_channels(p);
    /* spawn three tasks and join them */
    for (p->nspawned = 0; !p->err && p->nspawned < 3; p->nspawned++) {
        rt_yielder y = rt_yielder_new();
        if ((rc = tk_spawn(&y.base, sizeof y, &p->jh[p->nspawned])) != 0)
            prog_fail(p, rc, "tk_spawn");
        if (rc != 0)
            break; /* the future was not taken, and holds nothing */
    }
    for (p->i = 0; p->i < p->nspawned; p->i++) {
        RT_AWAIT(&p->co, &p->jh[p->i], cx);
        ck_assert_int_eq(p->jh[p->i].outcome, RT_OUTCOME_OK);
        ck_assert_int_eq(((rt_yielder *)rt_join_handle_output(&p->jh[p->i]))->out, 7);
        rt_future_drop(&p->jh[p->i].base);
    }
    /* spawn_blocking: refused by the pool means a cancelled handle (tk prints why) */
    if (!p->err && (rc = tk_spawn_blocking(rt_echo_arg, p, &p->jh[3])) != 0)
        prog_fail(p, rc, "tk_spawn_blocking");
    if (!p->err) {
        RT_AWAIT(&p->co, &p->jh[3], cx);
        if (p->jh[3].outcome == RT_OUTCOME_CANCELLED)
            prog_fail(p, -ENOMEM, "spawn_blocking: the pool refused the job");
        else
            ck_assert_ptr_eq(tk_blocking_result(&p->jh[3]), p);
        rt_future_drop(&p->jh[3].base);
    }
    if (!p->err) {
        p->nap = tk_sleep(1);
        RT_AWAIT(&p->co, &p->nap, cx);
    }
    prog_close(p);
    RT_END(&p->co);
}

static const rt_future_vtable prog_vtable = { prog_poll, NULL, "alloc_paths_prog" };

/* run_prog: build, run the program, take a metrics snapshot, free. 0 or the first error. */
static int run_prog(tk_flavor flavor)
{
    tk_builder b = flavor == TK_CURRENT_THREAD ? tk_builder_new_current_thread()
                                               : tk_builder_new_multi_thread();
    tk_builder_enable_all(&b);
    tk_builder_worker_threads(&b, 2);
    tk_runtime *rt = NULL;
    int rc = tk_builder_build(&b, &rt);
    if (rc != 0)
        return rc;
    static prog p;
    memset(&p, 0, sizeof p);
    p.base.vtable = &prog_vtable;
    p.c.fd = p.s.fd = p.l.fd = p.ua.fd = p.ub.fd = p.pa.fd = p.pb.fd = p.ul.fd = -1;
    snprintf(p.path, sizeof p.path, "/tmp/alloc-paths-tk-%d.sock", (int)getpid());
    unlink(p.path);
    /* block_on has no error channel: out of memory there is a panic, caught here. */
    rt_panic_frame frame;
    rt_panic_push(&frame);
    if (setjmp(frame.env) == 0) {
        tk_runtime_block_on(rt, &p.base);
        rt_panic_pop(&frame);
    } else {
        ck_assert_msg(strstr(frame.message, "out of memory") != NULL, "panic: %s", frame.message);
        prog_close(&p);
        prog_fail(&p, -ENOMEM, "block_on");
    }
    if (p.err == 0) {
        rt_runtime_metrics m = tk_runtime_metrics(rt);
        if (m.per_worker == NULL) {
            ck_assert_uint_eq(m.workers, 0); /* the documented "no snapshot" */
            prog_fail(&p, -ENOMEM, "metrics");
        }
        tk_runtime_metrics_free(&m);
    }
    tk_runtime_free(rt);
    rt_say_step_error(p.err, p.where);
    return p.err;
}

/* ct_op / mt_op: the sweep's operation on each scheduler. */
static int ct_op(void *arg)
{
    (void)arg;
    return run_prog(TK_CURRENT_THREAD);
}

static int mt_op(void *arg)
{
    (void)arg;
    return run_prog(TK_MULTI_THREAD);
}

START_TEST(test_current_thread)
{
    rt_alloc_sweep("tk current_thread: build..free", ct_op, NULL, -ENOMEM, SWEEP_MAX);
    rt_check_tasks_balanced();
}
END_TEST

START_TEST(test_multi_thread)
{
    rt_alloc_sweep("tk multi_thread: build..free", mt_op, NULL, -ENOMEM, SWEEP_MAX);
    rt_check_tasks_balanced();
}
END_TEST

/* build_only_op: the builder alone, for each combination of drivers. */
static int build_only_op(void *arg)
{
    int mode = *(int *)arg; /* bit 0: multi_thread, bit 1: io, bit 2: time */
    tk_builder b = mode & 1 ? tk_builder_new_multi_thread() : tk_builder_new_current_thread();
    if (mode & 2)
        tk_builder_enable_io(&b);
    if (mode & 4)
        tk_builder_enable_time(&b);
    tk_builder_worker_threads(&b, 3);
    tk_runtime *rt = NULL;
    int rc = tk_builder_build(&b, &rt);
    if (rc == 0)
        tk_runtime_free(rt);
    return rc;
}

START_TEST(test_builder_combinations)
{
    for (int mode = 0; mode < 8; mode++) {
        char what[64];
        snprintf(what, sizeof what, "tk build %s%s%s", mode & 1 ? "mt" : "ct",
                 mode & 2 ? "+io" : "", mode & 4 ? "+time" : "");
        rt_alloc_sweep(what, build_only_op, &mode, -ENOMEM, SWEEP_MAX);
    }
}
END_TEST

/* ---- current_thread: a second block_on while another thread holds the core ------------- */

/* The holder's main future: says it has the core (its first poll), then waits for the slot. */
typedef struct gate {
    rt_future base;
    slot_wait w;
    _Atomic int *entered;
} gate;

/* gate_poll: the flag, then the slot. */
static rt_poll gate_poll(rt_future *f, rt_context *cx)
{
    gate *g = (gate *)f;
    atomic_store(g->entered, 1);
    return rt_future_poll(&g->w.base, cx);
}

/* gate_drop: the slot wait's. */
static void gate_drop(rt_future *f)
{
    rt_future_drop(&((gate *)f)->w.base);
}

static const rt_future_vtable gate_vtable = { gate_poll, gate_drop, "gate" };

typedef struct ct_case {
    tk_runtime *rt;
    slot s;
    _Atomic int entered;
    long before;
} ct_case;

/* holder_main: block_on the gate, taking the core. */
static void *holder_main(void *arg)
{
    ct_case *c = arg;
    gate g = { .base = { &gate_vtable }, .w = slot_wait_new(&c->s), .entered = &c->entered };
    tk_runtime_block_on(c->rt, &g.base);
    rt_future_drop(&g.base);
    return NULL;
}

/* firer_main: once the main thread's waiter allocation has failed, let the holder finish. */
static void *firer_main(void *arg)
{
    ct_case *c = arg;
    while (rt_alloc_injected_failures() == c->before)
        sched_yield();
    slot_fire(&c->s);
    return NULL;
}

/* Not a sweep: the one allocation is made only while another thread holds the core. Its
 * failure is absorbed -- the thread waits for the core instead of polling its future
 * meanwhile -- and the future still runs exactly once. The holder is parked in the driver and
 * the firer only spins, so the armed failure cannot land on another thread's allocation. */
START_TEST(test_ct_waiter)
{
    static ct_case c;
    tk_builder b = tk_builder_new_current_thread();
    tk_builder_enable_all(&b);
    ck_assert_int_eq(tk_builder_build(&b, &c.rt), 0);
    slot_init(&c.s);
    pthread_t holder, firer;
    ck_assert_int_eq(pthread_create(&holder, NULL, holder_main, &c), 0);
    while (!atomic_load(&c.entered))
        sched_yield();
    c.before = rt_alloc_injected_failures();
    ck_assert_int_eq(pthread_create(&firer, NULL, firer_main, &c), 0);
    _Atomic int polls = 0;
    rt_probe p = rt_probe_new(&polls, NULL);
    rt_alloc_fail_after(1);
    tk_runtime_block_on(c.rt, &p.base);
    rt_alloc_fail_after(0);
    ck_assert_int_eq(rt_alloc_injected_failures(), c.before + 1);
    int n = atomic_load(&polls);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(p.output, 42);
    pthread_join(firer, NULL);
    pthread_join(holder, NULL);
    tk_runtime_free(c.rt);
    printf("alloc-sweep %-40s runs=1 injected=1 reported=0 absorbed=1\n", "tk ct waiter");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("alloc_paths_tk");
    TCase *tc = tcase_create("tk");
    tcase_add_test(tc, test_builder_combinations);
    tcase_add_test(tc, test_current_thread);
    tcase_add_test(tc, test_multi_thread);
    tcase_add_test(tc, test_ct_waiter);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
