/* test_fault_as.c: the as runtime keeps serving through faults -- a peer reset mid-write, a half-close, panicking tasks, a storm of cancelled timers. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as.h"
#include "fault_kit.h"
#include "rt_panic.h"
#include "rt_testkit.h"
#include "tk_testkit.h"

/*
 * The as twin of test_fault_tk.c, the same exchanges in the as idiom: the server future runs
 * under as_block_on on the test's thread, its connection tasks on the global runtime's
 * workers, and the misbehaving client is an ordinary thread with blocking sockets
 * (fault_kit.h, which also holds the checks both suites make). After the damage the client makes one more plain request, which must be
 * answered: the proof that the runtime kept serving. The global runtime frees everything at
 * exit, where ASan's leak check runs (each Check case is its own forked process).
 *
 * SIGPIPE: main leaves it at its default action, but the as runtime sets it to "ignore" when it
 * starts (as Rust's runtime does, for pipes). So here the check is the other half of the
 * contract: the write reports -ECONNRESET or -EPIPE as a result (sockets are written with
 * MSG_NOSIGNAL). test_fault_tk.c, whose runtime leaves the disposition alone, checks that no
 * SIGPIPE is raised at all.
 */

/* ---- one connection: a command byte, then that command's exchange ----------------------- */

typedef struct conn {
    rt_future base;
    rt_async co;
    as_io *s;
    fk_conn k;                  /* the protocol's state (fault_kit.h) */
    as_read_exact_fut rx;
    as_read_fut rd;
    as_write_all_fut wa;
} conn;

/* conn_poll: if/else rather than switch, because RT_AWAIT's resume labels are switch cases. */
static rt_poll conn_poll(rt_future *f, rt_context *cx)
{
    conn *c = (conn *)f;
    fk_conn *k = &c->k;
    RT_BEGIN(&c->co);
    c->rx = as_read_exact(c->s, &k->cmd, 1);
    RT_AWAIT(&c->co, &c->rx, cx);
    if ((k->result = c->rx.err) != 0)
        goto out;
    fk_conn_begin(k);
    if (k->cmd == FK_CMD_BIG) {
        /* Write far more than any socket buffer holds: the client resets while we wait. */
        for (k->i = 0; k->i < FK_BIG_ROUNDS; k->i++) {
            c->wa = as_write_all(c->s, k->buf, FK_BIG_CHUNK);
            RT_AWAIT(&c->co, &c->wa, cx);
            k->written += c->wa.done;
            if ((k->result = c->wa.err) != 0)
                break;
        }
    } else if (k->cmd == FK_CMD_HALF) {
        /* Read to end-of-file (the client's SHUT_WR), then answer: the write side is open. */
        for (;;) {
            c->rd = as_read(c->s, k->buf, FK_IO_CHUNK);
            RT_AWAIT(&c->co, &c->rd, cx);
            if (c->rd.result <= 0)
                break;
            fk_conn_took(k, (size_t)c->rd.result);
        }
        if ((k->result = (int)c->rd.result) != 0)
            goto out;
        fk_conn_header(k);
        c->wa = as_write_all(c->s, k->hdr, sizeof k->hdr);
        RT_AWAIT(&c->co, &c->wa, cx);
        if ((k->result = c->wa.err) != 0)
            goto out;
        for (k->written = 0; k->written < FK_HALF_REPLY; k->written += FK_IO_CHUNK) {
            fk_fill(k->buf, FK_IO_CHUNK, 2, k->written);
            c->wa = as_write_all(c->s, k->buf, FK_IO_CHUNK);
            RT_AWAIT(&c->co, &c->wa, cx);
            if ((k->result = c->wa.err) != 0)
                goto out;
        }
    } else if (k->cmd == FK_CMD_PANIC) {
        c->rx = as_read_exact(c->s, &k->req, sizeof k->req);
        RT_AWAIT(&c->co, &c->rx, cx);
        if ((k->result = c->rx.err) != 0)
            goto out;
        fk_conn_request(k); /* panics on every panic_every-th request */
        c->wa = as_write_all(c->s, k->line, strlen(k->line));
        RT_AWAIT(&c->co, &c->wa, cx);
        k->result = c->wa.err;
    } else {
        c->wa = as_write_all(c->s, "ok\n", 3);
        RT_AWAIT(&c->co, &c->wa, cx);
        k->result = c->wa.err;
    }
out:
    as_io_close(c->s);
    c->s = NULL;
    fk_conn_free(k);
    RT_END(&c->co);
}

/* conn_drop: finished, panicked or cancelled: the socket and the buffer go either way. */
static void conn_drop(rt_future *f)
{
    conn *c = (conn *)f;
    rt_async_drop(&c->co);
    as_io_close(c->s);
    c->s = NULL;
    fk_conn_free(&c->k);
}

static const rt_future_vtable conn_vtable = { conn_poll, conn_drop, "fault_conn" };

/* ---- the server: accept n connections, join their tasks, record how each ended ----------- */

typedef struct server {
    rt_future base;
    rt_async co;
    fk_case *k;                 /* what to do, and where the outcomes go */
    as_io *l;
    int i;
    as_accept_fut acc;
    as_task tasks[FK_MAX_CONNS];
} server;

/* server_poll: bind, start the client, accept and spawn nconn tasks, then join them all. */
static rt_poll server_poll(rt_future *f, rt_context *cx)
{
    server *s = (server *)f;
    fk_case *k = s->k;
    RT_BEGIN(&s->co);
    if (k->path) {
        unlink(k->path);
        ck_assert_int_eq(as_unix_listen(k->path, &s->l), 0);
        k->client->path = k->path;
    } else {
        ck_assert_int_eq(as_tcp_listen("127.0.0.1:0", &s->l), 0);
        k->client->port = (unsigned)as_io_local_port(s->l);
    }
    fk_start_client(k);
    for (s->i = 0; s->i < k->nconn; s->i++) {
        s->acc = k->path ? as_unix_accept(s->l) : as_tcp_accept(s->l);
        RT_AWAIT(&s->co, &s->acc, cx);
        if (s->acc.err != 0) {
            k->accept_err = s->acc.err;
            break;
        }
        conn c = { .base = { &conn_vtable }, .s = s->acc.stream,
                    .k = { .panic_every = k->panic_every } };
        ck_assert_int_eq(AS_SPAWN(c, &s->tasks[s->i]), 0);
    }
    for (s->i = 0; s->i < k->nconn && as_task_id(&s->tasks[s->i]) != 0; s->i++) {
        RT_AWAIT(&s->co, as_task_join(&s->tasks[s->i]), cx);
        k->outcome[s->i] = (int)as_task_outcome(&s->tasks[s->i]);
        if (k->outcome[s->i] == RT_OUTCOME_OK) {
            conn *c = (conn *)as_task_output(&s->tasks[s->i]);
            fk_note_ok(k, s->i, &c->k);
        } else if (k->outcome[s->i] == RT_OUTCOME_PANICKED) {
            fk_note_panic(k, s->i, as_task_panic_message(&s->tasks[s->i]));
        }
        as_task_detach(&s->tasks[s->i]);
    }
    as_io_close(s->l);
    s->l = NULL;
    RT_END(&s->co);
}

/* server_drop: only reached early if the test failed; close what is open. */
static void server_drop(rt_future *f)
{
    server *s = (server *)f;
    rt_async_drop(&s->co);
    as_io_close(s->l);
    s->l = NULL;
}

static const rt_future_vtable server_vtable = { server_poll, server_drop, "fault_server" };

/* run_server: the kit's fk_server_fn -- one whole exchange on the global runtime. */
static void run_server(fk_case *k, void *arg)
{
    (void)arg;
    server s;
    memset(&s, 0, sizeof s);
    s.base.vtable = &server_vtable;
    s.k = k;
    as_block_on(&s.base);
    rt_future_drop(&s.base);
    fk_join_client(k);
}

/* test_reset_mid_write: the writer saw ECONNRESET or EPIPE, its task ended normally, and the
 * probe got its answer (fk_check_reset). */
START_TEST(test_reset_mid_write)
{
    fk_check_reset("as", run_server, NULL);
}
END_TEST

/* test_half_close: TCP and Unix streams. */
START_TEST(test_half_close)
{
    char path[108];
    fk_unix_path(path, sizeof path, "test_fault_as", "half");
    fk_check_half(run_server, NULL, NULL);
    fk_check_half(run_server, NULL, path);
    printf("as: half-close: %u bytes in before the FIN, %u + 16 bytes out after it, TCP and "
           "Unix\n", FK_HALF_PAYLOAD, FK_HALF_REPLY);
}
END_TEST

/* test_panic_every_nth: exactly FK_PANIC_CONNS/FK_PANIC_EVERY tasks panic, all others answer,
 * and the probe after them is answered (fk_check_panics). */
START_TEST(test_panic_every_nth)
{
    fk_check_panics("as", run_server, NULL);
}
END_TEST

/* ---- a storm of timers, all cancelled ---------------------------------------------------- */

/* The kit's storm task (fault_kit.h) arms as timers through storm_ops: half the storm are bare
 * sleeps, half are timeouts around a future that never finishes. */

/* storm_sleep: an as sleep of ms, built in place. */
static void storm_sleep(void *at, uint64_t ms)
{
    *(as_sleep_fut *)at = as_sleep(ms);
}

/* storm_timeout: an as timeout of ms around inner, built in place. */
static void storm_timeout(void *at, rt_future *inner, uint64_t ms)
{
    *(as_timeout_fut *)at = as_timeout(inner, ms);
}

static const fk_storm_ops storm_ops = { sizeof(as_sleep_fut), sizeof(as_timeout_fut),
                                        storm_sleep, storm_timeout };

typedef struct storm_main {
    rt_future base;
    rt_async co;
    _Atomic size_t armed_total;
    slot all_armed;
    slot_wait wait;
    as_task tasks[FK_STORM_TASKS];
    int i;
    as_sleep_fut after;
    fk_storm out;               /* the counts are of the timer heap's entries */
} storm_main;

/* storm_main_poll: spawn the storm, wait until it is all armed, cancel it, then sleep once more. */
static rt_poll storm_main_poll(rt_future *f, rt_context *cx)
{
    storm_main *m = (storm_main *)f;
    RT_BEGIN(&m->co);
    m->out.before = as_timer_count();
    for (m->i = 0; m->i < FK_STORM_TASKS; m->i++) {
        fk_storm_task t = fk_storm_task_new(&storm_ops, &m->armed_total, &m->all_armed);
        ck_assert_int_eq(AS_SPAWN(t, &m->tasks[m->i]), 0);
    }
    m->wait = slot_wait_new(&m->all_armed);
    RT_AWAIT(&m->co, &m->wait, cx);
    m->out.armed = as_timer_count();
    for (m->i = 0; m->i < FK_STORM_TASKS; m->i++)
        as_task_cancel(&m->tasks[m->i]);
    for (m->i = 0; m->i < FK_STORM_TASKS; m->i++) {
        RT_AWAIT(&m->co, as_task_join(&m->tasks[m->i]), cx);
        m->out.cancelled += as_task_outcome(&m->tasks[m->i]) == RT_OUTCOME_CANCELLED;
        as_task_detach(&m->tasks[m->i]);
    }
    m->out.after = as_timer_count();
    /* The heap still works: a fresh short sleep fires. */
    m->after = as_sleep(5);
    RT_AWAIT(&m->co, &m->after, cx);
    m->out.after_fired = 1;
    RT_END(&m->co);
}

/* storm_main_drop: only reached early if the test failed. */
static void storm_main_drop(rt_future *f)
{
    rt_async_drop(&((storm_main *)f)->co);
}

static const rt_future_vtable storm_main_vtable = { storm_main_poll, storm_main_drop, "storm_main" };

/* run_storm: one storm; returns the heap bytes glibc counts in use afterwards. */
static size_t run_storm(int round)
{
    storm_main m;
    memset(&m, 0, sizeof m);
    m.base.vtable = &storm_main_vtable;
    slot_init(&m.all_armed);
    as_block_on(&m.base);
    rt_future_drop(&m.base);
    size_t in_use = fk_heap_in_use();
    fk_check_storm(&m.out);
    printf("as storm %d: %u timers armed (heap %zu -> %zu -> %zu), all cancelled; heap bytes "
           "in use after: %zu; a 5 ms sleep still fires\n",
           round, FK_STORM_TIMERS, m.out.before, m.out.armed, m.out.after, in_use);
    return in_use;
}

/* test_timer_storm: twice. The timer heap's array grows to hold 1M entries and gives the
 * space back as the entries are cancelled (rt_timer_heap.c shrinks it at a quarter full), so
 * each storm must leave the bytes in use within 1 MiB of where they were before it (glibc's
 * count, so outside sanitizers only; under them ASan's leak check at exit does this job). */
START_TEST(test_timer_storm)
{
    size_t base = fk_heap_in_use();
    size_t first = run_storm(1);
    size_t second = run_storm(2);
    printf("as: heap bytes in use: %zu before, %zu after storm 1, %zu after storm 2%s\n", base,
           first, second, RT_SANITIZED ? " (not counted under sanitizers)" : "");
    if (!RT_SANITIZED) {
        ck_assert_msg(first < base + (1 << 20), "storm 1 left %lld more bytes in use",
                      (long long)first - (long long)base);
        ck_assert_msg(second < first + (1 << 20), "storm 2 left %lld more bytes in use",
                      (long long)second - (long long)first);
    }
}
END_TEST

/* main: one suite. */
int main(void)
{
    signal(SIGPIPE, SIG_DFL);
    Suite *s = suite_create("fault_as");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_reset_mid_write);
    tcase_add_test(tc, test_half_close);
    tcase_add_test(tc, test_panic_every_nth);
    tcase_add_test(tc, test_timer_storm);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
