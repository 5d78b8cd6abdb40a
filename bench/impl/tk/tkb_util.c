/* tkb_util.c: rtb-tk helpers -- a task from block_on, spawn or fail, CPU time, RSS, percentiles. */
#include "tkb.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * The tokio anchor runs almost every workload as `rt.block_on(async { tokio::spawn(body).await
 * .unwrap() })`: the body is a task, so on multi_thread it runs on a worker like everything it
 * spawns, not on the thread parked in block_on. tkb__host is that outer async block.
 */
typedef struct tkb__host {
    rt_future base;
    rt_async co;
    rt_future *body;   /* the caller's unpolled future: spawn copies it; its output comes back */
    size_t size;
    tk_join_handle jh;
} tkb__host;

/* tkb__host_poll: spawn the body, await it, copy the finished future back for the caller. */
static rt_poll tkb__host_poll(rt_future *f, rt_context *cx)
{
    tkb__host *h = (tkb__host *)f;
    RT_BEGIN(&h->co);
    tkb_spawn(h->body, h->size, &h->jh);
    RT_AWAIT(&h->co, &h->jh, cx);
    tkb_joined(&h->jh, "the workload's main task");
    /* The finished future holds only its outputs that matter now; its own drop runs when the
     * task is released, so the copy is a plain snapshot that nobody drops twice. */
    memcpy(h->body, rt_join_handle_output(&h->jh), h->size);
    rt_join_handle_detach(&h->jh);
    RT_END(&h->co);
}

/* tkb__host_drop: a pending host still holds the JoinHandle (rt_async_drop detaches it). */
static void tkb__host_drop(rt_future *f)
{
    rt_async_drop(&((tkb__host *)f)->co);
}

static const rt_future_vtable tkb__host_vtable = { tkb__host_poll, tkb__host_drop, "tkb_host" };

/* tkb_block_on_task: block_on(spawn(body)), the body's finished state copied back into *body. */
void tkb_block_on_task(tk_runtime *rt, rt_future *body, size_t size)
{
    tkb__host h = { .base = { &tkb__host_vtable }, .body = body, .size = size };
    tk_runtime_block_on(rt, &h.base);
    rt_future_drop(&h.base);
}

/* tkb_spawn: spawn or fail; a bench that cannot spawn has nothing to measure. */
void tkb_spawn(const rt_future *fut, size_t size, tk_join_handle *jh)
{
    if (tk_spawn(fut, size, jh) != 0)
        rtb_fail("out of memory spawning a task (%s)", rt_future_name(fut));
}

/* tkb_spawn_detached: spawn, then drop the handle (the task runs on unobserved). */
void tkb_spawn_detached(const rt_future *fut, size_t size)
{
    tk_join_handle jh;
    tkb_spawn(fut, size, &jh);
    rt_join_handle_detach(&jh);
}

/* tkb_joined: the task finished normally, or the run fails naming how it ended. */
void tkb_joined(tk_join_handle *jh, const char *what)
{
    if (jh->outcome == RT_OUTCOME_OK)
        return;
    const char *msg = rt_join_handle_panic_message(jh);
    rtb_fail("%s: task %s%s%s", what, rt_join_outcome_name(jh->outcome), msg ? ": " : "",
             msg ? msg : "");
}

/* tkb_process_cpu_ns: CLOCK_PROCESS_CPUTIME_ID, as the anchor's util::process_cpu_ns. */
uint64_t tkb_process_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* tkb_rss_bytes: the second field of /proc/self/statm (resident pages) times the page size. */
uint64_t tkb_rss_bytes(void)
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

/* tkb__cmp_double: qsort's ascending order for doubles (no NaN here: they are latencies). */
static int tkb__cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* tkb_percentile: nearest rank, exactly the anchor's util::percentile. */
double tkb_percentile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, tkb__cmp_double);
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

/* tkb_sleep_ms: nanosleep for the whole duration, resuming after a signal with what is left. */
void tkb_sleep_ms(uint64_t ms)
{
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        continue;
}
