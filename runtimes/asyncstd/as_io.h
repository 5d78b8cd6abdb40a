/* as_io.h: an fd registered with the global reactor, and the read/write futures over it. */
#ifndef AS_IO_H
#define AS_IO_H

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

#include "as_waitlist.h"
#include "rt_future.h"

/*
 * An as_io is async-io's Async<T>: a non-blocking fd plus its registration with the global
 * reactor. Every socket type in as_net.h is an as_io, and so is anything else epoll can watch
 * (a pipe, an eventfd, a tty) once given to as_io_open. Regular files cannot be polled (epoll
 * says EPERM); read those with as_spawn_blocking.
 *
 * The IO futures all work the same way, the way async-io's do: try the system call first; if
 * it says EAGAIN, park a waiter on the handle, re-arm the fd's interest in the reactor (epoll
 * in ONESHOT mode reports an fd once and then disarms it), and return pending. When the
 * reactor reports the fd, it wakes the waiters, and the future tries the call again.
 *
 * Results, never crashes: a future's `result` is the byte count (>= 0; 0 from a read is EOF)
 * or a negative errno, and `err` is 0 or that same negative errno. A peer that resets the
 * connection gives -ECONNRESET or -EPIPE in `result`; nothing is raised, no SIGPIPE is sent.
 *
 * Lifetime: the handle must be open when an operation on it is first polled. From then on the
 * operation holds a reference, so closing the handle while an operation waits (from another
 * task, say) makes that operation finish with -EBADF rather than touch a recycled fd number.
 * The fd itself is closed when the last reference goes.
 */
typedef struct as_io as_io;

/* Returned by as_read_exact when the peer closed before the buffer was full (Rust's
 * ErrorKind::UnexpectedEof); `done` then says how many bytes did arrive. */
#define AS_UNEXPECTED_EOF (-ENODATA)

/* as_io_open: take ownership of fd (made non-blocking) and register it; 0 and *out, or
 * -errno (EPERM for a regular file, EBADF, ENOMEM, or the runtime's start error). On error the
 * fd is NOT closed: it is still the caller's. */
int as_io_open(int fd, as_io **out);
/* as_io_close: deregister and release the handle; the fd is closed once no operation holds it.
 * Waiting operations are woken and finish with -EBADF. NULL is a no-op. */
void as_io_close(as_io *io);
/* as_io_fd: the underlying descriptor (for setsockopt and the like; do not close it). */
int as_io_fd(const as_io *io);
/* as_io_shutdown: shutdown(2) on a socket (SHUT_RD, SHUT_WR, SHUT_RDWR); 0 or -errno. */
int as_io_shutdown(as_io *io, int how);

/* What every IO future keeps about its handle; private to the runtime. */
typedef struct as__io_op {
    as_io *io;
    int held;          /* this future holds a reference on io */
    int waited;        /* the waiter has been parked at least once */
    int finished;      /* the output is final */
    int dir;           /* the wait list the waiter was parked on */
    as__waiter waiter; /* our place in io's wait list while pending */
} as__io_op;

/* as_read(io, buf, len): one read(2) -- ready with what is there, 0 at EOF. */
typedef struct as_read_fut {
    rt_future base;
    as__io_op op;
    void *buf;
    size_t len;
    ssize_t result;    /* output: bytes read (0 = EOF) or -errno */
    int err;           /* output: 0 or -errno */
} as_read_fut;
/* as_read: a future reading at most len bytes into buf. */
as_read_fut as_read(as_io *io, void *buf, size_t len);

/* as_write(io, buf, len): one write(2) -- ready with how much was taken (maybe less). */
typedef struct as_write_fut {
    rt_future base;
    as__io_op op;
    const void *buf;
    size_t len;
    ssize_t result;    /* output: bytes written or -errno */
    int err;           /* output: 0 or -errno */
} as_write_fut;
/* as_write: a future writing at most len bytes from buf. */
as_write_fut as_write(as_io *io, const void *buf, size_t len);

/* as_read_exact(io, buf, len): read until len bytes arrived. */
typedef struct as_read_exact_fut {
    rt_future base;
    as__io_op op;
    void *buf;
    size_t len;
    size_t done;       /* output: bytes in buf, whatever the outcome */
    ssize_t result;    /* output: len, or -errno, or AS_UNEXPECTED_EOF */
    int err;           /* output: 0 or the same negative value */
} as_read_exact_fut;
/* as_read_exact: a future that fills buf completely. */
as_read_exact_fut as_read_exact(as_io *io, void *buf, size_t len);

/* as_write_all(io, buf, len): write until all len bytes are taken. */
typedef struct as_write_all_fut {
    rt_future base;
    as__io_op op;
    const void *buf;
    size_t len;
    size_t done;       /* output: bytes written, whatever the outcome */
    ssize_t result;    /* output: len or -errno (-EPIPE when the peer is gone) */
    int err;           /* output: 0 or the same negative value */
} as_write_all_fut;
/* as_write_all: a future that writes the whole buffer. */
as_write_all_fut as_write_all(as_io *io, const void *buf, size_t len);

/* as_readable / as_writable: ready once the fd is reported readable / writable (or closed, or
 * in error), without doing any IO -- for calls the runtime does not wrap (recvmsg, splice),
 * like async-io's Async::readable. Readiness is a hint: the call may still say EAGAIN, and
 * then you wait again. */
typedef struct as_ready_fut {
    rt_future base;
    as__io_op op;
    int dir;           /* AS__DIR_READ or AS__DIR_WRITE */
    int err;           /* output: 0 or -errno (-EBADF once the handle is closed) */
} as_ready_fut;
/* as_readable: wait until a read on io would not block. */
as_ready_fut as_readable(as_io *io);
/* as_writable: wait until a write on io would not block. */
as_ready_fut as_writable(as_io *io);

/* Directions, for as_ready_fut.dir. */
enum { AS__DIR_READ = 0, AS__DIR_WRITE = 1 };

#endif
