/* demo_pool_limits.c: lesson 11 -- what the blocking pools do with many jobs: caps, queueing, growth, keep-alive. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "as.h"
#include "lateness.h"
#include "threads.h"

/*
 * Twelve jobs of 100 ms each are submitted at once, three times:
 *   1. to a tk runtime whose pool is capped at 4 threads (tk_builder_max_blocking_threads),
 *   2. to a tk runtime with tokio's default cap, 512,
 *   3. to the async-std-style pool (cap 500, but it grows only while more than 5 jobs wait
 *      for each free thread).
 * Each job writes down when it started, so the transcript shows whether the jobs ran side by
 * side or waited in the pool's queue for a thread. Then every runtime idles for 800 ms, and we
 * count the pool threads still alive: tk keeps idle threads 10 s, async-std 500 ms.
 */
#define MAX_JOBS 200

static uint64_t t0_ns;
static int jobs = 12;                         /* the current burst: how many jobs, */
static unsigned job_ms = 100;                 /* and how long each blocks */
static _Atomic uint64_t started_ns[MAX_JOBS]; /* when job i started, relative to t0_ns */

/* job: note the start time, then block like a file read or a DNS lookup would. */
static void *job(void *arg)
{
    uint64_t start = rt_monotonic_ns();
    atomic_store(&started_ns[(uintptr_t)arg], start - t0_ns);
    if (job_ms > 0)
        block_thread_ms(job_ms);
    else
        while (rt_monotonic_ns() - start < 20000u) /* job_ms 0: a short job, 20 us of CPU */
            continue;
    return NULL;
}

/* print_waves: the start times, grouped into 50 ms buckets: "4 at +0 ms, 4 at +100 ms, ...". */
static void print_waves(const char *label, double wall_ms, size_t threads)
{
    int count[64] = { 0 };
    for (int i = 0; i < jobs; i++) {
        uint64_t b = (atomic_load(&started_ns[i]) / 1000000u + 25) / 50;
        count[b < 63 ? b : 63]++;
    }
    printf("  %-30s %3zu threads, %3.0f ms", label, threads, wall_ms);
    if (job_ms == 0) {
        printf("\n");
        return; /* short jobs: the thread count is the point, not the waves */
    }
    printf("; jobs started:");
    const char *sep = " ";
    for (int b = 0; b < 64; b++)
        if (count[b]) {
            printf("%s%d at +%d ms", sep, count[b], b * 50);
            sep = ", ";
        }
    printf("\n");
}

/* ---- the tk side: spawn JOBS blocking jobs, await them all ---------------------------- */
typedef struct tk_burst_fut {
    rt_future base;
    rt_async co;
    tk_join_handle jh[MAX_JOBS];
    int i;
} tk_burst_fut;

/* tk_burst_poll: submit every job first, then await each handle. */
static rt_poll tk_burst_poll(rt_future *f, rt_context *cx)
{
    tk_burst_fut *m = (tk_burst_fut *)f;
    RT_BEGIN(&m->co);
    t0_ns = rt_monotonic_ns();
    for (m->i = 0; m->i < jobs; m->i++)
        if (tk_spawn_blocking(job, (void *)(uintptr_t)m->i, &m->jh[m->i]) != 0)
            rt_panic("tk_spawn_blocking: out of memory");
    for (m->i = 0; m->i < jobs; m->i++) {
        RT_AWAIT(&m->co, &m->jh[m->i], cx);
        rt_join_handle_detach(&m->jh[m->i]);
    }
    RT_END(&m->co);
}

static const rt_future_vtable tk_burst_vtable = { tk_burst_poll, NULL, "burst" };

/* tk_burst: a current_thread runtime with the given cap; it is left alive for the idle test. */
static tk_runtime *tk_burst(const char *label, unsigned cap)
{
    tk_builder b = tk_builder_new_current_thread();
    tk_builder_enable_all(&b);
    if (cap)
        tk_builder_max_blocking_threads(&b, cap);
    tk_runtime *rt = NULL;
    if (tk_builder_build(&b, &rt) != 0) {
        fprintf(stderr, "demo_pool_limits: cannot build a runtime\n");
        exit(1);
    }
    tk_burst_fut m = { .base = { &tk_burst_vtable } };
    tk_runtime_block_on(rt, &m.base);
    double wall = (double)(rt_monotonic_ns() - t0_ns) / 1e6;
    rt_runtime_metrics met = tk_runtime_metrics(rt);
    print_waves(label, wall, (size_t)met.blocking_threads);
    tk_runtime_metrics_free(&met);
    return rt;
}

/* ---- the as side ----------------------------------------------------------------------- */
typedef struct as_burst_fut {
    rt_future base;
    rt_async co;
    as_blocking_fut jobs[MAX_JOBS];
    int i;
} as_burst_fut;

/* as_burst_poll: as_spawn_blocking submits at once; then await each result. */
static rt_poll as_burst_poll(rt_future *f, rt_context *cx)
{
    as_burst_fut *m = (as_burst_fut *)f;
    RT_BEGIN(&m->co);
    t0_ns = rt_monotonic_ns();
    for (m->i = 0; m->i < jobs; m->i++)
        m->jobs[m->i] = as_spawn_blocking(job, (void *)(uintptr_t)m->i);
    for (m->i = 0; m->i < jobs; m->i++) {
        RT_AWAIT(&m->co, &m->jobs[m->i], cx);
        if (m->jobs[m->i].err != 0)
            rt_panic("as_spawn_blocking failed: error %d", -m->jobs[m->i].err);
    }
    RT_END(&m->co);
}

static const rt_future_vtable as_burst_vtable = { as_burst_poll, NULL, "burst" };

/* as_burst: the same burst on the global async-std-style pool. It prints the pool's high-water
 * mark (high_water 1, right for the first burst of a process) or the threads alive now. */
static void as_burst(const char *label, int high_water)
{
    as_burst_fut m = { .base = { &as_burst_vtable } };
    as_block_on(&m.base);
    double wall = (double)(rt_monotonic_ns() - t0_ns) / 1e6;
    rt_blocking_stats st;
    as_blocking_stats(&st);
    size_t alive = (size_t)threads_count("as-blocking");
    print_waves(label, wall, high_water ? st.max_threads_seen : alive);
}

/* main: a burst of short jobs, the bursts of long ones, then the keep-alive check. */
int main(void)
{
    jobs = 200, job_ms = 0;
    printf("%d short jobs (20 us of CPU each), submitted at once (threads: the most alive):\n",
           jobs);
    tk_runtime *shorts = tk_burst("tk (a thread per waiting job):", 0);
    as_burst("as (1 thread per 5 waiting):", 1);
    block_thread_ms(600); /* the as pool's idle threads leave after 500 ms: start again empty */

    jobs = 12, job_ms = 100;
    printf("%d jobs of %u ms each, submitted at once:\n", jobs, job_ms);
    tk_runtime *capped = tk_burst("tk, max_blocking_threads(4):", 4);
    tk_runtime *dflt = tk_burst("tk, the default cap (512):", 0);
    as_burst("as, the default cap (500):", 0);

    printf("after 800 ms with nothing to do:\n");
    block_thread_ms(800);
    printf("  tk-blocking threads alive: %d (tk keeps an idle thread 10 s)\n",
           threads_count("tk-blocking"));
    printf("  as-blocking threads alive: %d (async-std keeps one 500 ms)\n",
           threads_count("as-blocking"));
    tk_runtime_free(shorts);
    tk_runtime_free(capped);
    tk_runtime_free(dflt);
    return 0;
}
