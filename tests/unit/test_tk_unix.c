/* test_tk_unix.c: tk Unix streams -- pair echo, a listener on a path, connect errors. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_async.h"
#include "rt_testkit.h"
#include "tk_net.h"
#include "tk_runtime.h"
#include "tk_testkit.h"

/* sock_path: a fresh path for this process; any stale file from an earlier run is removed. */
static void sock_path(char *buf, size_t len, int n)
{
    snprintf(buf, len, "/tmp/tk_unix_test_%d_%d.sock", (int)getpid(), n);
    unlink(buf);
}

/* ---- an echo task that owns its stream --------------------------------------------------- */
typedef struct echo_task {
    rt_future base;
    rt_async co;
    tk_unix_stream s;
    tk_read_fut rd;
    tk_write_all_fut wr;
    char buf[8192];
    long echoed;
} echo_task;

/* echo_poll: echo until EOF or an error, counting the bytes, then close. */
static rt_poll echo_poll(rt_future *f, rt_context *cx)
{
    echo_task *e = (echo_task *)f;
    RT_BEGIN(&e->co);
    for (;;) {
        e->rd = tk_unix_read(&e->s, e->buf, sizeof e->buf);
        RT_AWAIT(&e->co, &e->rd, cx);
        if (e->rd.result <= 0)
            break;
        e->wr = tk_unix_write_all(&e->s, e->buf, (size_t)e->rd.result);
        RT_AWAIT(&e->co, &e->wr, cx);
        if (e->wr.result != 0)
            break;
        e->echoed += e->rd.result;
    }
    tk_unix_stream_close(&e->s);
    RT_END(&e->co);
}

/* echo_drop: cancelled or done, the stream is closed. */
static void echo_drop(rt_future *f)
{
    echo_task *e = (echo_task *)f;
    rt_async_drop(&e->co);
    tk_unix_stream_close(&e->s);
}

static const rt_future_vtable echo_vtable = { echo_poll, echo_drop, "unix_echo" };

/* spawn_echo: the task takes the stream (the caller must not close its copy). */
static void spawn_echo(tk_unix_stream s, tk_join_handle *jh)
{
    echo_task e = { .base = { &echo_vtable }, .s = s };
    ck_assert_int_eq(tk_spawn(&e.base, sizeof e, jh), 0);
}

/* A writer task: write_all of a large pattern while the main future reads it back. */
#define BULK (1u << 20)

typedef struct bulk_writer {
    rt_future base;
    rt_async co;
    tk_unix_stream *s;
    unsigned char *buf;
    tk_write_all_fut wr;
    int result;
} bulk_writer;

/* bulk_writer_poll: write_all of BULK bytes. */
static rt_poll bulk_writer_poll(rt_future *f, rt_context *cx)
{
    bulk_writer *w = (bulk_writer *)f;
    RT_BEGIN(&w->co);
    w->wr = tk_unix_write_all(w->s, w->buf, BULK);
    RT_AWAIT(&w->co, &w->wr, cx);
    w->result = w->wr.result;
    RT_END(&w->co);
}

static const rt_future_vtable bulk_writer_vtable = { bulk_writer_poll, NULL, "bulk_writer" };

/* ---- test: a socketpair, echo small and bulk, then EOF ----------------------------------- */
typedef struct pair_main {
    rt_future base;
    rt_async co;
    tk_unix_stream x, y;
    tk_join_handle echo, writer;
    tk_write_all_fut wr;
    tk_read_exact_fut rx;
    tk_read_fut rd;
    int i;
    long sent;
    char out[32], in[32];
    unsigned char *bulk, *back;
} pair_main;

/* pair_main_poll: small round trips, 1 MiB through the echo, then EOF. */
static rt_poll pair_main_poll(rt_future *f, rt_context *cx)
{
    pair_main *m = (pair_main *)f;
    RT_BEGIN(&m->co);
    ck_assert_int_eq(tk_unix_stream_pair(&m->x, &m->y), 0);
    {
        tk_sockaddr a;
        char text[TK_SOCKADDR_STRLEN];
        ck_assert_int_eq(tk_stream_local_addr(&m->x, &a), 0);
        ck_assert_str_eq(tk_sockaddr_format(&a, text, sizeof text), "(unnamed)");
    }
    spawn_echo(m->y, &m->echo);
    for (m->i = 0; m->i < 300; m->i++) {
        snprintf(m->out, sizeof m->out, "message %d", m->i);
        m->wr = tk_unix_write_all(&m->x, m->out, strlen(m->out));
        RT_AWAIT(&m->co, &m->wr, cx);
        ck_assert_int_eq(m->wr.result, 0);
        m->sent += (long)strlen(m->out);
        memset(m->in, 0, sizeof m->in);
        m->rx = tk_unix_read_exact(&m->x, m->in, strlen(m->out));
        RT_AWAIT(&m->co, &m->rx, cx);
        ck_assert_int_eq(m->rx.result, 0);
        ck_assert_str_eq(m->in, m->out);
    }
    /* 1 MiB through the echo: a writer task sends while we read, else both would block */
    m->bulk = malloc(BULK);
    m->back = malloc(BULK);
    for (size_t i = 0; i < BULK; i++)
        m->bulk[i] = (unsigned char)(i * 131 + (i >> 12));
    {
        bulk_writer w = { .base = { &bulk_writer_vtable }, .s = &m->x, .buf = m->bulk,
                          .result = 1 };
        ck_assert_int_eq(tk_spawn(&w.base, sizeof w, &m->writer), 0);
    }
    m->rx = tk_unix_read_exact(&m->x, m->back, BULK);
    RT_AWAIT(&m->co, &m->rx, cx);
    ck_assert_int_eq(m->rx.result, 0);
    ck_assert_int_eq(memcmp(m->back, m->bulk, BULK), 0);
    RT_AWAIT(&m->co, &m->writer, cx);
    ck_assert_int_eq(((bulk_writer *)rt_join_handle_output(&m->writer))->result, 0);
    rt_join_handle_detach(&m->writer);
    free(m->bulk);
    free(m->back);
    /* close our write side: the echo task sees EOF and ends, and so do we */
    ck_assert_int_eq(tk_unix_shutdown(&m->x, SHUT_WR), 0);
    m->rd = tk_unix_read(&m->x, m->in, sizeof m->in);
    RT_AWAIT(&m->co, &m->rd, cx);
    ck_assert_int_eq(m->rd.result, 0);
    RT_AWAIT(&m->co, &m->echo, cx);
    ck_assert_int_eq(m->echo.outcome, RT_OUTCOME_OK);
    ck_assert_int_eq(((echo_task *)rt_join_handle_output(&m->echo))->echoed,
                     (long)BULK + m->sent);
    rt_join_handle_detach(&m->echo);
    tk_unix_stream_close(&m->x);
    RT_END(&m->co);
}

static const rt_future_vtable pair_main_vtable = { pair_main_poll, NULL, "pair_main" };

/* test_pair_echo_both_flavours: a socketpair echo on both flavours. */
START_TEST(test_pair_echo_both_flavours)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        pair_main m;
        memset(&m, 0, sizeof m);
        m.base.vtable = &pair_main_vtable;
        tk_runtime_block_on(rt, &m.base);
        tk_runtime_free(rt);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- test: a listener on a path, several clients ----------------------------------------- */
#define CLIENTS 20

typedef struct path_main {
    rt_future base;
    rt_async co;
    char path[108];
    tk_unix_listener l, dup;
    tk_accept_fut acc;
    tk_connect_fut conn;
    tk_unix_stream c[CLIENTS];
    tk_join_handle echo[CLIENTS];
    tk_write_all_fut wr;
    tk_read_exact_fut rx;
    int i;
    char out[32], in[32];
} path_main;

/* path_main_poll: bind a path, connect and accept CLIENTS streams, echo, errors. */
static rt_poll path_main_poll(rt_future *f, rt_context *cx)
{
    path_main *m = (path_main *)f;
    RT_BEGIN(&m->co);
    ck_assert_int_eq(tk_unix_listener_bind(m->path, &m->l), 0);
    ck_assert_int_eq(tk_unix_listener_bind(m->path, &m->dup), -EADDRINUSE);
    {
        tk_sockaddr a;
        char text[TK_SOCKADDR_STRLEN];
        ck_assert_int_eq(tk_listener_local_addr(&m->l, &a), 0);
        ck_assert_str_eq(tk_sockaddr_format(&a, text, sizeof text), m->path);
    }
    for (m->i = 0; m->i < CLIENTS; m->i++) {
        m->conn = tk_unix_connect(m->path);
        RT_AWAIT(&m->co, &m->conn, cx);
        ck_assert_int_eq(m->conn.result, 0);
        m->c[m->i] = m->conn.stream;
        m->acc = tk_unix_accept(&m->l);
        RT_AWAIT(&m->co, &m->acc, cx);
        ck_assert_int_eq(m->acc.result, 0);
        spawn_echo(m->acc.stream, &m->echo[m->i]);
    }
    /* talk to them in reverse order: each has its own task and its own connection */
    for (m->i = CLIENTS - 1; m->i >= 0; m->i--) {
        snprintf(m->out, sizeof m->out, "client %d", m->i);
        m->wr = tk_unix_write_all(&m->c[m->i], m->out, strlen(m->out));
        RT_AWAIT(&m->co, &m->wr, cx);
        ck_assert_int_eq(m->wr.result, 0);
        memset(m->in, 0, sizeof m->in);
        m->rx = tk_unix_read_exact(&m->c[m->i], m->in, strlen(m->out));
        RT_AWAIT(&m->co, &m->rx, cx);
        ck_assert_int_eq(m->rx.result, 0);
        ck_assert_str_eq(m->in, m->out);
        tk_unix_stream_close(&m->c[m->i]);
    }
    for (m->i = 0; m->i < CLIENTS; m->i++) {
        RT_AWAIT(&m->co, &m->echo[m->i], cx);
        ck_assert_int_eq(m->echo[m->i].outcome, RT_OUTCOME_OK);
        rt_join_handle_detach(&m->echo[m->i]);
    }
    tk_unix_listener_close(&m->l);
    unlink(m->path);
    /* nobody there any more: the file is gone, so connect says so */
    m->conn = tk_unix_connect(m->path);
    RT_AWAIT(&m->co, &m->conn, cx);
    ck_assert_int_eq(m->conn.result, -ENOENT);
    {
        char long_path[200];
        memset(long_path, 'p', sizeof long_path - 1);
        long_path[sizeof long_path - 1] = '\0';
        m->conn = tk_unix_connect(long_path);
    }
    RT_AWAIT(&m->co, &m->conn, cx);
    ck_assert_int_eq(m->conn.result, -ENAMETOOLONG);
    RT_END(&m->co);
}

static const rt_future_vtable path_main_vtable = { path_main_poll, NULL, "path_main" };

/* test_listener_on_path_both_flavours: a path listener on both flavours. */
START_TEST(test_listener_on_path_both_flavours)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        path_main m;
        memset(&m, 0, sizeof m);
        m.base.vtable = &path_main_vtable;
        sock_path(m.path, sizeof m.path, flavor);
        tk_runtime_block_on(rt, &m.base);
        tk_runtime_free(rt);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- test: the stream's lifetime rules --------------------------------------------------- */
typedef struct life_main {
    rt_future base;
    rt_async co;
    tk_unix_stream x, y, zero;
    int stdin_open;
    tk_write_fut w;
    tk_read_fut rd;
    char c;
} life_main;

/* life_main_poll: zeroed streams, a vanished peer, zero-length and closed-stream calls. */
static rt_poll life_main_poll(rt_future *f, rt_context *cx)
{
    life_main *m = (life_main *)f;
    RT_BEGIN(&m->co);
    /* a zeroed stream is closed: closing it must not close fd 0 */
    m->stdin_open = fcntl(0, F_GETFD) >= 0;
    memset(&m->zero, 0, sizeof m->zero);
    tk_unix_stream_close(&m->zero);
    ck_assert_int_eq(fcntl(0, F_GETFD) >= 0, m->stdin_open);
    ck_assert_int_eq(tk_unix_stream_pair(&m->x, &m->y), 0);
    /* the peer is gone: a write fails with -EPIPE and no SIGPIPE kills us */
    tk_unix_stream_close(&m->y);
    m->w = tk_unix_write(&m->x, "x", 1);
    RT_AWAIT(&m->co, &m->w, cx);
    ck_assert_int_eq(m->w.result, -EPIPE);
    m->rd = tk_unix_read(&m->x, &m->c, 1);
    RT_AWAIT(&m->co, &m->rd, cx);
    ck_assert_int_eq(m->rd.result, 0);
    /* zero-length operations complete at once */
    m->rd = tk_unix_read(&m->x, &m->c, 0);
    RT_AWAIT(&m->co, &m->rd, cx);
    ck_assert_int_eq(m->rd.result, 0);
    tk_unix_stream_close(&m->x);
    ck_assert_int_eq(tk_unix_shutdown(&m->x, SHUT_RDWR), -EBADF);
    m->w = tk_unix_write(&m->x, "x", 1);
    RT_AWAIT(&m->co, &m->w, cx);
    ck_assert_int_eq(m->w.result, -EBADF);
    RT_END(&m->co);
}

static const rt_future_vtable life_main_vtable = { life_main_poll, NULL, "life_main" };

/* test_stream_lifetime: what a stream does at the edges of its life. */
START_TEST(test_stream_lifetime)
{
    tk_runtime *rt = build(TK_CURRENT_THREAD, 2);
    life_main m;
    memset(&m, 0, sizeof m);
    m.base.vtable = &life_main_vtable;
    tk_runtime_block_on(rt, &m.base);
    tk_runtime_free(rt);
}
END_TEST

/* main: the suite. */
int main(void)
{
    Suite *s = suite_create("tk_unix");
    TCase *tc = tcase_create("unix");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_pair_echo_both_flavours);
    tcase_add_test(tc, test_listener_on_path_both_flavours);
    tcase_add_test(tc, test_stream_lifetime);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
