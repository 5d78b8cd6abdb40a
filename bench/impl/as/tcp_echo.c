/* tcp_echo.c (rtb-as): loopback TCP echo: writer and reader tasks per client, an echo task each. */
#include "asb.h"

#include <string.h>

#include "rt_alloc.h"
#include "rtb_echo.h"
#include "rtb_util.h"

/*
 * The anchor's shape: every server connection gets an echo task (read a buffer, write_all it
 * back, until end-of-file, then shut down its sending side), spawned before the clock starts;
 * every client connection is shared by a writer task (write_all the pattern in pieces of at
 * most `buf` bytes, then shut down) and a reader task (read, check every byte against the
 * pattern, until end-of-file) -- the anchor clones its async-std TcpStream for that; an as_io
 * takes a reader and a writer at once (one wait list per direction), so both tasks simply use
 * the same handle. The connections are the shared loopback pairs (TCP_NODELAY both ends),
 * registered as as_io handles inside block_on, untimed.
 *
 * Readers check bytes themselves (a memcmp against the pattern); rtb_echo_verify would add to a
 * shared counter from several workers at once. The per-connection totals go into rtb_echo's
 * books after the join, on one thread, and rtb_echo_report checks them as for every runtime.
 */

/* ---- server side ------------------------------------------------------------------------- */

typedef struct asb__echo {
    rt_future base;
    rt_async co;
    as_io *s;
    size_t buflen;
    unsigned char *buf;
    as_read_fut rd;
    as_write_all_fut wa;
} asb__echo;

/* asb__echo_poll: read what comes, write all of it back, until end-of-file; then FIN. */
static rt_poll asb__echo_poll(rt_future *f, rt_context *cx)
{
    asb__echo *e = (asb__echo *)f;
    RT_BEGIN(&e->co);
    e->buf = rt_malloc(e->buflen);
    if (e->buf == NULL)
        rtb_fail("out of memory for an echo buffer");
    for (;;) {
        e->rd = as_read(e->s, e->buf, e->buflen);
        RT_AWAIT(&e->co, &e->rd, cx);
        if (e->rd.result == 0)
            break;
        if (e->rd.result < 0)
            rtb_fail("echo read: %s", strerror(-e->rd.err));
        e->wa = as_write_all(e->s, e->buf, (size_t)e->rd.result);
        RT_AWAIT(&e->co, &e->wa, cx);
        if (e->wa.err != 0)
            rtb_fail("echo write: %s", strerror(-e->wa.err));
    }
    as_io_shutdown(e->s, SHUT_WR);
    rt_free(e->buf);
    e->buf = NULL;
    RT_END(&e->co);
}

/* asb__echo_drop: the pending IO future, then the buffer (NULL before the first poll). */
static void asb__echo_drop(rt_future *f)
{
    asb__echo *e = (asb__echo *)f;
    rt_async_drop(&e->co);
    rt_free(e->buf);
    e->buf = NULL;
}

static const rt_future_vtable asb__echo_vtable = { asb__echo_poll, asb__echo_drop, "echo" };

/* ---- client side: the writer ------------------------------------------------------------- */

typedef struct asb__writer {
    rt_future base;
    rt_async co;
    as_io *s;
    unsigned conn;
    uint64_t bytes, sent;
    size_t buflen;
    as_write_all_fut wa;
} asb__writer;

/* asb__writer_poll: the whole pattern, straight from its table, in pieces of at most buflen. */
static rt_poll asb__writer_poll(rt_future *f, rt_context *cx)
{
    asb__writer *w = (asb__writer *)f;
    RT_BEGIN(&w->co);
    while (w->sent < w->bytes) {
        {
            uint64_t left = w->bytes - w->sent;
            size_t n = left < w->buflen ? (size_t)left : w->buflen;
            w->wa = as_write_all(w->s, rtb_pattern_at(w->sent, w->conn), n);
        }
        RT_AWAIT(&w->co, &w->wa, cx);
        if (w->wa.err != 0)
            rtb_fail("client write: %s", strerror(-w->wa.err));
        w->sent += w->wa.done;
    }
    if (as_io_shutdown(w->s, SHUT_WR) != 0)
        rtb_fail("client shutdown failed");
    RT_END(&w->co);
}

/* asb__writer_drop: the pending write leaves its wait list. */
static void asb__writer_drop(rt_future *f)
{
    rt_async_drop(&((asb__writer *)f)->co);
}

static const rt_future_vtable asb__writer_vtable = { asb__writer_poll, asb__writer_drop, "writer" };

/* ---- client side: the reader ------------------------------------------------------------- */

typedef struct asb__reader {
    rt_future base;
    rt_async co;
    as_io *s;
    unsigned conn;
    uint64_t bytes;
    uint64_t got;            /* output: bytes received and checked */
    size_t buflen;
    unsigned char *buf;
    as_read_fut rd;
} asb__reader;

/* asb__reader_poll: read until end-of-file; every byte must be the pattern at its offset. */
static rt_poll asb__reader_poll(rt_future *f, rt_context *cx)
{
    asb__reader *r = (asb__reader *)f;
    RT_BEGIN(&r->co);
    r->buf = rt_malloc(r->buflen);
    if (r->buf == NULL)
        rtb_fail("out of memory for a client buffer");
    for (;;) {
        r->rd = as_read(r->s, r->buf, r->buflen);
        RT_AWAIT(&r->co, &r->rd, cx);
        if (r->rd.result < 0)
            rtb_fail("client read: %s", strerror(-r->rd.err));
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

/* asb__reader_drop: the pending read, then the buffer if still held. */
static void asb__reader_drop(rt_future *f)
{
    asb__reader *r = (asb__reader *)f;
    rt_async_drop(&r->co);
    rt_free(r->buf);
    r->buf = NULL;
}

static const rt_future_vtable asb__reader_vtable = { asb__reader_poll, asb__reader_drop, "reader" };

/* ---- block_on's future ------------------------------------------------------------------- */

typedef struct asb__te_main {
    rt_future base;
    rt_async co;
    rtb_echo *e;
    as_io **client, **server;
    as_task *echoes, *writers, *readers;
    uint64_t *got;           /* per connection, from its reader */
    uint64_t i;
    uint64_t t0, t1;         /* output */
} asb__te_main;

/* asb__te_main_poll: register, start the echoes, then time the clients from spawn to last EOF. */
static rt_poll asb__te_main_poll(rt_future *f, rt_context *cx)
{
    asb__te_main *m = (asb__te_main *)f;
    rtb_echo *e = m->e;
    RT_BEGIN(&m->co);
    for (uint64_t i = 0; i < e->conns; i++) {
        int rc = as_io_open(e->client[i], &m->client[i]);
        if (rc == 0) {
            e->client[i] = -1;  /* the handle owns it now */
            rc = as_io_open(e->server[i], &m->server[i]);
            if (rc == 0)
                e->server[i] = -1;
        }
        if (rc != 0)
            rtb_fail("registering a loopback connection: %s", strerror(-rc));
        asb__echo ec = { .base = { &asb__echo_vtable }, .s = m->server[i], .buflen = e->buf };
        asb_spawn(&ec.base, sizeof ec, &m->echoes[i]);
    }

    m->t0 = rtb_now_ns();
    for (uint64_t i = 0; i < e->conns; i++) {
        asb__writer w = { .base = { &asb__writer_vtable }, .s = m->client[i], .conn = (unsigned)i,
                          .bytes = e->bytes, .buflen = e->buf };
        asb_spawn(&w.base, sizeof w, &m->writers[i]);
        asb__reader r = { .base = { &asb__reader_vtable }, .s = m->client[i], .conn = (unsigned)i,
                          .bytes = e->bytes, .buflen = e->buf };
        asb_spawn(&r.base, sizeof r, &m->readers[i]);
    }
    for (m->i = 0; m->i < e->conns; m->i++) {
        RT_AWAIT(&m->co, as_task_join(&m->readers[m->i]), cx);
        asb_joined(&m->readers[m->i], "reader");
        m->got[m->i] = ((asb__reader *)as_task_output(&m->readers[m->i]))->got;
        as_task_detach(&m->readers[m->i]);
    }
    m->t1 = rtb_now_ns();

    /* Untimed: the writers and echoes are done by now (the readers saw their FINs). */
    for (m->i = 0; m->i < e->conns; m->i++) {
        RT_AWAIT(&m->co, as_task_join(&m->writers[m->i]), cx);
        asb_joined(&m->writers[m->i], "writer");
        as_task_detach(&m->writers[m->i]);
        RT_AWAIT(&m->co, as_task_join(&m->echoes[m->i]), cx);
        asb_joined(&m->echoes[m->i], "echo");
        as_task_detach(&m->echoes[m->i]);
    }
    RT_END(&m->co);
}

/* asb__te_main_drop: every handle still held (zeroed arrays; detach is idempotent, and the
 * awaited handle is one of them). */
static void asb__te_main_drop(rt_future *f)
{
    asb__te_main *m = (asb__te_main *)f;
    for (uint64_t i = 0; i < m->e->conns; i++) {
        as_task_detach(&m->echoes[i]);
        as_task_detach(&m->writers[i]);
        as_task_detach(&m->readers[i]);
    }
}

static const rt_future_vtable asb__te_main_vtable = {
    asb__te_main_poll, asb__te_main_drop, "tcp_echo"
};

/* asb_tcp_echo: MB/s echoed back, all connections; every byte checked, every EOF exact. */
int asb_tcp_echo(rtb_args *args)
{
    rtb_echo e;
    rtb_echo_params(&e, args);
    rtb_echo_open(&e);
    uint64_t c = e.conns;
    as_io **client = rt_calloc(c, sizeof *client), **server = rt_calloc(c, sizeof *server);
    as_task *echoes = rt_calloc(c, sizeof *echoes), *writers = rt_calloc(c, sizeof *writers),
            *readers = rt_calloc(c, sizeof *readers);
    uint64_t *got = rt_calloc(c, sizeof *got);
    if (!client || !server || !echoes || !writers || !readers || !got)
        rtb_fail("out of memory for %llu connections", (unsigned long long)c);
    asb__te_main m = { .base = { &asb__te_main_vtable }, .e = &e, .client = client,
                       .server = server, .echoes = echoes, .writers = writers,
                       .readers = readers, .got = got };
    as_block_on(&m.base);
    rt_future_drop(&m.base);
    for (uint64_t i = 0; i < c; i++) {
        as_io_close(client[i]);  /* NULL (never opened) is a no-op */
        as_io_close(server[i]);
    }
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
