/* http_hello.c (rtb-epoll): the HTTP/1.1 hello responder on raw edge-triggered epoll. */
#include "epb.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rtb_http.h"
#include "rtb_net.h"

/*
 * Everything the responder waits for is a descriptor in one epoll set: the listener, each
 * connection, a signalfd for SIGTERM/SIGINT and a timerfd for duration=. That is the floor's
 * whole design: no callbacks, no timer queue, the kernel does the waiting. Each connection is
 * edge-triggered for IN|OUT and served by one function that writes what is queued, answers what
 * is parsed and reads more, until a read or write says EAGAIN.
 */

#define EPB__BATCH 256

typedef struct epb__hconn {
    int fd;
    int peer_eof;
    struct epb__hconn *prev, *next;  /* every open connection, so shutdown can close them all */
    rtb_http_conn http;
} epb__hconn;

/* Tags for the three non-connection descriptors: their epoll data points at one of these. */
static char epb__tag_listen, epb__tag_signal, epb__tag_timer;
static epb__hconn *epb__conns;
static uint64_t epb__accepted, epb__served, epb__refused;

/* epb__close: count the connection's replies, unlink it, close and free it. */
static void epb__close(epb__hconn *c)
{
    epb__served += c->http.served;
    epb__refused += c->http.refused;
    if (c->prev)
        c->prev->next = c->next;
    else
        epb__conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    close(c->fd);  /* closing also removes it from the epoll set */
    rt_free(c);
}

/* epb__serve: write, answer, read, until EAGAIN; closes the connection when it is finished. */
static void epb__serve(epb__hconn *c)
{
    rtb_http_conn *h = &c->http;
    for (;;) {
        while (h->out_off < h->out_len) {
            ssize_t w = send(c->fd, h->out + h->out_off, h->out_len - h->out_off, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN)
                    return;
                epb__close(c);  /* the client went away (EPIPE, ECONNRESET): nothing to answer */
                return;
            }
            rtb_http_out_commit(h, (size_t)w);
        }
        if (rtb_http_done(h) || c->peer_eof) {
            rtb_http_linger(c->fd);
            epb__close(c);
            return;
        }
        rtb_http_process(h);
        if (h->out_len > 0)
            continue;
        size_t room;
        char *space = rtb_http_in_space(h, &room);
        if (room == 0) {
            epb__close(c);
            return;
        }
        ssize_t r = read(c->fd, space, room);
        if (r < 0) {
            if (errno == EAGAIN)
                return;
            epb__close(c);
            return;
        }
        if (r == 0)
            c->peer_eof = 1;  /* answer what is complete, then close */
        else
            rtb_http_in_commit(h, (size_t)r);
        rtb_http_process(h);
    }
}

/* epb__accept: accept every pending connection and register each edge-triggered. */
static void epb__accept(int ep, int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN)
                return;
            if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS)
                return;  /* under pressure: leave it in the backlog, the next edge retries */
            if (errno == ECONNABORTED || errno == EINTR)
                continue;
            rtb_fail_errno("accept4");
        }
        epb__hconn *c = rt_malloc(sizeof *c);
        if (c == NULL) {
            close(fd);  /* refuse this one client rather than the whole responder */
            continue;
        }
        c->fd = fd;
        c->peer_eof = 0;
        rtb_http_conn_init(&c->http);
        struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                  .data.ptr = c };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            close(fd);
            rt_free(c);
            continue;
        }
        c->prev = NULL;
        c->next = epb__conns;
        if (epb__conns)
            epb__conns->prev = c;
        epb__conns = c;
        epb__accepted++;
    }
}

/* epb__add: register a non-connection descriptor under its tag, level-triggered. */
static void epb__add(int ep, int fd, void *tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        rtb_fail_errno("epoll_ctl");
}

/* epb_http_hello: serve until SIGTERM/SIGINT or duration= seconds; no metrics (wrk measures). */
int epb_http_hello(rtb_args *args)
{
    rtb_http_opts o;
    rtb_http_setup(args, &o);
    int port;
    int lfd = rtb_listen_loopback(o.port, 1024, &port);
    if (lfd < 0)
        rtb_fail_errno("listen on 127.0.0.1");
    /* Blocked signals are delivered only through the signalfd, never as asynchronous handlers. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0)
        rtb_fail_errno("sigprocmask");
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (sfd < 0 || ep < 0)
        rtb_fail_errno("signalfd/epoll_create1");
    epb__add(ep, lfd, &epb__tag_listen);
    epb__add(ep, sfd, &epb__tag_signal);
    int tfd = -1;
    if (o.duration_s > 0) {
        tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        struct itimerspec its = { .it_value.tv_sec = (time_t)o.duration_s };
        if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) != 0)
            rtb_fail_errno("timerfd");
        epb__add(ep, tfd, &epb__tag_timer);
    }
    rtb_http_ready(port);

    struct epoll_event evs[EPB__BATCH];
    int running = 1;
    while (running) {
        int n = epoll_wait(ep, evs, EPB__BATCH, -1);
        if (n < 0 && errno != EINTR)
            rtb_fail_errno("epoll_wait");
        for (int k = 0; k < n; k++) {
            void *tag = evs[k].data.ptr;
            if (tag == &epb__tag_listen)
                epb__accept(ep, lfd);
            else if (tag == &epb__tag_signal || tag == &epb__tag_timer)
                running = 0;
            else if (running)
                epb__serve(tag);
        }
        /*
         * A connection closed while serving this batch can still have an entry later in the
         * same batch only if it appeared twice, which epoll never does for one registration;
         * and a closed fd leaves the set, so no event can name a freed connection afterwards.
         */
    }
    while (epb__conns)
        epb__close(epb__conns);
    rtb_http_summary("epoll", epb__accepted, epb__served, epb__refused);
    close(lfd);
    close(sfd);
    if (tfd >= 0)
        close(tfd);
    close(ep);
    return 0;
}
