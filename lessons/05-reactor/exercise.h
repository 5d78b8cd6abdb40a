/* exercise.h: lesson 05's exercise -- a read_exact leaf future that is correct under edge-triggered epoll. */
#ifndef LESSON05_EXERCISE_H
#define LESSON05_EXERCISE_H

#include <stddef.h>

#include "reactor.h"

/* The most a single read(2) may ask for. Small on purpose: one read rarely empties the socket. */
#define READ_CHUNK 4

/* read_exact(r, fd, buf, want): read exactly `want` bytes from the non-blocking fd into buf,
 * waiting on reactor r (edge-triggered) whenever the fd has nothing to give. */
typedef struct read_exact_fut {
    rt_future base;
    reactor *r;
    int fd;
    char *buf;
    size_t want;
    size_t got;     /* bytes in buf so far */
    int eof;        /* the peer closed the stream before `want` bytes came */
    int err;        /* errno of a read or registration that failed, else 0 */
    int polls;      /* how many times it was polled */
    int reads;      /* how many read(2) calls it made */
} read_exact_fut;

/* read_exact: the future; runs nothing yet. */
read_exact_fut read_exact(reactor *r, int fd, char *buf, size_t want);

#endif
