/* main.c (rtb-libuv): libuv's workload table and its error helper. */
#include "uvb.h"

/*
 * libuv is a loop of handles (long-lived: streams, timers, async, signals) and requests
 * (one-shot: writes, shutdowns, connects) with callbacks. Its thread pool runs file system and
 * DNS work, not user tasks, so the task workloads have no equivalent here.
 */
static const char uvb__no_tasks[] =
    "libuv has handles, requests and callbacks but no task abstraction to spawn, yield or join";

static const rtb_entry uvb__table[] = {
    { "sock_ping_pong", uvb_sock_ping_pong, NULL },
    { "bench_c", uvb_bench_c, NULL },
    { "million_timers", uvb_million_timers, NULL },
    { "timer_churn", uvb_timer_churn, NULL },
    { "spawn_many", NULL, uvb__no_tasks },
    { "yield_many", NULL, uvb__no_tasks },
    { "chained_spawn", NULL, uvb__no_tasks },
    { "task_ping_pong", NULL, uvb__no_tasks },
    { "cross_thread_wake", uvb_cross_thread_wake, NULL },
    { "tcp_echo", uvb_tcp_echo, NULL },
    { "http_hello", uvb_http_hello, NULL },
    { "blocking_hazard", NULL,
      "libuv runs callbacks on one thread; uv_queue_work is a request, not a task to hazard" },
    { "idle_task_memory", NULL, uvb__no_tasks },
};

/* uvb_fail: rtb_fail with uv_err_name(status). */
_Noreturn void uvb_fail(const char *what, int status)
{
    rtb_fail("%s: %s", what, uv_err_name(status));
}

/* main: run one repetition of one workload per the protocol in bench/WORKLOADS.md. */
int main(int argc, char **argv)
{
    return rtb_main(argc, argv, "libuv", uvb__table, sizeof uvb__table / sizeof uvb__table[0]);
}
