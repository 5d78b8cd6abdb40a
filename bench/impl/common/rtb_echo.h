/* rtb_echo.h: tcp_echo's sizes, connection set-up, payload check and metric, shared by the C loops. */
#ifndef RTB_ECHO_H
#define RTB_ECHO_H

#include <stddef.h>
#include <stdint.h>

#include "rtb_cli.h"

/*
 * C client connections each stream `kib` KiB to an in-process echo server over 127.0.0.1, in
 * writes of at most `buf` bytes, and read everything back. A client shuts down its sending side
 * once all is sent; the server, having echoed everything, shuts down its own; the client's
 * end-of-stream then proves that exactly the bytes sent came back. Every received byte is
 * compared with the pattern (rtb_util.h), so a lost, duplicated or reordered byte fails the run.
 * The figure is payload MB/s (10^6 bytes) echoed back to the clients, all connections together.
 */

typedef struct rtb_echo {
    uint64_t conns;
    uint64_t bytes;       /* per connection */
    size_t buf;           /* the largest single write or read */
    int *client, *server; /* connected pairs, non-blocking */
    uint64_t received;    /* echoed bytes verified so far, all connections */
    uint64_t closed;      /* clients that have seen a clean end-of-stream */
} rtb_echo;

/* Read conns=, kib=, buf= (then rtb_params_done). */
void rtb_echo_params(rtb_echo *e, rtb_args *args);
/* Open the C loopback pairs (fd limit raised); exits 1 on failure. */
void rtb_echo_open(rtb_echo *e);
/* Check n echoed bytes of connection conn at stream offset `offset`; exits 1 on a mismatch. */
void rtb_echo_verify(rtb_echo *e, unsigned conn, uint64_t offset, const void *data, size_t n);
/* A client saw end-of-stream after `got` bytes: it must be exactly the bytes it sent. */
void rtb_echo_client_eof(rtb_echo *e, unsigned conn, uint64_t got);
/* Check every client finished and record MB/s over t1 - t0 ns. */
void rtb_echo_report(rtb_echo *e, uint64_t t0, uint64_t t1);
/* Free the fd tables (the runtime closes or hands over the fds themselves). */
void rtb_echo_free(rtb_echo *e);

#endif
