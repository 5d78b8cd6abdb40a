/* as_net_addr.c: socket addresses as text -- "1.2.3.4:80", "[::1]:80" -- parsed and formatted. */
#include "as_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "as_internal.h"

/*
 * Rust's SocketAddr syntax, which is also what a C programmer types into a config file: an
 * IPv4 address and a port after the last colon, or an IPv6 address in brackets so that its
 * own colons are not mistaken for the port separator. Hostnames are split here too
 * (as__addr_split) but resolved only by as_tcp_connect, on the blocking pool.
 */

/* as__parse_port: all digits, 0..65535; -1 otherwise. */
static int as__parse_port(const char *s)
{
    if (s[0] == '\0' || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
        return -1;
    long v = strtol(s, NULL, 10);
    return v <= 65535 ? (int)v : -1;
}

/* as__addr_split: "host:port" or "[v6]:port" into its parts (brackets removed); 0 or -EINVAL.
 * *bracketed says whether the host was written in brackets (then it must be an IPv6 literal). */
int as__addr_split(const char *text, char *host, size_t host_size, int *port, int *bracketed)
{
    if (text == NULL)
        return -EINVAL;
    const char *h, *p;
    size_t hlen;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':')
            return -EINVAL;
        h = text + 1;
        hlen = (size_t)(close - h);
        p = close + 2;
        *bracketed = 1;
    } else {
        const char *colon = strrchr(text, ':');
        if (colon == NULL)
            return -EINVAL;
        h = text;
        hlen = (size_t)(colon - text);
        if (memchr(h, ':', hlen) != NULL)
            return -EINVAL; /* an IPv6 address must be bracketed */
        p = colon + 1;
        *bracketed = 0;
    }
    if (hlen == 0 || hlen >= host_size)
        return -EINVAL;
    *port = as__parse_port(p);
    if (*port < 0)
        return -EINVAL;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    return 0;
}

/* as_addr_parse: numeric addresses only. */
int as_addr_parse(const char *text, struct sockaddr_storage *out, socklen_t *len)
{
    char host[INET6_ADDRSTRLEN + 1];
    int port, bracketed;
    if (out == NULL || len == NULL || as__addr_split(text, host, sizeof host, &port, &bracketed))
        return -EINVAL;
    memset(out, 0, sizeof *out);
    if (!bracketed) {
        struct sockaddr_in *sin = (struct sockaddr_in *)out;
        if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
            return -EINVAL;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        *len = sizeof *sin;
        return 0;
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
        return -EINVAL;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    *len = sizeof *sin6;
    return 0;
}

/* as_addr_format: the inverse of as_addr_parse, plus Unix paths. */
int as_addr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
    char ip[INET6_ADDRSTRLEN];
    int n;
    if (sa == NULL || buf == NULL || size == 0)
        return -EINVAL;
    switch (sa->sa_family) {
    case AF_INET: {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        if (len < (socklen_t)sizeof *sin)
            return -EINVAL;
        inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
        n = snprintf(buf, size, "%s:%u", ip, ntohs(sin->sin_port));
        break;
    }
    case AF_INET6: {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        if (len < (socklen_t)sizeof *sin6)
            return -EINVAL;
        inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
        n = snprintf(buf, size, "[%s]:%u", ip, ntohs(sin6->sin6_port));
        break;
    }
    case AF_UNIX: {
        const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
        size_t plen = len > offsetof(struct sockaddr_un, sun_path)
                          ? (size_t)len - offsetof(struct sockaddr_un, sun_path) : 0;
        if (plen == 0)
            n = snprintf(buf, size, "(unnamed)");
        else if (sun->sun_path[0] == '\0')
            n = snprintf(buf, size, "@%.*s", (int)(plen - 1), sun->sun_path + 1);
        else
            n = snprintf(buf, size, "%.*s", (int)strnlen(sun->sun_path, plen), sun->sun_path);
        break;
    }
    default:
        return -EINVAL;
    }
    return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

/* as_io_local_addr: getsockname, as text. */
int as_io_local_addr(as_io *io, char *buf, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (io == NULL)
        return -EBADF;
    if (getsockname(io->fd, (struct sockaddr *)&ss, &len) < 0)
        return -errno;
    return as_addr_format((struct sockaddr *)&ss, len, buf, size);
}

/* as_io_local_port: the port an IP socket is bound to. */
int as_io_local_port(as_io *io)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (io == NULL)
        return -EBADF;
    if (getsockname(io->fd, (struct sockaddr *)&ss, &len) < 0)
        return -errno;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -EAFNOSUPPORT;
}
