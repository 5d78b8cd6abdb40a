/* asb_util.c: rtb-as helpers -- a task from block_on, spawn or fail, CPU time, RSS, percentiles. */
#include "asb.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * The async-std anchor runs most workloads as `task::block_on(task::spawn(body))`: the body is
 * a task, so it runs on a worker like everything it spawns, not on the thread waiting in
 * block_on. asb__host is that outer block_on future.
 */
typedef struct asb__host {
    rt_future base;
    rt_async co;
    rt_future *body;   /* the caller's unpolled future: spawn copies it; its output comes back */
    size_t size;
    as_task t;
} asb__host;

/* asb__host_poll: spawn the body, await it, copy the finished future back for the caller. */
static rt_poll asb__host_poll(rt_future *f, rt_context *cx)
{
    asb__host *h = (asb__host *)f;
    RT_BEGIN(&h->co);
    asb_spawn(h->body, h->size, &h->t);
    RT_AWAIT(&h->co, as_task_join(&h->t), cx);
    asb_joined(&h->t, "the workload's main task");
    /* The finished future holds only outputs now; its own drop runs when the task is
     * released, so the copy is a plain snapshot that nobody drops twice. */
    memcpy(h->body, as_task_output(&h->t), h->size);
    as_task_detach(&h->t);
    RT_END(&h->co);
}

/* asb__host_drop: a pending host still holds the handle (rt_async_drop detaches it). */
static void asb__host_drop(rt_future *f)
{
    rt_async_drop(&((asb__host *)f)->co);
}

static const rt_future_vtable asb__host_vtable = { asb__host_poll, asb__host_drop, "asb_host" };

/* asb_block_on_task: block_on(spawn(body)), the body's finished state copied back into *body. */
void asb_block_on_task(rt_future *body, size_t size)
{
    asb__host h = { .base = { &asb__host_vtable }, .body = body, .size = size };
    as_block_on(&h.base);
    rt_future_drop(&h.base);
}

/* asb_spawn: spawn or fail; a bench that cannot spawn has nothing to measure. */
void asb_spawn(const rt_future *fut, size_t size, as_task *t)
{
    int rc = as_spawn(fut, size, t);
    if (rc != 0)
        rtb_fail("spawning a task (%s): %s", rt_future_name(fut), strerror(-rc));
}

/* asb_spawn_detached: spawn, then drop the handle (the task runs on unobserved). */
void asb_spawn_detached(const rt_future *fut, size_t size)
{
    as_task t;
    asb_spawn(fut, size, &t);
    as_task_detach(&t);
}

/* asb_joined: the task finished normally, or the run fails naming how it ended. */
void asb_joined(as_task *t, const char *what)
{
    rt_task_outcome o = as_task_outcome(t);
    if (o == RT_OUTCOME_OK)
        return;
    const char *msg = as_task_panic_message(t);
    rtb_fail("%s: task %s%s%s", what, rt_join_outcome_name(o), msg ? ": " : "", msg ? msg : "");
}

/* asb_workers: as_thread_count, which is 0 only when the runtime could not start. */
unsigned asb_workers(void)
{
    unsigned n = as_thread_count();
    if (n == 0)
        rtb_fail("the as runtime could not start");
    return n;
}

/* asb_process_cpu_ns: CLOCK_PROCESS_CPUTIME_ID, as the anchor's util::process_cpu_ns. */
uint64_t asb_process_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* asb_rss_bytes: the second field of /proc/self/statm (resident pages) times the page size. */
uint64_t asb_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        rtb_fail_errno("open /proc/self/statm");
    unsigned long long size, resident;
    int n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    if (n != 2)
        rtb_fail("cannot parse /proc/self/statm");
    long page = sysconf(_SC_PAGESIZE);
    return (uint64_t)resident * (uint64_t)(page > 0 ? page : 4096);
}

/* asb__cmp_double: qsort's ascending order for doubles (no NaN here: they are latencies). */
static int asb__cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* asb_percentile: nearest rank, exactly the anchor's util::percentile. */
double asb_percentile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, asb__cmp_double);
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

/* asb_sleep_ms: nanosleep for the whole duration, resuming after a signal with what is left. */
void asb_sleep_ms(uint64_t ms)
{
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        continue;
}
