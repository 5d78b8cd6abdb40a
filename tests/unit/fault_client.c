/* fault_client.c: blocking sockets that misbehave on purpose (reset, half-close) for the fault suites. */
#include "fault_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* fc__timeouts: bound every blocking call, so a stuck server fails the test instead of hanging it. */
static void fc__timeouts(int fd)
{
    struct timeval tv = { .tv_sec = FC_IO_TIMEOUT_S };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* fc__connect: socket + timeouts + connect; fd or -errno (the socket is closed on failure). */
static int fc__connect(int family, const struct sockaddr *sa, socklen_t len)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    fc__timeouts(fd);
    while (connect(fd, sa, len) != 0) {
        if (errno == EINTR)
            continue;
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

/* fc_connect_tcp: 127.0.0.1:port. */
int fc_connect_tcp(unsigned port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return fc__connect(AF_INET, (struct sockaddr *)&a, sizeof a);
}

/* fc_connect_unix: a path that fits sun_path, or -ENAMETOOLONG. */
int fc_connect_unix(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof a.sun_path)
        return -ENAMETOOLONG;
    strcpy(a.sun_path, path);
    return fc__connect(AF_UNIX, (struct sockaddr *)&a, sizeof a);
}

/* fc_write_all: loop over short sends; EINTR is retried. */
int fc_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* fc_read_exact: loop over short reads until n bytes or EOF. */
int fc_read_exact(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -ENODATA;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* fc_read_to_eof: one more read than fits tells "too long" from "exactly full". */
int fc_read_to_eof(int fd, void *buf, size_t cap, size_t *got)
{
    char *p = buf;
    *got = 0;
    for (;;) {
        char spill;
        ssize_t r = *got < cap ? read(fd, p + *got, cap - *got) : read(fd, &spill, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return 0;
        if (*got == cap)
            return -EMSGSIZE;
        *got += (size_t)r;
    }
}

/* fc_reset: linger 0 turns close into an abortive close (RST); unsent data is discarded. */
int fc_reset(int fd)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    int rc = setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}
