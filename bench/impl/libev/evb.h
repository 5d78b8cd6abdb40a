/* evb.h: the workloads of rtb-libev (libev 4, watchers and callbacks, epoll backend). */
#ifndef EVB_H
#define EVB_H

#include <ev.h>

#include "rtb_cli.h"

/* A fresh loop on the epoll backend (the one every library here uses); exits 1 if none. */
struct ev_loop *evb_loop_new(void);

/* P socketpairs x R round trips: an ev_io per end, plain read/write in the callbacks. */
int evb_sock_ping_pong(rtb_args *args);
/* bench.c natively on libev (ev_io, and ev_timer_again for -t), as in libev's own benchmark. */
int evb_bench_c(rtb_args *args);
/* libuv's million-timers benchmark with ev_timer. */
int evb_million_timers(rtb_args *args);
/* W ev_timers re-armed with ev_timer_again once per loop iteration from an ev_idle. */
int evb_timer_churn(rtb_args *args);
/* K threads ev_async_send one ev_async watcher. */
int evb_cross_thread_wake(rtb_args *args);
/* Loopback TCP echo with ev_io read/write watchers. */
int evb_tcp_echo(rtb_args *args);
/* The HTTP/1.1 hello responder with ev_io, ev_signal and ev_timer. */
int evb_http_hello(rtb_args *args);

#endif
