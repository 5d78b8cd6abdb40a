/* exercise.c: lesson 05 -- make read_exact correct under edge-triggered epoll: read until EAGAIN before waiting. */
#include "exercise.h"

#include <errno.h>
#include <unistd.h>

/*
 * Your task (see README.md, "Exercise"). read_exact_poll below is demo_reactor's reader: one
 * read(2) per poll, then "wake me when readable". The reactor it is given is EDGE-triggered,
 * and under edge triggering that reader gets stuck (run `make lesson N=05` and watch it).
 *
 *   1. In one poll, keep reading (READ_CHUNK bytes at a time, counting self->reads) until you
 *      have `want` bytes, the peer closes (read returns 0), or read fails with EAGAIN. Only
 *      EAGAIN may lead to RT_PENDING -- it is the proof that the edge you will wait for has
 *      not happened yet. (EINTR: just read again.)
 *   2. read_exact_drop: a future dropped while it waits must not leave its waker in the
 *      reactor (use reactor_forget).
 *
 * Check your work with:  make grade N=05
 */

/* read_exact_poll: read what is there; wait for readiness when nothing is. */
static rt_poll read_exact_poll(rt_future *f, rt_context *cx)
{
    read_exact_fut *self = (read_exact_fut *)f;
    self->polls++;
    /* TODO: one read is not enough under edge triggering: loop until EAGAIN. */
    size_t ask = self->want - self->got < READ_CHUNK ? self->want - self->got : READ_CHUNK;
    ssize_t n = read(self->fd, self->buf + self->got, ask);
    self->reads++;
    if (n > 0) {
        self->got += (size_t)n;
        if (self->got == self->want) {
            reactor_forget(self->r, self->fd);
            return RT_READY;
        }
    } else if (n == 0) {
        self->eof = 1;
        reactor_forget(self->r, self->fd);
        return RT_READY;
    } else if (errno != EAGAIN) {
        self->err = errno;
        reactor_forget(self->r, self->fd);
        return RT_READY;
    }
    int rc = reactor_wait_readable(self->r, self->fd, cx->waker);
    if (rc != 0) {
        self->err = -rc;
        return RT_READY;
    }
    return RT_PENDING;
}

/* read_exact_drop: cancellation. */
static void read_exact_drop(rt_future *f)
{
    read_exact_fut *self = (read_exact_fut *)f;
    /* TODO: take this future's waker (and fd) out of the reactor. */
    (void)self;
}

static const rt_future_vtable read_exact_vtable = { read_exact_poll, read_exact_drop, "read_exact" };

/* read_exact: given. */
read_exact_fut read_exact(reactor *r, int fd, char *buf, size_t want)
{
    return (read_exact_fut){ .base = { &read_exact_vtable }, .r = r, .fd = fd, .buf = buf,
                             .want = want };
}
