/* tk_registration.h: an fd registered with the IO driver, and the readiness calls every tk socket makes. */
#ifndef TK_REGISTRATION_H
#define TK_REGISTRATION_H

#include <stdint.h>

#include "rt_future.h"

typedef struct tk__driver tk__driver;

/* Readiness bits kept per registration (the kernel's, mapped). */
enum {
    TK_READY_READABLE = 1u << 0,
    TK_READY_WRITABLE = 1u << 1,
    TK_READY_READ_CLOSED = 1u << 2,
    TK_READY_WRITE_CLOSED = 1u << 3,
    TK_READY_ERROR = 1u << 4,
};

/* What interest an operation waits for. */
enum {
    TK_INTEREST_READABLE = TK_READY_READABLE | TK_READY_READ_CLOSED | TK_READY_ERROR,
    TK_INTEREST_WRITABLE = TK_READY_WRITABLE | TK_READY_WRITE_CLOSED | TK_READY_ERROR,
};

typedef struct tk__scheduled_io tk__scheduled_io;

/* A resource's registration, owned by the socket wrapper. */
typedef struct tk_registration {
    tk__driver *driver;
    tk__scheduled_io *io;
    uint32_t generation;
} tk_registration;

/* What poll_ready saw: the ready bits and the tick they carry. */
typedef struct tk__ready_event {
    unsigned ready;
    unsigned tick;
} tk__ready_event;

/*
 * The pattern every IO operation follows (see tk_io.c for why it cannot lose an edge):
 *
 *     for (;;) {
 *         tk__ready_event ev;
 *         if (tk__io_poll_ready(&s->reg, TK_INTEREST_READABLE, cx, &ev) == RT_PENDING)
 *             return RT_PENDING;
 *         ssize_t n = read(s->fd, buf, len);
 *         if (n < 0 && errno == EAGAIN) { tk__io_clear_readiness(&s->reg, ev); continue; }
 *         ... done: store n (or -errno) and return RT_READY ...
 *     }
 */
/* tk__io_register: add fd (non-blocking, CLOEXEC) to the driver; 0 or -errno.
 * tk__io_deregister: remove it (before the caller closes the fd).
 * tk__io_poll_ready: RT_READY with the ready bits and their tick, or store the waker.
 * tk__io_clear_readiness: after EAGAIN; a newer tick survives.
 * Register a socket only once it is connected or listening: an unconnected socket polls as
 * hung up, and READ_CLOSED is sticky (mio registers in the same order). */
int tk__io_register(tk__driver *d, int fd, tk_registration *out);
void tk__io_deregister(tk_registration *r);
rt_poll tk__io_poll_ready(tk_registration *r, unsigned interest, rt_context *cx,
                          tk__ready_event *ev);
void tk__io_clear_readiness(tk_registration *r, tk__ready_event ev);

#endif
