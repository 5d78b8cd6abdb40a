/* leb.h: the workloads of rtb-libevent (libevent 2.1: events, bufferevents, listeners). */
#ifndef LEB_H
#define LEB_H

#include <event2/event.h>

#include "rtb_cli.h"

/* A fresh event_base; exits 1 if libevent cannot make one or picks a backend other than epoll. */
struct event_base *leb_base_new(void);

/* P socketpairs x R round trips: a persistent read event per end, plain read/write. */
int leb_sock_ping_pong(rtb_args *args);
/* libevent's own test/bench.c, -t variant included. */
int leb_bench_c(rtb_args *args);
/* libuv's million-timers benchmark with evtimer events. */
int leb_million_timers(rtb_args *args);
/* W evtimers re-added once per loop iteration by a zero-timeout driver event. */
int leb_timer_churn(rtb_args *args);
/* K threads event_active one event on a pthreads-enabled base. */
int leb_cross_thread_wake(rtb_args *args);
/* Loopback TCP echo with bufferevents (evbuffer_add_buffer on the server). */
int leb_tcp_echo(rtb_args *args);
/* The HTTP/1.1 hello responder with an evconnlistener and bufferevents. */
int leb_http_hello(rtb_args *args);

#endif
