/* test_alloc_paths_as.c: every allocation path of the as flavour, failed at the Nth call for every N. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as.h"
#include "rt_alloc.h"
#include "rt_alloc_sweep.h"
#include "rt_testkit.h"

/*
 * The runtime is global and starts once per process, so every n runs in a fresh child process
 * (rt_alloc_sweep_forked): start the runtime, run a whole program, exit (the runtime shuts
 * down at exit). The first error stops the program, which closes what it opened; the child
 * then checks the documented state -- a runtime that started must run the program again
 * cleanly, one that could not start must refuse every later call with the same clear error --
 * and exits, where LeakSanitizer (ASan build) checks that nothing leaked.
 *
 * | path                                  | allocations it makes                     | on failure                        |
 * |---------------------------------------|------------------------------------------|-----------------------------------|
 * | runtime start (first as_spawn)        | runtime, poller, timer heap, sleepers,   | as_spawn -ENOMEM and "as: the     |
 * |                                       | workers, metrics snapshot, a ring per    | runtime could not start: ..." on  |
 * |                                       | worker, blocking pool                    | stderr; later calls: same error   |
 * | as_spawn x3, as_spawn_local           | the tasks                                | -ENOMEM, the future not taken     |
 * | as_block_on                           | thread context (once), a level record    | panic "out of memory" (void API)  |
 * | as_block_on inside a task (a worker)  | the worker's context (once), a level     | the task panics; join: panicked   |
 * | as_spawn_blocking                     | job, pool job, pool thread record        | err -ENOMEM in the future         |
 * | as_channel_unbounded + 100 try_sends  | channel, ring, ring growth               | -ENOMEM, the channel intact       |
 * | as_channel_bounded (4)                | channel, ring                            | -ENOMEM                           |
 * | as_tcp_listen / connect / accept      | as_io each, the reactor's slot table     | -ENOMEM, fd closed                |
 * |                                       | (first 64 slots, then growth to 128)     |                                   |
 * | as_tcp_connect by name ("localhost")  | lookup request, blocking job, lookup     | err -ENOMEM                       |
 * |                                       | result (on a pool thread)                |                                   |
 * | as_udp_bind, send_to, recv_from       | as_io                                    | -ENOMEM                           |
 * | as_unix_pair, unix listen/connect     | as_io each                               | -ENOMEM                           |
 * | as_sleep x70 as as_block_on's own     | timer heap growth, 64 -> 128             | a panic "as_sleep: out of memory  |
 * |   future                              |                                          | arming a timer" leaves as_block_on|
 * |                                       |                                          | (no err field), and the thread    |
 * |                                       |                                          | can block_on again                |
 * | as_sleep x140 in a task               | timer heap growth, 128 -> 256            | the same panic, caught by the     |
 * |                                       |                                          | task: its join says panicked      |
 *
 * as_mutex, as_semaphore, as_timeout, as_interval and as_metrics allocate nothing (the metrics
 * snapshot array is made when the runtime starts).
 */

enum { SWEEP_MAX = 300, NSLEEPS = 140, NPAIRS = 31 };

/* ---- small futures ---------------------------------------------------------------------- */

/* sleeper: arm n timers at once (the heap must grow), then wait for all of them. */
typedef struct sleeper {
    rt_future base;
    rt_async co;
    int i, n;
    as_sleep_fut s[NSLEEPS];
} sleeper;

/* sleeper_poll: the first loop arms every timer (a poll each); the second waits. */
static rt_poll sleeper_poll(rt_future *f, rt_context *cx)
{
    sleeper *sl = (sleeper *)f;
    RT_BEGIN(&sl->co);
    for (sl->i = 0; sl->i < sl->n; sl->i++) {
        sl->s[sl->i] = as_sleep(1 + (uint64_t)(sl->i % 3));
        (void)rt_future_poll(&sl->s[sl->i].base, cx);
    }
    for (sl->i = 0; sl->i < sl->n; sl->i++)
        RT_AWAIT(&sl->co, &sl->s[sl->i], cx);
    RT_END(&sl->co);
}

/* sleeper_drop: cancel what is still armed (a panic leaves some armed). */
static void sleeper_drop(rt_future *f)
{
    sleeper *sl = (sleeper *)f;
    for (int i = 0; i < NSLEEPS; i++)
        if (sl->s[i].base.vtable != NULL)
            rt_future_drop(&sl->s[i].base);
}

static const rt_future_vtable sleeper_vtable = { sleeper_poll, sleeper_drop, "sleeper" };

/* nester: a task that calls as_block_on on its worker thread (a context for that thread, a
 * level record), with a yielder as the inner future. */
typedef struct nester {
    rt_future base;
    int out;
} nester;

/* nester_poll: one nested block_on, then ready with the yielder's output. */
static rt_poll nester_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    nester *n = (nester *)f;
    rt_yielder y = rt_yielder_new();
    as_block_on(&y.base);
    n->out = y.out;
    return RT_READY;
}

static const rt_future_vtable nester_vtable = { nester_poll, NULL, "nester" };

/* ---- the program ------------------------------------------------------------------------ */

typedef struct prog {
    rt_future base;
    rt_async co;
    int err;
    const char *where;
    int i, nspawned;
    as_task t[6];
    as_blocking_fut blk;
    as_io *l, *c, *s, *ua, *ub, *ul, *pa[NPAIRS], *pb[NPAIRS];
    as_connect_fut conn;
    as_accept_fut acc;
    as_write_all_fut wr;
    as_read_exact_fut rd;
    as_send_to_fut us;
    as_recv_from_fut ur;
    char addr[64], path[64], buf[8];
} prog;

static prog P;

/* prog_fail: the first error and its step. */
static void prog_fail(prog *p, int rc, const char *where)
{
    rt_first_error(&p->err, &p->where, rc, where);
}

/* close_io: as_io_close, once. */
static void close_io(as_io **io)
{
    if (*io != NULL)
        as_io_close(*io);
    *io = NULL;
}

/* prog_close: everything the program may have open. */
static void prog_close(prog *p)
{
    close_io(&p->l), close_io(&p->c), close_io(&p->s);
    close_io(&p->ua), close_io(&p->ub), close_io(&p->ul);
    for (int i = 0; i < NPAIRS; i++)
        close_io(&p->pa[i]), close_io(&p->pb[i]);
    unlink(p->path);
}

/* prog_channels: both channel kinds, synchronously. */
static void prog_channels(prog *p)
{
    as_sender tx;
    as_receiver rx;
    int rc = as_channel_unbounded(&tx, &rx);
    if (rc != 0)
        return prog_fail(p, rc, "channel unbounded");
    uintptr_t sent = 0;
    while (sent < 100 && (rc = as_try_send(&tx, (void *)(sent + 1))) == 0)
        sent++;
    for (uintptr_t i = 1; i <= sent; i++) {
        void *item = NULL;
        ck_assert_int_eq(as_try_recv(&rx, &item), 0);
        ck_assert_ptr_eq(item, (void *)i); /* a failed growth lost nothing */
    }
    as_sender_drop(&tx);
    as_receiver_drop(&rx);
    if (rc != 0)
        return prog_fail(p, rc, "channel send");
    if ((rc = as_channel_bounded(4, &tx, &rx)) != 0)
        return prog_fail(p, rc, "channel bounded");
    as_sender_drop(&tx);
    as_receiver_drop(&rx);
}

/* prog_poll: each step only if nothing failed before it. */
static rt_poll prog_poll(rt_future *f, rt_context *cx)
{
    prog *p = (prog *)f;
    int rc;
    RT_BEGIN(&p->co);
    /* tasks: t[0] was spawned before block_on; two more, one local, the sleeper, the nester */
    for (p->nspawned = 1; !p->err && p->nspawned < 6; p->nspawned++) {
        rt_yielder y = rt_yielder_new();
        sleeper s = { .base = { &sleeper_vtable }, .n = NSLEEPS }; /* the heap: 128 -> 256 */
        nester n = { .base = { &nester_vtable } };
        if (p->nspawned == 5)
            rc = AS_SPAWN(n, &p->t[p->nspawned]);
        else if (p->nspawned == 4)
            rc = AS_SPAWN(s, &p->t[p->nspawned]);
        else if (p->nspawned == 3)
            rc = as_spawn_local(&y.base, sizeof y, &p->t[p->nspawned]);
        else
            rc = AS_SPAWN(y, &p->t[p->nspawned]);
        if (rc != 0) {
            prog_fail(p, rc, "spawn");
            break;
        }
    }
    for (p->i = 0; p->i < p->nspawned; p->i++) {
        RT_AWAIT(&p->co, as_task_join(&p->t[p->i]), cx);
        if (p->i == 4 && as_task_outcome(&p->t[4]) == RT_OUTCOME_PANICKED) {
            /* the sleeper's only possible panic: no room to arm a timer */
            ck_assert_str_eq(as_task_panic_message(&p->t[4]), "as_sleep: out of memory arming a timer");
            prog_fail(p, -ENOMEM, "sleep");
        } else if (p->i == 5 && as_task_outcome(&p->t[5]) == RT_OUTCOME_PANICKED) {
            /* the nested as_block_on's: no room for the worker's context or a level */
            const char *msg = as_task_panic_message(&p->t[5]);
            ck_assert_msg(strstr(msg, "out of memory") != NULL, "nester panicked: %s", msg);
            prog_fail(p, -ENOMEM, "nested block_on");
        } else {
            ck_assert_int_eq(as_task_outcome(&p->t[p->i]), RT_OUTCOME_OK);
            if (p->i == 5)
                ck_assert_int_eq(((nester *)as_task_output(&p->t[5]))->out, 7);
        }
        if (p->i < 4)
            ck_assert_int_eq(((rt_yielder *)as_task_output(&p->t[p->i]))->out, 7);
        rt_future_drop(as_task_join(&p->t[p->i]));
    }
    if (!p->err) {
        p->blk = as_spawn_blocking(rt_echo_arg, p);
        RT_AWAIT(&p->co, &p->blk, cx);
        if (p->blk.err != 0)
            prog_fail(p, p->blk.err, "spawn_blocking");
        else
            ck_assert_ptr_eq(p->blk.result, p);
    }
    if (!p->err)
        prog_channels(p);
    /* TCP by address, then by name (the lookup runs on the blocking pool) */
    if (!p->err && (rc = as_tcp_listen("127.0.0.1:0", &p->l)) != 0)
        prog_fail(p, rc, "tcp listen");
    for (p->i = 0; p->i < 2 && !p->err; p->i++) {
        snprintf(p->addr, sizeof p->addr, "%s:%d", p->i == 0 ? "127.0.0.1" : "localhost",
                 as_io_local_port(p->l));
        p->conn = as_tcp_connect(p->addr);
        RT_AWAIT(&p->co, &p->conn, cx);
        if (p->conn.err != 0) {
            prog_fail(p, p->conn.err, "tcp connect");
            break;
        }
        p->c = p->conn.stream;
        p->acc = as_tcp_accept(p->l);
        RT_AWAIT(&p->co, &p->acc, cx);
        if (p->acc.err != 0) {
            prog_fail(p, p->acc.err, "tcp accept");
            break;
        }
        p->s = p->acc.stream;
        p->wr = as_write_all(p->c, "hello", 5);
        RT_AWAIT(&p->co, &p->wr, cx);
        ck_assert_int_eq(p->wr.err, 0);
        p->rd = as_read_exact(p->s, p->buf, 5);
        RT_AWAIT(&p->co, &p->rd, cx);
        ck_assert_int_eq(p->rd.err, 0);
        close_io(&p->c), close_io(&p->s);
    }
    /* UDP */
    if (!p->err && (rc = as_udp_bind("127.0.0.1:0", &p->ua)) != 0)
        prog_fail(p, rc, "udp bind a");
    if (!p->err && (rc = as_udp_bind("127.0.0.1:0", &p->ub)) != 0)
        prog_fail(p, rc, "udp bind b");
    if (!p->err) {
        struct sockaddr_storage to;
        socklen_t len;
        snprintf(p->addr, sizeof p->addr, "127.0.0.1:%d", as_io_local_port(p->ub));
        ck_assert_int_eq(as_addr_parse(p->addr, &to, &len), 0);
        p->us = as_udp_send_to(p->ua, "dgram", 5, (struct sockaddr *)&to, len);
        RT_AWAIT(&p->co, &p->us, cx);
        ck_assert_int_eq(p->us.result, 5);
        p->ur = as_udp_recv_from(p->ub, p->buf, sizeof p->buf);
        RT_AWAIT(&p->co, &p->ur, cx);
        ck_assert_int_eq(p->ur.result, 5);
    }
    /* Unix: 31 pairs (with l, ua, ub: 65 handles, past the reactor's first 64 slots), then a listener and a connection */
    for (p->i = 0; p->i < NPAIRS && !p->err; p->i++)
        if ((rc = as_unix_pair(&p->pa[p->i], &p->pb[p->i])) != 0)
            prog_fail(p, rc, "unix pair");
    if (!p->err) {
        p->wr = as_write_all(p->pa[NPAIRS - 1], "pair", 4);
        RT_AWAIT(&p->co, &p->wr, cx);
        ck_assert_int_eq(p->wr.err, 0);
        p->rd = as_read_exact(p->pb[NPAIRS - 1], p->buf, 4);
        RT_AWAIT(&p->co, &p->rd, cx);
        ck_assert_int_eq(p->rd.err, 0);
    }
    if (!p->err && (rc = as_unix_listen(p->path, &p->ul)) != 0)
        prog_fail(p, rc, "unix listen");
    if (!p->err) {
        p->conn = as_unix_connect(p->path);
        RT_AWAIT(&p->co, &p->conn, cx);
        if (p->conn.err != 0)
            prog_fail(p, p->conn.err, "unix connect");
        else
            p->c = p->conn.stream;
    }
    prog_close(p);
    RT_END(&p->co);
}

static const rt_future_vtable prog_vtable = { prog_poll, NULL, "alloc_paths_prog" };

/* fds_settle: the open descriptor count once it reaches `want`, or after 2 s. A closed handle's
 * fd goes with its last reference, which the reactor thread may hold a moment longer while it
 * dispatches an event; that is a wait, not a leak. */
static int fds_settle(int want)
{
    int n = rt_open_fds();
    for (int i = 0; i < 200 && n != want; i++) {
        usleep(10 * 1000);
        n = rt_open_fds();
    }
    return n;
}

/* run_prog: spawn t[0] from outside (this starts the runtime), then block_on the program.
 * Descriptors are counted once the runtime is up: its own stay open by design. */
static int run_prog(void *arg)
{
    (void)arg;
    memset(&P, 0, sizeof P);
    P.base.vtable = &prog_vtable;
    snprintf(P.path, sizeof P.path, "/tmp/alloc-paths-as-%d.sock", (int)getpid());
    unlink(P.path);
    rt_yielder y = rt_yielder_new();
    int rc = AS_SPAWN(y, &P.t[0]);
    if (rc != 0)
        return rc;
    int fds = rt_open_fds();
    rt_panic_frame frame;
    /* A panic in block_on's own future (no task harness around it) propagates out of
     * as_block_on, as in Rust; this thread must be able to block_on again afterwards (the
     * clean run that follows a failed one in this process does). */
    static sleeper S;
    {
        memset(&S, 0, sizeof S);
        S.base.vtable = &sleeper_vtable;
        S.n = 70; /* the heap: 64 -> 128 */
        rt_panic_push(&frame);
        if (setjmp(frame.env) == 0) {
            as_block_on(&S.base);
            rt_panic_pop(&frame);
        } else {
            ck_assert_msg(strstr(frame.message, "out of memory") != NULL, "panic: %s",
                          frame.message);
            prog_fail(&P, -ENOMEM, "block_on(sleeper)");
        }
        rt_future_drop(&S.base);
    }
    rt_panic_push(&frame);
    if (P.err != 0) {
        rt_panic_pop(&frame);
        rt_future_drop(as_task_join(&P.t[0]));
    } else if (setjmp(frame.env) == 0) {
        as_block_on(&P.base);
        rt_panic_pop(&frame);
    } else {
        /* block_on has no error channel: its out of memory is a panic, before any poll. */
        ck_assert_msg(strstr(frame.message, "out of memory") != NULL, "panic: %s", frame.message);
        rt_future_drop(as_task_join(&P.t[0]));
        prog_close(&P);
        prog_fail(&P, -ENOMEM, "block_on");
    }
    int now = fds_settle(fds);
    ck_assert_msg(now == fds, "%d descriptors leaked (step %s)", now - fds,
                  P.where ? P.where : "none");
    rt_say_step_error(P.err, P.where);
    return P.err;
}

/* after_failure: a runtime that started runs the program cleanly again; one that could not
 * start refuses with the same error, and says so, every time. */
static int after_failure(void *arg)
{
    if (!as_runtime_is_started()) {
        rt_yielder y = rt_yielder_new();
        as_task t;
        ck_assert_int_eq(AS_SPAWN(y, &t), -ENOMEM);
        ck_assert_int_eq(as_thread_count(), 0);
        return 0;
    }
    return run_prog(arg);
}

START_TEST(test_start_and_program)
{
    rt_alloc_sweep_forked("as start + program", run_prog, after_failure, NULL, -ENOMEM,
                          SWEEP_MAX);
}
END_TEST

/* A main future that panics on its first poll, as the sleeper above does when out of memory. */
static rt_poll panicky_poll(rt_future *f, rt_context *cx)
{
    (void)f, (void)cx;
    rt_panic("panicky: out of memory (simulated)");
}

static const rt_future_vtable panicky_vtable = { panicky_poll, NULL, "panicky" };

/* A main future that spawns a local task which never finishes, then returns. */
typedef struct local_spawner {
    rt_future base;
    _Atomic int *drops;
} local_spawner;

/* local_spawner_poll: the local task must be cancelled when the outermost block_on returns. */
static rt_poll local_spawner_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    local_spawner *ls = (local_spawner *)f;
    rt_probe p = rt_probe_new(NULL, ls->drops);
    p.pending_polls = 1000000;
    as_task t;
    ck_assert_int_eq(as_spawn_local(&p.base, sizeof p, &t), 0);
    as_task_detach(&t);
    return RT_READY;
}

static const rt_future_vtable local_spawner_vtable = { local_spawner_poll, NULL, "local_spawner" };

/* Regression: a panic out of as_block_on's own future used to leave the thread one level deep
 * for good (and leak the level record), so the next outermost block_on never cancelled its
 * local tasks. Found by the sweep above (LeakSanitizer); this checks the depth directly. */
START_TEST(test_block_on_panic_unwinds)
{
    rt_future panicky = { &panicky_vtable };
    rt_panic_frame frame;
    rt_panic_push(&frame);
    if (setjmp(frame.env) == 0) {
        as_block_on(&panicky);
        ck_abort_msg("as_block_on returned from a panicking future");
    }
    ck_assert_str_eq(frame.message, "panicky: out of memory (simulated)");
    _Atomic int drops = 0;
    local_spawner ls = { .base = { &local_spawner_vtable }, .drops = &drops };
    as_block_on(&ls.base);
    int dropped = atomic_load(&drops);
    ck_assert_int_eq(dropped, 1); /* cancelled: this block_on was the outermost */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("alloc_paths_as");
    TCase *tc = tcase_create("as");
    tcase_add_test(tc, test_start_and_program);
    tcase_add_test(tc, test_block_on_panic_unwinds);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
