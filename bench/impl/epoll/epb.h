/* epb.h: the workloads of rtb-epoll, the bare floor (a raw epoll_wait loop, no abstraction). */
#ifndef EPB_H
#define EPB_H

#include "rtb_cli.h"

/* P socketpairs x R 4-byte round trips, level-triggered, one read and one write per event. */
int epb_sock_ping_pong(rtb_args *args);
/* libevent's bench.c on bare epoll (timeouts=0 only: the floor has no timer queue). */
int epb_bench_c(rtb_args *args);
/* K threads write an eventfd; the loop counts wake-ups and how many writes each one absorbed. */
int epb_cross_thread_wake(rtb_args *args);
/* C loopback TCP streams through an in-process echo server, edge-triggered. */
int epb_tcp_echo(rtb_args *args);
/* The HTTP/1.1 hello responder, edge-triggered, with signalfd and timerfd for shutdown. */
int epb_http_hello(rtb_args *args);

#endif
