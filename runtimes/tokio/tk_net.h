/* tk_net.h: tokio::net in C -- TCP listener and stream, UDP socket, Unix stream, on the IO driver. */
#ifndef TK_NET_H
#define TK_NET_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "rt_future.h"
#include "tk_registration.h"

/*
 * Every socket here is non-blocking and registered with the IO driver of the runtime it was
 * created in, edge-triggered, for both directions. An operation is a future: it tries the
 * syscall when the driver says the socket is ready, and when the kernel answers EAGAIN it
 * clears that readiness (unless a newer edge came in meanwhile, see tk_io.c) and waits for
 * the next edge. This is exactly tokio's PollEvented + Registration.
 *
 *     tokio                                  tk (f is the async fn's struct, co its rt_async)
 *     TcpListener::bind("127.0.0.1:8080")    tk_tcp_listener_bind("127.0.0.1", 8080, &f->l)
 *     let (s, peer) = l.accept().await?      f->acc = tk_tcp_accept(&f->l);
 *                                            RT_AWAIT(&f->co, &f->acc, cx);  f->acc.stream
 *     TcpStream::connect(addr).await?        f->conn = tk_tcp_connect("127.0.0.1", port); ...
 *     s.read(&mut buf).await?                f->rd = tk_tcp_read(&f->s, f->buf, sizeof f->buf)
 *     s.read_exact(&mut buf).await?          f->rx = tk_tcp_read_exact(&f->s, f->buf, n)
 *     s.write_all(&buf).await?               f->wa = tk_tcp_write_all(&f->s, f->buf, n)
 *     UdpSocket::bind(addr).await?           tk_udp_bind("127.0.0.1", 0, &f->u)
 *     UnixStream::pair()?                    tk_unix_stream_pair(&f->a, &f->b)
 *     drop(s)                                tk_tcp_stream_close(&f->s)
 *
 * Conventions shared by everything below:
 *   - results are negative errno values: a reset peer is -ECONNRESET (or -EPIPE when writing),
 *     never a signal or a crash -- writes use MSG_NOSIGNAL, so no SIGPIPE is ever raised;
 *   - the synchronous calls (bind, pair, close, shutdown) never block; bind and pair register
 *     with the *current* runtime, so like tokio they need a runtime context and panic with
 *     "there is no reactor running..." outside one (connect finds its runtime on its first
 *     poll, which is then where that panic comes from);
 *   - a socket struct (tk_stream, tk_listener, tk_udp_socket) is a plain value: it may be
 *     copied or moved, but only while no future points at it, and it must be closed exactly
 *     once. A zero-initialised struct counts as closed, so closing it is a harmless no-op;
 *   - futures borrow the socket and the buffer: both must stay where they are until the
 *     future is dropped. Every future is cancellation-safe: dropping a pending one loses no
 *     data (a read that has not completed has consumed nothing; read_exact/write_all report
 *     how far they got in `done`) and leaks nothing. connect owns its half-open socket and
 *     closes it when dropped early;
 *   - at most one task reads and one task writes a socket at a time (tokio's split halves):
 *     the registration keeps one reader and one writer waker;
 *   - every future spends one unit of the coop budget per poll and gives it back when it
 *     goes pending (tk_coop.h), so a socket that is always ready cannot starve a worker;
 *   - close every socket before tk_runtime_free: the registration lives in that runtime.
 *     Tasks that own sockets should close them in their drop, which runtime free runs.
 */

/* ---- addresses (tk_net_addr.c) ----------------------------------------------------------- */

/* Any socket address the OS knows (IPv4, IPv6, Unix), with its length. */
typedef struct tk_sockaddr {
    struct sockaddr_storage storage;
    socklen_t len;
} tk_sockaddr;

/* Room for the longest tk_sockaddr_format output: "[v6%scope]:port" or a Unix path. */
#define TK_SOCKADDR_STRLEN 128

/* tk_sockaddr_parse: host is an IPv4 or IPv6 literal ("127.0.0.1", "::1", "[::1]"), the name
 * "localhost" (127.0.0.1), or NULL/"" (0.0.0.0, the unspecified address). No DNS: names need
 * a resolver, which would block. 0, or -EINVAL (bad host or port > 65535). */
int tk_sockaddr_parse(const char *host, unsigned port, tk_sockaddr *out);
/* tk_sockaddr_unix: a Unix-domain address for path; 0, -EINVAL (empty) or -ENAMETOOLONG. */
int tk_sockaddr_unix(const char *path, tk_sockaddr *out);
/* tk_sockaddr_port: the port of an IPv4/IPv6 address, -EAFNOSUPPORT for other families. */
int tk_sockaddr_port(const tk_sockaddr *a);
/* tk_sockaddr_format: "1.2.3.4:80", "[::1]:80", the Unix path, or "(unnamed)"; returns buf. */
const char *tk_sockaddr_format(const tk_sockaddr *a, char *buf, size_t len);
/* tk_sockaddr_equal: same family, address and port (or path). */
int tk_sockaddr_equal(const tk_sockaddr *a, const tk_sockaddr *b);

/* read_exact met end-of-file before the buffer was full: tokio's UnexpectedEof. The bytes
 * that did arrive are in the buffer; the future's `done` says how many. */
#define TK_UNEXPECTED_EOF (-ENODATA)

/* ---- streams: TCP and Unix (tk_stream.c) -------------------------------------------------- */

/* A connected stream socket; TCP and Unix streams are the same thing to read and write. */
typedef struct tk_stream {
    int fd;
    tk_registration reg;   /* reg.io == NULL means closed (or never opened) */
} tk_stream;

/* A listening socket, TCP or Unix. */
typedef struct tk_listener {
    int fd;
    tk_registration reg;
} tk_listener;

/* read: at most len bytes. result: the count, 0 at end-of-file (or len == 0), or -errno. */
typedef struct tk_read_fut {
    rt_future base;
    tk_stream *stream;
    void *buf;
    size_t len;
    ssize_t result;
} tk_read_fut;

/* write: some of the bytes (at least one unless len == 0). result: the count, or -errno. */
typedef struct tk_write_fut {
    rt_future base;
    tk_stream *stream;
    const void *buf;
    size_t len;
    ssize_t result;
} tk_write_fut;

/* read_exact / write_all: all len bytes. result: 0, -errno, or TK_UNEXPECTED_EOF (read_exact);
 * `done` is how many bytes went through, also when it failed or was dropped early. */
typedef struct tk_read_exact_fut {
    rt_future base;
    tk_stream *stream;
    void *buf;
    size_t len;
    size_t done;
    int result;
} tk_read_exact_fut;

typedef struct tk_write_all_fut {
    rt_future base;
    tk_stream *stream;
    const void *buf;
    size_t len;
    size_t done;
    int result;
} tk_write_all_fut;

/* accept: the next connection. result 0: `stream` is yours (copy it out, close it later;
 * dropping the finished future does not close it) and `peer` is its address; or -errno
 * (-EMFILE/-ENFILE when out of descriptors: back off and retry, the listener is fine). */
typedef struct tk_accept_fut {
    rt_future base;
    tk_listener *listener;
    int result;
    tk_stream stream;
    tk_sockaddr peer;
} tk_accept_fut;

/* connect: a non-blocking connect, then wait until writable and read SO_ERROR. result 0:
 * `stream` is yours; or -errno (-ECONNREFUSED, -ENETUNREACH, -EINVAL for a bad address...).
 * A pending connect owns its socket; dropping it closes the socket. */
typedef struct tk_connect_fut {
    rt_future base;
    tk_sockaddr addr;
    int state;             /* private: not started, in progress, done */
    int result;
    tk_stream stream;
} tk_connect_fut;

/* tk_stream_read: read up to len bytes into buf (one read(2) once readable). */
tk_read_fut tk_stream_read(tk_stream *s, void *buf, size_t len);
/* tk_stream_write: write some of buf (one send(2) once writable). */
tk_write_fut tk_stream_write(tk_stream *s, const void *buf, size_t len);
/* tk_stream_read_exact: fill all of buf, or fail (TK_UNEXPECTED_EOF at end-of-file). */
tk_read_exact_fut tk_stream_read_exact(tk_stream *s, void *buf, size_t len);
/* tk_stream_write_all: write all of buf, or fail. */
tk_write_all_fut tk_stream_write_all(tk_stream *s, const void *buf, size_t len);
/* tk_stream_from_fd: adopt a connected stream socket made elsewhere (tokio's from_std): set
 * O_NONBLOCK and FD_CLOEXEC, register with the current runtime. The fd is the stream's from
 * now on -- closed on failure too. 0 or -errno. */
int tk_stream_from_fd(int fd, tk_stream *out);
/* tk_stream_shutdown: shutdown(2) with SHUT_RD, SHUT_WR or SHUT_RDWR; 0 or -errno. The
 * socket stays open (and registered) until tk_stream_close. */
int tk_stream_shutdown(tk_stream *s, int how);
/* tk_stream_close: deregister, then close. No future may still use the stream. Idempotent. */
void tk_stream_close(tk_stream *s);
/* tk_stream_is_open: 1 until closed. */
int tk_stream_is_open(const tk_stream *s);
/* tk_stream_peer_addr: the other end's address (getpeername); 0 or -errno. */
int tk_stream_peer_addr(const tk_stream *s, tk_sockaddr *out);
/* tk_stream_local_addr: this end's address (getsockname); 0 or -errno. */
int tk_stream_local_addr(const tk_stream *s, tk_sockaddr *out);

/* tk_listener_accept: the accept future for any listener. */
tk_accept_fut tk_listener_accept(tk_listener *l);
/* tk_listener_local_addr: the bound address (to learn the port the OS chose for port 0). */
int tk_listener_local_addr(const tk_listener *l, tk_sockaddr *out);
/* tk_listener_close: deregister, then close. No accept may still be pending. Idempotent. */
void tk_listener_close(tk_listener *l);
/* tk_connect_addr: connect a stream socket to any address (TCP or Unix). */
tk_connect_fut tk_connect_addr(const tk_sockaddr *addr);

/* ---- TCP (tk_tcp.c) ----------------------------------------------------------------------- */

typedef tk_stream tk_tcp_stream;
typedef tk_listener tk_tcp_listener;

/* tk_tcp_listener_bind: socket, SO_REUSEADDR (as std and tokio set it), bind, listen(1024),
 * register with the current runtime. Port 0 lets the OS choose. 0 or -errno. */
int tk_tcp_listener_bind(const char *host, unsigned port, tk_tcp_listener *out);
/* tk_tcp_listener_local_port: the bound port, or -errno. */
int tk_tcp_listener_local_port(const tk_tcp_listener *l);
/* tk_tcp_connect: connect to host:port (host as in tk_sockaddr_parse; a bad one makes the
 * future finish with -EINVAL on its first poll). */
tk_connect_fut tk_tcp_connect(const char *host, unsigned port);
/* tk_tcp_set_nodelay: TCP_NODELAY on (1) or off (0); 0 or -errno. */
int tk_tcp_set_nodelay(tk_tcp_stream *s, int on);
/* tk_tcp_nodelay: 1 or 0, or -errno. */
int tk_tcp_nodelay(const tk_tcp_stream *s);

/* The stream operations under their TCP names (one definition each, in tk_stream.c). */
/* tk_tcp_accept: tk_listener_accept. */
static inline tk_accept_fut tk_tcp_accept(tk_tcp_listener *l) { return tk_listener_accept(l); }
/* tk_tcp_listener_close: tk_listener_close. */
static inline void tk_tcp_listener_close(tk_tcp_listener *l) { tk_listener_close(l); }
/* tk_tcp_read: tk_stream_read. */
static inline tk_read_fut tk_tcp_read(tk_tcp_stream *s, void *buf, size_t len)
{
    return tk_stream_read(s, buf, len);
}
/* tk_tcp_write: tk_stream_write. */
static inline tk_write_fut tk_tcp_write(tk_tcp_stream *s, const void *buf, size_t len)
{
    return tk_stream_write(s, buf, len);
}
/* tk_tcp_read_exact: tk_stream_read_exact. */
static inline tk_read_exact_fut tk_tcp_read_exact(tk_tcp_stream *s, void *buf, size_t len)
{
    return tk_stream_read_exact(s, buf, len);
}
/* tk_tcp_write_all: tk_stream_write_all. */
static inline tk_write_all_fut tk_tcp_write_all(tk_tcp_stream *s, const void *buf, size_t len)
{
    return tk_stream_write_all(s, buf, len);
}
/* tk_tcp_shutdown: tk_stream_shutdown. */
static inline int tk_tcp_shutdown(tk_tcp_stream *s, int how) { return tk_stream_shutdown(s, how); }
/* tk_tcp_stream_close: tk_stream_close. */
static inline void tk_tcp_stream_close(tk_tcp_stream *s) { tk_stream_close(s); }
/* tk_tcp_peer_addr: tk_stream_peer_addr. */
static inline int tk_tcp_peer_addr(const tk_tcp_stream *s, tk_sockaddr *out)
{
    return tk_stream_peer_addr(s, out);
}
/* tk_tcp_local_addr: tk_stream_local_addr. */
static inline int tk_tcp_local_addr(const tk_tcp_stream *s, tk_sockaddr *out)
{
    return tk_stream_local_addr(s, out);
}

/* ---- Unix streams (tk_unix.c) ------------------------------------------------------------- */

typedef tk_stream tk_unix_stream;
typedef tk_listener tk_unix_listener;

/* tk_unix_listener_bind: bind and listen on a filesystem path (which must not exist yet:
 * -EADDRINUSE otherwise; like tokio, closing does not unlink it). 0 or -errno. */
int tk_unix_listener_bind(const char *path, tk_unix_listener *out);
/* tk_unix_connect: connect to a path. A listener whose backlog is full gives -EAGAIN at once
 * (Unix sockets have no in-progress state to wait on), as in tokio. */
tk_connect_fut tk_unix_connect(const char *path);
/* tk_unix_stream_pair: two connected streams (socketpair), both registered; 0 or -errno. */
int tk_unix_stream_pair(tk_unix_stream *a, tk_unix_stream *b);

/* The stream operations under their Unix names. */
/* tk_unix_accept: tk_listener_accept. */
static inline tk_accept_fut tk_unix_accept(tk_unix_listener *l) { return tk_listener_accept(l); }
/* tk_unix_listener_close: tk_listener_close (the socket file stays; unlink it yourself). */
static inline void tk_unix_listener_close(tk_unix_listener *l) { tk_listener_close(l); }
/* tk_unix_read: tk_stream_read. */
static inline tk_read_fut tk_unix_read(tk_unix_stream *s, void *buf, size_t len)
{
    return tk_stream_read(s, buf, len);
}
/* tk_unix_write: tk_stream_write. */
static inline tk_write_fut tk_unix_write(tk_unix_stream *s, const void *buf, size_t len)
{
    return tk_stream_write(s, buf, len);
}
/* tk_unix_read_exact: tk_stream_read_exact. */
static inline tk_read_exact_fut tk_unix_read_exact(tk_unix_stream *s, void *buf, size_t len)
{
    return tk_stream_read_exact(s, buf, len);
}
/* tk_unix_write_all: tk_stream_write_all. */
static inline tk_write_all_fut tk_unix_write_all(tk_unix_stream *s, const void *buf, size_t len)
{
    return tk_stream_write_all(s, buf, len);
}
/* tk_unix_shutdown: tk_stream_shutdown. */
static inline int tk_unix_shutdown(tk_unix_stream *s, int how) { return tk_stream_shutdown(s, how); }
/* tk_unix_stream_close: tk_stream_close. */
static inline void tk_unix_stream_close(tk_unix_stream *s) { tk_stream_close(s); }

/* ---- UDP (tk_udp.c) ----------------------------------------------------------------------- */

typedef struct tk_udp_socket {
    int fd;
    tk_registration reg;
} tk_udp_socket;

/* send / send_to: one datagram. result: bytes sent (all of them), or -errno. */
typedef struct tk_udp_send_fut {
    rt_future base;
    tk_udp_socket *sock;
    const void *buf;
    size_t len;
    tk_sockaddr to;        /* to.len == 0: the connected peer */
    ssize_t result;
} tk_udp_send_fut;

/* recv / recv_from: one datagram. result: its length (a longer datagram is truncated to len,
 * as in tokio), or -errno; `from` is the sender. */
typedef struct tk_udp_recv_fut {
    rt_future base;
    tk_udp_socket *sock;
    void *buf;
    size_t len;
    ssize_t result;
    tk_sockaddr from;
} tk_udp_recv_fut;

/* tk_udp_bind: a UDP socket bound to host:port, registered with the current runtime. */
int tk_udp_bind(const char *host, unsigned port, tk_udp_socket *out);
/* tk_udp_connect: fix the peer (connect(2) on UDP never blocks); send/recv then use it, and
 * datagrams from anyone else are filtered out by the kernel. 0 or -errno. */
int tk_udp_connect(tk_udp_socket *s, const char *host, unsigned port);
/* tk_udp_local_addr: the bound address (getsockname); 0 or -errno. */
int tk_udp_local_addr(const tk_udp_socket *s, tk_sockaddr *out);
/* tk_udp_peer_addr: the connected peer (getpeername); -ENOTCONN before tk_udp_connect. */
int tk_udp_peer_addr(const tk_udp_socket *s, tk_sockaddr *out);
/* tk_udp_send_to: send one datagram to `to` (copied into the future). */
tk_udp_send_fut tk_udp_send_to(tk_udp_socket *s, const void *buf, size_t len, const tk_sockaddr *to);
/* tk_udp_send: send one datagram to the connected peer (-EDESTADDRREQ if none). */
tk_udp_send_fut tk_udp_send(tk_udp_socket *s, const void *buf, size_t len);
/* tk_udp_recv_from: receive one datagram from anyone; `from` says who. */
tk_udp_recv_fut tk_udp_recv_from(tk_udp_socket *s, void *buf, size_t len);
/* tk_udp_recv: receive one datagram (on a connected socket, only from the peer). */
tk_udp_recv_fut tk_udp_recv(tk_udp_socket *s, void *buf, size_t len);
/* tk_udp_close: deregister, then close. No future may still use it. Idempotent. */
void tk_udp_close(tk_udp_socket *s);

/* ---- private: shared by the tk_net files only (tk_net_io.c) ------------------------------ */

/*
 * The interests the socket futures wait for: READABLE or WRITABLE alone. The driver sets
 * READABLE along with every other bit that concerns a reader -- an error event maps to
 * ERROR|READABLE|WRITABLE, a hang-up to READ_CLOSED|READABLE|WRITABLE, and the kernel reports
 * a peer's FIN (EPOLLRDHUP) together with EPOLLIN -- so waiting for it alone misses nothing.
 * Waiting for ERROR or READ_CLOSED too (TK_INTEREST_READABLE) would be unsafe: those bits are
 * never cleared by tk__io_clear_readiness, so after one error event on a socket that later
 * answers EAGAIN again (a connected UDP socket after an ICMP error), the readiness loop would
 * find it "ready" forever and spin inside a single poll.
 */
enum {
    TK__NET_READ = TK_READY_READABLE,
    TK__NET_WRITE = TK_READY_WRITABLE,
};

/* One syscall attempt: bytes (or 0) on success, -errno on failure. */
typedef ssize_t (*tk__net_op)(int fd, void *arg);

/* tk__net_io: the readiness loop -- wait for interest, try op, clear readiness and wait again
 * on EAGAIN, retry EINTR. RT_READY with *out = op's answer, or RT_PENDING (waker stored).
 * A closed registration gives -EBADF. Spends no coop budget: the caller does that. */
rt_poll tk__net_io(tk_registration *reg, int fd, unsigned interest, rt_context *cx,
                   tk__net_op op, void *arg, ssize_t *out);
/* tk__net_adopt: register fd (non-blocking, CLOEXEC) with d; on failure close fd. 0 or -errno. */
int tk__net_adopt(tk__driver *d, int fd, tk_registration *reg);
/* tk__net_socket: socket(family, type|NONBLOCK|CLOEXEC), not registered; fd or -errno. */
int tk__net_socket(int family, int type);
/* tk__net_close: deregister (if registered) and close; leaves *fd = -1. */
void tk__net_close(int *fd, tk_registration *reg);
/* tk__net_listen: socket + bind + listen, then register with the current runtime; 0 or
 * -errno. reuseaddr: set SO_REUSEADDR first (TCP). */
int tk__net_listen(const tk_sockaddr *addr, int reuseaddr, tk_listener *out);

#endif
