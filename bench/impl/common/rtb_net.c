/* rtb_net.c: socketpairs, loopback TCP pairs and listeners for the C benches' untimed set-up. */
#include "rtb_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

/* rtb_socketpair: AF_UNIX stream pair, non-blocking, close-on-exec. */
int rtb_socketpair(int sv[2])
{
    return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
}

/* rtb_set_nonblock: add O_NONBLOCK to fd's status flags. */
int rtb_set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* rtb_close_all: close the open ones among fds[0..n), keeping errno as it was. */
void rtb_close_all(int *fds, size_t n)
{
    int saved = errno;
    for (size_t i = 0; i < n; i++)
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    errno = saved;
}

/* rtb__bind_loopback: a TCP socket bound to 127.0.0.1:port and listening; fd or -1. */
static int rtb__bind_loopback(int port, int backlog, int flags)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    /* SO_REUSEADDR lets a fixed port be reused right after a previous run's TIME_WAIT. */
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
        || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, backlog) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* rtb__local_port: the port fd is bound to, or -1. */
static int rtb__local_port(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    return ntohs(sa.sin_port);
}

/* rtb_listen_loopback: non-blocking listener on 127.0.0.1:port, actual port in *bound. */
int rtb_listen_loopback(int port, int backlog, int *bound)
{
    int fd = rtb__bind_loopback(port, backlog, SOCK_NONBLOCK);
    if (fd < 0)
        return -1;
    *bound = rtb__local_port(fd);
    if (*bound < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* rtb_tcp_pairs: connect n clients to a temporary listener and accept each in turn. */
int rtb_tcp_pairs(size_t n, int *client, int *server)
{
    for (size_t i = 0; i < n; i++)
        client[i] = server[i] = -1;
    int port;
    /* A blocking listener: one connect then one accept, so the backlog never holds more than one. */
    int lfd = rtb__bind_loopback(0, 16, 0);
    if (lfd < 0)
        return -1;
    port = rtb__local_port(lfd);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int one = 1;
    for (size_t i = 0; i < n; i++) {
        client[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (client[i] < 0 || connect(client[i], (struct sockaddr *)&sa, sizeof sa) != 0)
            goto fail;
        server[i] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (server[i] < 0)
            goto fail;
        /* Nagle would hold back a short tail of a stream; every runtime gets the same setting. */
        if (setsockopt(client[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0
            || setsockopt(server[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0
            || rtb_set_nonblock(client[i]) != 0 || rtb_set_nonblock(server[i]) != 0)
            goto fail;
    }
    close(lfd);
    return 0;
fail:
    rtb_close_all(client, n);
    rtb_close_all(server, n);
    rtb_close_all(&lfd, 1);
    return -1;
}
