/* rt_metrics.h: per-worker counters with one set of names, so both flavours dump side by side. */
#ifndef RT_METRICS_H
#define RT_METRICS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The names follow tokio's RuntimeMetrics where the concept exists there. A counter a flavour
 * does not have (the async-std style has no LIFO slot and no coop budget) stays 0, and the
 * dump prints "-" for it when told the flavour lacks it, so a student can put two dumps side
 * by side and see the design difference rather than a mysterious zero.
 *
 * Counters are written by their own worker with relaxed atomics (rt_metrics_add_owned), or by
 * any thread for remote_schedules (rt_metrics_add), and read by anyone; a dump is a snapshot,
 * not a consistent cut.
 */
typedef struct rt_worker_metrics {
    _Atomic uint64_t polls;                /* task polls run by this worker */
    _Atomic uint64_t steal_operations;     /* successful steals (each moves a batch) */
    _Atomic uint64_t steal_count;          /* tasks moved by those steals */
    _Atomic uint64_t parks;                /* times the worker went to sleep */
    _Atomic uint64_t local_schedules;      /* wakes from this worker's own thread */
    _Atomic uint64_t remote_schedules;     /* wakes from other threads (the expensive kind) */
    _Atomic uint64_t overflows;            /* local queue overflowed into the global queue */
    _Atomic uint64_t budget_forced_yields; /* tasks made to yield by the coop budget */
    _Atomic uint64_t lifo_hits;            /* tasks run from the LIFO slot */
    _Atomic uint64_t local_queue_depth;    /* gauge: tasks in the local queue at last look */
} rt_worker_metrics;

enum {
    RT_METRICS_HAS_LIFO = 1u << 0,
    RT_METRICS_HAS_BUDGET = 1u << 1,
};

typedef struct rt_runtime_metrics {
    const char *flavour;        /* "tk multi_thread", "as", ... */
    unsigned features;          /* RT_METRICS_HAS_* */
    unsigned workers;
    rt_worker_metrics *per_worker;
    uint64_t global_queue_depth;
    uint64_t blocking_threads;
    uint64_t blocking_queue_depth;
    uint64_t io_ready_events;   /* readiness events delivered by the reactor */
    uint64_t timers_fired;
} rt_runtime_metrics;

/* rt_metrics_add: a relaxed increment, for the worker that owns the counter or any thread. */
static inline void rt_metrics_add(_Atomic uint64_t *counter, uint64_t n)
{
    atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

/* rt_metrics_add_owned: for a counter that only its own worker writes: a relaxed load and
 * store, which compile to plain moves. A fetch_add is a locked instruction, and three of them
 * per task poll were measurable next to tokio, whose per-worker counters are plain integers. */
static inline void rt_metrics_add_owned(_Atomic uint64_t *counter, uint64_t n)
{
    atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* rt_metrics_dump: print a table, one row per counter and one column per worker plus a total. */
void rt_metrics_dump(const rt_runtime_metrics *m, FILE *out);

/* rt_metrics_total: a counter summed over all workers (offset from rt_worker_metrics). */
uint64_t rt_metrics_total(const rt_runtime_metrics *m, size_t counter_offset);

#endif
