/* tk_tcp.c: TCP -- bind a listener, connect a stream, and the TCP-only socket options. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "tk_net.h"

/*
 * Everything that moves bytes lives in tk_stream.c, shared with Unix streams; what is left
 * for TCP is choosing the address family from the host and the options only TCP has.
 */

/* tk_tcp_listener_bind: SO_REUSEADDR so a restarted server can rebind at once, while the
 * previous one's connections sit in TIME_WAIT; std sets it on Unix, and tokio inherits it. */
int tk_tcp_listener_bind(const char *host, unsigned port, tk_tcp_listener *out)
{
    tk_sockaddr addr;
    int rc = tk_sockaddr_parse(host, port, &addr);
    if (rc)
        return rc;
    return tk__net_listen(&addr, 1, out);
}

/* tk_tcp_listener_local_port: the port the OS picked for port 0. */
int tk_tcp_listener_local_port(const tk_tcp_listener *l)
{
    tk_sockaddr addr;
    int rc = tk_listener_local_addr(l, &addr);
    return rc ? rc : tk_sockaddr_port(&addr);
}

/* tk_tcp_connect: a bad host is reported by the future (on its first poll), as tokio reports
 * a bad address from connect's .await rather than from the call. */
tk_connect_fut tk_tcp_connect(const char *host, unsigned port)
{
    tk_sockaddr addr;
    tk_sockaddr_parse(host, port, &addr); /* on failure addr.len == 0: the future says -EINVAL */
    return tk_connect_addr(&addr);
}

/* tk_tcp_set_nodelay: Nagle off (1) sends small writes at once instead of batching them. */
int tk_tcp_set_nodelay(tk_tcp_stream *s, int on)
{
    if (!tk_stream_is_open(s))
        return -EBADF;
    int v = on ? 1 : 0;
    return setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) < 0 ? -errno : 0;
}

/* tk_tcp_nodelay: read TCP_NODELAY back. */
int tk_tcp_nodelay(const tk_tcp_stream *s)
{
    if (!tk_stream_is_open(s))
        return -EBADF;
    int v = 0;
    socklen_t len = sizeof v;
    if (getsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) < 0)
        return -errno;
    return v != 0;
}
