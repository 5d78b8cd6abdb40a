/* http_hello.c (rtb-tk): the HTTP/1.1 hello responder -- a tk listener, a task per connection. */
#include "tkb.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rt_combinators.h"
#include "rtb_http.h"
#include "tk_net.h"
#include "tk_time.h"

/*
 * The anchor's serve.rs: block_on races the stop conditions (SIGTERM, SIGINT, duration=)
 * against an endless accept loop, which spawns one task per connection. A connection task
 * answers whatever rtb_http parsed, writes the replies with write_all, and reads more, until
 * the client closes or a reply closes the connection (400, Connection: close), which ends with
 * rtb_http_linger (FIN, then drain) before the close.
 *
 * Signals, as in tk's echo-server example: SIGTERM and SIGINT are blocked before the runtime's
 * threads exist (they inherit the mask), and one plain thread takes them with sigwait and
 * writes a byte into a tk socketpair that the race is reading. When the duration ends the race
 * instead, the thread is sent SIGTERM itself so that it can be joined.
 *
 * Counts: a connection adds its 200s and 400s when it ends -- or when it is dropped, which is
 * what happens at tk_runtime_free to connections still open at the stop.
 */

static _Atomic uint64_t tkb__accepted, tkb__served, tkb__refused;
static sigset_t tkb__stop_signals;

/* ---- one connection ---------------------------------------------------------------------- */

typedef struct tkb__hconn {
    rt_future base;
    rt_async co;
    tk_stream s;
    rtb_http_conn *h;        /* allocated at the first poll: the future itself stays small */
    size_t queued;
    int counted;
    tk_read_fut rd;
    tk_write_all_fut wa;
} tkb__hconn;

/* tkb__hconn_count: add this connection's replies to the totals, once. */
static void tkb__hconn_count(tkb__hconn *c)
{
    if (c->counted || c->h == NULL)
        return;
    c->counted = 1;
    atomic_fetch_add_explicit(&tkb__served, c->h->served, memory_order_relaxed);
    atomic_fetch_add_explicit(&tkb__refused, c->h->refused, memory_order_relaxed);
}

/* tkb__hconn_poll: answer, write, read -- until the client or a reply ends the connection. */
static rt_poll tkb__hconn_poll(rt_future *f, rt_context *cx)
{
    tkb__hconn *c = (tkb__hconn *)f;
    RT_BEGIN(&c->co);
    c->h = rt_malloc(sizeof *c->h);
    if (c->h == NULL) {
        tk_stream_close(&c->s);  /* out of memory: this client is refused, the server goes on */
        RT_RETURN(&c->co);
    }
    rtb_http_conn_init(c->h);
    for (;;) {
        c->queued = rtb_http_process(c->h);
        if (c->h->out_off < c->h->out_len) {
            c->wa = tk_stream_write_all(&c->s, c->h->out + c->h->out_off,
                                        c->h->out_len - c->h->out_off);
            RT_AWAIT(&c->co, &c->wa, cx);
            if (c->wa.result != 0)
                break;  /* the client went away */
            rtb_http_out_commit(c->h, c->wa.done);
        }
        if (rtb_http_done(c->h)) {
            rtb_http_linger(c->s.fd);
            break;
        }
        if (c->queued > 0)
            continue;  /* pipelined requests may still wait in `in`: answer them first */
        {
            size_t room;
            char *space = rtb_http_in_space(c->h, &room);
            if (room == 0)
                break;
            c->rd = tk_stream_read(&c->s, space, room);
        }
        RT_AWAIT(&c->co, &c->rd, cx);
        if (c->rd.result <= 0)
            break;  /* end-of-file or an error: the client is gone */
        rtb_http_in_commit(c->h, (size_t)c->rd.result);
    }
    tkb__hconn_count(c);
    tk_stream_close(&c->s);
    RT_END(&c->co);
}

/* tkb__hconn_drop: count (if not yet), close, free -- finished or cancelled at the stop. */
static void tkb__hconn_drop(rt_future *f)
{
    tkb__hconn *c = (tkb__hconn *)f;
    rt_async_drop(&c->co);
    tkb__hconn_count(c);
    tk_stream_close(&c->s);
    rt_free(c->h);
    c->h = NULL;
}

static const rt_future_vtable tkb__hconn_vtable = { tkb__hconn_poll, tkb__hconn_drop, "http_conn" };

/* ---- the accept loop (a child of the race, never finishes) ------------------------------- */

typedef struct tkb__acceptor {
    rt_future base;
    rt_async co;
    tk_listener *l;
    tk_accept_fut acc;
    tk_sleep_fut backoff;
} tkb__acceptor;

/* tkb__acceptor_poll: accept, spawn a connection task, repeat; back off 10 ms on an error
 * (out of descriptors: the connection stays in the backlog, so retrying at once would spin). */
static rt_poll tkb__acceptor_poll(rt_future *f, rt_context *cx)
{
    tkb__acceptor *a = (tkb__acceptor *)f;
    RT_BEGIN(&a->co);
    for (;;) {
        a->acc = tk_listener_accept(a->l);
        RT_AWAIT(&a->co, &a->acc, cx);
        if (a->acc.result == 0) {
            atomic_fetch_add_explicit(&tkb__accepted, 1, memory_order_relaxed);
            tkb__hconn c = { .base = { &tkb__hconn_vtable }, .s = a->acc.stream };
            tk_join_handle jh;
            if (tk_spawn(&c.base, sizeof c, &jh) != 0)
                tk_stream_close(&c.s);
            else
                rt_join_handle_detach(&jh);
            continue;
        }
        a->backoff = tk_sleep(10);
        RT_AWAIT(&a->co, &a->backoff, cx);
    }
    RT_END(&a->co);
}

/* tkb__acceptor_drop: a pending accept or back-off. */
static void tkb__acceptor_drop(rt_future *f)
{
    rt_async_drop(&((tkb__acceptor *)f)->co);
}

static const rt_future_vtable tkb__acceptor_vtable = {
    tkb__acceptor_poll, tkb__acceptor_drop, "acceptor"
};

/* ---- the signal thread ------------------------------------------------------------------- */

/* tkb__signal_thread: wait for SIGTERM/SIGINT, then poke the race through the socketpair. */
static void *tkb__signal_thread(void *arg)
{
    int fd = (int)(intptr_t)arg;
    int sig = 0;
    sigwait(&tkb__stop_signals, &sig);
    char b = (char)sig;
    if (write(fd, &b, 1) < 0)
        return NULL;  /* the race is gone already: nothing left to tell */
    return NULL;
}

/* ---- block_on's future: listen, then race the stops against the accept loop ------------- */

typedef struct tkb__server {
    rt_future base;
    rt_async co;
    const rtb_http_opts *o;
    tk_listener l;
    tk_unix_stream sig_rx, sig_tx;
    pthread_t sig_thread;
    int thread_started;
    char sig_byte;
    tk_read_fut sig;
    tk_sleep_fut limit;
    tkb__acceptor acceptor;
    rt_future *race[3];
    rt_select_fut sel;
} tkb__server;

/* tkb__server_poll: bind, start the signal thread, announce, then wait for a stop. */
static rt_poll tkb__server_poll(rt_future *f, rt_context *cx)
{
    tkb__server *s = (tkb__server *)f;
    RT_BEGIN(&s->co);
    {
        int rc = tk_tcp_listener_bind("127.0.0.1", (unsigned)s->o->port, &s->l);
        if (rc != 0)
            rtb_fail("listen on 127.0.0.1:%d: %s", s->o->port, strerror(-rc));
        if ((rc = tk_unix_stream_pair(&s->sig_rx, &s->sig_tx)) != 0)
            rtb_fail("socketpair for signals: %s", strerror(-rc));
        rc = pthread_create(&s->sig_thread, NULL, tkb__signal_thread,
                            (void *)(intptr_t)s->sig_tx.fd);
        if (rc != 0)
            rtb_fail("pthread_create: %s", strerror(rc));
        s->thread_started = 1;
        rtb_http_ready(tk_tcp_listener_local_port(&s->l));
    }
    {
        size_t n = 0;
        s->sig = tk_stream_read(&s->sig_rx, &s->sig_byte, 1);
        s->race[n++] = &s->sig.base;
        s->acceptor = (tkb__acceptor){ .base = { &tkb__acceptor_vtable }, .l = &s->l };
        s->race[n++] = &s->acceptor.base;
        if (s->o->duration_s > 0) {
            s->limit = tk_sleep(s->o->duration_s * 1000);
            s->race[n++] = &s->limit.base;
        }
        s->sel = rt_select(s->race, n);
    }
    RT_AWAIT(&s->co, &s->sel, cx);
    RT_END(&s->co);
}

/* tkb__server_drop: the race if still pending (it drops its children); the sockets are closed
 * by tkb_http_hello once the signal thread is joined. */
static void tkb__server_drop(rt_future *f)
{
    rt_async_drop(&((tkb__server *)f)->co);
}

static const rt_future_vtable tkb__server_vtable = {
    tkb__server_poll, tkb__server_drop, "http_server"
};

/* tkb_http_hello: serve until a signal or duration=; no metrics (wrk measures). */
int tkb_http_hello(rtb_args *args)
{
    rtb_http_opts o;
    rtb_http_setup(args, &o);
    sigemptyset(&tkb__stop_signals);
    sigaddset(&tkb__stop_signals, SIGTERM);
    sigaddset(&tkb__stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &tkb__stop_signals, NULL);  /* before any thread exists */
    tk_runtime *rt = tkb_runtime_new();
    tkb__server s;
    memset(&s, 0, sizeof s);
    s.base.vtable = &tkb__server_vtable;
    s.o = &o;
    tk_runtime_block_on(rt, &s.base);
    rt_future_drop(&s.base);
    if (s.thread_started) {
        /* Still in sigwait if the duration ended the run; an exited thread ignores this. */
        pthread_kill(s.sig_thread, SIGTERM);
        pthread_join(s.sig_thread, NULL);
    }
    tk_listener_close(&s.l);
    tk_unix_stream_close(&s.sig_rx);
    tk_unix_stream_close(&s.sig_tx);
    tk_runtime_free(rt);  /* cancels the connections still open; their drops count them */
    rtb_http_summary("tk", atomic_load(&tkb__accepted), atomic_load(&tkb__served),
                     atomic_load(&tkb__refused));
    return 0;
}
