/* as_net.h: TCP listeners and streams, UDP sockets and Unix streams, all as as_io handles. */
#ifndef AS_NET_H
#define AS_NET_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "as_blocking.h"
#include "as_io.h"
#include "as_time.h"

/*
 * The names are the POSIX calls a C programmer already knows, with async-std's shape: binding
 * a listener or a UDP socket never blocks, so those are plain calls returning 0 or -errno;
 * accepting, connecting and datagram IO wait, so those are futures. Every socket is an as_io,
 * so as_read, as_write, as_read_exact and as_write_all (as_io.h) work on streams of both kinds.
 *
 * Addresses are text, "IPv4:port" or "[IPv6]:port". Listeners and UDP sockets take numeric
 * addresses only (resolving a name may block, and binding should not); as_tcp_connect also
 * takes "hostname:port" and resolves it with getaddrinfo on the blocking pool, as async-std's
 * TcpStream::connect does, trying each address in turn.
 */

/* as_addr_parse: "1.2.3.4:80" or "[::1]:80" into a sockaddr; 0 or -EINVAL. */
int as_addr_parse(const char *text, struct sockaddr_storage *out, socklen_t *len);
/* as_addr_format: a sockaddr as "1.2.3.4:80", "[::1]:80" or a Unix path; 0 or -EINVAL/-ENOSPC. */
int as_addr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size);
/* as_io_local_addr: getsockname as text into buf; 0 or -errno. */
int as_io_local_addr(as_io *io, char *buf, size_t size);
/* as_io_local_port: the bound port of an IP socket (handy after binding port 0), or -errno. */
int as_io_local_port(as_io *io);

/* ---- TCP ------------------------------------------------------------------------------- */

/* as_tcp_listen: socket + SO_REUSEADDR + bind + listen(SOMAXCONN) on a numeric address;
 * 0 and *out, or -errno (-EINVAL for an address that does not parse, -EADDRINUSE, ...). */
int as_tcp_listen(const char *addr, as_io **out);

/* as_tcp_accept / as_unix_accept: the next connection. On success err is 0 and `stream` is a
 * new handle (yours to close). -EMFILE/-ENFILE mean the process ran out of descriptors: the
 * listener is fine, back off and accept again. */
typedef struct as_accept_fut {
    rt_future base;
    as__io_op op;
    as_io *stream;                  /* output: the accepted connection, or NULL */
    struct sockaddr_storage peer;   /* output: its address */
    socklen_t peer_len;
    int err;                        /* output: 0 or -errno */
} as_accept_fut;
/* as_tcp_accept: accept the next TCP connection on listener. */
as_accept_fut as_tcp_accept(as_io *listener);

/* as_tcp_connect / as_unix_connect: a connected stream, or an error. */
typedef struct as_connect_fut {
    rt_future base;
    int state;                      /* private: the connect state machine */
    int family_hint;                /* private: AF_UNIX for as_unix_connect */
    char host[256];                 /* private: the name to resolve, or the Unix path */
    char port[8];                   /* private */
    struct sockaddr_storage addr;   /* private: the address being tried */
    socklen_t addr_len;
    void *resolved;                 /* private: getaddrinfo's list (struct addrinfo *) */
    void *next;                     /* private: the next entry to try */
    as_blocking_fut resolve;        /* private: getaddrinfo on the blocking pool */
    as_sleep_fut backoff;           /* private: Unix sockets retry a full backlog */
    unsigned backoff_ms;
    as__io_op op;                   /* private: waits for the socket to become writable */
    as_io *stream;                  /* output: the connected stream, or NULL */
    int err;                        /* output: 0 or -errno (-ECONNREFUSED, -ENOENT, ...) */
} as_connect_fut;
/* as_tcp_connect: connect to "host:port" (a name is resolved on the blocking pool). */
as_connect_fut as_tcp_connect(const char *addr);
/* as_tcp_connect_addr: connect to a socket address you already have. */
as_connect_fut as_tcp_connect_addr(const struct sockaddr *sa, socklen_t len);
/* as_tcp_set_nodelay: TCP_NODELAY on or off; 0 or -errno. */
int as_tcp_set_nodelay(as_io *io, int on);

/* ---- UDP ------------------------------------------------------------------------------- */

/* as_udp_bind: a UDP socket bound to a numeric address ("127.0.0.1:0" for any port). */
int as_udp_bind(const char *addr, as_io **out);
/* as_udp_connect: set the default peer, so as_read/as_write (send/recv) work; 0 or -errno. */
int as_udp_connect(as_io *io, const char *addr);

/* as_udp_send_to: one datagram to an address (copied into the future). */
typedef struct as_send_to_fut {
    rt_future base;
    as__io_op op;
    const void *buf;
    size_t len;
    struct sockaddr_storage to;
    socklen_t to_len;
    ssize_t result;                 /* output: bytes sent or -errno */
    int err;                        /* output: 0 or -errno */
} as_send_to_fut;
/* as_udp_send_to: send len bytes of buf to `to`. */
as_send_to_fut as_udp_send_to(as_io *io, const void *buf, size_t len, const struct sockaddr *to,
                              socklen_t to_len);

/* as_udp_recv_from: the next datagram and who sent it (a longer datagram is truncated). */
typedef struct as_recv_from_fut {
    rt_future base;
    as__io_op op;
    void *buf;
    size_t len;
    struct sockaddr_storage from;   /* output */
    socklen_t from_len;             /* output */
    ssize_t result;                 /* output: bytes received or -errno */
    int err;                        /* output: 0 or -errno */
} as_recv_from_fut;
/* as_udp_recv_from: receive one datagram into buf. */
as_recv_from_fut as_udp_recv_from(as_io *io, void *buf, size_t len);

/* ---- Unix streams ---------------------------------------------------------------------- */

/* as_unix_listen: a listening Unix stream socket at path (which must not exist); 0 or -errno. */
int as_unix_listen(const char *path, as_io **out);
/* as_unix_accept: accept the next connection on a Unix listener. */
as_accept_fut as_unix_accept(as_io *listener);
/* as_unix_connect: connect to the Unix socket at path. A full backlog (EAGAIN) is retried with
 * a short backoff rather than reported. */
as_connect_fut as_unix_connect(const char *path);
/* as_unix_pair: two connected Unix stream handles (socketpair); 0 or -errno. */
int as_unix_pair(as_io **a, as_io **b);

#endif
