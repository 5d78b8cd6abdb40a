/* as_net_unix.c: Unix stream sockets -- listen, accept, pair (connect lives with the TCP one). */
#include "as_net.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "as_internal.h"

/*
 * Unix stream sockets behave like TCP streams for everything the runtime does (readiness,
 * EOF, resets), so they share the accept and connect futures and all of as_io.h. Only the
 * addresses differ: a path in the file system, or, with a leading '@', Linux's abstract
 * namespace (no file, gone with the socket).
 */

/* as__unix_addr: fill a sockaddr_un from a path; its length, or -errno. */
static int as__unix_addr(const char *path, struct sockaddr_un *sun, socklen_t *len)
{
    size_t n = path ? strlen(path) : 0;
    if (n == 0)
        return -EINVAL;
    if (n >= sizeof sun->sun_path)
        return -ENAMETOOLONG;
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, n);
    if (path[0] == '@')
        sun->sun_path[0] = '\0';
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] != '@'));
    return 0;
}

/* as_unix_listen: bind to a path that must not exist yet (as bind(2) requires), and listen. */
int as_unix_listen(const char *path, as_io **out)
{
    struct sockaddr_un sun;
    socklen_t len;
    int err = as__unix_addr(path, &sun, &len);
    if (err != 0)
        return err;
    if (out == NULL)
        return -EINVAL;
    as_io *io;
    if ((err = as__socket_open(AF_UNIX, SOCK_STREAM, &io)) != 0)
        return err;
    if (bind(io->fd, (struct sockaddr *)&sun, len) < 0 || listen(io->fd, SOMAXCONN) < 0) {
        err = -errno;
        as_io_close(io);
        return err;
    }
    *out = io;
    return 0;
}

/* as_unix_accept: the shared accept future. */
as_accept_fut as_unix_accept(as_io *listener)
{
    return as__accept(listener);
}

/* as_unix_pair: socketpair(2), both ends registered; on failure nothing is left open. */
int as_unix_pair(as_io **a, as_io **b)
{
    int sv[2];
    if (a == NULL || b == NULL)
        return -EINVAL;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    int err = as_io_open(sv[0], a);
    if (err != 0) {
        close(sv[0]);
        close(sv[1]);
        return err;
    }
    if ((err = as_io_open(sv[1], b)) != 0) {
        as_io_close(*a);
        *a = NULL;
        close(sv[1]);
        return err;
    }
    return 0;
}
