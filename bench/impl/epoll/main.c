/* main.c (rtb-epoll): the bare epoll floor's workload table; the floor has no tasks and no timers. */
#include "epb.h"

/*
 * The floor is a plain epoll_wait loop written straight into each workload, the smallest amount
 * of code that does the work correctly. It shows what the hardware and kernel allow, so every IO
 * figure of a real runtime can be read as a ratio to it. Anything that needs an abstraction the
 * floor is defined not to have (a task, a timer queue) has no equivalent here.
 */
static const char epb__no_tasks[] =
    "the bare epoll floor has no task abstraction: it is a loop over ready descriptors";
static const char epb__no_timers[] =
    "the bare epoll floor has no timer queue; building one would be the abstraction it omits";

static const rtb_entry epb__table[] = {
    { "sock_ping_pong", epb_sock_ping_pong, NULL },
    { "bench_c", epb_bench_c, NULL },
    { "million_timers", NULL, epb__no_timers },
    { "timer_churn", NULL, epb__no_timers },
    { "spawn_many", NULL, epb__no_tasks },
    { "yield_many", NULL, epb__no_tasks },
    { "chained_spawn", NULL, epb__no_tasks },
    { "task_ping_pong", NULL, epb__no_tasks },
    { "cross_thread_wake", epb_cross_thread_wake, NULL },
    { "tcp_echo", epb_tcp_echo, NULL },
    { "http_hello", epb_http_hello, NULL },
    { "blocking_hazard", NULL, "the bare epoll floor has no worker or blocking pool to hazard" },
    { "idle_task_memory", NULL, epb__no_tasks },
};

/* main: run one repetition of one workload per the protocol in bench/WORKLOADS.md. */
int main(int argc, char **argv)
{
    return rtb_main(argc, argv, "epoll", epb__table, sizeof epb__table / sizeof epb__table[0]);
}
