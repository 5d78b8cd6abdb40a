/* rtb_net.h: socket set-up shared by the C benches (the untimed part: pairs, loopback, listeners). */
#ifndef RTB_NET_H
#define RTB_NET_H

#include <stddef.h>

/* A connected AF_UNIX stream socketpair, both ends non-blocking and close-on-exec; 0 or -1. */
int rtb_socketpair(int sv[2]);

/*
 * n connected TCP pairs over 127.0.0.1: client[i] talks to server[i]. Both ends are made
 * non-blocking once connected. Set-up is done with plain blocking calls on purpose: it is not
 * timed, and doing it the same way everywhere keeps it out of the comparison. 0, or -1 with
 * errno set and nothing left open.
 */
int rtb_tcp_pairs(size_t n, int *client, int *server);

/* A non-blocking listening TCP socket on 127.0.0.1:port (0 = any); *bound gets the port; fd or -1. */
int rtb_listen_loopback(int port, int backlog, int *bound);

/* Set O_NONBLOCK on fd; 0 or -1. */
int rtb_set_nonblock(int fd);

/* Close every fd in fds[0..n) that is >= 0. */
void rtb_close_all(int *fds, size_t n);

#endif
