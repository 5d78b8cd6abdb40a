/* http_hello.c (rtb-libevent): the HTTP/1.1 hello responder on an evconnlistener and bufferevents. */
#include "leb.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <signal.h>

#include "rt_alloc.h"
#include "rtb_http.h"
#include "rtb_net.h"

/*
 * The libevent way to write a small server: an evconnlistener accepts, a bufferevent per
 * connection reads into its input evbuffer and writes from its output evbuffer, and callbacks
 * see data. Requests are moved from the input evbuffer into the shared parser's buffer, replies
 * are copied into the output evbuffer. Backpressure: past 64 KiB of unsent replies, reading is
 * disabled until the write callback reports the output drained. A connection that must close
 * (400 or Connection: close) is freed by the write callback once everything has gone out.
 */

#define LEB__OUT_LIMIT 65536

typedef struct leb__hconn {
    struct bufferevent *bev;
    struct leb__hconn *prev, *next;
    rtb_http_conn http;
} leb__hconn;

static leb__hconn *leb__conns;
static uint64_t leb__accepted, leb__served, leb__refused;

/* leb__close: tally, unlink and free (BEV_OPT_CLOSE_ON_FREE closes the socket). */
static void leb__close(leb__hconn *c, int linger)
{
    leb__served += c->http.served;
    leb__refused += c->http.refused;
    if (c->prev)
        c->prev->next = c->next;
    else
        leb__conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (linger)
        rtb_http_linger(bufferevent_getfd(c->bev));
    bufferevent_free(c->bev);
    rt_free(c);
}

/* leb__answer: move input to the parser, answer, copy replies out, until nothing more to do. */
static void leb__answer(leb__hconn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    struct evbuffer *out = bufferevent_get_output(c->bev);
    rtb_http_conn *h = &c->http;
    for (;;) {
        size_t room;
        char *space = rtb_http_in_space(h, &room);
        int got = room > 0 ? evbuffer_remove(in, space, room) : 0;
        if (got > 0)
            rtb_http_in_commit(h, (size_t)got);
        size_t queued = rtb_http_process(h);
        if (h->out_len > h->out_off) {
            if (evbuffer_add(out, h->out + h->out_off, h->out_len - h->out_off) != 0) {
                leb__close(c, 0);
                return;
            }
            rtb_http_out_commit(h, h->out_len - h->out_off);
        }
        if (queued == 0 && got <= 0)
            break;
    }
    if (h->close_after) {
        bufferevent_disable(c->bev, EV_READ);
        if (evbuffer_get_length(out) == 0)
            leb__close(c, 1);
        return;  /* otherwise the write callback closes once the reply is out */
    }
    if (evbuffer_get_length(out) > LEB__OUT_LIMIT)
        bufferevent_disable(c->bev, EV_READ);
}

/* leb__read_cb: data arrived. */
static void leb__read_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    leb__answer(arg);
}

/* leb__write_cb: the output drained: close a finished connection, or read again. */
static void leb__write_cb(struct bufferevent *bev, void *arg)
{
    leb__hconn *c = arg;
    if (c->http.close_after) {
        leb__close(c, 1);
        return;
    }
    bufferevent_enable(bev, EV_READ);
    leb__answer(c);
}

/* leb__event_cb: end-of-stream or an error: the client is gone. */
static void leb__event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev, (void)what;
    leb__close(arg, 0);
}

/* leb__accept_cb: a new connection: wrap it in a bufferevent and start reading. */
static void leb__accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                           int socklen, void *arg)
{
    (void)l, (void)sa, (void)socklen;
    struct event_base *base = arg;
    leb__hconn *c = rt_malloc(sizeof *c);
    struct bufferevent *bev =
        c != NULL ? bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
    if (bev == NULL) {
        evutil_closesocket(fd);
        rt_free(c);
        return;
    }
    c->bev = bev;
    rtb_http_conn_init(&c->http);
    bufferevent_setcb(bev, leb__read_cb, leb__write_cb, leb__event_cb, c);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    c->prev = NULL;
    c->next = leb__conns;
    if (leb__conns)
        leb__conns->prev = c;
    leb__conns = c;
    leb__accepted++;
}

/* leb__stop_cb: SIGTERM, SIGINT or duration=: leave the loop. */
static void leb__stop_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    event_base_loopbreak(arg);
}

/* leb_http_hello: serve until a signal or the duration; no metrics (wrk measures). */
int leb_http_hello(rtb_args *args)
{
    rtb_http_opts o;
    rtb_http_setup(args, &o);
    int port;
    int lfd = rtb_listen_loopback(o.port, 1024, &port);
    if (lfd < 0)
        rtb_fail_errno("listen on 127.0.0.1");
    struct event_base *base = leb_base_new();
    struct evconnlistener *l =
        evconnlistener_new(base, leb__accept_cb, base, LEV_OPT_CLOSE_ON_FREE, -1, lfd);
    struct event *term = evsignal_new(base, SIGTERM, leb__stop_cb, base);
    struct event *intr = evsignal_new(base, SIGINT, leb__stop_cb, base);
    struct event *limit = evtimer_new(base, leb__stop_cb, base);
    if (l == NULL || term == NULL || intr == NULL || limit == NULL || evsignal_add(term, NULL) != 0
        || evsignal_add(intr, NULL) != 0)
        rtb_fail("libevent listener/signal set-up failed");
    if (o.duration_s > 0) {
        struct timeval tv = { .tv_sec = (time_t)o.duration_s };
        if (evtimer_add(limit, &tv) != 0)
            rtb_fail("evtimer_add failed");
    }
    rtb_http_ready(port);
    event_base_dispatch(base);
    while (leb__conns)
        leb__close(leb__conns, 0);
    rtb_http_summary("libevent", leb__accepted, leb__served, leb__refused);
    evconnlistener_free(l);
    event_free(term);
    event_free(intr);
    event_free(limit);
    event_base_free(base);
    return 0;
}
