/* tcp_echo.c (rtb-uring): loopback TCP echo as io_uring recv, send and shutdown completions. */
#include "urb.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rtb_echo.h"
#include "rtb_util.h"

/*
 * Each client keeps one send (straight out of the pattern) and one recv in the ring; each
 * server connection alternates recv and send on its one buffer, resending the tail if the
 * kernel took only part of it. End-of-stream is an io_uring shutdown request on both sides.
 * The user_data of a request is (conn << 3) | (server << 2) | op, with op recv, send, shutdown.
 */

enum { URB__RECV = 0, URB__SEND = 1, URB__SHUT = 2 };

typedef struct urb__client {
    uint64_t sent, received;
    unsigned char *rbuf;
} urb__client;

typedef struct urb__server {
    unsigned char *buf;
    size_t have, off;
} urb__server;

static rtb_echo urb__e;
static urb__client *urb__cl;
static urb__server *urb__sv;

/* urb__queue: one request on conn's client (server = 0) or server (1) socket. */
static void urb__queue(struct io_uring *ring, uint64_t conn, unsigned server, unsigned op,
                       void *buf, size_t len)
{
    int fd = server ? urb__e.server[conn] : urb__e.client[conn];
    struct io_uring_sqe *sqe = urb_sqe(ring);
    if (op == URB__RECV)
        io_uring_prep_recv(sqe, fd, buf, len, 0);
    else if (op == URB__SEND)
        io_uring_prep_send(sqe, fd, buf, len, MSG_NOSIGNAL);
    else
        io_uring_prep_shutdown(sqe, fd, SHUT_WR);
    io_uring_sqe_set_data64(sqe, conn << 3 | server << 2 | op);
}

/* urb__client_send: the next piece of the pattern, or the shutdown once all is sent. */
static void urb__client_send(struct io_uring *ring, uint64_t i)
{
    urb__client *c = &urb__cl[i];
    uint64_t left = urb__e.bytes - c->sent;
    if (left == 0) {
        urb__queue(ring, i, 0, URB__SHUT, NULL, 0);
        return;
    }
    size_t n = left < urb__e.buf ? (size_t)left : urb__e.buf;
    urb__queue(ring, i, 0, URB__SEND, (void *)rtb_pattern_at(c->sent, (unsigned)i), n);
}

/* urb__complete: advance one connection side by one completion. */
static void urb__complete(struct io_uring *ring, uint64_t tag, int res)
{
    uint64_t i = tag >> 3;
    unsigned server = (unsigned)(tag >> 2 & 1), op = (unsigned)(tag & 3);
    if (res < 0)
        rtb_fail("%s %s: %s", server ? "server" : "client",
                 op == URB__RECV ? "recv" : op == URB__SEND ? "send" : "shutdown", strerror(-res));
    if (op == URB__SHUT)
        return;
    if (!server) {
        urb__client *c = &urb__cl[i];
        if (op == URB__SEND) {
            c->sent += (uint64_t)res;
            urb__client_send(ring, i);
        } else if (res == 0) {
            rtb_echo_client_eof(&urb__e, (unsigned)i, c->received);
        } else {
            rtb_echo_verify(&urb__e, (unsigned)i, c->received, c->rbuf, (size_t)res);
            c->received += (uint64_t)res;
            urb__queue(ring, i, 0, URB__RECV, c->rbuf, urb__e.buf);
        }
        return;
    }
    urb__server *s = &urb__sv[i];
    if (op == URB__RECV) {
        if (res == 0) {
            urb__queue(ring, i, 1, URB__SHUT, NULL, 0);
            return;
        }
        s->have = (size_t)res;
        s->off = 0;
    } else {
        s->off += (size_t)res;
    }
    if (s->off < s->have)
        urb__queue(ring, i, 1, URB__SEND, s->buf + s->off, s->have - s->off);
    else
        urb__queue(ring, i, 1, URB__RECV, s->buf, urb__e.buf);
}

/* urb_tcp_echo: the workload; metric MB/s echoed. */
int urb_tcp_echo(rtb_args *args)
{
    rtb_echo_params(&urb__e, args);
    rtb_echo_open(&urb__e);
    uint64_t nc = urb__e.conns;
    urb__cl = rt_calloc(nc, sizeof *urb__cl);
    urb__sv = rt_calloc(nc, sizeof *urb__sv);
    unsigned char *bufs = rt_malloc(2 * nc * urb__e.buf);
    if (urb__cl == NULL || urb__sv == NULL || bufs == NULL)
        rtb_fail("out of memory for %llu connections", (unsigned long long)nc);
    unsigned entries = 64;
    while (entries < 4 * nc && entries < 32768)
        entries *= 2;
    struct io_uring ring;
    urb_ring_init(&ring, entries);
    for (uint64_t i = 0; i < nc; i++) {
        urb__cl[i].rbuf = bufs + 2 * i * urb__e.buf;
        urb__sv[i].buf = bufs + (2 * i + 1) * urb__e.buf;
        urb_blocking(urb__e.client[i]);
        urb_blocking(urb__e.server[i]);
        urb__queue(&ring, i, 0, URB__RECV, urb__cl[i].rbuf, urb__e.buf);
        urb__queue(&ring, i, 1, URB__RECV, urb__sv[i].buf, urb__e.buf);
    }
    io_uring_submit(&ring);

    uint64_t t0 = rtb_now_ns();
    for (uint64_t i = 0; i < nc; i++)
        urb__client_send(&ring, i);
    while (urb__e.closed < nc) {
        int rc = io_uring_submit_and_wait(&ring, 1);
        if (rc < 0 && rc != -EINTR)
            rtb_fail("io_uring_submit_and_wait: %s", strerror(-rc));
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            urb__complete(&ring, io_uring_cqe_get_data64(cqe), cqe->res);
            seen++;
        }
        io_uring_cq_advance(&ring, seen);
    }
    uint64_t t1 = rtb_now_ns();
    rtb_echo_report(&urb__e, t0, t1);

    io_uring_queue_exit(&ring);
    for (uint64_t i = 0; i < nc; i++) {
        close(urb__e.client[i]);
        close(urb__e.server[i]);
    }
    rtb_echo_free(&urb__e);
    rt_free(bufs);
    rt_free(urb__cl);
    rt_free(urb__sv);
    return 0;
}
