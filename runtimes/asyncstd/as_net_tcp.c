/* as_net_tcp.c: TCP listeners, the accept future shared with Unix listeners, and socket options. */
#include "as_net.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "as_internal.h"

/*
 * Binding never blocks, so as_tcp_listen is a plain call. Accepting waits, so it is a future,
 * with the same try-first loop as as_read: accept4 at once, and only on EAGAIN park on the
 * listener's read direction (a listening socket is "readable" when a connection is queued).
 * Two errors are not the listener's fault and are retried on the spot: EINTR, and
 * ECONNABORTED (the peer reset the connection while it sat in the backlog). EMFILE and
 * ENFILE are reported: the connection stays queued in the kernel, and the caller decides how
 * to back off (see the echo server example).
 */

/* as__socket_open: socket(2) (non-blocking, close-on-exec) wrapped in a handle; 0 or -errno. */
int as__socket_open(int family, int type, as_io **out)
{
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int err = as_io_open(fd, out);
    if (err != 0)
        close(fd);
    return err;
}

/* as_tcp_listen: socket, SO_REUSEADDR (so a restarted server can bind at once), bind, listen. */
int as_tcp_listen(const char *addr, as_io **out)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int err = as_addr_parse(addr, &ss, &len);
    if (err != 0 || out == NULL)
        return -EINVAL;
    as_io *io;
    if ((err = as__socket_open(ss.ss_family, SOCK_STREAM, &io)) != 0)
        return err;
    int one = 1;
    setsockopt(io->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(io->fd, (struct sockaddr *)&ss, len) < 0 || listen(io->fd, SOMAXCONN) < 0) {
        err = -errno;
        as_io_close(io);
        return err;
    }
    *out = io;
    return 0;
}

/* as__accept_poll: accept4 until a connection, a real error, or EAGAIN (then park). */
static rt_poll as__accept_poll(rt_future *f, rt_context *cx)
{
    as_accept_fut *a = (as_accept_fut *)f;
    if (a->op.finished)
        return RT_READY;
    int err = as__io_op_begin(&a->op);
    while (err == 0) {
        a->peer_len = sizeof a->peer;
        int fd = accept4(a->op.io->fd, (struct sockaddr *)&a->peer, &a->peer_len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            err = as_io_open(fd, &a->stream);
            if (err != 0) {
                close(fd);
                a->stream = NULL;
            }
            break;
        }
        err = -errno;
        if (err == -EINTR || err == -ECONNABORTED) {
            err = 0;
            continue;
        }
        if (err != -EAGAIN && err != -EWOULDBLOCK)
            break;
        err = as__io_op_wait(&a->op, AS__DIR_READ, cx);
        if (err == 0)
            return RT_PENDING;
    }
    a->err = err;
    as__io_op_end(&a->op);
    return RT_READY;
}

/* as__accept_drop: leave the listener's wait list. A stream already accepted is the caller's. */
static void as__accept_drop(rt_future *f)
{
    as__io_op_end(&((as_accept_fut *)f)->op);
}

static const rt_future_vtable as__accept_vtable = {
    .poll = as__accept_poll,
    .drop = as__accept_drop,
    .name = "as_accept",
};

/* as__accept: the shared constructor (TCP and Unix listeners accept alike). */
as_accept_fut as__accept(as_io *listener)
{
    return (as_accept_fut){ .base = { &as__accept_vtable }, .op = as__io_op_init(listener) };
}

/* as_tcp_accept: the next connection on a TCP listener. */
as_accept_fut as_tcp_accept(as_io *listener)
{
    return as__accept(listener);
}

/* as_tcp_set_nodelay: disable Nagle (small writes go out at once). */
int as_tcp_set_nodelay(as_io *io, int on)
{
    if (io == NULL)
        return -EBADF;
    return setsockopt(io->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0 ? -errno : 0;
}
