/* exercise.c (solution): lesson 05 -- read_exact drains the socket to EAGAIN before it waits, as edge triggering needs. */
#include "exercise.h"

#include <errno.h>
#include <unistd.h>

/* read_exact_poll: read until done, end of stream, or EAGAIN; only EAGAIN waits. Registering
 * after EAGAIN cannot miss data: bytes that arrive after the EAGAIN make a new edge, which
 * epoll keeps on its ready list until the executor's next reactor turn reports it. */
static rt_poll read_exact_poll(rt_future *f, rt_context *cx)
{
    read_exact_fut *self = (read_exact_fut *)f;
    self->polls++;
    while (self->got < self->want) {
        size_t ask = self->want - self->got < READ_CHUNK ? self->want - self->got : READ_CHUNK;
        ssize_t n = read(self->fd, self->buf + self->got, ask);
        self->reads++;
        if (n > 0) {
            self->got += (size_t)n;
            continue;
        }
        if (n == 0) {
            self->eof = 1;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            self->err = errno;
            break;
        }
        int rc = reactor_wait_readable(self->r, self->fd, cx->waker);
        if (rc == 0)
            return RT_PENDING;
        self->err = -rc;
        break;
    }
    reactor_forget(self->r, self->fd);
    return RT_READY;
}

/* read_exact_drop: a cancelled read leaves nothing behind in the reactor. */
static void read_exact_drop(rt_future *f)
{
    read_exact_fut *self = (read_exact_fut *)f;
    reactor_forget(self->r, self->fd);
}

static const rt_future_vtable read_exact_vtable = { read_exact_poll, read_exact_drop, "read_exact" };

/* read_exact: the future; runs nothing yet. */
read_exact_fut read_exact(reactor *r, int fd, char *buf, size_t want)
{
    return (read_exact_fut){ .base = { &read_exact_vtable }, .r = r, .fd = fd, .buf = buf,
                             .want = want };
}
