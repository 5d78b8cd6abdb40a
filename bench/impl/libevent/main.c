/* main.c (rtb-libevent): libevent's workload table, and the base every workload runs on. */
#include "leb.h"

#include <string.h>

/*
 * libevent is an event-notification library: events on descriptors, timers and signals, plus
 * bufferevents (buffered streams) on top. It has no tasks and no worker threads, so the task
 * workloads have no equivalent here.
 */
static const char leb__no_tasks[] =
    "libevent has events and callbacks but no task abstraction to spawn, yield or join";

static const rtb_entry leb__table[] = {
    { "sock_ping_pong", leb_sock_ping_pong, NULL },
    { "bench_c", leb_bench_c, NULL },
    { "million_timers", leb_million_timers, NULL },
    { "timer_churn", leb_timer_churn, NULL },
    { "spawn_many", NULL, leb__no_tasks },
    { "yield_many", NULL, leb__no_tasks },
    { "chained_spawn", NULL, leb__no_tasks },
    { "task_ping_pong", NULL, leb__no_tasks },
    { "cross_thread_wake", leb_cross_thread_wake, NULL },
    { "tcp_echo", leb_tcp_echo, NULL },
    { "http_hello", leb_http_hello, NULL },
    { "blocking_hazard", NULL, "libevent runs callbacks on one thread and has no blocking pool" },
    { "idle_task_memory", NULL, leb__no_tasks },
};

/* leb_base_new: event_base_new, checked to be on epoll like the other libraries. */
struct event_base *leb_base_new(void)
{
    struct event_base *base = event_base_new();
    if (base == NULL)
        rtb_fail("event_base_new failed");
    if (strcmp(event_base_get_method(base), "epoll") != 0)
        rtb_fail("libevent chose the %s backend, not epoll", event_base_get_method(base));
    return base;
}

/* main: run one repetition of one workload per the protocol in bench/WORKLOADS.md. */
int main(int argc, char **argv)
{
    return rtb_main(argc, argv, "libevent", leb__table, sizeof leb__table / sizeof leb__table[0]);
}
