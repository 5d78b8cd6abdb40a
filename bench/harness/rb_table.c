/* rb_table.c: every workload's metrics and sizes, and every runtime's executable, as WORKLOADS.md defines them. */
#include "rb_table.h"

#include <string.h>

/*
 * Sizes. quick and full are WORKLOADS.md's, word for word. smoke is this file's own: the
 * smallest run that still exercises every code path of the workload (several pairs, a chain
 * that wraps, timers spread over more than one millisecond, a blocking task that really
 * blocks while ticks are due), so that `make test` proves each implementation correct in a
 * few seconds without claiming anything about speed.
 *
 * http_hello's keys are wrk's, not the responder's: threads (-t), conns (-c) and secs (-d).
 * The responder itself is started with port=0 and a duration a little past wrk's (rb_http.c).
 */
const rb_workload rb_workloads[] = {
    { "sock_ping_pong", RB_KIND_IO,
      "P socketpairs x R round trips of 4 bytes, all pairs in flight; ns per round trip",
      1, { { "round_trip", "ns", RB_LOWER_BETTER, 1 } },
      { { "pairs=2 rounds=20", NULL },
        { "pairs=16 rounds=1000", NULL },
        { "pairs=64 rounds=5000", NULL } } },
    { "bench_c", RB_KIND_IO,
      "libevent's test/bench.c: n socketpairs, a active, w chained writes, 25 iterations; "
      "process time per iteration (timeouts=1 is bench.c -t)",
      2, { { "process", "us", RB_LOWER_BETTER, 1 }, { "event", "ns", RB_LOWER_BETTER, 0 } },
      { { "n=10 a=2 w=10 timeouts=0", "n=10 a=2 w=10 timeouts=1", NULL },
        { "n=100 a=100 w=1000 timeouts=0", "n=1000 a=100 w=1000 timeouts=0",
          "n=10000 a=100 w=1000 timeouts=0", "n=100 a=100 w=1000 timeouts=1",
          "n=1000 a=100 w=1000 timeouts=1", "n=10000 a=100 w=1000 timeouts=1", NULL },
        { "n=100 a=100 w=1000 timeouts=0", "n=1000 a=100 w=1000 timeouts=0",
          "n=10000 a=100 w=1000 timeouts=0", "n=100000 a=100 w=1000 timeouts=0",
          "n=100 a=100 w=1000 timeouts=1", "n=1000 a=100 w=1000 timeouts=1",
          "n=10000 a=100 w=1000 timeouts=1", "n=100000 a=100 w=1000 timeouts=1", NULL } } },
    { "million_timers", RB_KIND_TIMER,
      "libuv's benchmark: N one-shot timers, +1 ms per 1000; init, dispatch, cleanup ns per timer",
      4, { { "init", "ns", RB_LOWER_BETTER, 1 }, { "dispatch", "ns", RB_LOWER_BETTER, 0 },
           { "cleanup", "ns", RB_LOWER_BETTER, 1 }, { "dispatch_cpu", "ns", RB_LOWER_BETTER, 1 } },
      { { "timers=2000", NULL },
        { "timers=10000", "timers=100000", NULL },
        { "timers=10000", "timers=100000", "timers=1000000", "timers=10000000", NULL } } },
    { "timer_churn", RB_KIND_TIMER,
      "W watchers/tasks re-arming a 10 s timeout on every event: insert + cancel, ns per re-arm",
      1, { { "rearm", "ns", RB_LOWER_BETTER, 1 } },
      { { "watchers=100 rounds=5", NULL },
        { "watchers=10000 rounds=100", NULL },
        { "watchers=10000 rounds=1000", NULL } } },
    { "spawn_many", RB_KIND_TASK,
      "a task spawns N tasks that each decrement a counter; ns per task",
      1, { { "spawn", "ns", RB_LOWER_BETTER, 1 } },
      { { "tasks=200", NULL }, { "tasks=10000", NULL }, { "tasks=100000", NULL } } },
    { "yield_many", RB_KIND_TASK,
      "T tasks each yield Y times; ns per yield",
      1, { { "yield", "ns", RB_LOWER_BETTER, 1 } },
      { { "tasks=4 yields=20", NULL },
        { "tasks=200 yields=1000", NULL },
        { "tasks=200 yields=1000", NULL } } },
    { "chained_spawn", RB_KIND_TASK,
      "chains of D spawns, each task spawning the next, C chains; ns per link",
      1, { { "spawn", "ns", RB_LOWER_BETTER, 1 } },
      { { "depth=20 chains=2", NULL },
        { "depth=1000 chains=100", NULL },
        { "depth=1000 chains=100", NULL } } },
    { "task_ping_pong", RB_KIND_TASK,
      "T tasks each spawn a peer and trade two oneshots, R rounds; ns per pair",
      1, { { "ping_pong", "ns", RB_LOWER_BETTER, 1 } },
      { { "tasks=20 rounds=2", NULL },
        { "tasks=1000 rounds=10", NULL },
        { "tasks=1000 rounds=100", NULL } } },
    { "cross_thread_wake", RB_KIND_IO,
      "K plain threads wake one handle of the loop M times each; wakes/s and wakes per callback",
      2, { { "wakes", "wakes/s", RB_HIGHER_BETTER, 1 },
           { "coalescing", "wakes/callback", RB_DESCRIPTIVE, 0 } },
      { { "threads=2 wakes=200", NULL },
        { "threads=1 wakes=20000", "threads=2 wakes=20000", NULL },
        { "threads=1 wakes=200000", "threads=2 wakes=200000", "threads=4 wakes=200000", NULL } } },
    { "tcp_echo", RB_KIND_IO,
      "C loopback TCP connections stream K KiB through an echo server; MB/s echoed",
      1, { { "throughput", "MB/s", RB_HIGHER_BETTER, 1 } },
      { { "conns=2 kib=64 buf=8192", NULL },
        { "conns=16 kib=8192 buf=8192", NULL },
        { "conns=64 kib=32768 buf=8192", NULL } } },
    { "http_hello", RB_KIND_IO,
      "an HTTP/1.1 keep-alive responder loaded by wrk over loopback; req/s and p99 latency",
      2, { { "requests", "req/s", RB_HIGHER_BETTER, 1 }, { "p99", "us", RB_LOWER_BETTER, 1 } },
      { { "threads=1 conns=4 secs=1", NULL },
        { "threads=1 conns=32 secs=2", NULL },
        { "threads=2 conns=128 secs=10", NULL } } },
    { "blocking_hazard", RB_KIND_TASK,
      "a 1 ms ticker's lateness p99 while a task blocks the worker 50 ms, then via spawn_blocking",
      2, { { "p99_blocked", "us", RB_LOWER_BETTER, 1 },
           { "p99_spawn_blocking", "us", RB_LOWER_BETTER, 1 } },
      { { "ticks=30 block_ms=5 every_ms=10", NULL },
        { "ticks=500 block_ms=50 every_ms=100", NULL },
        { "ticks=2000 block_ms=50 every_ms=100", NULL } } },
    { "idle_task_memory", RB_KIND_TASK,
      "N tasks each parked on a oneshot; bytes of RSS per task",
      1, { { "per_task", "B", RB_LOWER_BETTER, 1 } },
      { { "tasks=10000", NULL }, { "tasks=100000", NULL }, { "tasks=1000000", NULL } } },
};
const size_t rb_nworkloads = sizeof rb_workloads / sizeof rb_workloads[0];

/*
 * The runtimes in the brief's order: the two flavours first (they are what the toolkit is
 * about), the C loops, the floors, then the real Rust runtimes they are measured against.
 */
const rb_runtime rb_runtimes[] = {
    { "tk-ct", "rtb-tk", "ct", 0, RB_FAM_FLAVOUR, "tokio-ct",
      "the tokio-style flavour on current_thread: one thread, edge-triggered epoll, a timing "
      "wheel" },
    { "tk-mt", "rtb-tk", "mt", 1, RB_FAM_FLAVOUR, "tokio-mt",
      "the tokio-style flavour on multi_thread: per-worker rings, a LIFO slot, work stealing, "
      "a 128-poll coop budget" },
    { "as", "rtb-as", NULL, 1, RB_FAM_FLAVOUR, "async-std",
      "the async-std-style flavour: one global queue, no LIFO slot, a reactor thread on oneshot "
      "epoll, a timer heap" },
    { "libuv", "rtb-libuv", NULL, 0, RB_FAM_CLOOP, NULL, "libuv: handles, requests, callbacks" },
    { "libev", "rtb-libev", NULL, 0, RB_FAM_CLOOP, NULL,
      "libev: watchers and callbacks (epoll backend)" },
    { "libevent", "rtb-libevent", NULL, 0, RB_FAM_CLOOP, NULL,
      "libevent: events and bufferevents (epoll backend)" },
    { "epoll", "rtb-epoll", NULL, 0, RB_FAM_FLOOR, NULL,
      "the bare floor: a raw epoll_wait loop, no abstraction" },
    { "uring", "rtb-uring", NULL, 0, RB_FAM_FLOOR, NULL,
      "the io_uring floor (liburing), for sock_ping_pong and tcp_echo" },
    { "tokio-ct", "rtb-tokio", "ct", 0, RB_FAM_ANCHOR, NULL,
      "the real tokio on current_thread (Debian's crate)" },
    { "tokio-mt", "rtb-tokio", "mt", 1, RB_FAM_ANCHOR, NULL,
      "the real tokio on multi_thread (Debian's crate)" },
    { "async-std", "rtb-async-std", NULL, 1, RB_FAM_ANCHOR, NULL,
      "the real async-std (Debian's crate)" },
};
const size_t rb_nruntimes = sizeof rb_runtimes / sizeof rb_runtimes[0];

/* rb_workload_find: linear search; the table has thirteen rows. */
const rb_workload *rb_workload_find(const char *name)
{
    for (size_t i = 0; i < rb_nworkloads; i++)
        if (strcmp(rb_workloads[i].name, name) == 0)
            return &rb_workloads[i];
    return NULL;
}

/* rb_runtime_find: linear search; the table has eleven rows. */
const rb_runtime *rb_runtime_find(const char *name)
{
    for (size_t i = 0; i < rb_nruntimes; i++)
        if (strcmp(rb_runtimes[i].name, name) == 0)
            return &rb_runtimes[i];
    return NULL;
}

/* rb_workload_index: pointer arithmetic; w must point into rb_workloads. */
size_t rb_workload_index(const rb_workload *w)
{
    return (size_t)(w - rb_workloads);
}

/* rb_runtime_index: pointer arithmetic; rt must point into rb_runtimes. */
size_t rb_runtime_index(const rb_runtime *rt)
{
    return (size_t)(rt - rb_runtimes);
}

/* rb_size_name: the label used on the command line, in the CSV's neighbours and the report. */
const char *rb_size_name(rb_size size)
{
    static const char *const names[RB_NSIZES] = { "smoke", "quick", "full" };
    return (unsigned)size < RB_NSIZES ? names[size] : "?";
}

/* rb_size_parse: only the two sizes --size accepts; smoke has its own flag. */
int rb_size_parse(const char *name)
{
    if (strcmp(name, "quick") == 0)
        return RB_SIZE_QUICK;
    if (strcmp(name, "full") == 0)
        return RB_SIZE_FULL;
    return -1;
}

/* rb_metric_index: the metrics of one workload are few, so a scan is fine. */
int rb_metric_index(const rb_workload *w, const char *name)
{
    for (int i = 0; i < w->nmetrics; i++)
        if (strcmp(w->metrics[i].name, name) == 0)
            return i;
    return -1;
}

/* rb_workload_is_http: http_hello is the one workload measured by the harness (with wrk). */
int rb_workload_is_http(const rb_workload *w)
{
    return strcmp(w->name, "http_hello") == 0;
}
