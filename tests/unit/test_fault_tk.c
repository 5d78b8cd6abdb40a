/* test_fault_tk.c: the tk runtime keeps serving through faults -- a peer reset mid-write, a half-close, panicking tasks, a storm of cancelled timers. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault_kit.h"
#include "rt_async.h"
#include "rt_panic.h"
#include "rt_testkit.h"
#include "tk_internal.h"
#include "tk_net.h"
#include "tk_runtime.h"
#include "tk_testkit.h"
#include "tk_time.h"

/*
 * Shape of every network case: a server future runs inside tk_runtime_block_on -- it binds,
 * starts a client thread, accepts a fixed number of connections, spawns one task for each,
 * and then joins every task and records how it ended. The client is an ordinary thread with
 * blocking sockets (fault_kit.h, shared with test_fault_as.c) that does the damage and then,
 * as the proof that the runtime survived it, makes one more plain request that must be
 * answered correctly. The kit checks both sides after the runtime is freed; this file checks
 * that every task was freed (ASan checks the rest of the memory). Only the server futures,
 * written against the tk API, live here.
 *
 * Each case runs on current_thread and on a two-worker multi_thread runtime.
 */

/* SIGPIPE keeps its default action in this process: a write to a reset socket that raised it
 * would kill the test, which is exactly the failure we want to be able to see. */

/* ---- one connection: a command byte, then that command's exchange ----------------------- */

typedef struct conn {
    rt_future base;
    rt_async co;
    tk_stream s;
    fk_conn k;                  /* the protocol's state (fault_kit.h) */
    tk_read_exact_fut rx;
    tk_read_fut rd;
    tk_write_all_fut wa;
} conn;

/* conn_poll: if/else rather than switch, because RT_AWAIT's resume labels are switch cases. */
static rt_poll conn_poll(rt_future *f, rt_context *cx)
{
    conn *c = (conn *)f;
    fk_conn *k = &c->k;
    RT_BEGIN(&c->co);
    c->rx = tk_stream_read_exact(&c->s, &k->cmd, 1);
    RT_AWAIT(&c->co, &c->rx, cx);
    if ((k->result = c->rx.result) != 0)
        goto out;
    fk_conn_begin(k);
    if (k->cmd == FK_CMD_BIG) {
        /* Write far more than any socket buffer holds: the client resets while we wait. */
        for (k->i = 0; k->i < FK_BIG_ROUNDS; k->i++) {
            c->wa = tk_stream_write_all(&c->s, k->buf, FK_BIG_CHUNK);
            RT_AWAIT(&c->co, &c->wa, cx);
            k->written += c->wa.done;
            if ((k->result = c->wa.result) != 0)
                break;
        }
    } else if (k->cmd == FK_CMD_HALF) {
        /* Read to end-of-file (the client's SHUT_WR), then answer: the write side is open. */
        for (;;) {
            c->rd = tk_stream_read(&c->s, k->buf, FK_IO_CHUNK);
            RT_AWAIT(&c->co, &c->rd, cx);
            if (c->rd.result <= 0)
                break;
            fk_conn_took(k, (size_t)c->rd.result);
        }
        if ((k->result = (int)c->rd.result) != 0)
            goto out;
        fk_conn_header(k);
        c->wa = tk_stream_write_all(&c->s, k->hdr, sizeof k->hdr);
        RT_AWAIT(&c->co, &c->wa, cx);
        if ((k->result = c->wa.result) != 0)
            goto out;
        for (k->written = 0; k->written < FK_HALF_REPLY; k->written += FK_IO_CHUNK) {
            fk_fill(k->buf, FK_IO_CHUNK, 2, k->written);
            c->wa = tk_stream_write_all(&c->s, k->buf, FK_IO_CHUNK);
            RT_AWAIT(&c->co, &c->wa, cx);
            if ((k->result = c->wa.result) != 0)
                goto out;
        }
    } else if (k->cmd == FK_CMD_PANIC) {
        c->rx = tk_stream_read_exact(&c->s, &k->req, sizeof k->req);
        RT_AWAIT(&c->co, &c->rx, cx);
        if ((k->result = c->rx.result) != 0)
            goto out;
        fk_conn_request(k); /* panics on every panic_every-th request */
        c->wa = tk_stream_write_all(&c->s, k->line, strlen(k->line));
        RT_AWAIT(&c->co, &c->wa, cx);
        k->result = c->wa.result;
    } else {
        c->wa = tk_stream_write_all(&c->s, "ok\n", 3);
        RT_AWAIT(&c->co, &c->wa, cx);
        k->result = c->wa.result;
    }
out:
    tk_stream_close(&c->s);
    fk_conn_free(k);
    RT_END(&c->co);
}

/* conn_drop: finished, panicked or cancelled: the socket and the buffer go either way. */
static void conn_drop(rt_future *f)
{
    conn *c = (conn *)f;
    rt_async_drop(&c->co);
    tk_stream_close(&c->s);
    fk_conn_free(&c->k);
}

static const rt_future_vtable conn_vtable = { conn_poll, conn_drop, "fault_conn" };

/* ---- the server: accept n connections, join their tasks, record how each ended ----------- */

typedef struct server {
    rt_future base;
    rt_async co;
    fk_case *k;                 /* what to do, and where the outcomes go */
    tk_listener l;
    int i;
    tk_accept_fut acc;
    tk_join_handle jh[FK_MAX_CONNS];
} server;

/* server_poll: bind, start the client, accept and spawn nconn tasks, then join them all. */
static rt_poll server_poll(rt_future *f, rt_context *cx)
{
    server *s = (server *)f;
    fk_case *k = s->k;
    RT_BEGIN(&s->co);
    if (k->path) {
        unlink(k->path);
        ck_assert_int_eq(tk_unix_listener_bind(k->path, &s->l), 0);
        k->client->path = k->path;
    } else {
        ck_assert_int_eq(tk_tcp_listener_bind("127.0.0.1", 0, &s->l), 0);
        k->client->port = (unsigned)tk_tcp_listener_local_port(&s->l);
    }
    fk_start_client(k);
    for (s->i = 0; s->i < k->nconn; s->i++) {
        s->acc = tk_listener_accept(&s->l);
        RT_AWAIT(&s->co, &s->acc, cx);
        if (s->acc.result != 0) {
            k->accept_err = s->acc.result;
            break;
        }
        conn c = { .base = { &conn_vtable }, .s = s->acc.stream,
                    .k = { .panic_every = k->panic_every } };
        ck_assert_int_eq(tk_spawn(&c.base, sizeof c, &s->jh[s->i]), 0);
    }
    for (s->i = 0; s->i < k->nconn && s->jh[s->i].task; s->i++) {
        RT_AWAIT(&s->co, &s->jh[s->i], cx);
        k->outcome[s->i] = (int)s->jh[s->i].outcome;
        if (s->jh[s->i].outcome == RT_OUTCOME_OK) {
            conn *c = (conn *)rt_join_handle_output(&s->jh[s->i]);
            fk_note_ok(k, s->i, &c->k);
        } else if (s->jh[s->i].outcome == RT_OUTCOME_PANICKED) {
            fk_note_panic(k, s->i, rt_join_handle_panic_message(&s->jh[s->i]));
        }
        rt_join_handle_detach(&s->jh[s->i]);
    }
    tk_listener_close(&s->l);
    RT_END(&s->co);
}

/* server_drop: only reached early if the test failed; close what is open. */
static void server_drop(rt_future *f)
{
    server *s = (server *)f;
    rt_async_drop(&s->co);
    tk_listener_close(&s->l);
}

static const rt_future_vtable server_vtable = { server_poll, server_drop, "fault_server" };

/* run_server: the kit's fk_server_fn -- one whole exchange on a fresh runtime of the flavour
 * *arg; the client is joined before the runtime is freed, and every task must be freed. */
static void run_server(fk_case *k, void *arg)
{
    tk_flavor flavor = *(const tk_flavor *)arg;
    tk_runtime *rt = build(flavor, flavor == TK_MULTI_THREAD ? 2 : 0);
    server s;
    memset(&s, 0, sizeof s);
    s.base.vtable = &server_vtable;
    s.k = k;
    tk_runtime_block_on(rt, &s.base);
    rt_future_drop(&s.base);
    fk_join_client(k);
    tk_runtime_free(rt);
    rt_check_tasks_balanced();
}

/* label: how a summary line names the scheduler. */
static const char *label(tk_flavor flavor)
{
    return flavor == TK_MULTI_THREAD ? "tk multi_thread" : "tk current_thread";
}

/* test_reset_mid_write: both schedulers (fk_check_reset says what is checked). */
START_TEST(test_reset_mid_write)
{
    for (tk_flavor fl = TK_CURRENT_THREAD; fl <= TK_MULTI_THREAD; fl++)
        fk_check_reset(label(fl), run_server, &fl);
}
END_TEST

/* test_half_close: TCP and Unix streams, both schedulers. */
START_TEST(test_half_close)
{
    char path[108];
    fk_unix_path(path, sizeof path, "test_fault_tk", "half");
    for (tk_flavor fl = TK_CURRENT_THREAD; fl <= TK_MULTI_THREAD; fl++) {
        fk_check_half(run_server, &fl, NULL);
        fk_check_half(run_server, &fl, path);
    }
    printf("tk: half-close: %u bytes in before the FIN, %u + 16 bytes out after it, TCP and Unix, "
           "both schedulers\n", FK_HALF_PAYLOAD, FK_HALF_REPLY);
}
END_TEST

/* test_panic_every_nth: both schedulers. */
START_TEST(test_panic_every_nth)
{
    for (tk_flavor fl = TK_CURRENT_THREAD; fl <= TK_MULTI_THREAD; fl++)
        fk_check_panics(label(fl), run_server, &fl);
}
END_TEST

/* ---- a storm of timers, all cancelled ---------------------------------------------------- */

/* The kit's storm task (fault_kit.h) arms tk timers through storm_ops: half the storm are bare
 * sleeps, half are timeouts around a future that never finishes. */

/* storm_sleep: a tk sleep of ms, built in place. */
static void storm_sleep(void *at, uint64_t ms)
{
    *(tk_sleep_fut *)at = tk_sleep(ms);
}

/* storm_timeout: a tk timeout of ms around inner, built in place. */
static void storm_timeout(void *at, rt_future *inner, uint64_t ms)
{
    *(tk_timeout_fut *)at = tk_timeout(inner, ms);
}

static const fk_storm_ops storm_ops = { sizeof(tk_sleep_fut), sizeof(tk_timeout_fut),
                                        storm_sleep, storm_timeout };

typedef struct storm_main {
    rt_future base;
    rt_async co;
    tk_runtime *rt;
    _Atomic size_t armed_total;
    slot all_armed;
    slot_wait wait;
    tk_join_handle jh[FK_STORM_TASKS];
    int i;
    tk_sleep_fut after;
    fk_storm out;               /* the counts are of the wheel's entries */
} storm_main;

/* storm_main_poll: spawn the storm, wait until it is all armed, abort it, then sleep once more. */
static rt_poll storm_main_poll(rt_future *f, rt_context *cx)
{
    storm_main *m = (storm_main *)f;
    RT_BEGIN(&m->co);
    m->out.before = wheel_count(m->rt);
    for (m->i = 0; m->i < FK_STORM_TASKS; m->i++) {
        fk_storm_task t = fk_storm_task_new(&storm_ops, &m->armed_total, &m->all_armed);
        ck_assert_int_eq(tk_spawn(&t.base, sizeof t, &m->jh[m->i]), 0);
    }
    m->wait = slot_wait_new(&m->all_armed);
    RT_AWAIT(&m->co, &m->wait, cx);
    m->out.armed = wheel_count(m->rt);
    for (m->i = 0; m->i < FK_STORM_TASKS; m->i++)
        rt_join_handle_abort(&m->jh[m->i]);
    for (m->i = 0; m->i < FK_STORM_TASKS; m->i++) {
        RT_AWAIT(&m->co, &m->jh[m->i], cx);
        m->out.cancelled += m->jh[m->i].outcome == RT_OUTCOME_CANCELLED;
        rt_join_handle_detach(&m->jh[m->i]);
    }
    m->out.after = wheel_count(m->rt);
    /* The wheel still works: a fresh short sleep fires. */
    m->after = tk_sleep(5);
    RT_AWAIT(&m->co, &m->after, cx);
    m->out.after_fired = tk_sleep_is_elapsed(&m->after);
    RT_END(&m->co);
}

/* storm_main_drop: only reached early if the test failed. */
static void storm_main_drop(rt_future *f)
{
    rt_async_drop(&((storm_main *)f)->co);
}

static const rt_future_vtable storm_main_vtable = { storm_main_poll, storm_main_drop, "storm_main" };

/* check_storm: the wheel goes from 0 to FK_STORM_TIMERS and back to 0; the heap's bytes in use
 * come back too (counted by glibc, so only measured outside the sanitizers). */
static void check_storm(tk_flavor flavor)
{
    tk_runtime *rt = build(flavor, flavor == TK_MULTI_THREAD ? 2 : 0);
    storm_main m;
    memset(&m, 0, sizeof m);
    m.base.vtable = &storm_main_vtable;
    m.rt = rt;
    slot_init(&m.all_armed);
    size_t before = fk_heap_in_use();
    tk_runtime_block_on(rt, &m.base);
    size_t after = fk_heap_in_use();
    rt_future_drop(&m.base);
    tk_runtime_free(rt);
    fk_check_storm(&m.out);
    long long grew = (long long)after - (long long)before;
    if (!RT_SANITIZED)
        ck_assert_msg(grew < (1 << 20), "%lld bytes still in use after the storm", grew);
    printf("tk %s: %u timers armed (wheel %zu -> %zu -> %zu), all cancelled; heap bytes in use "
           "%zu -> %zu%s; a 5 ms sleep still fires\n",
           flavor == TK_MULTI_THREAD ? "multi_thread" : "current_thread", FK_STORM_TIMERS,
           m.out.before, m.out.armed, m.out.after, before, after,
           RT_SANITIZED ? " (not counted under sanitizers)" : "");
    rt_check_tasks_balanced();
}

/* test_timer_storm: both schedulers. */
START_TEST(test_timer_storm)
{
    check_storm(TK_CURRENT_THREAD);
    check_storm(TK_MULTI_THREAD);
}
END_TEST

/* main: one suite; each case runs both schedulers. */
int main(void)
{
    signal(SIGPIPE, SIG_DFL);
    Suite *s = suite_create("fault_tk");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_reset_mid_write);
    tcase_add_test(tc, test_half_close);
    tcase_add_test(tc, test_panic_every_nth);
    tcase_add_test(tc, test_timer_storm);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
