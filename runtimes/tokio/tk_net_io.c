/* tk_net_io.c: what every tk socket shares -- the readiness loop, and opening and closing a socket. */
#include <errno.h>
#include <unistd.h>

#include "tk_internal.h"
#include "tk_net.h"

/*
 * A socket future never blocks and never busy-waits. It asks the registration whether the
 * driver has seen the socket become ready; if not, the registration keeps the task's waker
 * and the future returns pending. If it has, the future makes its syscall. Success or a real
 * error ends the operation. EAGAIN means the readiness we saw is used up: we clear it and ask
 * again -- and the second ask is what makes this safe. If the peer's bytes arrived while our
 * read(2) was still running, the driver stamped the readiness with a newer tick, the clear is
 * refused, and the second ask sees "ready" and retries instead of sleeping through the only
 * edge epoll will ever report for those bytes. If nothing arrived, the second ask stores the
 * waker and returns pending.
 */

/* tk__net_io: see tk_net.h. The loop always ends: each EAGAIN either clears the bits we saw
 * (so the next ask stores the waker) or meets a newer edge (real new readiness to try). */
rt_poll tk__net_io(tk_registration *reg, int fd, unsigned interest, rt_context *cx,
                   tk__net_op op, void *arg, ssize_t *out)
{
    if (!reg->io || fd < 0) {
        *out = -EBADF;
        return RT_READY;
    }
    for (;;) {
        tk__ready_event ev;
        if (tk__io_poll_ready(reg, interest, cx, &ev) == RT_PENDING)
            return RT_PENDING;
        ssize_t n = op(fd, arg);
        if (n == -EINTR)
            continue;
        if (n == -EAGAIN) { /* EWOULDBLOCK is the same number on Linux */
            tk__io_clear_readiness(reg, ev);
            continue;
        }
        *out = n;
        return RT_READY;
    }
}

/* tk__net_adopt: the registration takes the fd, or the fd is closed -- never half of both. */
int tk__net_adopt(tk__driver *d, int fd, tk_registration *reg)
{
    int rc = tk__io_register(d, fd, reg);
    if (rc) {
        close(fd);
        *reg = (tk_registration){ 0 };
    }
    return rc;
}

/* tk__net_socket: NONBLOCK and CLOEXEC are set atomically by socket(2), so no other thread's
 * fork+exec can inherit the fd in between. Not registered yet: see tk__net_listen for why. */
int tk__net_socket(int family, int type)
{
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    return fd < 0 ? -errno : fd;
}

/* tk__net_close: deregister before close -- once closed, the fd number may be reused by
 * another thread's socket at once, and epoll must not confuse the two. A registration with
 * no slot was never opened (or is already closed): nothing to do, not even close(2), so a
 * zeroed struct (fd 0!) is never mistaken for an open one. */
void tk__net_close(int *fd, tk_registration *reg)
{
    if (!reg->io)
        return;
    tk__io_deregister(reg);
    /* close(2) releases the fd even when it reports EINTR on Linux: never retry it. */
    close(*fd);
    *fd = -1;
}

/* tk__net_listen: bind and listen, and only then register. A TCP socket that is not yet
 * listening (or connecting) polls as "hung up", and an edge-triggered registration made then
 * could report that stale hang-up; registering a socket once it is set up means the first
 * readiness the driver sees is real -- mio orders it the same way. The driver is looked up
 * before anything is opened, so the "no reactor" panic cannot leak an fd. */
int tk__net_listen(const tk_sockaddr *addr, int reuseaddr, tk_listener *out)
{
    tk__driver *d = tk__driver_for_io();
    int fd = tk__net_socket(addr->storage.ss_family, SOCK_STREAM);
    if (fd < 0)
        return fd;
    int one = 1;
    if ((reuseaddr && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) ||
        bind(fd, (const struct sockaddr *)&addr->storage, addr->len) < 0 ||
        listen(fd, 1024) < 0) { /* 1024 is tokio's backlog; the kernel caps it at somaxconn */
        int rc = -errno;
        close(fd);
        return rc;
    }
    tk_listener l = { .fd = fd };
    int rc = tk__net_adopt(d, fd, &l.reg);
    if (rc)
        return rc;
    *out = l;
    return 0;
}
