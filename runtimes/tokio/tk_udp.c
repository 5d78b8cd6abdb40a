/* tk_udp.c: UDP sockets -- bind, send_to/recv_from, and connect + send/recv. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tk_coop.h"
#include "tk_internal.h"
#include "tk_net.h"

/*
 * A datagram socket has no stream to keep in order: every send is one whole datagram and
 * every receive takes one. So a send never goes through partly (the kernel queues all of it
 * or says EAGAIN), and there is no write_all; a receive into a short buffer drops the rest of
 * that datagram, as recv_from does in tokio. Both go through the same readiness loop as the
 * streams. Only READABLE and WRITABLE are waited for (see TK__NET_READ in tk_net.h): an ICMP
 * error on a connected socket arrives as an error event, which sets both, so the next
 * send or recv returns it (-ECONNREFUSED) and the one after waits normally again.
 */

/* tk_udp_bind: bound first, registered last (like tk__net_listen); the driver is looked up
 * before anything is opened, so the "no reactor" panic leaks no fd. */
int tk_udp_bind(const char *host, unsigned port, tk_udp_socket *out)
{
    tk_sockaddr addr;
    int rc = tk_sockaddr_parse(host, port, &addr);
    if (rc)
        return rc;
    tk__driver *d = tk__driver_for_io();
    int fd = tk__net_socket(addr.storage.ss_family, SOCK_DGRAM);
    if (fd < 0)
        return fd;
    if (bind(fd, (const struct sockaddr *)&addr.storage, addr.len) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    tk_udp_socket s = { .fd = fd };
    if ((rc = tk__net_adopt(d, fd, &s.reg)) != 0)
        return rc;
    *out = s;
    return 0;
}

/* tk_udp_connect: only records the peer in the kernel; nothing goes on the wire. */
int tk_udp_connect(tk_udp_socket *s, const char *host, unsigned port)
{
    tk_sockaddr addr;
    int rc = tk_sockaddr_parse(host, port, &addr);
    if (rc)
        return rc;
    if (!s->reg.io)
        return -EBADF;
    return connect(s->fd, (const struct sockaddr *)&addr.storage, addr.len) < 0 ? -errno : 0;
}

/* tk_udp_local_addr: getsockname(2). */
int tk_udp_local_addr(const tk_udp_socket *s, tk_sockaddr *out)
{
    if (!s->reg.io)
        return -EBADF;
    out->len = sizeof out->storage;
    return getsockname(s->fd, (struct sockaddr *)&out->storage, &out->len) < 0 ? -errno : 0;
}

/* tk_udp_peer_addr: getpeername(2); -ENOTCONN before tk_udp_connect. */
int tk_udp_peer_addr(const tk_udp_socket *s, tk_sockaddr *out)
{
    if (!s->reg.io)
        return -EBADF;
    out->len = sizeof out->storage;
    return getpeername(s->fd, (struct sockaddr *)&out->storage, &out->len) < 0 ? -errno : 0;
}

/* tk_udp_close: see tk__net_close. */
void tk_udp_close(tk_udp_socket *s)
{
    tk__net_close(&s->fd, &s->reg);
}

/* ---- send -------------------------------------------------------------------------------- */

/* tk__send_op: sendto(2); with no address it is send(2) to the connected peer. */
static ssize_t tk__send_op(int fd, void *arg)
{
    tk_udp_send_fut *s = arg;
    const struct sockaddr *to = s->to.len ? (const struct sockaddr *)&s->to.storage : NULL;
    ssize_t n = sendto(fd, s->buf, s->len, MSG_NOSIGNAL, to, s->to.len);
    return n < 0 ? -errno : n;
}

/* tk__send_poll: budget, then the readiness loop for writable. */
static rt_poll tk__send_poll(rt_future *f, rt_context *cx)
{
    tk_udp_send_fut *s = (tk_udp_send_fut *)f;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;
    if (tk__net_io(&s->sock->reg, s->sock->fd, TK__NET_WRITE, cx, tk__send_op, s, &s->result) ==
        RT_PENDING) {
        tk_coop_undo();
        return RT_PENDING;
    }
    return RT_READY;
}

static const rt_future_vtable tk__send_vtable = {
    .poll = tk__send_poll, .drop = NULL, .name = "tk::net::udp::send",
};

/* tk_udp_send_to: the address is copied into the future; the buffer is borrowed. */
tk_udp_send_fut tk_udp_send_to(tk_udp_socket *s, const void *buf, size_t len, const tk_sockaddr *to)
{
    tk_udp_send_fut f = { .base = { &tk__send_vtable }, .sock = s, .buf = buf, .len = len };
    f.to = *to;
    return f;
}

/* tk_udp_send: to the connected peer (-EDESTADDRREQ if there is none). */
tk_udp_send_fut tk_udp_send(tk_udp_socket *s, const void *buf, size_t len)
{
    return (tk_udp_send_fut){ .base = { &tk__send_vtable }, .sock = s, .buf = buf, .len = len };
}

/* ---- receive ----------------------------------------------------------------------------- */

/* tk__recv_op: recvfrom(2), which also names the sender of a connected socket's datagram. */
static ssize_t tk__recv_op(int fd, void *arg)
{
    tk_udp_recv_fut *r = arg;
    r->from.len = sizeof r->from.storage;
    ssize_t n = recvfrom(fd, r->buf, r->len, 0, (struct sockaddr *)&r->from.storage, &r->from.len);
    return n < 0 ? -errno : n;
}

/* tk__recv_poll: budget, then the readiness loop for readable. */
static rt_poll tk__recv_poll(rt_future *f, rt_context *cx)
{
    tk_udp_recv_fut *r = (tk_udp_recv_fut *)f;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;
    if (tk__net_io(&r->sock->reg, r->sock->fd, TK__NET_READ, cx, tk__recv_op, r, &r->result) ==
        RT_PENDING) {
        tk_coop_undo();
        return RT_PENDING;
    }
    return RT_READY;
}

static const rt_future_vtable tk__recv_vtable = {
    .poll = tk__recv_poll, .drop = NULL, .name = "tk::net::udp::recv",
};

/* tk_udp_recv_from: the buffer is borrowed until the future is dropped. */
tk_udp_recv_fut tk_udp_recv_from(tk_udp_socket *s, void *buf, size_t len)
{
    return (tk_udp_recv_fut){ .base = { &tk__recv_vtable }, .sock = s, .buf = buf, .len = len };
}

/* tk_udp_recv: the same future; on a connected socket only the peer's datagrams arrive. */
tk_udp_recv_fut tk_udp_recv(tk_udp_socket *s, void *buf, size_t len)
{
    return tk_udp_recv_from(s, buf, len);
}
