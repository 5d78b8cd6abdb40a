/* tk_stream.c: stream sockets (TCP and Unix alike) -- read, write, read_exact, write_all, accept, connect. */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tk_coop.h"
#include "tk_internal.h"
#include "tk_net.h"

/*
 * Once connected, a TCP stream and a Unix stream are the same object to the kernel's read(2)
 * and send(2), so one set of futures serves both, as tokio's PollEvented does. Each future is
 * a thin shell around tk__net_io: spend a unit of budget, run the readiness loop with one
 * syscall, store the answer. None of them owns anything but connect, which owns its socket
 * until it hands it over, so their drops are empty -- and dropping them mid-flight is safe
 * because a syscall either happened completely (and the future finished) or not at all.
 */

/* ---- read and write ---------------------------------------------------------------------- */

/* tk__read_op: one read(2) into the whole buffer. */
static ssize_t tk__read_op(int fd, void *arg)
{
    tk_read_fut *r = arg;
    ssize_t n = read(fd, r->buf, r->len);
    return n < 0 ? -errno : n;
}

/* tk__read_poll: budget, then the readiness loop; a zero-length read is done at once. */
static rt_poll tk__read_poll(rt_future *f, rt_context *cx)
{
    tk_read_fut *r = (tk_read_fut *)f;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;
    if (r->len == 0) {
        r->result = 0;
        return RT_READY;
    }
    if (tk__net_io(&r->stream->reg, r->stream->fd, TK__NET_READ, cx, tk__read_op, r,
                   &r->result) == RT_PENDING) {
        tk_coop_undo();
        return RT_PENDING;
    }
    return RT_READY;
}

static const rt_future_vtable tk__read_vtable = {
    .poll = tk__read_poll, .drop = NULL, .name = "tk::net::read",
};

/* tk_stream_read: the future borrows s and buf until dropped. */
tk_read_fut tk_stream_read(tk_stream *s, void *buf, size_t len)
{
    return (tk_read_fut){ .base = { &tk__read_vtable }, .stream = s, .buf = buf, .len = len };
}

/* tk__write_op: send(2) with MSG_NOSIGNAL: a dead peer gives -EPIPE, not a SIGPIPE that
 * would kill the whole process. */
static ssize_t tk__write_op(int fd, void *arg)
{
    tk_write_fut *w = arg;
    ssize_t n = send(fd, w->buf, w->len, MSG_NOSIGNAL);
    return n < 0 ? -errno : n;
}

/* tk__write_poll: as read, waiting for writable. */
static rt_poll tk__write_poll(rt_future *f, rt_context *cx)
{
    tk_write_fut *w = (tk_write_fut *)f;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;
    if (w->len == 0) {
        w->result = 0;
        return RT_READY;
    }
    if (tk__net_io(&w->stream->reg, w->stream->fd, TK__NET_WRITE, cx, tk__write_op, w,
                   &w->result) == RT_PENDING) {
        tk_coop_undo();
        return RT_PENDING;
    }
    return RT_READY;
}

static const rt_future_vtable tk__write_vtable = {
    .poll = tk__write_poll, .drop = NULL, .name = "tk::net::write",
};

/* tk_stream_write: the future borrows s and buf until dropped. */
tk_write_fut tk_stream_write(tk_stream *s, const void *buf, size_t len)
{
    return (tk_write_fut){ .base = { &tk__write_vtable }, .stream = s, .buf = buf, .len = len };
}

/* ---- read_exact and write_all ------------------------------------------------------------ */

/* tk__read_exact_op: read into what is still missing. */
static ssize_t tk__read_exact_op(int fd, void *arg)
{
    tk_read_exact_fut *r = arg;
    ssize_t n = read(fd, (char *)r->buf + r->done, r->len - r->done);
    return n < 0 ? -errno : n;
}

/* tk__read_exact_poll: read until full, within one poll while the kernel has data. One unit of
 * budget per poll, like one tokio leaf: the loop is bounded by len, so it cannot run away. */
static rt_poll tk__read_exact_poll(rt_future *f, rt_context *cx)
{
    tk_read_exact_fut *r = (tk_read_exact_fut *)f;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;
    while (r->done < r->len) {
        ssize_t n;
        if (tk__net_io(&r->stream->reg, r->stream->fd, TK__NET_READ, cx,
                       tk__read_exact_op, r, &n) == RT_PENDING) {
            tk_coop_undo();
            return RT_PENDING;
        }
        if (n <= 0) {
            r->result = n < 0 ? (int)n : TK_UNEXPECTED_EOF;
            return RT_READY;
        }
        r->done += (size_t)n;
    }
    r->result = 0;
    return RT_READY;
}

static const rt_future_vtable tk__read_exact_vtable = {
    .poll = tk__read_exact_poll, .drop = NULL, .name = "tk::net::read_exact",
};

/* tk_stream_read_exact: the future borrows s and buf until dropped. */
tk_read_exact_fut tk_stream_read_exact(tk_stream *s, void *buf, size_t len)
{
    return (tk_read_exact_fut){ .base = { &tk__read_exact_vtable }, .stream = s, .buf = buf,
                                .len = len };
}

/* tk__write_all_op: send what is still unsent. */
static ssize_t tk__write_all_op(int fd, void *arg)
{
    tk_write_all_fut *w = arg;
    ssize_t n = send(fd, (const char *)w->buf + w->done, w->len - w->done, MSG_NOSIGNAL);
    return n < 0 ? -errno : n;
}

/* tk__write_all_poll: send until everything is out. A send of 0 bytes for a non-empty buffer
 * would loop forever; no stream socket does that, but we report it as -EPIPE (tokio's
 * WriteZero) rather than trust it. */
static rt_poll tk__write_all_poll(rt_future *f, rt_context *cx)
{
    tk_write_all_fut *w = (tk_write_all_fut *)f;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;
    while (w->done < w->len) {
        ssize_t n;
        if (tk__net_io(&w->stream->reg, w->stream->fd, TK__NET_WRITE, cx, tk__write_all_op, w,
                       &n) == RT_PENDING) {
            tk_coop_undo();
            return RT_PENDING;
        }
        if (n <= 0) {
            w->result = n < 0 ? (int)n : -EPIPE;
            return RT_READY;
        }
        w->done += (size_t)n;
    }
    w->result = 0;
    return RT_READY;
}

static const rt_future_vtable tk__write_all_vtable = {
    .poll = tk__write_all_poll, .drop = NULL, .name = "tk::net::write_all",
};

/* tk_stream_write_all: the future borrows s and buf until dropped. */
tk_write_all_fut tk_stream_write_all(tk_stream *s, const void *buf, size_t len)
{
    return (tk_write_all_fut){ .base = { &tk__write_all_vtable }, .stream = s, .buf = buf,
                               .len = len };
}

/* ---- the synchronous rest ---------------------------------------------------------------- */

/* tk_stream_from_fd: tokio's from_std. The fd must be a connected stream socket; it is made
 * non-blocking and close-on-exec here, because a blocking fd would stall a whole worker on
 * its first read. The stream owns fd from now on, also on failure (then it is closed). */
int tk_stream_from_fd(int fd, tk_stream *out)
{
    tk__driver *d = tk__driver_for_io();
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    tk_stream s = { .fd = fd };
    int rc = tk__net_adopt(d, fd, &s.reg);
    if (rc)
        return rc;
    *out = s;
    return 0;
}

/* tk_stream_shutdown: shutdown(2) never blocks; a reader parked on the other end sees EOF. */
int tk_stream_shutdown(tk_stream *s, int how)
{
    if (!s->reg.io)
        return -EBADF;
    return shutdown(s->fd, how) < 0 ? -errno : 0;
}

/* tk_stream_close: see tk__net_close. */
void tk_stream_close(tk_stream *s)
{
    tk__net_close(&s->fd, &s->reg);
}

/* tk_stream_is_open: registered means open. */
int tk_stream_is_open(const tk_stream *s)
{
    return s->reg.io != NULL;
}

/* tk_stream_peer_addr: getpeername(2). */
int tk_stream_peer_addr(const tk_stream *s, tk_sockaddr *out)
{
    if (!s->reg.io)
        return -EBADF;
    out->len = sizeof out->storage;
    return getpeername(s->fd, (struct sockaddr *)&out->storage, &out->len) < 0 ? -errno : 0;
}

/* tk_stream_local_addr: getsockname(2). */
int tk_stream_local_addr(const tk_stream *s, tk_sockaddr *out)
{
    if (!s->reg.io)
        return -EBADF;
    out->len = sizeof out->storage;
    return getsockname(s->fd, (struct sockaddr *)&out->storage, &out->len) < 0 ? -errno : 0;
}

/* ---- accept ------------------------------------------------------------------------------ */

/* tk__accept_op: accept4 sets NONBLOCK and CLOEXEC on the new fd in the same syscall. A
 * connection that died while queued (ECONNABORTED, EPROTO) is skipped, as accept(2) advises:
 * the caller asked for a connection, not for news about one that is already gone. */
static ssize_t tk__accept_op(int fd, void *arg)
{
    tk_accept_fut *a = arg;
    for (;;) {
        a->peer.len = sizeof a->peer.storage;
        int c = accept4(fd, (struct sockaddr *)&a->peer.storage, &a->peer.len,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0)
            return c;
        if (errno != ECONNABORTED && errno != EPROTO)
            return -errno;
    }
}

/* tk__accept_poll: wait for a connection, then register it with the listener's driver. */
static rt_poll tk__accept_poll(rt_future *f, rt_context *cx)
{
    tk_accept_fut *a = (tk_accept_fut *)f;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;
    ssize_t fd;
    if (tk__net_io(&a->listener->reg, a->listener->fd, TK__NET_READ, cx, tk__accept_op, a,
                   &fd) == RT_PENDING) {
        tk_coop_undo();
        return RT_PENDING;
    }
    if (fd < 0) {
        a->result = (int)fd;
        return RT_READY;
    }
    a->stream.fd = (int)fd;
    a->result = tk__net_adopt(a->listener->reg.driver, (int)fd, &a->stream.reg);
    if (a->result)
        a->stream.fd = -1;
    return RT_READY;
}

static const rt_future_vtable tk__accept_vtable = {
    .poll = tk__accept_poll, .drop = NULL, .name = "tk::net::accept",
};

/* tk_listener_accept: the future borrows l until dropped. */
tk_accept_fut tk_listener_accept(tk_listener *l)
{
    return (tk_accept_fut){ .base = { &tk__accept_vtable }, .listener = l, .stream = { .fd = -1 } };
}

/* tk_listener_local_addr: getsockname(2). */
int tk_listener_local_addr(const tk_listener *l, tk_sockaddr *out)
{
    if (!l->reg.io)
        return -EBADF;
    out->len = sizeof out->storage;
    return getsockname(l->fd, (struct sockaddr *)&out->storage, &out->len) < 0 ? -errno : 0;
}

/* tk_listener_close: see tk__net_close. */
void tk_listener_close(tk_listener *l)
{
    tk__net_close(&l->fd, &l->reg);
}

/* ---- connect ----------------------------------------------------------------------------- */

enum { TK__CONNECT_START, TK__CONNECT_WAIT, TK__CONNECT_DONE };

/* tk__connect_check: after a writable edge, did the connect succeed? SO_ERROR holds (and
 * clears) a failure. No error but no peer either means the edge was not about the connect:
 * report EAGAIN so the loop clears it and waits on -- tokio does the same dance. */
static ssize_t tk__connect_check(int fd, void *arg)
{
    (void)arg;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return -errno;
    if (err)
        return -err;
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0)
        return errno == ENOTCONN ? -EAGAIN : -errno;
    return 0;
}

/* tk__connect_finish: record the outcome; a failed attempt's socket is closed at once. */
static rt_poll tk__connect_finish(tk_connect_fut *c, int rc)
{
    c->state = TK__CONNECT_DONE;
    c->result = rc;
    if (rc)
        tk__net_close(&c->stream.fd, &c->stream.reg);
    return RT_READY;
}

/* tk__connect_poll: the first poll opens the socket, starts the connect and only then
 * registers it (an unconnected TCP socket polls as hung up; see tk__net_listen), so the first
 * edge the driver reports is the connect's own. Later polls wait for writable and check. */
static rt_poll tk__connect_poll(rt_future *f, rt_context *cx)
{
    tk_connect_fut *c = (tk_connect_fut *)f;
    if (c->state == TK__CONNECT_DONE)
        return RT_READY;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;
    if (c->state == TK__CONNECT_START) {
        if (c->result)
            return tk__connect_finish(c, c->result); /* the constructor found a bad address */
        tk__driver *d = tk__driver_for_io();
        int fd = tk__net_socket(c->addr.storage.ss_family, SOCK_STREAM);
        if (fd < 0)
            return tk__connect_finish(c, fd);
        int done = connect(fd, (const struct sockaddr *)&c->addr.storage, c->addr.len) == 0;
        /* EINTR: the attempt goes on in the background, exactly like EINPROGRESS. */
        if (!done && errno != EINPROGRESS && errno != EINTR) {
            int rc = -errno;
            close(fd);
            return tk__connect_finish(c, rc);
        }
        int rc = tk__net_adopt(d, fd, &c->stream.reg); /* closes fd on failure */
        if (rc)
            return tk__connect_finish(c, rc);
        c->stream.fd = fd;
        if (done)
            return tk__connect_finish(c, 0);
        c->state = TK__CONNECT_WAIT;
    }
    ssize_t rc;
    if (tk__net_io(&c->stream.reg, c->stream.fd, TK__NET_WRITE, cx, tk__connect_check, NULL,
                   &rc) == RT_PENDING) {
        tk_coop_undo();
        return RT_PENDING;
    }
    return tk__connect_finish(c, (int)rc);
}

/* tk__connect_drop: an unfinished connect still owns its socket. */
static void tk__connect_drop(rt_future *f)
{
    tk_connect_fut *c = (tk_connect_fut *)f;
    if (c->state != TK__CONNECT_DONE)
        tk__net_close(&c->stream.fd, &c->stream.reg);
}

static const rt_future_vtable tk__connect_vtable = {
    .poll = tk__connect_poll, .drop = tk__connect_drop, .name = "tk::net::connect",
};

/* tk_connect_addr: nothing happens until the first poll (which is where the runtime is found).
 * An empty address (a failed parse) makes the first poll finish with -EINVAL. */
tk_connect_fut tk_connect_addr(const tk_sockaddr *addr)
{
    return (tk_connect_fut){ .base = { &tk__connect_vtable }, .addr = *addr,
                             .state = TK__CONNECT_START, .result = addr->len ? 0 : -EINVAL,
                             .stream = { .fd = -1 } };
}
