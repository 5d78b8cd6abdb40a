/* tk_net_addr.c: socket addresses -- parse a host and port, build a Unix path, print one back. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "tk_net.h"

/*
 * tokio's ToSocketAddrs accepts names and resolves them with getaddrinfo on the blocking
 * pool. We take only what can be decided without asking anyone: address literals, and the
 * one name every machine agrees on. That keeps connect and bind free of hidden blocking
 * calls -- a resolver lookup inside a future's poll would stall the whole worker.
 */

/* tk__parse_v4: an IPv4 literal into out; 1 if it was one. */
static int tk__parse_v4(const char *host, unsigned port, tk_sockaddr *out)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)&out->storage;
    if (inet_pton(AF_INET, host, &v4->sin_addr) != 1)
        return 0;
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    out->len = sizeof *v4;
    return 1;
}

/* tk__parse_scope: "%eth0" or "%2" after an IPv6 literal; 0 on success, -EINVAL if unknown. */
static int tk__parse_scope(const char *scope, uint32_t *id)
{
    char *end;
    unsigned long n = strtoul(scope, &end, 10);
    if (*scope && *end == '\0' && n <= UINT32_MAX) {
        *id = (uint32_t)n;
        return 0;
    }
    unsigned idx = if_nametoindex(scope); /* an ioctl on a local socket: never blocks on the net */
    if (idx == 0)
        return -EINVAL;
    *id = idx;
    return 0;
}

/* tk__parse_v6: "::1", "[::1]" or "fe80::1%eth0" into out; 1 if it was one, 0 if not,
 * -EINVAL for a bracketed or scoped form that is malformed. */
static int tk__parse_v6(const char *host, unsigned port, tk_sockaddr *out)
{
    char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
    size_t n = strlen(host);
    if (host[0] == '[') {
        if (n < 2 || host[n - 1] != ']')
            return -EINVAL;
        host++;
        n -= 2;
    }
    if (n >= sizeof text)
        return 0;
    memcpy(text, host, n);
    text[n] = '\0';
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->storage;
    char *pct = strchr(text, '%');
    if (pct) {
        *pct = '\0';
        if (tk__parse_scope(pct + 1, &v6->sin6_scope_id) != 0)
            return -EINVAL;
    }
    if (inet_pton(AF_INET6, text, &v6->sin6_addr) != 1)
        return 0;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    out->len = sizeof *v6;
    return 1;
}

/* tk_sockaddr_parse: literals, "localhost", or NULL/"" for 0.0.0.0; see tk_net.h. */
int tk_sockaddr_parse(const char *host, unsigned port, tk_sockaddr *out)
{
    memset(out, 0, sizeof *out);
    if (port > 65535)
        return -EINVAL;
    if (!host || !*host)
        host = "0.0.0.0";
    else if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (tk__parse_v4(host, port, out))
        return 0;
    int rc = tk__parse_v6(host, port, out);
    if (rc == 1)
        return 0;
    memset(out, 0, sizeof *out);
    return -EINVAL;
}

/* tk_sockaddr_unix: the length covers the path and its NUL, as bind(2) and connect(2) expect. */
int tk_sockaddr_unix(const char *path, tk_sockaddr *out)
{
    memset(out, 0, sizeof *out);
    struct sockaddr_un *un = (struct sockaddr_un *)&out->storage;
    if (!path || !*path)
        return -EINVAL;
    size_t n = strlen(path);
    if (n >= sizeof un->sun_path)
        return -ENAMETOOLONG;
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path, n + 1);
    out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    return 0;
}

/* tk_sockaddr_port: host order. */
int tk_sockaddr_port(const tk_sockaddr *a)
{
    if (a->storage.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&a->storage)->sin_port);
    if (a->storage.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&a->storage)->sin6_port);
    return -EAFNOSUPPORT;
}

/* tk__format_unix: a path, "@name" for Linux's abstract namespace, or "(unnamed)" -- what a
 * socketpair end or an unbound client reports. */
static void tk__format_unix(const tk_sockaddr *a, char *buf, size_t len)
{
    const struct sockaddr_un *un = (const struct sockaddr_un *)&a->storage;
    size_t off = offsetof(struct sockaddr_un, sun_path);
    if (a->len <= off) {
        snprintf(buf, len, "(unnamed)");
        return;
    }
    size_t n = a->len - off;
    if (un->sun_path[0] == '\0')
        snprintf(buf, len, "@%.*s", (int)(n - 1), un->sun_path + 1);
    else
        snprintf(buf, len, "%.*s", (int)strnlen(un->sun_path, n), un->sun_path);
}

/* tk_sockaddr_format: the forms std's Display prints, brackets around IPv6. */
const char *tk_sockaddr_format(const tk_sockaddr *a, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN];
    if (len == 0)
        return buf;
    switch (a->storage.ss_family) {
    case AF_INET: {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->storage;
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
        snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(v4->sin_port));
        break;
    }
    case AF_INET6: {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->storage;
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
        if (v6->sin6_scope_id)
            snprintf(buf, len, "[%s%%%u]:%u", host, (unsigned)v6->sin6_scope_id,
                     (unsigned)ntohs(v6->sin6_port));
        else
            snprintf(buf, len, "[%s]:%u", host, (unsigned)ntohs(v6->sin6_port));
        break;
    }
    case AF_UNIX:
        tk__format_unix(a, buf, len);
        break;
    default:
        snprintf(buf, len, "(unnamed)");
        break;
    }
    return buf;
}

/* tk_sockaddr_equal: field by field -- comparing whole structs would compare padding. */
int tk_sockaddr_equal(const tk_sockaddr *a, const tk_sockaddr *b)
{
    if (a->storage.ss_family != b->storage.ss_family)
        return 0;
    switch (a->storage.ss_family) {
    case AF_INET: {
        const struct sockaddr_in *x = (const void *)&a->storage, *y = (const void *)&b->storage;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    case AF_INET6: {
        const struct sockaddr_in6 *x = (const void *)&a->storage, *y = (const void *)&b->storage;
        return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    default: /* Unix: the family and path bytes, up to the length the kernel reported */
        return a->len == b->len && memcmp(&a->storage, &b->storage, a->len) == 0;
    }
}
