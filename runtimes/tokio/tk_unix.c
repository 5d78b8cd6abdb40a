/* tk_unix.c: Unix-domain streams -- bind a path, connect to one, or make a connected pair. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tk_internal.h"
#include "tk_net.h"

/*
 * A Unix stream reads and writes exactly like TCP (tk_stream.c does both); only the ways to
 * get one differ. socketpair is the interesting one: two ends already connected, no address,
 * no listener -- the cheapest way to make two tasks talk through the IO driver, and what the
 * sock_ping_pong benchmark measures.
 */

/* tk_unix_listener_bind: bind(2) creates the socket file; it fails with EADDRINUSE if the
 * path exists, even as a stale file from an earlier run -- unlinking it is the caller's call. */
int tk_unix_listener_bind(const char *path, tk_unix_listener *out)
{
    tk_sockaddr addr;
    int rc = tk_sockaddr_unix(path, &addr);
    if (rc)
        return rc;
    return tk__net_listen(&addr, 0, out);
}

/* tk_unix_connect: a path too long for sun_path is reported by the future, like a bad host. */
tk_connect_fut tk_unix_connect(const char *path)
{
    tk_sockaddr addr;
    int rc = tk_sockaddr_unix(path, &addr);
    tk_connect_fut c = tk_connect_addr(&addr);
    if (rc)
        c.result = rc;
    return c;
}

/* tk_unix_stream_pair: both ends registered with the current runtime, or neither open. */
int tk_unix_stream_pair(tk_unix_stream *a, tk_unix_stream *b)
{
    tk__driver *d = tk__driver_for_io(); /* panics before anything is opened */
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0)
        return -errno;
    tk_unix_stream x = { .fd = fds[0] }, y = { .fd = fds[1] };
    int rc = tk__net_adopt(d, fds[0], &x.reg);
    if (rc) {
        close(fds[1]);
        return rc;
    }
    rc = tk__net_adopt(d, fds[1], &y.reg);
    if (rc) {
        tk_stream_close(&x);
        return rc;
    }
    *a = x;
    *b = y;
    return 0;
}
