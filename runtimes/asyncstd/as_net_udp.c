/* as_net_udp.c: UDP sockets -- bind, connect, and the send_to / recv_from futures. */
#include "as_net.h"

#include <errno.h>
#include <string.h>

#include "as_internal.h"

/*
 * A datagram socket is an as_io like any other: the futures try sendto/recvfrom first and park
 * on EAGAIN. A UDP send rarely waits (the socket buffer is large and datagrams are dropped,
 * not queued, when the network is busy), but it can, so it is a future all the same. A
 * connected UDP socket also works with as_read/as_write (one datagram per call).
 */

/* as_udp_bind: a socket bound to a numeric address. */
int as_udp_bind(const char *addr, as_io **out)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (out == NULL || as_addr_parse(addr, &ss, &len) != 0)
        return -EINVAL;
    as_io *io;
    int err = as__socket_open(ss.ss_family, SOCK_DGRAM, &io);
    if (err != 0)
        return err;
    if (bind(io->fd, (struct sockaddr *)&ss, len) < 0) {
        err = -errno;
        as_io_close(io);
        return err;
    }
    *out = io;
    return 0;
}

/* as_udp_connect: connect(2) on a datagram socket only records the peer; it never waits. */
int as_udp_connect(as_io *io, const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (io == NULL)
        return -EBADF;
    if (as_addr_parse(addr, &ss, &len) != 0)
        return -EINVAL;
    return connect(io->fd, (struct sockaddr *)&ss, len) < 0 ? -errno : 0;
}

/* as__dgram_done: record the outcome and end the operation. */
static rt_poll as__dgram_done(as__io_op *op, ssize_t *result, int *err, ssize_t value)
{
    *result = value;
    *err = value < 0 ? (int)value : 0;
    as__io_op_end(op);
    return RT_READY;
}

/* as__send_to_poll: sendto until sent, failed, or EAGAIN. */
static rt_poll as__send_to_poll(rt_future *f, rt_context *cx)
{
    as_send_to_fut *s = (as_send_to_fut *)f;
    if (s->op.finished)
        return RT_READY;
    int err = as__io_op_begin(&s->op);
    while (err == 0) {
        ssize_t n = sendto(s->op.io->fd, s->buf, s->len, MSG_NOSIGNAL,
                           (struct sockaddr *)&s->to, s->to_len);
        if (n >= 0)
            return as__dgram_done(&s->op, &s->result, &s->err, n);
        err = -errno;
        if (err == -EINTR)
            err = 0;
        else if (err == -EAGAIN || err == -EWOULDBLOCK)
            return (err = as__io_op_wait(&s->op, AS__DIR_WRITE, cx)) == 0
                       ? RT_PENDING
                       : as__dgram_done(&s->op, &s->result, &s->err, err);
    }
    return as__dgram_done(&s->op, &s->result, &s->err, err);
}

/* as__recv_from_poll: recvfrom until a datagram, an error, or EAGAIN. */
static rt_poll as__recv_from_poll(rt_future *f, rt_context *cx)
{
    as_recv_from_fut *r = (as_recv_from_fut *)f;
    if (r->op.finished)
        return RT_READY;
    int err = as__io_op_begin(&r->op);
    while (err == 0) {
        r->from_len = sizeof r->from;
        ssize_t n = recvfrom(r->op.io->fd, r->buf, r->len, 0, (struct sockaddr *)&r->from,
                             &r->from_len);
        if (n >= 0)
            return as__dgram_done(&r->op, &r->result, &r->err, n);
        err = -errno;
        if (err == -EINTR)
            err = 0;
        else if (err == -EAGAIN || err == -EWOULDBLOCK)
            return (err = as__io_op_wait(&r->op, AS__DIR_READ, cx)) == 0
                       ? RT_PENDING
                       : as__dgram_done(&r->op, &r->result, &r->err, err);
    }
    return as__dgram_done(&r->op, &r->result, &r->err, err);
}

/* as__send_to_drop: leave the wait list, release the handle. */
static void as__send_to_drop(rt_future *f)
{
    as__io_op_end(&((as_send_to_fut *)f)->op);
}

/* as__recv_from_drop: as as__send_to_drop. */
static void as__recv_from_drop(rt_future *f)
{
    as__io_op_end(&((as_recv_from_fut *)f)->op);
}

static const rt_future_vtable as__send_to_vtable = { as__send_to_poll, as__send_to_drop,
                                                     "as_udp_send_to" };
static const rt_future_vtable as__recv_from_vtable = { as__recv_from_poll, as__recv_from_drop,
                                                       "as_udp_recv_from" };

/* as_udp_send_to: the address is copied, so the caller's may go away. */
as_send_to_fut as_udp_send_to(as_io *io, const void *buf, size_t len, const struct sockaddr *to,
                              socklen_t to_len)
{
    as_send_to_fut s = { .base = { &as__send_to_vtable }, .op = as__io_op_init(io), .buf = buf,
                         .len = len };
    if (to != NULL && to_len <= sizeof s.to) {
        memcpy(&s.to, to, to_len);
        s.to_len = to_len;
    } else {
        s.op.io = NULL; /* reported as -EBADF... */
        s.op.finished = 1;
        s.result = -EINVAL; /* ...but we say what it was */
        s.err = -EINVAL;
    }
    return s;
}

/* as_udp_recv_from: constructor. */
as_recv_from_fut as_udp_recv_from(as_io *io, void *buf, size_t len)
{
    return (as_recv_from_fut){ .base = { &as__recv_from_vtable }, .op = as__io_op_init(io),
                               .buf = buf, .len = len };
}
