/* as_io_ops.c: the byte-stream futures -- as_read, as_write, as_read_exact, as_write_all, as_readable/writable. */
#include "as_io.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "as_internal.h"

/*
 * Every one of these is the same loop, async-io's `read_with`: make the system call; if it
 * did something (or failed for real), finish; if it said EAGAIN, park on the handle for that
 * direction and return pending. EINTR just retries. The call comes first, before any
 * registration: most reads on a busy socket succeed at once, and then the reactor is never
 * involved -- no epoll_ctl, no lock.
 */

/* as__sys_read: read(2). */
static ssize_t as__sys_read(as_io *io, void *buf, size_t len)
{
    return read(io->fd, buf, len);
}

/* as__sys_write: send(MSG_NOSIGNAL) on a socket so a gone peer is EPIPE, not SIGPIPE; write(2)
 * on anything else (the runtime ignores SIGPIPE at start for pipes, as Rust does). */
static ssize_t as__sys_write(as_io *io, const void *buf, size_t len)
{
    if (io->is_socket)
        return send(io->fd, buf, len, MSG_NOSIGNAL);
    return write(io->fd, buf, len);
}

/* as__finish: record the outcome and end the operation. */
static rt_poll as__finish(as__io_op *op, ssize_t *result, int *err, ssize_t value)
{
    *result = value;
    *err = value < 0 ? (int)value : 0;
    as__io_op_end(op);
    return RT_READY;
}

/* as__would_block: what to do after a call returned -1: 1 = park, 0 = retry (EINTR), -errno. */
static int as__would_block(void)
{
    int e = errno;
    if (e == EAGAIN || e == EWOULDBLOCK)
        return 1;
    return e == EINTR ? 0 : -e;
}

/* as__once_poll: the one-call loop shared by as_read and as_write (dir picks the call; a
 * write never writes into buf, so casting its const away for the shared signature is safe). */
static rt_poll as__once_poll(as__io_op *op, int dir, void *buf, size_t len, ssize_t *result,
                             int *err_out, rt_context *cx)
{
    if (op->finished)
        return RT_READY;
    int err = as__io_op_begin(op);
    if (err != 0)
        return as__finish(op, result, err_out, err);
    for (;;) {
        ssize_t n = dir == AS__DIR_READ ? as__sys_read(op->io, buf, len)
                                        : as__sys_write(op->io, buf, len);
        if (n >= 0)
            return as__finish(op, result, err_out, n);
        int wb = as__would_block();
        if (wb < 0)
            return as__finish(op, result, err_out, wb);
        if (wb == 0)
            continue;
        if ((err = as__io_op_wait(op, dir, cx)) != 0)
            return as__finish(op, result, err_out, err);
        return RT_PENDING;
    }
}

/* as__read_poll: one read. */
static rt_poll as__read_poll(rt_future *f, rt_context *cx)
{
    as_read_fut *r = (as_read_fut *)f;
    return as__once_poll(&r->op, AS__DIR_READ, r->buf, r->len, &r->result, &r->err, cx);
}

/* as__write_poll: one write. */
static rt_poll as__write_poll(rt_future *f, rt_context *cx)
{
    as_write_fut *w = (as_write_fut *)f;
    return as__once_poll(&w->op, AS__DIR_WRITE, (void *)w->buf, w->len, &w->result, &w->err, cx);
}

/* as__read_exact_poll: read until full; EOF before that is AS_UNEXPECTED_EOF. */
static rt_poll as__read_exact_poll(rt_future *f, rt_context *cx)
{
    as_read_exact_fut *r = (as_read_exact_fut *)f;
    if (r->op.finished)
        return RT_READY;
    int err = as__io_op_begin(&r->op);
    if (err != 0)
        return as__finish(&r->op, &r->result, &r->err, err);
    while (r->done < r->len) {
        ssize_t n = as__sys_read(r->op.io, (char *)r->buf + r->done, r->len - r->done);
        if (n > 0) {
            r->done += (size_t)n;
            continue;
        }
        if (n == 0)
            return as__finish(&r->op, &r->result, &r->err, AS_UNEXPECTED_EOF);
        int wb = as__would_block();
        if (wb < 0)
            return as__finish(&r->op, &r->result, &r->err, wb);
        if (wb == 0)
            continue;
        if ((err = as__io_op_wait(&r->op, AS__DIR_READ, cx)) != 0)
            return as__finish(&r->op, &r->result, &r->err, err);
        return RT_PENDING;
    }
    return as__finish(&r->op, &r->result, &r->err, (ssize_t)r->len);
}

/* as__write_all_poll: write until everything was taken. */
static rt_poll as__write_all_poll(rt_future *f, rt_context *cx)
{
    as_write_all_fut *w = (as_write_all_fut *)f;
    if (w->op.finished)
        return RT_READY;
    int err = as__io_op_begin(&w->op);
    if (err != 0)
        return as__finish(&w->op, &w->result, &w->err, err);
    while (w->done < w->len) {
        ssize_t n = as__sys_write(w->op.io, (const char *)w->buf + w->done, w->len - w->done);
        if (n >= 0) {
            w->done += (size_t)n;
            continue;
        }
        int wb = as__would_block();
        if (wb < 0)
            return as__finish(&w->op, &w->result, &w->err, wb);
        if (wb == 0)
            continue;
        if ((err = as__io_op_wait(&w->op, AS__DIR_WRITE, cx)) != 0)
            return as__finish(&w->op, &w->result, &w->err, err);
        return RT_PENDING;
    }
    return as__finish(&w->op, &w->result, &w->err, (ssize_t)w->len);
}

/* as__ready_poll: park once; ready when the reactor took us off the list (it saw readiness),
 * or when the handle was closed. A spurious poll while still parked stays pending. */
static rt_poll as__ready_poll(rt_future *f, rt_context *cx)
{
    as_ready_fut *r = (as_ready_fut *)f;
    if (r->op.finished)
        return RT_READY;
    ssize_t value = as__io_op_begin(&r->op);
    if (value == 0 && r->op.waited) {
        pthread_mutex_lock(&r->op.io->lock);
        int fired = !r->op.waiter.linked;
        pthread_mutex_unlock(&r->op.io->lock);
        if (fired) {
            as__io_op_end(&r->op);
            r->err = 0;
            return RT_READY;
        }
    }
    if (value == 0)
        value = as__io_op_wait(&r->op, r->dir, cx);
    if (value == 0)
        return RT_PENDING;
    as__io_op_end(&r->op);
    r->err = (int)value;
    return RT_READY;
}

/* as__read_drop: every IO future's drop is this -- leave the wait list, release the handle. */
static void as__read_drop(rt_future *f)
{
    as__io_op_end(&((as_read_fut *)f)->op);
}
/* as__write_drop: as as__read_drop. */
static void as__write_drop(rt_future *f)
{
    as__io_op_end(&((as_write_fut *)f)->op);
}
/* as__read_exact_drop: as as__read_drop. */
static void as__read_exact_drop(rt_future *f)
{
    as__io_op_end(&((as_read_exact_fut *)f)->op);
}
/* as__write_all_drop: as as__read_drop. */
static void as__write_all_drop(rt_future *f)
{
    as__io_op_end(&((as_write_all_fut *)f)->op);
}
/* as__ready_drop: as as__read_drop. */
static void as__ready_drop(rt_future *f)
{
    as__io_op_end(&((as_ready_fut *)f)->op);
}

static const rt_future_vtable as__read_vtable = { as__read_poll, as__read_drop, "as_read" };
static const rt_future_vtable as__write_vtable = { as__write_poll, as__write_drop, "as_write" };
static const rt_future_vtable as__read_exact_vtable = { as__read_exact_poll, as__read_exact_drop,
                                                        "as_read_exact" };
static const rt_future_vtable as__write_all_vtable = { as__write_all_poll, as__write_all_drop,
                                                       "as_write_all" };
static const rt_future_vtable as__ready_vtable = { as__ready_poll, as__ready_drop, "as_ready" };

/* as_read: constructor. */
as_read_fut as_read(as_io *io, void *buf, size_t len)
{
    return (as_read_fut){ .base = { &as__read_vtable }, .op = as__io_op_init(io), .buf = buf,
                          .len = len };
}

/* as_write: constructor. */
as_write_fut as_write(as_io *io, const void *buf, size_t len)
{
    return (as_write_fut){ .base = { &as__write_vtable }, .op = as__io_op_init(io), .buf = buf,
                           .len = len };
}

/* as_read_exact: constructor. */
as_read_exact_fut as_read_exact(as_io *io, void *buf, size_t len)
{
    return (as_read_exact_fut){ .base = { &as__read_exact_vtable }, .op = as__io_op_init(io),
                                .buf = buf, .len = len };
}

/* as_write_all: constructor. */
as_write_all_fut as_write_all(as_io *io, const void *buf, size_t len)
{
    return (as_write_all_fut){ .base = { &as__write_all_vtable }, .op = as__io_op_init(io),
                               .buf = buf, .len = len };
}

/* as_readable: constructor. */
as_ready_fut as_readable(as_io *io)
{
    return (as_ready_fut){ .base = { &as__ready_vtable }, .op = as__io_op_init(io),
                           .dir = AS__DIR_READ };
}

/* as_writable: constructor. */
as_ready_fut as_writable(as_io *io)
{
    return (as_ready_fut){ .base = { &as__ready_vtable }, .op = as__io_op_init(io),
                           .dir = AS__DIR_WRITE };
}
