/* tcp_echo.c (rtb-epoll): loopback TCP streams through an echo server, edge-triggered epoll. */
#include "epb.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rtb_echo.h"
#include "rtb_util.h"

/*
 * Edge-triggered fits a stream: every socket is registered once for IN|OUT and never touched
 * again with epoll_ctl, and each handler reads or writes until EAGAIN. The rule that keeps it
 * correct is "stop only on EAGAIN": the next edge then arrives when that very condition changes.
 * The echo server holds at most one buffer per connection: when its write would block it stops
 * reading, which is exactly the backpressure a real echo server has.
 */

#define EPB__BATCH 256

typedef struct epb__client {
    int fd;
    uint64_t sent, received;
    int shut, eof;
} epb__client;

typedef struct epb__server {
    int fd;
    unsigned char *buf;
    size_t have, off;  /* buf[off..have) read but not yet echoed */
    int peer_eof, shut;
} epb__server;

static rtb_echo epb__e;
static unsigned char *epb__rbuf;  /* the clients' read buffer: one loop thread, one buffer */

/* epb__client_write: send pattern bytes until done or EAGAIN; shut down the write side at the end. */
static void epb__client_write(epb__client *c, unsigned i)
{
    while (c->sent < epb__e.bytes) {
        uint64_t left = epb__e.bytes - c->sent;
        size_t n = left < epb__e.buf ? (size_t)left : epb__e.buf;
        ssize_t w = write(c->fd, rtb_pattern_at(c->sent, i), n);
        if (w < 0) {
            if (errno == EAGAIN)
                return;
            rtb_fail_errno("client write");
        }
        c->sent += (uint64_t)w;
    }
    if (!c->shut) {
        if (shutdown(c->fd, SHUT_WR) != 0)
            rtb_fail_errno("client shutdown");
        c->shut = 1;
    }
}

/* epb__client_read: read and verify echoed bytes until EAGAIN or end-of-stream. */
static void epb__client_read(epb__client *c, unsigned i)
{
    while (!c->eof) {
        ssize_t r = read(c->fd, epb__rbuf, epb__e.buf);
        if (r < 0) {
            if (errno == EAGAIN)
                return;
            rtb_fail_errno("client read");
        }
        if (r == 0) {
            c->eof = 1;
            rtb_echo_client_eof(&epb__e, i, c->received);
            return;
        }
        rtb_echo_verify(&epb__e, i, c->received, epb__rbuf, (size_t)r);
        c->received += (uint64_t)r;
    }
}

/* epb__server_pump: echo until a read or write would block; shut down after the peer's end. */
static void epb__server_pump(epb__server *s)
{
    for (;;) {
        if (s->off < s->have) {
            ssize_t w = write(s->fd, s->buf + s->off, s->have - s->off);
            if (w < 0) {
                if (errno == EAGAIN)
                    return;
                rtb_fail_errno("server write");
            }
            s->off += (size_t)w;
            continue;
        }
        s->have = s->off = 0;
        if (s->peer_eof) {
            if (!s->shut && shutdown(s->fd, SHUT_WR) != 0)
                rtb_fail_errno("server shutdown");
            s->shut = 1;
            return;
        }
        ssize_t r = read(s->fd, s->buf, epb__e.buf);
        if (r < 0) {
            if (errno == EAGAIN)
                return;
            rtb_fail_errno("server read");
        }
        if (r == 0)
            s->peer_eof = 1;
        s->have = (size_t)r;
    }
}

/* epb_tcp_echo: the workload; metric MB/s echoed. */
int epb_tcp_echo(rtb_args *args)
{
    rtb_echo_params(&epb__e, args);
    rtb_echo_open(&epb__e);
    uint64_t nc = epb__e.conns;
    epb__client *cl = rt_calloc(nc, sizeof *cl);
    epb__server *sv = rt_calloc(nc, sizeof *sv);
    unsigned char *bufs = rt_malloc(nc * epb__e.buf);
    epb__rbuf = rt_malloc(epb__e.buf);
    if (cl == NULL || sv == NULL || bufs == NULL || epb__rbuf == NULL)
        rtb_fail("out of memory for %llu connections", (unsigned long long)nc);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        rtb_fail_errno("epoll_create1");
    for (uint64_t i = 0; i < nc; i++) {
        cl[i].fd = epb__e.client[i];
        sv[i].fd = epb__e.server[i];
        sv[i].buf = bufs + i * epb__e.buf;
        struct epoll_event ce = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u64 = i << 1 };
        struct epoll_event se = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u64 = i << 1 | 1 };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, cl[i].fd, &ce) != 0
            || epoll_ctl(ep, EPOLL_CTL_ADD, sv[i].fd, &se) != 0)
            rtb_fail_errno("epoll_ctl");
    }

    uint64_t t0 = rtb_now_ns();
    for (uint64_t i = 0; i < nc; i++)
        epb__client_write(&cl[i], (unsigned)i);
    struct epoll_event evs[EPB__BATCH];
    while (epb__e.closed < nc) {
        int n = epoll_wait(ep, evs, EPB__BATCH, -1);
        if (n < 0 && errno != EINTR)
            rtb_fail_errno("epoll_wait");
        for (int k = 0; k < n; k++) {
            uint64_t i = evs[k].data.u64 >> 1;
            if (evs[k].data.u64 & 1) {
                epb__server_pump(&sv[i]);
            } else {
                epb__client_read(&cl[i], (unsigned)i);
                epb__client_write(&cl[i], (unsigned)i);
            }
        }
    }
    uint64_t t1 = rtb_now_ns();
    rtb_echo_report(&epb__e, t0, t1);

    for (uint64_t i = 0; i < nc; i++) {
        close(cl[i].fd);
        close(sv[i].fd);
    }
    close(ep);
    rtb_echo_free(&epb__e);
    rt_free(bufs);
    rt_free(epb__rbuf);
    rt_free(cl);
    rt_free(sv);
    return 0;
}
