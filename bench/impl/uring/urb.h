/* urb.h: the workloads of rtb-uring, the io_uring floor (liburing, one ring, no abstraction). */
#ifndef URB_H
#define URB_H

#include <liburing.h>
#include <stdint.h>

#include "rtb_cli.h"

/* Set up a ring of at least `entries` slots with the fastest flags this kernel accepts. */
void urb_ring_init(struct io_uring *ring, unsigned entries);
/* A free submission slot, submitting what is queued first if the ring is full. */
struct io_uring_sqe *urb_sqe(struct io_uring *ring);
/* Make fd blocking: io_uring then waits for readiness itself instead of returning -EAGAIN. */
void urb_blocking(int fd);

/* P socketpairs x R round trips as recv/send completions. */
int urb_sock_ping_pong(rtb_args *args);
/* Loopback TCP echo as recv/send/shutdown completions. */
int urb_tcp_echo(rtb_args *args);

#endif
