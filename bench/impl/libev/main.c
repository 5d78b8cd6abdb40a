/* main.c (rtb-libev): libev's workload table, and the loop every workload runs on. */
#include "evb.h"

#include "rtb_cli.h"

/*
 * libev is a watcher library: io, timer, idle, async and signal watchers on one loop, with no
 * notion of a task or a worker thread. The task workloads therefore have no equivalent; saying
 * so is more honest than emulating tasks with watchers and measuring the emulation.
 */
static const char evb__no_tasks[] =
    "libev has watchers and callbacks but no task abstraction to spawn, yield or join";

static const rtb_entry evb__table[] = {
    { "sock_ping_pong", evb_sock_ping_pong, NULL },
    { "bench_c", evb_bench_c, NULL },
    { "million_timers", evb_million_timers, NULL },
    { "timer_churn", evb_timer_churn, NULL },
    { "spawn_many", NULL, evb__no_tasks },
    { "yield_many", NULL, evb__no_tasks },
    { "chained_spawn", NULL, evb__no_tasks },
    { "task_ping_pong", NULL, evb__no_tasks },
    { "cross_thread_wake", evb_cross_thread_wake, NULL },
    { "tcp_echo", evb_tcp_echo, NULL },
    { "http_hello", evb_http_hello, NULL },
    { "blocking_hazard", NULL, "libev runs callbacks on one thread and has no blocking pool" },
    { "idle_task_memory", NULL, evb__no_tasks },
};

/*
 * libev's io_uring and linux-aio backends are not in its own "recommended" set; pinning epoll,
 * which libuv and libevent use too, keeps the comparison about the libraries, not the backends.
 */

/* evb_loop_new: a fresh loop on the epoll backend, or the run fails. */
struct ev_loop *evb_loop_new(void)
{
    struct ev_loop *loop = ev_loop_new(EVBACKEND_EPOLL);
    if (loop == NULL)
        rtb_fail("ev_loop_new(EVBACKEND_EPOLL) failed");
    return loop;
}

/* main: run one repetition of one workload per the protocol in bench/WORKLOADS.md. */
int main(int argc, char **argv)
{
    return rtb_main(argc, argv, "libev", evb__table, sizeof evb__table / sizeof evb__table[0]);
}
