/* tcp_echo.c (rtb-tk): loopback TCP echo: writer and reader tasks per client, an echo task each. */
#include "tkb.h"

#include <string.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rtb_echo.h"
#include "rtb_util.h"
#include "tk_net.h"

/*
 * The anchor's shape: every server connection gets an echo task (read a buffer, write_all it
 * back, until end-of-file, then shut down its sending side), spawned before the clock starts;
 * every client connection is split between a writer task (write_all the pattern in pieces of
 * at most `buf` bytes, then shut down) and a reader task (read, check every byte against the
 * pattern, until end-of-file). tk allows one reader and one writer per stream at a time, which
 * is what tokio's into_split halves are. The connections are the shared loopback pairs
 * (TCP_NODELAY both ends), adopted as tk streams inside block_on.
 *
 * Readers check bytes themselves (a memcmp against the pattern); rtb_echo_verify would add to a
 * shared counter from several workers at once. The per-connection totals go into rtb_echo's
 * books after the join, on one thread, and rtb_echo_report checks them as for every runtime.
 */

/* ---- server side ------------------------------------------------------------------------- */

typedef struct tkb__echo {
    rt_future base;
    rt_async co;
    tk_stream *s;
    size_t buflen;
    unsigned char *buf;
    tk_read_fut rd;
    tk_write_all_fut wa;
} tkb__echo;

/* tkb__echo_poll: read what comes, write all of it back, until end-of-file; then FIN. */
static rt_poll tkb__echo_poll(rt_future *f, rt_context *cx)
{
    tkb__echo *e = (tkb__echo *)f;
    RT_BEGIN(&e->co);
    e->buf = rt_malloc(e->buflen);
    if (e->buf == NULL)
        rtb_fail("out of memory for an echo buffer");
    for (;;) {
        e->rd = tk_stream_read(e->s, e->buf, e->buflen);
        RT_AWAIT(&e->co, &e->rd, cx);
        if (e->rd.result == 0)
            break;
        if (e->rd.result < 0)
            rtb_fail("echo read: %s", strerror((int)-e->rd.result));
        e->wa = tk_stream_write_all(e->s, e->buf, (size_t)e->rd.result);
        RT_AWAIT(&e->co, &e->wa, cx);
        if (e->wa.result != 0)
            rtb_fail("echo write: %s", strerror(-e->wa.result));
    }
    tk_stream_shutdown(e->s, SHUT_WR);
    RT_END(&e->co);
}

/* tkb__echo_drop: the buffer (NULL before the first poll: rt_free ignores it). */
static void tkb__echo_drop(rt_future *f)
{
    tkb__echo *e = (tkb__echo *)f;
    rt_async_drop(&e->co);
    rt_free(e->buf);
    e->buf = NULL;
}

static const rt_future_vtable tkb__echo_vtable = { tkb__echo_poll, tkb__echo_drop, "echo" };

/* ---- client side: the writer half -------------------------------------------------------- */

typedef struct tkb__writer {
    rt_future base;
    rt_async co;
    tk_stream *s;
    unsigned conn;
    uint64_t bytes, sent;
    size_t buflen;
    tk_write_all_fut wa;
} tkb__writer;

/* tkb__writer_poll: the whole pattern, straight from its table, in pieces of at most buflen. */
static rt_poll tkb__writer_poll(rt_future *f, rt_context *cx)
{
    tkb__writer *w = (tkb__writer *)f;
    RT_BEGIN(&w->co);
    while (w->sent < w->bytes) {
        {
            uint64_t left = w->bytes - w->sent;
            size_t n = left < w->buflen ? (size_t)left : w->buflen;
            w->wa = tk_stream_write_all(w->s, rtb_pattern_at(w->sent, w->conn), n);
        }
        RT_AWAIT(&w->co, &w->wa, cx);
        if (w->wa.result != 0)
            rtb_fail("client write: %s", strerror(-w->wa.result));
        w->sent += w->wa.done;
    }
    if (tk_stream_shutdown(w->s, SHUT_WR) != 0)
        rtb_fail("client shutdown failed");
    RT_END(&w->co);
}

/* tkb__writer_drop: the write future owns nothing. */
static void tkb__writer_drop(rt_future *f)
{
    rt_async_drop(&((tkb__writer *)f)->co);
}

static const rt_future_vtable tkb__writer_vtable = { tkb__writer_poll, tkb__writer_drop, "writer" };

/* ---- client side: the reader half -------------------------------------------------------- */

typedef struct tkb__reader {
    rt_future base;
    rt_async co;
    tk_stream *s;
    unsigned conn;
    uint64_t bytes;
    uint64_t got;            /* output: bytes received and checked */
    size_t buflen;
    unsigned char *buf;
    tk_read_fut rd;
} tkb__reader;

/* tkb__reader_poll: read until end-of-file; every byte must be the pattern at its offset. */
static rt_poll tkb__reader_poll(rt_future *f, rt_context *cx)
{
    tkb__reader *r = (tkb__reader *)f;
    RT_BEGIN(&r->co);
    r->buf = rt_malloc(r->buflen);
    if (r->buf == NULL)
        rtb_fail("out of memory for a client buffer");
    for (;;) {
        r->rd = tk_stream_read(r->s, r->buf, r->buflen);
        RT_AWAIT(&r->co, &r->rd, cx);
        if (r->rd.result < 0)
            rtb_fail("client read: %s", strerror((int)-r->rd.result));
        if (r->rd.result == 0)
            break;
        /* buflen <= RTB_PATTERN_SPAN, so one comparison covers the whole read. */
        size_t n = (size_t)r->rd.result;
        if (r->got + n > r->bytes || memcmp(r->buf, rtb_pattern_at(r->got, r->conn), n) != 0)
            rtb_fail("connection %u: echoed bytes differ near offset %llu", r->conn,
                     (unsigned long long)r->got);
        r->got += n;
    }
    rt_free(r->buf);
    r->buf = NULL;
    RT_END(&r->co);
}

/* tkb__reader_drop: the buffer, if still held. */
static void tkb__reader_drop(rt_future *f)
{
    tkb__reader *r = (tkb__reader *)f;
    rt_async_drop(&r->co);
    rt_free(r->buf);
    r->buf = NULL;
}

static const rt_future_vtable tkb__reader_vtable = { tkb__reader_poll, tkb__reader_drop, "reader" };

/* ---- block_on's future ------------------------------------------------------------------- */

typedef struct tkb__te_main {
    rt_future base;
    rt_async co;
    rtb_echo *e;
    tk_stream *client, *server;
    tk_join_handle *echoes, *writers, *readers;
    uint64_t *got;           /* per connection, from its reader */
    uint64_t i;
    uint64_t t0, t1;         /* output */
} tkb__te_main;

/* tkb__te_main_poll: adopt, start the echoes, then time the clients from spawn to last EOF. */
static rt_poll tkb__te_main_poll(rt_future *f, rt_context *cx)
{
    tkb__te_main *m = (tkb__te_main *)f;
    rtb_echo *e = m->e;
    RT_BEGIN(&m->co);
    for (uint64_t i = 0; i < e->conns; i++) {
        int cfd = e->client[i], sfd = e->server[i];
        e->client[i] = e->server[i] = -1;  /* the streams own them now */
        int rc = tk_stream_from_fd(cfd, &m->client[i]);
        if (rc == 0)
            rc = tk_stream_from_fd(sfd, &m->server[i]);
        else
            close(sfd);
        if (rc != 0)
            rtb_fail("registering a loopback connection: %s", strerror(-rc));
        tkb__echo ec = { .base = { &tkb__echo_vtable }, .s = &m->server[i], .buflen = e->buf };
        tkb_spawn(&ec.base, sizeof ec, &m->echoes[i]);
    }

    m->t0 = rtb_now_ns();
    for (uint64_t i = 0; i < e->conns; i++) {
        tkb__writer w = { .base = { &tkb__writer_vtable }, .s = &m->client[i], .conn = (unsigned)i,
                          .bytes = e->bytes, .buflen = e->buf };
        tkb_spawn(&w.base, sizeof w, &m->writers[i]);
        tkb__reader r = { .base = { &tkb__reader_vtable }, .s = &m->client[i], .conn = (unsigned)i,
                          .bytes = e->bytes, .buflen = e->buf };
        tkb_spawn(&r.base, sizeof r, &m->readers[i]);
    }
    for (m->i = 0; m->i < e->conns; m->i++) {
        RT_AWAIT(&m->co, &m->readers[m->i], cx);
        tkb_joined(&m->readers[m->i], "reader");
        m->got[m->i] = ((tkb__reader *)rt_join_handle_output(&m->readers[m->i]))->got;
        rt_join_handle_detach(&m->readers[m->i]);
    }
    m->t1 = rtb_now_ns();

    /* Untimed: the writers and echoes are done by now (the readers saw their FINs). */
    for (m->i = 0; m->i < e->conns; m->i++) {
        RT_AWAIT(&m->co, &m->writers[m->i], cx);
        tkb_joined(&m->writers[m->i], "writer");
        rt_join_handle_detach(&m->writers[m->i]);
        RT_AWAIT(&m->co, &m->echoes[m->i], cx);
        tkb_joined(&m->echoes[m->i], "echo");
        rt_join_handle_detach(&m->echoes[m->i]);
    }
    RT_END(&m->co);
}

/* tkb__te_main_drop: every handle still held (zeroed arrays; detach is idempotent). */
static void tkb__te_main_drop(rt_future *f)
{
    tkb__te_main *m = (tkb__te_main *)f;
    rt_async_drop(&m->co);
    for (uint64_t i = 0; i < m->e->conns; i++) {
        rt_join_handle_detach(&m->echoes[i]);
        rt_join_handle_detach(&m->writers[i]);
        rt_join_handle_detach(&m->readers[i]);
    }
}

static const rt_future_vtable tkb__te_main_vtable = {
    tkb__te_main_poll, tkb__te_main_drop, "tcp_echo"
};

/* tkb_tcp_echo: MB/s echoed back, all connections; every byte checked, every EOF exact. */
int tkb_tcp_echo(rtb_args *args)
{
    rtb_echo e;
    rtb_echo_params(&e, args);
    rtb_echo_open(&e);
    uint64_t c = e.conns;
    tk_stream *client = rt_calloc(c, sizeof *client), *server = rt_calloc(c, sizeof *server);
    tk_join_handle *echoes = rt_calloc(c, sizeof *echoes), *writers = rt_calloc(c, sizeof *writers),
                   *readers = rt_calloc(c, sizeof *readers);
    uint64_t *got = rt_calloc(c, sizeof *got);
    if (!client || !server || !echoes || !writers || !readers || !got)
        rtb_fail("out of memory for %llu connections", (unsigned long long)c);
    tk_runtime *rt = tkb_runtime_new();
    tkb__te_main m = { .base = { &tkb__te_main_vtable }, .e = &e, .client = client,
                       .server = server, .echoes = echoes, .writers = writers,
                       .readers = readers, .got = got };
    tk_runtime_block_on(rt, &m.base);
    rt_future_drop(&m.base);
    for (uint64_t i = 0; i < c; i++) {
        tk_stream_close(&client[i]);
        tk_stream_close(&server[i]);
    }
    tk_runtime_free(rt);
    for (uint64_t i = 0; i < c; i++) {
        e.received += got[i];
        rtb_echo_client_eof(&e, (unsigned)i, got[i]);
    }
    rtb_echo_report(&e, m.t0, m.t1);
    rt_free(client);
    rt_free(server);
    rt_free(echoes);
    rt_free(writers);
    rt_free(readers);
    rt_free(got);
    rtb_echo_free(&e);
    return 0;
}
