/* test_tk_tcp.c: tk TCP -- echo on both schedulers, big transfers, EOF, resets, refusals, 200 clients. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_async.h"
#include "rt_testkit.h"
#include "tk_net.h"
#include "tk_runtime.h"
#include "tk_time.h"
#include "tk_testkit.h"

/* pattern: the byte at offset i of stream `seed`, so every byte checks where it belongs. */
static unsigned char pattern(unsigned seed, size_t i)
{
    return (unsigned char)((i * 31u + seed * 7u + (i >> 8)) & 0xff);
}

/* ---- an echo connection: read, write back, until EOF or error ---------------------------- */
typedef struct echo_conn {
    rt_future base;
    rt_async co;
    tk_tcp_stream s;
    tk_read_fut rd;
    tk_write_all_fut wr;
    char buf[4096];
} echo_conn;

/* echo_conn_poll: echo until EOF or an error, then close. */
static rt_poll echo_conn_poll(rt_future *f, rt_context *cx)
{
    echo_conn *e = (echo_conn *)f;
    RT_BEGIN(&e->co);
    for (;;) {
        e->rd = tk_tcp_read(&e->s, e->buf, sizeof e->buf);
        RT_AWAIT(&e->co, &e->rd, cx);
        if (e->rd.result <= 0)
            break;
        e->wr = tk_tcp_write_all(&e->s, e->buf, (size_t)e->rd.result);
        RT_AWAIT(&e->co, &e->wr, cx);
        if (e->wr.result != 0)
            break;
    }
    tk_tcp_stream_close(&e->s);
    RT_END(&e->co);
}

/* echo_conn_drop: cancelled or done, the stream is closed. */
static void echo_conn_drop(rt_future *f)
{
    echo_conn *e = (echo_conn *)f;
    rt_async_drop(&e->co);
    tk_tcp_stream_close(&e->s);
}

static const rt_future_vtable echo_conn_vtable = { echo_conn_poll, echo_conn_drop, "echo_conn" };

/* ---- an acceptor: accept n connections, one echo task each ------------------------------- */
typedef struct acceptor {
    rt_future base;
    rt_async co;
    tk_tcp_listener *l;
    int n, i;
    tk_accept_fut acc;
} acceptor;

/* acceptor_poll: accept n connections, spawning a detached echo task for each. */
static rt_poll acceptor_poll(rt_future *f, rt_context *cx)
{
    acceptor *a = (acceptor *)f;
    RT_BEGIN(&a->co);
    for (a->i = 0; a->i < a->n; a->i++) {
        a->acc = tk_tcp_accept(a->l);
        RT_AWAIT(&a->co, &a->acc, cx);
        ck_assert_int_eq(a->acc.result, 0);
        ck_assert_int_eq(tk_sockaddr_port(&a->acc.peer) > 0, 1);
        echo_conn e = { .base = { &echo_conn_vtable }, .s = a->acc.stream };
        tk_join_handle jh;
        ck_assert_int_eq(tk_spawn(&e.base, sizeof e, &jh), 0);
        rt_join_handle_detach(&jh);
    }
    RT_END(&a->co);
}

static const rt_future_vtable acceptor_vtable = { acceptor_poll, NULL, "acceptor" };

/* spawn_acceptor: an acceptor task for n connections on l (which must outlive it). */
static void spawn_acceptor(tk_tcp_listener *l, int n, tk_join_handle *jh)
{
    acceptor a = { .base = { &acceptor_vtable }, .l = l, .n = n };
    ck_assert_int_eq(tk_spawn(&a.base, sizeof a, jh), 0);
}

/* ---- an echo client: connect, rounds of chunk bytes out and back, verify ---------------- */
typedef struct client {
    rt_future base;
    rt_async co;
    unsigned port, seed;
    int rounds, round;
    size_t chunk;
    unsigned char *out, *in;
    tk_connect_fut conn;
    tk_tcp_stream s;
    tk_write_all_fut wr;
    tk_read_exact_fut rx;
    int result;        /* 0 ok, else the step that failed (negative errno) */
    int v6;            /* connect to ::1 instead of 127.0.0.1 */
} client;

/* client_poll: connect, then write/read back/verify `rounds` chunks. */
static rt_poll client_poll(rt_future *f, rt_context *cx)
{
    client *c = (client *)f;
    RT_BEGIN(&c->co);
    c->conn = tk_tcp_connect(c->v6 ? "::1" : "127.0.0.1", c->port);
    RT_AWAIT(&c->co, &c->conn, cx);
    if ((c->result = c->conn.result) != 0)
        RT_RETURN(&c->co);
    c->s = c->conn.stream;
    for (c->round = 0; c->round < c->rounds; c->round++) {
        for (size_t i = 0; i < c->chunk; i++)
            c->out[i] = pattern(c->seed + (unsigned)c->round, i);
        memset(c->in, 0, c->chunk);
        c->wr = tk_tcp_write_all(&c->s, c->out, c->chunk);
        RT_AWAIT(&c->co, &c->wr, cx);
        if ((c->result = c->wr.result) != 0)
            break;
        c->rx = tk_tcp_read_exact(&c->s, c->in, c->chunk);
        RT_AWAIT(&c->co, &c->rx, cx);
        if ((c->result = c->rx.result) != 0)
            break;
        if (memcmp(c->in, c->out, c->chunk) != 0) {
            c->result = -EILSEQ;
            break;
        }
    }
    tk_tcp_stream_close(&c->s);
    RT_END(&c->co);
}

/* client_drop: close the stream and free the buffers. */
static void client_drop(rt_future *f)
{
    client *c = (client *)f;
    rt_async_drop(&c->co);
    tk_tcp_stream_close(&c->s);
    free(c->out);
    free(c->in);
}

static const rt_future_vtable client_vtable = { client_poll, client_drop, "client" };

/* client_new: buffers are the client's own (freed by its drop). */
static client client_new(unsigned port, unsigned seed, int rounds, size_t chunk)
{
    client c;
    memset(&c, 0, sizeof c);
    c.base.vtable = &client_vtable;
    c.port = port;
    c.seed = seed;
    c.rounds = rounds;
    c.chunk = chunk;
    c.out = malloc(chunk);
    c.in = malloc(chunk);
    ck_assert(c.out && c.in);
    c.result = 1;
    return c;
}

/* ---- test: echo round trips, addresses and options, then a clean EOF --------------------- */
typedef struct echo_main {
    rt_future base;
    rt_async co;
    tk_tcp_listener l;
    int port;
    tk_join_handle server;
    tk_connect_fut conn;
    tk_tcp_stream s;
    tk_write_all_fut wr;
    tk_read_exact_fut rx;
    tk_read_fut rd;
    int i;
    char out[64], in[64];
} echo_main;

/* echo_main_poll: round trips, addresses, nodelay, half-close, EOF, closed-stream errors. */
static rt_poll echo_main_poll(rt_future *f, rt_context *cx)
{
    echo_main *m = (echo_main *)f;
    RT_BEGIN(&m->co);
    ck_assert_int_eq(tk_tcp_listener_bind("127.0.0.1", 0, &m->l), 0);
    m->port = tk_tcp_listener_local_port(&m->l);
    ck_assert_int_gt(m->port, 0);
    spawn_acceptor(&m->l, 1, &m->server);
    m->conn = tk_tcp_connect("localhost", (unsigned)m->port);
    RT_AWAIT(&m->co, &m->conn, cx);
    ck_assert_int_eq(m->conn.result, 0);
    m->s = m->conn.stream;
    ck_assert_int_eq(tk_tcp_set_nodelay(&m->s, 1), 0);
    ck_assert_int_eq(tk_tcp_nodelay(&m->s), 1);
    {
        tk_sockaddr peer, local;
        char text[TK_SOCKADDR_STRLEN], want[64];
        ck_assert_int_eq(tk_tcp_peer_addr(&m->s, &peer), 0);
        ck_assert_int_eq(tk_tcp_local_addr(&m->s, &local), 0);
        snprintf(want, sizeof want, "127.0.0.1:%d", m->port);
        ck_assert_str_eq(tk_sockaddr_format(&peer, text, sizeof text), want);
        ck_assert_int_gt(tk_sockaddr_port(&local), 0);
    }
    for (m->i = 0; m->i < 200; m->i++) {
        snprintf(m->out, sizeof m->out, "ping %d", m->i);
        m->wr = tk_tcp_write_all(&m->s, m->out, strlen(m->out));
        RT_AWAIT(&m->co, &m->wr, cx);
        ck_assert_int_eq(m->wr.result, 0);
        memset(m->in, 0, sizeof m->in);
        m->rx = tk_tcp_read_exact(&m->s, m->in, strlen(m->out));
        RT_AWAIT(&m->co, &m->rx, cx);
        ck_assert_int_eq(m->rx.result, 0);
        ck_assert_str_eq(m->in, m->out);
    }
    /* half-close: the echo task sees EOF, closes, and we see EOF too */
    ck_assert_int_eq(tk_tcp_shutdown(&m->s, SHUT_WR), 0);
    m->rd = tk_tcp_read(&m->s, m->in, sizeof m->in);
    RT_AWAIT(&m->co, &m->rd, cx);
    ck_assert_int_eq(m->rd.result, 0);
    m->rd = tk_tcp_read(&m->s, m->in, sizeof m->in);
    RT_AWAIT(&m->co, &m->rd, cx);
    ck_assert_int_eq(m->rd.result, 0); /* EOF stays EOF */
    /* read_exact meeting EOF: the documented UnexpectedEof code */
    m->rx = tk_tcp_read_exact(&m->s, m->in, 4);
    RT_AWAIT(&m->co, &m->rx, cx);
    ck_assert_int_eq(m->rx.result, TK_UNEXPECTED_EOF);
    ck_assert_uint_eq(m->rx.done, 0);
    RT_AWAIT(&m->co, &m->server, cx);
    ck_assert_int_eq(m->server.outcome, RT_OUTCOME_OK);
    rt_join_handle_detach(&m->server);
    tk_tcp_stream_close(&m->s);
    ck_assert(!tk_stream_is_open(&m->s));
    tk_tcp_stream_close(&m->s); /* idempotent */
    /* a closed stream answers -EBADF, it does not crash */
    m->rd = tk_tcp_read(&m->s, m->in, sizeof m->in);
    RT_AWAIT(&m->co, &m->rd, cx);
    ck_assert_int_eq(m->rd.result, -EBADF);
    tk_tcp_listener_close(&m->l);
    RT_END(&m->co);
}

static const rt_future_vtable echo_main_vtable = { echo_main_poll, NULL, "echo_main" };

/* test_echo_both_flavours: echo_main on current_thread, then multi_thread. */
START_TEST(test_echo_both_flavours)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        echo_main m;
        memset(&m, 0, sizeof m);
        m.base.vtable = &echo_main_vtable;
        tk_runtime_block_on(rt, &m.base);
        tk_runtime_free(rt);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- test: 4 MiB each way at once, reader and writer tasks per side ---------------------- */
#define BIG (4u << 20)

typedef struct pump {
    rt_future base;
    rt_async co;
    tk_tcp_stream *s;
    unsigned seed;
    int reading;
    unsigned char *buf;
    tk_write_all_fut wr;
    tk_read_exact_fut rx;
    int result;
} pump;

/* pump_poll: write BIG pattern bytes, or read BIG bytes and verify them. */
static rt_poll pump_poll(rt_future *f, rt_context *cx)
{
    pump *p = (pump *)f;
    RT_BEGIN(&p->co);
    if (p->reading) {
        p->rx = tk_tcp_read_exact(p->s, p->buf, BIG);
        RT_AWAIT(&p->co, &p->rx, cx);
        p->result = p->rx.result;
        for (size_t i = 0; p->result == 0 && i < BIG; i++)
            if (p->buf[i] != pattern(p->seed, i))
                p->result = -EILSEQ;
    } else {
        for (size_t i = 0; i < BIG; i++)
            p->buf[i] = pattern(p->seed, i);
        p->wr = tk_tcp_write_all(p->s, p->buf, BIG);
        RT_AWAIT(&p->co, &p->wr, cx);
        p->result = p->wr.result;
        ck_assert_uint_eq(p->wr.done, BIG);
    }
    RT_END(&p->co);
}

/* pump_drop: free the buffer. */
static void pump_drop(rt_future *f)
{
    pump *p = (pump *)f;
    rt_async_drop(&p->co);
    free(p->buf);
}

static const rt_future_vtable pump_vtable = { pump_poll, pump_drop, "pump" };

typedef struct big_main {
    rt_future base;
    rt_async co;
    tk_tcp_listener l;
    tk_accept_fut acc;
    tk_connect_fut conn;
    tk_tcp_stream a, b;
    tk_join_handle jh[4];
    int i;
} big_main;

/* big_main_poll: a connected pair, four pumps (both directions at once), join all. */
static rt_poll big_main_poll(rt_future *f, rt_context *cx)
{
    big_main *m = (big_main *)f;
    RT_BEGIN(&m->co);
    ck_assert_int_eq(tk_tcp_listener_bind("127.0.0.1", 0, &m->l), 0);
    m->conn = tk_tcp_connect("127.0.0.1", (unsigned)tk_tcp_listener_local_port(&m->l));
    RT_AWAIT(&m->co, &m->conn, cx);
    ck_assert_int_eq(m->conn.result, 0);
    m->a = m->conn.stream;
    m->acc = tk_tcp_accept(&m->l);
    RT_AWAIT(&m->co, &m->acc, cx);
    ck_assert_int_eq(m->acc.result, 0);
    m->b = m->acc.stream;
    for (int i = 0; i < 4; i++) {
        /* 0: a writes (seed 1), 1: b reads seed 1, 2: b writes (seed 2), 3: a reads seed 2 */
        pump p = { .base = { &pump_vtable }, .s = (i == 0 || i == 3) ? &m->a : &m->b,
                   .seed = i < 2 ? 1 : 2, .reading = i & 1, .result = 1 };
        p.buf = malloc(BIG);
        ck_assert_ptr_nonnull(p.buf);
        ck_assert_int_eq(tk_spawn(&p.base, sizeof p, &m->jh[i]), 0);
    }
    for (m->i = 0; m->i < 4; m->i++) {
        RT_AWAIT(&m->co, &m->jh[m->i], cx);
        ck_assert_int_eq(m->jh[m->i].outcome, RT_OUTCOME_OK);
        ck_assert_int_eq(((pump *)rt_join_handle_output(&m->jh[m->i]))->result, 0);
        rt_join_handle_detach(&m->jh[m->i]);
    }
    tk_tcp_stream_close(&m->a);
    tk_tcp_stream_close(&m->b);
    tk_tcp_listener_close(&m->l);
    RT_END(&m->co);
}

static const rt_future_vtable big_main_vtable = { big_main_poll, NULL, "big_main" };

/* test_big_transfer_both_ways: 4 MiB each way, concurrently, on both flavours. */
START_TEST(test_big_transfer_both_ways)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        big_main m;
        memset(&m, 0, sizeof m);
        m.base.vtable = &big_main_vtable;
        tk_runtime_block_on(rt, &m.base);
        tk_runtime_free(rt);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- test: the peer resets -- mid-write and mid-read -- and the runtime serves on ------- */

/* reset_now: SO_LINGER {on, 0} makes close(2) send RST instead of FIN. */
static void reset_now(tk_tcp_stream *s)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    ck_assert_int_eq(setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    tk_tcp_stream_close(s);
}

typedef struct resetter {
    rt_future base;
    rt_async co;
    tk_tcp_listener *l;
    int read_first;       /* read this many bytes before resetting (the peer is writing) */
    tk_accept_fut acc;
    tk_tcp_stream s;
    tk_read_exact_fut rx;
    tk_sleep_fut nap;
    char buf[1024];
} resetter;

/* resetter_poll: accept, wait until the peer is busy, then reset the connection. */
static rt_poll resetter_poll(rt_future *f, rt_context *cx)
{
    resetter *r = (resetter *)f;
    RT_BEGIN(&r->co);
    r->acc = tk_tcp_accept(r->l);
    RT_AWAIT(&r->co, &r->acc, cx);
    ck_assert_int_eq(r->acc.result, 0);
    r->s = r->acc.stream;
    if (r->read_first) {
        r->rx = tk_tcp_read_exact(&r->s, r->buf, (size_t)r->read_first);
        RT_AWAIT(&r->co, &r->rx, cx);
        ck_assert_int_eq(r->rx.result, 0);
    } else {
        r->nap = tk_sleep(20); /* let the peer park in its read first */
        RT_AWAIT(&r->co, &r->nap, cx);
    }
    reset_now(&r->s);
    RT_END(&r->co);
}

/* resetter_drop: close whatever is still open. */
static void resetter_drop(rt_future *f)
{
    resetter *r = (resetter *)f;
    rt_async_drop(&r->co);
    tk_tcp_stream_close(&r->s);
}

static const rt_future_vtable resetter_vtable = { resetter_poll, resetter_drop, "resetter" };

#define RESET_CHUNK (1u << 20)

typedef struct reset_main {
    rt_future base;
    rt_async co;
    tk_tcp_listener l;
    unsigned port;
    tk_join_handle server;
    tk_connect_fut conn;
    tk_tcp_stream s;
    tk_write_all_fut wr;
    tk_read_fut rd;
    int i, write_err;
    unsigned char *big;
    char small[16];
    client after;
} reset_main;

/* reset_main_poll: a reset mid-write, a reset mid-read, then a normal echo. */
static rt_poll reset_main_poll(rt_future *f, rt_context *cx)
{
    reset_main *m = (reset_main *)f;
    RT_BEGIN(&m->co);
    ck_assert_int_eq(tk_tcp_listener_bind("127.0.0.1", 0, &m->l), 0);
    m->port = (unsigned)tk_tcp_listener_local_port(&m->l);

    /* 1. reset while we write: write_all fails with ECONNRESET or EPIPE, no SIGPIPE */
    {
        resetter r = { .base = { &resetter_vtable }, .l = &m->l, .read_first = 1024 };
        ck_assert_int_eq(tk_spawn(&r.base, sizeof r, &m->server), 0);
    }
    m->conn = tk_tcp_connect("127.0.0.1", m->port);
    RT_AWAIT(&m->co, &m->conn, cx);
    ck_assert_int_eq(m->conn.result, 0);
    m->s = m->conn.stream;
    m->big = calloc(1, RESET_CHUNK);
    ck_assert_ptr_nonnull(m->big);
    for (m->i = 0; m->i < 1000; m->i++) {
        m->wr = tk_tcp_write_all(&m->s, m->big, RESET_CHUNK);
        RT_AWAIT(&m->co, &m->wr, cx);
        if (m->wr.result != 0)
            break;
    }
    m->write_err = m->wr.result;
    ck_assert_msg(m->write_err == -ECONNRESET || m->write_err == -EPIPE, "write_all gave %d",
                  m->write_err);
    free(m->big);
    m->big = NULL;
    tk_tcp_stream_close(&m->s);
    RT_AWAIT(&m->co, &m->server, cx);
    ck_assert_int_eq(m->server.outcome, RT_OUTCOME_OK);
    rt_join_handle_detach(&m->server);

    /* 2. reset while we wait in read: the read gives -ECONNRESET */
    {
        resetter r = { .base = { &resetter_vtable }, .l = &m->l, .read_first = 0 };
        ck_assert_int_eq(tk_spawn(&r.base, sizeof r, &m->server), 0);
    }
    m->conn = tk_tcp_connect("127.0.0.1", m->port);
    RT_AWAIT(&m->co, &m->conn, cx);
    ck_assert_int_eq(m->conn.result, 0);
    m->s = m->conn.stream;
    m->rd = tk_tcp_read(&m->s, m->small, sizeof m->small);
    RT_AWAIT(&m->co, &m->rd, cx);
    ck_assert_int_eq(m->rd.result, -ECONNRESET);
    tk_tcp_stream_close(&m->s);
    RT_AWAIT(&m->co, &m->server, cx);
    rt_join_handle_detach(&m->server);

    /* 3. the same listener and runtime still serve a normal echo */
    spawn_acceptor(&m->l, 1, &m->server);
    m->after = client_new(m->port, 9, 10, 1000);
    RT_AWAIT(&m->co, &m->after, cx);
    ck_assert_int_eq(m->after.result, 0);
    rt_future_drop(&m->after.base);
    RT_AWAIT(&m->co, &m->server, cx);
    rt_join_handle_detach(&m->server);
    tk_tcp_listener_close(&m->l);
    RT_END(&m->co);
}

static const rt_future_vtable reset_main_vtable = { reset_main_poll, NULL, "reset_main" };

/* test_peer_reset: resets are errors of one connection, on both flavours. */
START_TEST(test_peer_reset)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        reset_main m;
        memset(&m, 0, sizeof m);
        m.base.vtable = &reset_main_vtable;
        tk_runtime_block_on(rt, &m.base);
        tk_runtime_free(rt);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- test: refused and malformed connects ------------------------------------------------ */
typedef struct refuse_main {
    rt_future base;
    rt_async co;
    unsigned port;
    tk_connect_fut conn;
} refuse_main;

/* refuse_main_poll: a refused port, a name, an out-of-range port. */
static rt_poll refuse_main_poll(rt_future *f, rt_context *cx)
{
    refuse_main *m = (refuse_main *)f;
    RT_BEGIN(&m->co);
    m->conn = tk_tcp_connect("127.0.0.1", m->port);
    RT_AWAIT(&m->co, &m->conn, cx);
    ck_assert_int_eq(m->conn.result, -ECONNREFUSED);
    ck_assert(!tk_stream_is_open(&m->conn.stream));
    m->conn = tk_tcp_connect("no.such.host.invalid", 80);
    RT_AWAIT(&m->co, &m->conn, cx);
    ck_assert_int_eq(m->conn.result, -EINVAL);
    m->conn = tk_tcp_connect("127.0.0.1", 70000);
    RT_AWAIT(&m->co, &m->conn, cx);
    ck_assert_int_eq(m->conn.result, -EINVAL);
    RT_END(&m->co);
}

static const rt_future_vtable refuse_main_vtable = { refuse_main_poll, NULL, "refuse_main" };

/* test_connect_refused: -ECONNREFUSED and -EINVAL, nothing left open. */
START_TEST(test_connect_refused)
{
    /* A socket bound but not listening owns the port, so the refusal is certain: nobody else
     * can start listening there while we hold it. */
    int holder = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(bind(holder, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    ck_assert_int_eq(getsockname(holder, (struct sockaddr *)&a, &len), 0);
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        refuse_main m = { .base = { &refuse_main_vtable }, .port = ntohs(a.sin_port) };
        tk_runtime_block_on(rt, &m.base);
        tk_runtime_free(rt);
    }
    close(holder);
    rt_check_tasks_balanced();
}
END_TEST

/* ---- test: 200 concurrent clients, 64 KiB each, every byte checked ----------------------- */
#define MANY 200

typedef struct many_main {
    rt_future base;
    rt_async co;
    tk_tcp_listener l;
    tk_join_handle server;
    tk_join_handle *clients;
    int i;
} many_main;

/* many_main_poll: MANY clients against one acceptor; every client must succeed. */
static rt_poll many_main_poll(rt_future *f, rt_context *cx)
{
    many_main *m = (many_main *)f;
    RT_BEGIN(&m->co);
    ck_assert_int_eq(tk_tcp_listener_bind("127.0.0.1", 0, &m->l), 0);
    spawn_acceptor(&m->l, MANY, &m->server);
    for (int i = 0; i < MANY; i++) {
        /* 4 round trips of 16 KiB: each chunk fits the socket buffers, so the echo can
         * never deadlock with a client that writes before it reads. */
        client c = client_new((unsigned)tk_tcp_listener_local_port(&m->l), (unsigned)i, 4,
                              16384);
        ck_assert_int_eq(tk_spawn(&c.base, sizeof c, &m->clients[i]), 0);
    }
    for (m->i = 0; m->i < MANY; m->i++) {
        RT_AWAIT(&m->co, &m->clients[m->i], cx);
        ck_assert_int_eq(m->clients[m->i].outcome, RT_OUTCOME_OK);
        ck_assert_int_eq(((client *)rt_join_handle_output(&m->clients[m->i]))->result, 0);
        rt_join_handle_detach(&m->clients[m->i]);
    }
    RT_AWAIT(&m->co, &m->server, cx);
    ck_assert_int_eq(m->server.outcome, RT_OUTCOME_OK);
    rt_join_handle_detach(&m->server);
    tk_tcp_listener_close(&m->l);
    RT_END(&m->co);
}

static const rt_future_vtable many_main_vtable = { many_main_poll, NULL, "many_main" };

/* test_many_connections: 200 concurrent echo clients on both flavours. */
START_TEST(test_many_connections)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        many_main m;
        memset(&m, 0, sizeof m);
        m.base.vtable = &many_main_vtable;
        m.clients = calloc(MANY, sizeof *m.clients);
        tk_runtime_block_on(rt, &m.base);
        tk_runtime_free(rt);
        free(m.clients);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- test: out of descriptors -- accept says -EMFILE, and the listener survives ---------- */
typedef struct emfile_main {
    rt_future base;
    rt_async co;
    tk_tcp_listener l, other;
    int client;
    struct rlimit saved;
    tk_accept_fut acc;
} emfile_main;

/* emfile_main_poll: -EADDRINUSE, then accept under a descriptor limit, then without. */
static rt_poll emfile_main_poll(rt_future *f, rt_context *cx)
{
    emfile_main *m = (emfile_main *)f;
    RT_BEGIN(&m->co);
    ck_assert_int_eq(tk_tcp_listener_bind("127.0.0.1", 0, &m->l), 0);
    /* binding the same port again is refused, SO_REUSEADDR notwithstanding */
    ck_assert_int_eq(tk_tcp_listener_bind("127.0.0.1", (unsigned)tk_tcp_listener_local_port(&m->l),
                                          &m->other),
                     -EADDRINUSE);
    {
        /* a plain blocking client: its connection waits in the backlog */
        m->client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET,
                                 .sin_port = htons((uint16_t)tk_tcp_listener_local_port(&m->l)),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        ck_assert_int_eq(connect(m->client, (struct sockaddr *)&a, sizeof a), 0);
        /* the lowest free descriptor becomes the limit: the next accept cannot get one */
        int probe = dup(0);
        ck_assert_int_ge(probe, 0);
        close(probe);
        ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &m->saved), 0);
        struct rlimit low = { .rlim_cur = (rlim_t)probe, .rlim_max = m->saved.rlim_max };
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    }
    m->acc = tk_tcp_accept(&m->l);
    RT_AWAIT(&m->co, &m->acc, cx);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &m->saved), 0);
    ck_assert_int_eq(m->acc.result, -EMFILE);
    ck_assert(!tk_stream_is_open(&m->acc.stream));
    /* descriptors are back: the same connection is still waiting, and now it is accepted */
    m->acc = tk_tcp_accept(&m->l);
    RT_AWAIT(&m->co, &m->acc, cx);
    ck_assert_int_eq(m->acc.result, 0);
    tk_tcp_stream_close(&m->acc.stream);
    close(m->client);
    tk_tcp_listener_close(&m->l);
    RT_END(&m->co);
}

static const rt_future_vtable emfile_main_vtable = { emfile_main_poll, NULL, "emfile_main" };

/* test_accept_emfile: -EMFILE is reported and the listener keeps working. */
START_TEST(test_accept_emfile)
{
    /* current_thread: no other thread may be opening descriptors while the limit is low */
    tk_runtime *rt = build(TK_CURRENT_THREAD, 2);
    emfile_main m;
    memset(&m, 0, sizeof m);
    m.base.vtable = &emfile_main_vtable;
    tk_runtime_block_on(rt, &m.base);
    tk_runtime_free(rt);
}
END_TEST

/* ---- test: IPv6 loopback, when the machine has it ---------------------------------------- */
typedef struct v6_main {
    rt_future base;
    rt_async co;
    tk_tcp_listener l;
    tk_join_handle server;
    client c;
    int skipped;
} v6_main;

/* v6_main_poll: an echo over ::1, skipped where IPv6 loopback is missing. */
static rt_poll v6_main_poll(rt_future *f, rt_context *cx)
{
    v6_main *m = (v6_main *)f;
    RT_BEGIN(&m->co);
    {
        int rc = tk_tcp_listener_bind("::1", 0, &m->l);
        if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT) {
            m->skipped = 1; /* no IPv6 loopback in this sandbox */
            RT_RETURN(&m->co);
        }
        ck_assert_int_eq(rc, 0);
    }
    spawn_acceptor(&m->l, 1, &m->server);
    m->c = client_new((unsigned)tk_tcp_listener_local_port(&m->l), 5, 3, 3000);
    m->c.v6 = 1;
    RT_AWAIT(&m->co, &m->c, cx);
    ck_assert_int_eq(m->c.result, 0);
    rt_future_drop(&m->c.base);
    RT_AWAIT(&m->co, &m->server, cx);
    rt_join_handle_detach(&m->server);
    tk_tcp_listener_close(&m->l);
    RT_END(&m->co);
}

static const rt_future_vtable v6_main_vtable = { v6_main_poll, NULL, "v6_main" };

/* test_ipv6_echo: the address family follows the host string. */
START_TEST(test_ipv6_echo)
{
    tk_runtime *rt = build(TK_MULTI_THREAD, 2);
    v6_main m;
    memset(&m, 0, sizeof m);
    m.base.vtable = &v6_main_vtable;
    tk_runtime_block_on(rt, &m.base);
    tk_runtime_free(rt);
    rt_check_tasks_balanced();
}
END_TEST

/* main: the suite. */
int main(void)
{
    Suite *s = suite_create("tk_tcp");
    TCase *tc = tcase_create("tcp");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_echo_both_flavours);
    tcase_add_test(tc, test_big_transfer_both_ways);
    tcase_add_test(tc, test_peer_reset);
    tcase_add_test(tc, test_connect_refused);
    tcase_add_test(tc, test_many_connections);
    tcase_add_test(tc, test_accept_emfile);
    tcase_add_test(tc, test_ipv6_echo);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
