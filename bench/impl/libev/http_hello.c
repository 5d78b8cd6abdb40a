/* http_hello.c (rtb-libev): the HTTP/1.1 hello responder with ev_io, ev_signal and ev_timer. */
#include "evb.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rt_qnode.h"
#include "rtb_http.h"
#include "rtb_net.h"

/*
 * One ev_io read watcher per connection, and a write watcher started only while a reply is
 * waiting for the socket to drain (libev is level-triggered; an idle write watcher would spin).
 * While a reply is pending the read watcher is stopped, so a client that pipelines faster than
 * it reads is slowed down by its own reading. Shutdown is an ev_signal for SIGTERM/SIGINT and
 * an ev_timer for duration=; both just break the loop, and the open connections are closed after.
 */

typedef struct evb__hconn {
    ev_io rd, wr;
    struct evb__hconn *prev, *next;
    rtb_http_conn http;
} evb__hconn;

static evb__hconn *evb__conns;
static uint64_t evb__accepted, evb__served, evb__refused;

/* evb__close: stop both watchers, tally, unlink, close, free. */
static void evb__close(struct ev_loop *loop, evb__hconn *c)
{
    ev_io_stop(loop, &c->rd);
    ev_io_stop(loop, &c->wr);
    evb__served += c->http.served;
    evb__refused += c->http.refused;
    if (c->prev)
        c->prev->next = c->next;
    else
        evb__conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    close(c->rd.fd);
    rt_free(c);
}

/* evb__flush: write queued replies; 1 when all went out, 0 on EAGAIN, -1 when the client left. */
static int evb__flush(evb__hconn *c)
{
    rtb_http_conn *h = &c->http;
    while (h->out_off < h->out_len) {
        ssize_t w = send(c->rd.fd, h->out + h->out_off, h->out_len - h->out_off, MSG_NOSIGNAL);
        if (w < 0)
            return errno == EAGAIN ? 0 : -1;
        rtb_http_out_commit(h, (size_t)w);
    }
    return 1;
}

/* evb__answer: answer what is parsed, write it, and pick the watcher to wait on next. */
static void evb__answer(struct ev_loop *loop, evb__hconn *c)
{
    for (;;) {
        size_t queued = rtb_http_process(&c->http);
        int f = evb__flush(c);
        if (f < 0) {
            evb__close(loop, c);
            return;
        }
        if (f == 0) {
            ev_io_stop(loop, &c->rd);
            ev_io_start(loop, &c->wr);
            return;
        }
        if (rtb_http_done(&c->http)) {
            rtb_http_linger(c->rd.fd);
            evb__close(loop, c);
            return;
        }
        /* Something was answered, so `out` may have been full: go round once more. */
        if (queued == 0) {
            ev_io_stop(loop, &c->wr);
            ev_io_start(loop, &c->rd);
            return;
        }
    }
}

/* evb__conn_rd: one read per callback, then answer. */
static void evb__conn_rd(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    evb__hconn *c = rt_container_of(w, evb__hconn, rd);
    size_t room;
    char *space = rtb_http_in_space(&c->http, &room);
    ssize_t r = room > 0 ? read(w->fd, space, room) : 0;
    if (r < 0 && errno == EAGAIN)
        return;
    if (r <= 0) {
        evb__close(loop, c);  /* end-of-stream or error: a half request is not worth answering */
        return;
    }
    rtb_http_in_commit(&c->http, (size_t)r);
    evb__answer(loop, c);
}

/* evb__conn_wr: the socket drained: continue writing and answering. */
static void evb__conn_wr(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    evb__answer(loop, rt_container_of(w, evb__hconn, wr));
}

/* evb__accept_cb: accept everything pending and start a read watcher for each. */
static void evb__accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    for (;;) {
        int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == ECONNABORTED || errno == EINTR)
                continue;
            return;  /* EAGAIN, or fd/memory pressure: the listener stays ready and we retry */
        }
        evb__hconn *c = rt_malloc(sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        rtb_http_conn_init(&c->http);
        ev_io_init(&c->rd, evb__conn_rd, fd, EV_READ);
        ev_io_init(&c->wr, evb__conn_wr, fd, EV_WRITE);
        ev_io_start(loop, &c->rd);
        c->prev = NULL;
        c->next = evb__conns;
        if (evb__conns)
            evb__conns->prev = c;
        evb__conns = c;
        evb__accepted++;
    }
}

/* evb__stop_sig: SIGTERM or SIGINT: leave the loop. */
static void evb__stop_sig(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)w, (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

/* evb__stop_timer: duration= elapsed: leave the loop. */
static void evb__stop_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w, (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

/* evb_http_hello: serve until a signal or the duration; no metrics (wrk measures). */
int evb_http_hello(rtb_args *args)
{
    rtb_http_opts o;
    rtb_http_setup(args, &o);
    int port;
    int lfd = rtb_listen_loopback(o.port, 1024, &port);
    if (lfd < 0)
        rtb_fail_errno("listen on 127.0.0.1");
    /* libev delivers signals to one loop; the default loop is the one it allows them on first. */
    struct ev_loop *loop = ev_default_loop(EVBACKEND_EPOLL);
    if (loop == NULL)
        rtb_fail("ev_default_loop(EVBACKEND_EPOLL) failed");
    ev_io lw;
    ev_signal term, intr;
    ev_timer limit;
    ev_io_init(&lw, evb__accept_cb, lfd, EV_READ);
    ev_io_start(loop, &lw);
    ev_signal_init(&term, evb__stop_sig, SIGTERM);
    ev_signal_init(&intr, evb__stop_sig, SIGINT);
    ev_signal_start(loop, &term);
    ev_signal_start(loop, &intr);
    if (o.duration_s > 0) {
        ev_timer_init(&limit, evb__stop_timer, (double)o.duration_s, 0.);
        ev_timer_start(loop, &limit);
    }
    rtb_http_ready(port);
    ev_run(loop, 0);
    while (evb__conns)
        evb__close(loop, evb__conns);
    rtb_http_summary("libev", evb__accepted, evb__served, evb__refused);
    ev_io_stop(loop, &lw);
    ev_signal_stop(loop, &term);
    ev_signal_stop(loop, &intr);
    if (o.duration_s > 0)
        ev_timer_stop(loop, &limit);
    close(lfd);
    ev_loop_destroy(loop);
    return 0;
}
