/* test_as_net.c: TCP, UDP, Unix streams and pipes through the as reactor -- data, EOF, resets, refusals, closes, bad input. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "as.h"
#include "rt_testkit.h"

/* ---- an echo server task and a client, both async --------------------------------------- */

/* echo_conn: copy what arrives back until EOF or an error; counts bytes. */
typedef struct echo_conn {
    rt_future base;
    rt_async co;
    as_io *s;
    as_read_fut rd;
    as_write_all_fut wr;
    char buf[1024];
    _Atomic long *bytes;
} echo_conn;

static rt_poll echo_conn_poll(rt_future *f, rt_context *cx)
{
    echo_conn *self = (echo_conn *)f;
    RT_BEGIN(&self->co);
    for (;;) {
        self->rd = as_read(self->s, self->buf, sizeof self->buf);
        RT_AWAIT(&self->co, &self->rd, cx);
        if (self->rd.result <= 0)
            break;
        self->wr = as_write_all(self->s, self->buf, (size_t)self->rd.result);
        RT_AWAIT(&self->co, &self->wr, cx);
        if (self->wr.result < 0)
            break;
        if (self->bytes)
            atomic_fetch_add(self->bytes, self->wr.result);
    }
    as_io_close(self->s);
    self->s = NULL;
    RT_END(&self->co);
}

static void echo_conn_drop(rt_future *f)
{
    echo_conn *self = (echo_conn *)f;
    rt_async_drop(&self->co);
    as_io_close(self->s);
    self->s = NULL;
}

static const rt_future_vtable echo_conn_vtable = { echo_conn_poll, echo_conn_drop, "echo_conn" };

/* echo_server: accept `count` connections (forever if 0), one echo task each. */
typedef struct echo_server {
    rt_future base;
    rt_async co;
    as_io *listener;
    int count, served;
    as_accept_fut acc;
    _Atomic long *bytes;
} echo_server;

static rt_poll echo_server_poll(rt_future *f, rt_context *cx)
{
    echo_server *self = (echo_server *)f;
    RT_BEGIN(&self->co);
    while (self->count == 0 || self->served < self->count) {
        self->acc = as_tcp_accept(self->listener);
        RT_AWAIT(&self->co, &self->acc, cx);
        ck_assert_int_eq(self->acc.err, 0);
        echo_conn c = { .base = { &echo_conn_vtable }, .s = self->acc.stream, .bytes = self->bytes };
        as_task t;
        ck_assert_int_eq(AS_SPAWN(c, &t), 0);
        as_task_detach(&t);
        self->served++;
    }
    RT_END(&self->co);
}

static void echo_server_drop(rt_future *f)
{
    rt_async_drop(&((echo_server *)f)->co);
}

static const rt_future_vtable echo_server_vtable = { echo_server_poll, echo_server_drop,
                                                     "echo_server" };

/* client: connect, then `rounds` times write a message and read it back exactly. */
typedef struct client {
    rt_future base;
    rt_async co;
    char addr[64];
    int rounds, i, id;
    as_connect_fut conn;
    as_io *s;
    as_write_all_fut wr;
    as_read_exact_fut rd;
    char out[64], in[64];
    int ok;
} client;

static rt_poll client_poll(rt_future *f, rt_context *cx)
{
    client *self = (client *)f;
    RT_BEGIN(&self->co);
    self->conn = as_tcp_connect(self->addr);
    RT_AWAIT(&self->co, &self->conn, cx);
    ck_assert_int_eq(self->conn.err, 0);
    self->s = self->conn.stream;
    for (self->i = 0; self->i < self->rounds; self->i++) {
        snprintf(self->out, sizeof self->out, "client %d round %d ........................", self->id, self->i);
        self->wr = as_write_all(self->s, self->out, sizeof self->out);
        RT_AWAIT(&self->co, &self->wr, cx);
        ck_assert_int_eq(self->wr.result, (ssize_t)sizeof self->out);
        self->rd = as_read_exact(self->s, self->in, sizeof self->in);
        RT_AWAIT(&self->co, &self->rd, cx);
        ck_assert_int_eq(self->rd.result, (ssize_t)sizeof self->in);
        if (memcmp(self->in, self->out, sizeof self->in) == 0)
            self->ok++;
    }
    as_io_close(self->s);
    self->s = NULL;
    RT_END(&self->co);
}

static void client_drop(rt_future *f)
{
    client *self = (client *)f;
    rt_async_drop(&self->co);
    as_io_close(self->s);
}

static const rt_future_vtable client_vtable = { client_poll, client_drop, "client" };

/* joiner: awaits n handles, checking each finished OK. */
typedef struct joiner {
    rt_future base;
    rt_async co;
    as_task *ts;
    int n, i, ok;
} joiner;

static rt_poll joiner_poll(rt_future *f, rt_context *cx)
{
    joiner *self = (joiner *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < self->n; self->i++) {
        RT_AWAIT(&self->co, as_task_join(&self->ts[self->i]), cx);
        if (as_task_outcome(&self->ts[self->i]) == RT_OUTCOME_OK)
            self->ok++;
    }
    RT_END(&self->co);
}

static const rt_future_vtable joiner_vtable = { joiner_poll, NULL, "joiner" };

/* listen_any: a listener on 127.0.0.1 with a kernel-chosen port; its "ip:port" in addr. */
static as_io *listen_any(char *addr, size_t size)
{
    as_io *l;
    ck_assert_int_eq(as_tcp_listen("127.0.0.1:0", &l), 0);
    int port = as_io_local_port(l);
    ck_assert_int_gt(port, 0);
    snprintf(addr, size, "127.0.0.1:%d", port);
    char text[64];
    ck_assert_int_eq(as_io_local_addr(l, text, sizeof text), 0);
    ck_assert_str_eq(text, addr);
    return l;
}

START_TEST(test_tcp_many_clients_echo)
{
    enum { CLIENTS = 24, ROUNDS = 40 };
    char addr[64];
    _Atomic long bytes = 0;
    echo_server srv = { .base = { &echo_server_vtable }, .count = CLIENTS, .bytes = &bytes };
    srv.listener = listen_any(addr, sizeof addr);
    as_task server;
    ck_assert_int_eq(AS_SPAWN(srv, &server), 0);
    static as_task ts[CLIENTS];
    static client cs[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        cs[i] = (client){ .base = { &client_vtable }, .rounds = ROUNDS, .id = i };
        snprintf(cs[i].addr, sizeof cs[i].addr, "%s", addr);
        ck_assert_int_eq(AS_SPAWN(cs[i], &ts[i]), 0);
    }
    joiner j = { .base = { &joiner_vtable }, .ts = ts, .n = CLIENTS };
    as_block_on(&j.base);
    ck_assert_int_eq(j.ok, CLIENTS);
    for (int i = 0; i < CLIENTS; i++) {
        ck_assert_int_eq(((client *)as_task_output(&ts[i]))->ok, ROUNDS);
        as_task_detach(&ts[i]);
    }
    joiner js = { .base = { &joiner_vtable }, .ts = &server, .n = 1 };
    as_block_on(&js.base);
    as_task_detach(&server);
    as_io_close(srv.listener);
    rt_runtime_metrics m;
    ck_assert_int_eq(as_metrics(&m), 0);
    ck_assert_uint_gt(m.io_ready_events, 0);
}
END_TEST

START_TEST(test_tcp_connect_by_name_uses_blocking_pool)
{
    char addr[64];
    echo_server srv = { .base = { &echo_server_vtable }, .count = 1 };
    srv.listener = listen_any(addr, sizeof addr);
    as_task server;
    ck_assert_int_eq(AS_SPAWN(srv, &server), 0);
    client c = { .base = { &client_vtable }, .rounds = 3 };
    snprintf(c.addr, sizeof c.addr, "localhost:%s", strchr(addr, ':') + 1);
    as_block_on(&c.base);
    ck_assert_int_eq(c.ok, 3);
    /* getaddrinfo ran on the blocking pool. The pool counts a job once its function has
     * returned, which may be just after our connect saw the result: wait for the count. */
    rt_blocking_stats bs;
    as_blocking_stats(&bs);
    for (int i = 0; i < 5000 && bs.jobs_run == 0; i++) {
        usleep(1000);
        as_blocking_stats(&bs);
    }
    ck_assert_uint_ge(bs.spawned, 1);
    ck_assert_uint_ge(bs.jobs_run, 1);
    joiner js = { .base = { &joiner_vtable }, .ts = &server, .n = 1 };
    as_block_on(&js.base);
    as_task_detach(&server);
    as_io_close(srv.listener);
}
END_TEST

/* connect_only: just a connect future, for the error cases. */
typedef struct connect_only {
    rt_future base;
    rt_async co;
    as_connect_fut c;
} connect_only;

static rt_poll connect_only_poll(rt_future *f, rt_context *cx)
{
    connect_only *self = (connect_only *)f;
    RT_BEGIN(&self->co);
    RT_AWAIT(&self->co, &self->c, cx);
    RT_END(&self->co);
}

static const rt_future_vtable connect_only_vtable = { connect_only_poll, NULL, "connect_only" };

/* try_connect: run a connect future to completion; returns its err (closing a stream it got). */
static int try_connect(as_connect_fut c)
{
    connect_only co = { .base = { &connect_only_vtable }, .c = c };
    as_block_on(&co.base);
    if (co.c.err == 0) {
        ck_assert_ptr_nonnull(co.c.stream);
        as_io_close(co.c.stream);
    } else {
        ck_assert_ptr_null(co.c.stream);
    }
    return co.c.err;
}

START_TEST(test_tcp_connect_errors)
{
    char addr[64];
    as_io *l = listen_any(addr, sizeof addr);
    as_io_close(l); /* nobody listens there now */
    ck_assert_int_eq(try_connect(as_tcp_connect(addr)), -ECONNREFUSED);
    ck_assert_int_eq(try_connect(as_tcp_connect("no port here")), -EINVAL);
    ck_assert_int_eq(try_connect(as_tcp_connect("127.0.0.1:99999")), -EINVAL);
    ck_assert_int_eq(try_connect(as_tcp_connect("::1:80")), -EINVAL); /* unbracketed v6 */
    ck_assert_int_eq(try_connect(as_tcp_connect(NULL)), -EINVAL);
    ck_assert_int_eq(try_connect(as_tcp_connect_addr(NULL, 0)), -EINVAL);
    struct sockaddr_storage ss;
    socklen_t len;
    ck_assert_int_eq(as_addr_parse(addr, &ss, &len), 0);
    ck_assert_int_eq(try_connect(as_tcp_connect_addr((struct sockaddr *)&ss, len)), -ECONNREFUSED);
}
END_TEST

START_TEST(test_tcp_listen_errors)
{
    as_io *l, *l2;
    ck_assert_int_eq(as_tcp_listen("banana", &l), -EINVAL);
    ck_assert_int_eq(as_tcp_listen("127.0.0.1", &l), -EINVAL);
    ck_assert_int_eq(as_tcp_listen("127.0.0.1:0", NULL), -EINVAL);
    char addr[64];
    l = listen_any(addr, sizeof addr);
    ck_assert_int_eq(as_tcp_listen(addr, &l2), -EADDRINUSE);
    as_io_close(l);
    int rc = as_tcp_listen("[::1]:0", &l2); /* IPv6 may be off in a container */
    ck_assert_msg(rc == 0 || rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT, "v6 listen: %d", rc);
    if (rc == 0)
        as_io_close(l2);
}
END_TEST

/* server_side: accept one connection and run a script of reads against it. */
typedef struct reader_side {
    rt_future base;
    rt_async co;
    as_io *listener, *s;
    as_accept_fut acc;
    as_read_fut rd;
    as_read_exact_fut rx;
    as_write_fut wr;
    char buf[64];
    ssize_t first, second, write_after;
    size_t exact_done;
    ssize_t exact_result;
    int mode; /* 0: read until error/EOF then write; 1: read_exact of 64 */
} reader_side;

static rt_poll reader_side_poll(rt_future *f, rt_context *cx)
{
    reader_side *self = (reader_side *)f;
    RT_BEGIN(&self->co);
    self->acc = as_tcp_accept(self->listener);
    RT_AWAIT(&self->co, &self->acc, cx);
    ck_assert_int_eq(self->acc.err, 0);
    self->s = self->acc.stream;
    if (self->mode == 1) {
        self->rx = as_read_exact(self->s, self->buf, sizeof self->buf);
        RT_AWAIT(&self->co, &self->rx, cx);
        self->exact_done = self->rx.done;
        self->exact_result = self->rx.result;
    } else {
        self->rd = as_read(self->s, self->buf, sizeof self->buf);
        RT_AWAIT(&self->co, &self->rd, cx);
        self->first = self->rd.result;
        self->rd = as_read(self->s, self->buf, sizeof self->buf);
        RT_AWAIT(&self->co, &self->rd, cx);
        self->second = self->rd.result;
        self->wr = as_write(self->s, "late", 4);
        RT_AWAIT(&self->co, &self->wr, cx);
        self->write_after = self->wr.result;
    }
    as_io_close(self->s);
    RT_END(&self->co);
}

static const rt_future_vtable reader_side_vtable = { reader_side_poll, NULL, "reader_side" };

/* plain_connect: a blocking client socket (the peer side of these tests is ordinary C). */
static int plain_connect(const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t len;
    ck_assert_int_eq(as_addr_parse(addr, &ss, &len), 0);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&ss, len), 0);
    return fd;
}

START_TEST(test_tcp_peer_reset_is_a_result)
{
    char addr[64];
    reader_side r = { .base = { &reader_side_vtable } };
    r.listener = listen_any(addr, sizeof addr);
    as_task t;
    ck_assert_int_eq(AS_SPAWN(r, &t), 0);
    int fd = plain_connect(addr);
    ck_assert_int_eq(write(fd, "abc", 3), 3);
    usleep(50000);
    /* Close with unread data on our side and a zero linger: the kernel sends a RST. */
    struct linger lg = { 1, 0 };
    ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close(fd);
    joiner j = { .base = { &joiner_vtable }, .ts = &t, .n = 1 };
    as_block_on(&j.base);
    ck_assert_int_eq(as_task_outcome(&t), RT_OUTCOME_OK);
    reader_side *out = (reader_side *)as_task_output(&t);
    ck_assert_int_eq(out->first, 3);
    ck_assert_msg(out->second == -ECONNRESET || out->second == 0, "second read: %zd", out->second);
    ck_assert_msg(out->write_after < 0, "write after reset: %zd", out->write_after);
    as_task_detach(&t);
    as_io_close(r.listener);
}
END_TEST

START_TEST(test_tcp_eof_and_unexpected_eof)
{
    char addr[64];
    reader_side r = { .base = { &reader_side_vtable }, .mode = 1 };
    r.listener = listen_any(addr, sizeof addr);
    as_task t;
    ck_assert_int_eq(AS_SPAWN(r, &t), 0);
    int fd = plain_connect(addr);
    ck_assert_int_eq(write(fd, "0123456789", 10), 10);
    usleep(20000);
    shutdown(fd, SHUT_WR);
    joiner j = { .base = { &joiner_vtable }, .ts = &t, .n = 1 };
    as_block_on(&j.base);
    reader_side *out = (reader_side *)as_task_output(&t);
    ck_assert_int_eq(out->exact_result, AS_UNEXPECTED_EOF);
    ck_assert_uint_eq(out->exact_done, 10);
    ck_assert_mem_eq(out->buf, "0123456789", 10);
    as_task_detach(&t);
    close(fd);
    as_io_close(r.listener);
}
END_TEST

/* ---- closing a handle under a waiting operation ------------------------------------------ */

typedef struct blocked_reader {
    rt_future base;
    rt_async co;
    as_io *s;
    as_read_fut rd;
    char buf[8];
    _Atomic int *parked;
} blocked_reader;

static rt_poll blocked_reader_poll(rt_future *f, rt_context *cx)
{
    blocked_reader *self = (blocked_reader *)f;
    RT_BEGIN(&self->co);
    self->rd = as_read(self->s, self->buf, sizeof self->buf);
    if (rt_future_poll(&self->rd.base, cx) == RT_PENDING) {
        atomic_store(self->parked, 1);
        RT_AWAIT(&self->co, &self->rd, cx);
    }
    RT_END(&self->co);
}

static void blocked_reader_drop(rt_future *f)
{
    rt_async_drop(&((blocked_reader *)f)->co);
}

static const rt_future_vtable blocked_reader_vtable = { blocked_reader_poll, blocked_reader_drop,
                                                        "blocked_reader" };

START_TEST(test_close_wakes_waiting_operation_with_ebadf)
{
    as_io *a, *b;
    ck_assert_int_eq(as_unix_pair(&a, &b), 0);
    _Atomic int parked = 0;
    blocked_reader r = { .base = { &blocked_reader_vtable }, .s = a, .parked = &parked };
    as_task t;
    ck_assert_int_eq(AS_SPAWN(r, &t), 0);
    for (int i = 0; i < 5000 && !atomic_load(&parked); i++)
        usleep(1000);
    ck_assert_int_eq(atomic_load(&parked), 1);
    as_io_close(a); /* while the read waits on it */
    joiner j = { .base = { &joiner_vtable }, .ts = &t, .n = 1 };
    as_block_on(&j.base);
    ck_assert_int_eq(((blocked_reader *)as_task_output(&t))->rd.result, -EBADF);
    as_task_detach(&t);
    as_io_close(b);
}
END_TEST

START_TEST(test_cancel_waiting_read_then_reuse_handle)
{
    as_io *a, *b;
    ck_assert_int_eq(as_unix_pair(&a, &b), 0);
    _Atomic int parked = 0;
    blocked_reader r = { .base = { &blocked_reader_vtable }, .s = a, .parked = &parked };
    as_task t;
    ck_assert_int_eq(AS_SPAWN(r, &t), 0);
    for (int i = 0; i < 5000 && !atomic_load(&parked); i++)
        usleep(1000);
    as_task_cancel(&t);
    joiner j = { .base = { &joiner_vtable }, .ts = &t, .n = 1 };
    as_block_on(&j.base);
    ck_assert_int_eq(as_task_outcome(&t), RT_OUTCOME_CANCELLED);
    as_task_detach(&t);
    /* The handle is still fine: a new reader gets the data. */
    ck_assert_int_eq(write(as_io_fd(b), "xy", 2), 2);
    atomic_store(&parked, 0);
    blocked_reader r2 = { .base = { &blocked_reader_vtable }, .s = a, .parked = &parked };
    as_block_on(&r2.base);
    ck_assert_int_eq(r2.rd.result, 2);
    as_io_close(a);
    as_io_close(b);
}
END_TEST

/* ---- other fds: files, pipes ------------------------------------------------------------- */

START_TEST(test_open_regular_file_is_refused_and_fd_kept)
{
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    int fd = fileno(tmp);
    as_io *io = NULL;
    ck_assert_int_eq(as_io_open(fd, &io), -EPERM);
    ck_assert_ptr_null(io);
    ck_assert_int_ge(fcntl(fd, F_GETFD), 0); /* still open, still ours */
    ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0); /* flags restored */
    fclose(tmp);
    ck_assert_int_eq(as_io_open(-1, &io), -EBADF);
    ck_assert_int_eq(as_io_open(12345, &io), -EBADF);
}
END_TEST

/* pipe_writer: write until the pipe fills, then after the reader closes, get EPIPE. */
typedef struct pipe_io {
    rt_future base;
    rt_async co;
    as_io *w;
    as_write_all_fut wa;
    char chunk[70000];
} pipe_io;

static rt_poll pipe_io_poll(rt_future *f, rt_context *cx)
{
    pipe_io *self = (pipe_io *)f;
    RT_BEGIN(&self->co);
    self->wa = as_write_all(self->w, self->chunk, sizeof self->chunk);
    RT_AWAIT(&self->co, &self->wa, cx);
    RT_END(&self->co);
}

static const rt_future_vtable pipe_io_vtable = { pipe_io_poll, NULL, "pipe_io" };

START_TEST(test_pipe_reader_gone_is_epipe_not_sigpipe)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    as_io *w;
    ck_assert_int_eq(as_io_open(p[1], &w), 0);
    static pipe_io pio;
    memset(&pio, 0, sizeof pio);
    pio.base.vtable = &pipe_io_vtable;
    pio.w = w;
    as_task t;
    ck_assert_int_eq(AS_SPAWN(pio, &t), 0); /* 70000 bytes: more than a pipe holds: it waits */
    usleep(50000);
    ck_assert(!as_task_is_finished(&t));
    close(p[0]); /* the reader goes away */
    joiner j = { .base = { &joiner_vtable }, .ts = &t, .n = 1 };
    as_block_on(&j.base);
    pipe_io *out = (pipe_io *)as_task_output(&t);
    ck_assert_int_eq(out->wa.result, -EPIPE);
    ck_assert_uint_gt(out->wa.done, 0);
    ck_assert_uint_lt(out->wa.done, sizeof out->chunk);
    as_task_detach(&t);
    as_io_close(w);
}
END_TEST

/* ready_probe: readable/writable futures on a socketpair. */
typedef struct ready_probe {
    rt_future base;
    rt_async co;
    as_io *a, *b;
    as_ready_fut r;
    int writable_err, readable_err;
} ready_probe;

static rt_poll ready_probe_poll(rt_future *f, rt_context *cx)
{
    ready_probe *self = (ready_probe *)f;
    RT_BEGIN(&self->co);
    self->r = as_writable(self->a);
    RT_AWAIT(&self->co, &self->r, cx);
    self->writable_err = self->r.err;
    ck_assert_int_eq(send(as_io_fd(self->a), "!", 1, 0), 1);
    self->r = as_readable(self->b);
    RT_AWAIT(&self->co, &self->r, cx);
    self->readable_err = self->r.err;
    RT_END(&self->co);
}

static const rt_future_vtable ready_probe_vtable = { ready_probe_poll, NULL, "ready_probe" };

START_TEST(test_readable_writable)
{
    ready_probe p = { .base = { &ready_probe_vtable } };
    ck_assert_int_eq(as_unix_pair(&p.a, &p.b), 0);
    as_block_on(&p.base);
    ck_assert_int_eq(p.writable_err, 0);
    ck_assert_int_eq(p.readable_err, 0);
    char c;
    ck_assert_int_eq(recv(as_io_fd(p.b), &c, 1, 0), 1);
    ck_assert_int_eq(c, '!');
    as_io_close(p.a);
    as_io_close(p.b);
}
END_TEST

/* ---- UDP --------------------------------------------------------------------------------- */

typedef struct udp_pingpong {
    rt_future base;
    rt_async co;
    as_io *a, *b;
    struct sockaddr_storage b_addr;
    socklen_t b_len;
    as_recv_from_fut rf;
    as_send_to_fut st;
    as_read_fut rd;
    as_write_fut wr;
    char buf[32];
    int a_port;
} udp_pingpong;

static rt_poll udp_poll(rt_future *f, rt_context *cx)
{
    udp_pingpong *self = (udp_pingpong *)f;
    RT_BEGIN(&self->co);
    self->rf = as_udp_recv_from(self->b, self->buf, sizeof self->buf);
    ck_assert_int_eq(rt_future_poll(&self->rf.base, cx), RT_PENDING); /* nothing yet: it waits */
    self->st = as_udp_send_to(self->a, "datagram", 8, (struct sockaddr *)&self->b_addr, self->b_len);
    RT_AWAIT(&self->co, &self->st, cx);
    ck_assert_int_eq(self->st.result, 8);
    RT_AWAIT(&self->co, &self->rf, cx);
    ck_assert_int_eq(self->rf.result, 8);
    ck_assert_mem_eq(self->buf, "datagram", 8);
    ck_assert_int_eq(ntohs(((struct sockaddr_in *)&self->rf.from)->sin_port), self->a_port);
    /* connected: plain read/write */
    self->wr = as_write(self->b, "back", 4);
    RT_AWAIT(&self->co, &self->wr, cx);
    ck_assert_int_eq(self->wr.result, 4);
    self->rd = as_read(self->a, self->buf, sizeof self->buf);
    RT_AWAIT(&self->co, &self->rd, cx);
    ck_assert_int_eq(self->rd.result, 4);
    ck_assert_mem_eq(self->buf, "back", 4);
    RT_END(&self->co);
}

static const rt_future_vtable udp_vtable = { udp_poll, NULL, "udp_pingpong" };

START_TEST(test_udp_send_to_recv_from_and_connected)
{
    udp_pingpong u = { .base = { &udp_vtable } };
    ck_assert_int_eq(as_udp_bind("127.0.0.1:0", &u.a), 0);
    ck_assert_int_eq(as_udp_bind("127.0.0.1:0", &u.b), 0);
    u.a_port = as_io_local_port(u.a);
    char addr[64], aaddr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", as_io_local_port(u.b));
    snprintf(aaddr, sizeof aaddr, "127.0.0.1:%d", u.a_port);
    ck_assert_int_eq(as_addr_parse(addr, &u.b_addr, &u.b_len), 0);
    ck_assert_int_eq(as_udp_connect(u.b, aaddr), 0);
    as_block_on(&u.base);
    as_io_close(u.a);
    as_io_close(u.b);
    as_io *x;
    ck_assert_int_eq(as_udp_bind("not an address", &x), -EINVAL);
    ck_assert_int_eq(as_udp_connect(NULL, aaddr), -EBADF);
}
END_TEST

/* ---- Unix streams ------------------------------------------------------------------------ */

typedef struct unix_script {
    rt_future base;
    rt_async co;
    char path[108];
    as_io *l, *server_side, *client_side;
    as_accept_fut acc;
    as_connect_fut conn;
    as_write_all_fut wr;
    as_read_exact_fut rd;
    char buf[6];
    rt_future *both[2];
    rt_join_all_fut j;
} unix_script;

static rt_poll unix_script_poll(rt_future *f, rt_context *cx)
{
    unix_script *self = (unix_script *)f;
    RT_BEGIN(&self->co);
    self->acc = as_unix_accept(self->l);
    self->conn = as_unix_connect(self->path);
    self->both[0] = &self->acc.base;
    self->both[1] = &self->conn.base;
    self->j = rt_join_all(self->both, 2);
    RT_AWAIT(&self->co, &self->j, cx);
    ck_assert_int_eq(self->acc.err, 0);
    ck_assert_int_eq(self->conn.err, 0);
    self->server_side = self->acc.stream;
    self->client_side = self->conn.stream;
    self->wr = as_write_all(self->client_side, "unix!!", 6);
    RT_AWAIT(&self->co, &self->wr, cx);
    self->rd = as_read_exact(self->server_side, self->buf, 6);
    RT_AWAIT(&self->co, &self->rd, cx);
    ck_assert_int_eq(self->rd.result, 6);
    as_io_close(self->server_side);
    as_io_close(self->client_side);
    RT_END(&self->co);
}

static const rt_future_vtable unix_script_vtable = { unix_script_poll, NULL, "unix_script" };

START_TEST(test_unix_listen_accept_connect)
{
    unix_script u = { .base = { &unix_script_vtable } };
    snprintf(u.path, sizeof u.path, "/tmp/test_as_net_%d.sock", (int)getpid());
    unlink(u.path);
    ck_assert_int_eq(as_unix_listen(u.path, &u.l), 0);
    as_block_on(&u.base);
    ck_assert_mem_eq(u.buf, "unix!!", 6);
    as_io_close(u.l);
    unlink(u.path);
    /* abstract namespace */
    snprintf(u.path, sizeof u.path, "@test_as_net_%d", (int)getpid());
    ck_assert_int_eq(as_unix_listen(u.path, &u.l), 0);
    u.co = (rt_async){ 0 };
    as_block_on(&u.base);
    ck_assert_mem_eq(u.buf, "unix!!", 6);
    as_io_close(u.l);
}
END_TEST

START_TEST(test_unix_errors)
{
    char path[200];
    snprintf(path, sizeof path, "/tmp/test_as_net_missing_%d.sock", (int)getpid());
    unlink(path);
    ck_assert_int_eq(try_connect(as_unix_connect(path)), -ENOENT);
    ck_assert_int_eq(try_connect(as_unix_connect("")), -EINVAL);
    memset(path, 'x', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    ck_assert_int_eq(try_connect(as_unix_connect(path)), -ENAMETOOLONG);
    as_io *l;
    ck_assert_int_eq(as_unix_listen(path, &l), -ENAMETOOLONG);
    ck_assert_int_eq(as_unix_pair(NULL, &l), -EINVAL);
}
END_TEST

/* big_transfer: 4 MiB each way through a socketpair with small buffers, so both directions
 * wait for the other repeatedly. */
typedef struct big_transfer {
    rt_future base;
    rt_async co;
    as_io *a, *b;
    char *out, *in;
    size_t len;
    as_write_all_fut w;
    as_read_exact_fut r;
    rt_future *both[2];
    rt_join_all_fut j;
} big_transfer;

static rt_poll big_transfer_poll(rt_future *f, rt_context *cx)
{
    big_transfer *self = (big_transfer *)f;
    RT_BEGIN(&self->co);
    self->w = as_write_all(self->a, self->out, self->len);
    self->r = as_read_exact(self->b, self->in, self->len);
    self->both[0] = &self->w.base;
    self->both[1] = &self->r.base;
    self->j = rt_join_all(self->both, 2);
    RT_AWAIT(&self->co, &self->j, cx);
    RT_END(&self->co);
}

static const rt_future_vtable big_transfer_vtable = { big_transfer_poll, NULL, "big_transfer" };

START_TEST(test_big_transfer_through_small_buffers)
{
    big_transfer t = { .base = { &big_transfer_vtable }, .len = 4u << 20 };
    ck_assert_int_eq(as_unix_pair(&t.a, &t.b), 0);
    int small = 4096;
    setsockopt(as_io_fd(t.a), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(as_io_fd(t.b), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    t.out = malloc(t.len);
    t.in = malloc(t.len);
    for (size_t i = 0; i < t.len; i++)
        t.out[i] = (char)(i * 31 + 7);
    as_block_on(&t.base);
    ck_assert_int_eq(t.w.result, (ssize_t)t.len);
    ck_assert_int_eq(t.r.result, (ssize_t)t.len);
    ck_assert_int_eq(memcmp(t.in, t.out, t.len), 0);
    free(t.out);
    free(t.in);
    as_io_close(t.a);
    as_io_close(t.b);
}
END_TEST

START_TEST(test_null_handle_operations_fail_cleanly)
{
    char buf[4];
    as_read_fut r = as_read(NULL, buf, 4);
    as_block_on(&r.base);
    ck_assert_int_eq(r.result, -EBADF);
    as_write_fut w = as_write(NULL, buf, 4);
    as_block_on(&w.base);
    ck_assert_int_eq(w.err, -EBADF);
    as_accept_fut a = as_tcp_accept(NULL);
    as_block_on(&a.base);
    ck_assert_int_eq(a.err, -EBADF);
    ck_assert_int_eq(as_io_shutdown(NULL, SHUT_RDWR), -EBADF);
    ck_assert_int_eq(as_io_fd(NULL), -1);
    as_io_close(NULL);
    struct sockaddr_in sin = { .sin_family = AF_INET };
    as_send_to_fut st = as_udp_send_to(NULL, buf, 4, (struct sockaddr *)&sin, 100000);
    as_block_on(&st.base);
    ck_assert_int_eq(st.err, -EINVAL);
}
END_TEST

START_TEST(test_addr_parse_and_format)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char buf[64];
    ck_assert_int_eq(as_addr_parse("10.1.2.3:8080", &ss, &len), 0);
    ck_assert_int_eq(as_addr_format((struct sockaddr *)&ss, len, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "10.1.2.3:8080");
    ck_assert_int_eq(as_addr_parse("[::1]:443", &ss, &len), 0);
    ck_assert_int_eq(as_addr_format((struct sockaddr *)&ss, len, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "[::1]:443");
    ck_assert_int_eq(as_addr_format((struct sockaddr *)&ss, len, buf, 5), -ENOSPC);
    static const char *bad[] = { "", ":80", "1.2.3.4:", "1.2.3.4:-1", "1.2.3.4:65536",
                                 "1.2.3.4:8x", "[::1:80", "[::1]80", "300.1.1.1:1", "host:80" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(as_addr_parse(bad[i], &ss, &len) == -EINVAL, "accepted '%s'", bad[i]);
}
END_TEST

static Suite *as_net_suite(void)
{
    Suite *s = suite_create("as_net");
    TCase *tc = tcase_create("net");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_tcp_many_clients_echo);
    tcase_add_test(tc, test_tcp_connect_by_name_uses_blocking_pool);
    tcase_add_test(tc, test_tcp_connect_errors);
    tcase_add_test(tc, test_tcp_listen_errors);
    tcase_add_test(tc, test_tcp_peer_reset_is_a_result);
    tcase_add_test(tc, test_tcp_eof_and_unexpected_eof);
    tcase_add_test(tc, test_close_wakes_waiting_operation_with_ebadf);
    tcase_add_test(tc, test_cancel_waiting_read_then_reuse_handle);
    tcase_add_test(tc, test_open_regular_file_is_refused_and_fd_kept);
    tcase_add_test(tc, test_pipe_reader_gone_is_epipe_not_sigpipe);
    tcase_add_test(tc, test_readable_writable);
    tcase_add_test(tc, test_udp_send_to_recv_from_and_connected);
    tcase_add_test(tc, test_unix_listen_accept_connect);
    tcase_add_test(tc, test_unix_errors);
    tcase_add_test(tc, test_big_transfer_through_small_buffers);
    tcase_add_test(tc, test_null_handle_operations_fail_cleanly);
    tcase_add_test(tc, test_addr_parse_and_format);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_suite_run(as_net_suite());
}
