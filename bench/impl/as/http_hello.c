/* http_hello.c (rtb-as): the HTTP/1.1 hello responder -- an as listener, a task per connection. */
#include "asb.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rtb_http.h"

/*
 * The anchor's serve.rs: an accept loop runs as a task and spawns one task per connection,
 * while block_on waits for the stop -- SIGTERM, SIGINT, or duration= seconds. A connection
 * task answers whatever rtb_http parsed, writes the replies with as_write_all, and reads
 * more, until the client closes or a reply closes the connection (400, Connection: close),
 * which ends with rtb_http_linger (FIN, then drain) before the close.
 *
 * Signals, as in as's echo-server example: the runtime's threads block every signal, so a
 * SIGTERM or SIGINT lands on the main thread, whose handler writes one byte into a self-pipe;
 * the pipe's read end is an as_io, and block_on races as_readable on it against the duration
 * (async-std has no signal API; the anchor uses a signal-hook thread and a channel instead).
 * Once stopped, the accept loop is cancelled and joined and the listener closed; connections
 * still open are cancelled by the runtime at exit and, as in the anchor, not counted.
 */

static _Atomic uint64_t asb__accepted, asb__served, asb__refused;
static int asb__stop_pipe[2] = { -1, -1 };

/* asb__on_signal: async-signal-safe: one byte into the self-pipe; errno left as found. */
static void asb__on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    ssize_t n = write(asb__stop_pipe[1], "x", 1);
    (void)n;  /* a full pipe already says "stop" */
    errno = saved;
}

/* ---- one connection ---------------------------------------------------------------------- */

typedef struct asb__hconn {
    rt_future base;
    rt_async co;
    as_io *s;
    rtb_http_conn *h;        /* allocated at the first poll: the future itself stays small */
    size_t queued;
    int counted;
    as_read_fut rd;
    as_write_all_fut wa;
} asb__hconn;

/* asb__hconn_count: add this connection's replies to the totals, once. */
static void asb__hconn_count(asb__hconn *c)
{
    if (c->counted || c->h == NULL)
        return;
    c->counted = 1;
    atomic_fetch_add_explicit(&asb__served, c->h->served, memory_order_relaxed);
    atomic_fetch_add_explicit(&asb__refused, c->h->refused, memory_order_relaxed);
}

/* asb__hconn_close: close the stream once (a closed handle may already be freed: forget it). */
static void asb__hconn_close(asb__hconn *c)
{
    as_io_close(c->s);
    c->s = NULL;
}

/* asb__hconn_poll: answer, write, read -- until the client or a reply ends the connection. */
static rt_poll asb__hconn_poll(rt_future *f, rt_context *cx)
{
    asb__hconn *c = (asb__hconn *)f;
    RT_BEGIN(&c->co);
    c->h = rt_malloc(sizeof *c->h);
    if (c->h == NULL) {
        asb__hconn_close(c);  /* out of memory: this client is refused, the server goes on */
        RT_RETURN(&c->co);
    }
    rtb_http_conn_init(c->h);
    for (;;) {
        c->queued = rtb_http_process(c->h);
        if (c->h->out_off < c->h->out_len) {
            c->wa = as_write_all(c->s, c->h->out + c->h->out_off, c->h->out_len - c->h->out_off);
            RT_AWAIT(&c->co, &c->wa, cx);
            if (c->wa.err != 0)
                break;  /* the client went away */
            rtb_http_out_commit(c->h, c->wa.done);
        }
        if (rtb_http_done(c->h)) {
            rtb_http_linger(as_io_fd(c->s));
            break;
        }
        if (c->queued > 0)
            continue;  /* pipelined requests may still wait in `in`: answer them first */
        {
            size_t room;
            char *space = rtb_http_in_space(c->h, &room);
            if (room == 0)
                break;
            c->rd = as_read(c->s, space, room);
        }
        RT_AWAIT(&c->co, &c->rd, cx);
        if (c->rd.result <= 0)
            break;  /* end-of-file or an error: the client is gone */
        rtb_http_in_commit(c->h, (size_t)c->rd.result);
    }
    asb__hconn_count(c);
    asb__hconn_close(c);
    RT_END(&c->co);
}

/* asb__hconn_drop: the pending IO first, then count (if not yet), close, free -- finished, or
 * cancelled at exit (then uncounted totals are never printed, as in the anchor). */
static void asb__hconn_drop(rt_future *f)
{
    asb__hconn *c = (asb__hconn *)f;
    rt_async_drop(&c->co);
    asb__hconn_count(c);
    asb__hconn_close(c);
    rt_free(c->h);
    c->h = NULL;
}

static const rt_future_vtable asb__hconn_vtable = { asb__hconn_poll, asb__hconn_drop, "http_conn" };

/* ---- the accept loop (a task, cancelled at the stop) ------------------------------------- */

typedef struct asb__acceptor {
    rt_future base;
    rt_async co;
    as_io *l;
    as_accept_fut acc;
    as_sleep_fut backoff;
} asb__acceptor;

/* asb__acceptor_poll: accept, spawn a connection task, repeat; back off 10 ms on an error
 * (out of descriptors: the connection stays in the backlog, so retrying at once would spin). */
static rt_poll asb__acceptor_poll(rt_future *f, rt_context *cx)
{
    asb__acceptor *a = (asb__acceptor *)f;
    RT_BEGIN(&a->co);
    for (;;) {
        a->acc = as_tcp_accept(a->l);
        RT_AWAIT(&a->co, &a->acc, cx);
        if (a->acc.err == 0) {
            atomic_fetch_add_explicit(&asb__accepted, 1, memory_order_relaxed);
            asb__hconn c = { .base = { &asb__hconn_vtable }, .s = a->acc.stream };
            as_task t;
            if (as_spawn(&c.base, sizeof c, &t) != 0)
                as_io_close(c.s);
            else
                as_task_detach(&t);
            continue;
        }
        a->backoff = as_sleep(10);
        RT_AWAIT(&a->co, &a->backoff, cx);
    }
    RT_END(&a->co);
}

/* asb__acceptor_drop: a pending accept or back-off. */
static void asb__acceptor_drop(rt_future *f)
{
    rt_async_drop(&((asb__acceptor *)f)->co);
}

static const rt_future_vtable asb__acceptor_vtable = {
    asb__acceptor_poll, asb__acceptor_drop, "acceptor"
};

/* ---- block_on's future: listen, serve, wait for a stop ----------------------------------- */

typedef struct asb__server {
    rt_future base;
    rt_async co;
    const rtb_http_opts *o;
    as_io *l, *stop;
    as_task acceptor;
    as_ready_fut sig;
    as_sleep_fut limit;
    rt_future *race[2];
    rt_select_fut sel;
} asb__server;

/* asb__server_poll: bind, announce, start the accept loop, wait for a stop, cancel the loop. */
static rt_poll asb__server_poll(rt_future *f, rt_context *cx)
{
    asb__server *s = (asb__server *)f;
    RT_BEGIN(&s->co);
    {
        char addr[32];
        snprintf(addr, sizeof addr, "127.0.0.1:%d", s->o->port);
        int rc = as_tcp_listen(addr, &s->l);
        if (rc != 0)
            rtb_fail("listen on %s: %s", addr, strerror(-rc));
        if ((rc = as_io_open(asb__stop_pipe[0], &s->stop)) != 0)
            rtb_fail("registering the signal pipe: %s", strerror(-rc));
        asb__stop_pipe[0] = -1;  /* the handle owns it now */
        rtb_http_ready(as_io_local_port(s->l));
        asb__acceptor a = { .base = { &asb__acceptor_vtable }, .l = s->l };
        asb_spawn(&a.base, sizeof a, &s->acceptor);
    }
    {
        size_t n = 0;
        s->sig = as_readable(s->stop);
        s->race[n++] = &s->sig.base;
        if (s->o->duration_s > 0) {
            s->limit = as_sleep(s->o->duration_s * 1000);
            s->race[n++] = &s->limit.base;
        }
        s->sel = rt_select(s->race, n);
    }
    RT_AWAIT(&s->co, &s->sel, cx);
    as_task_cancel(&s->acceptor);
    RT_AWAIT(&s->co, as_task_join(&s->acceptor), cx);
    if (as_task_outcome(&s->acceptor) != RT_OUTCOME_CANCELLED)
        asb_joined(&s->acceptor, "acceptor");
    as_task_detach(&s->acceptor);
    RT_END(&s->co);
}

/* asb__server_drop: the race or the join if still pending, then the handle (idempotent). The
 * sockets are closed by asb_http_hello once nothing uses them. */
static void asb__server_drop(rt_future *f)
{
    asb__server *s = (asb__server *)f;
    rt_async_drop(&s->co);
    as_task_detach(&s->acceptor);
}

static const rt_future_vtable asb__server_vtable = {
    asb__server_poll, asb__server_drop, "http_server"
};

/* asb_http_hello: serve until a signal or duration=; no metrics (wrk measures). */
int asb_http_hello(rtb_args *args)
{
    rtb_http_opts o;
    rtb_http_setup(args, &o);
    if (pipe2(asb__stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        rtb_fail_errno("pipe for signals");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = asb__on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        rtb_fail_errno("sigaction");
    asb__server s;
    memset(&s, 0, sizeof s);
    s.base.vtable = &asb__server_vtable;
    s.o = &o;
    as_block_on(&s.base);
    rt_future_drop(&s.base);
    as_io_close(s.l);      /* the accept loop that used it is gone */
    as_io_close(s.stop);
    /* The pipe's write end stays open until exit: a late signal's handler still writes into
     * it, and a closed number could by then belong to some other file. */
    rtb_http_summary("as", atomic_load(&asb__accepted), atomic_load(&asb__served),
                     atomic_load(&asb__refused));
    return 0;
}
