/* uvb.h: the workloads of rtb-libuv (libuv 1.x: handles, requests and callbacks). */
#ifndef UVB_H
#define UVB_H

#include <uv.h>

#include "rtb_cli.h"

/* Fail the run with libuv's name for a negative status, e.g. "uv_write: EPIPE". */
_Noreturn void uvb_fail(const char *what, int status);

/* P socketpairs x R round trips over uv_pipe_t streams (uv_read_start / uv_write). */
int uvb_sock_ping_pong(rtb_args *args);
/* bench.c on uv_poll_t watchers, with a uv_timer_t per pipe for -t. */
int uvb_bench_c(rtb_args *args);
/* libuv's own test/benchmark-million-timers.c. */
int uvb_million_timers(rtb_args *args);
/* W uv_timer_t restarted once per loop iteration from a uv_idle_t. */
int uvb_timer_churn(rtb_args *args);
/* K threads uv_async_send one uv_async_t. */
int uvb_cross_thread_wake(rtb_args *args);
/* Loopback TCP echo on uv_tcp_t streams. */
int uvb_tcp_echo(rtb_args *args);
/* The HTTP/1.1 hello responder on uv_tcp_t, uv_signal_t and uv_timer_t. */
int uvb_http_hello(rtb_args *args);

#endif
