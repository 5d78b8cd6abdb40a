/* as_metrics.c: a snapshot of the runtime's counters in the core's shared table, and its dump. */
#include "as_metrics.h"

#include "as_internal.h"

/*
 * Counters are relaxed atomics written by their owners (as_executor.c, as_reactor.c); a
 * snapshot reads each once, so it is a set of recent values, not a consistent cut. The queue
 * depths are gauges computed here, at snapshot time: each worker's local queue length, and the
 * global queue's. See as_metrics.h for what each row means in this flavour. Two snapshots
 * taken at once by two threads write the same array; each value written is a recent one, so
 * either result is as good as the other.
 */

/* as__copy_counter: one relaxed read, one relaxed write. */
static void as__copy_counter(_Atomic uint64_t *to, _Atomic uint64_t *from)
{
    atomic_store_explicit(to, atomic_load_explicit(from, memory_order_relaxed), memory_order_relaxed);
}

/* as__metrics_fill: copy each worker's counters into the runtime's snapshot array (the shared
 * table wants one contiguous rt_worker_metrics per worker; the live counters sit inside the
 * worker records, each on its worker's own cache lines). */
void as__metrics_fill(as__runtime *rt, rt_runtime_metrics *m)
{
    for (unsigned i = 0; i < rt->nworkers; i++) {
        rt_worker_metrics *from = &rt->workers[i].metrics, *to = &rt->metrics_snapshot[i];
        as__copy_counter(&to->polls, &from->polls);
        as__copy_counter(&to->steal_operations, &from->steal_operations);
        as__copy_counter(&to->steal_count, &from->steal_count);
        as__copy_counter(&to->parks, &from->parks);
        as__copy_counter(&to->local_schedules, &from->local_schedules);
        as__copy_counter(&to->overflows, &from->overflows);
        as__copy_counter(&to->budget_forced_yields, &from->budget_forced_yields);
        as__copy_counter(&to->lifo_hits, &from->lifo_hits);
        atomic_store_explicit(&to->remote_schedules, 0, memory_order_relaxed);
        atomic_store_explicit(&to->local_queue_depth, rt_mpmc_bounded_len(&rt->workers[i].local),
                              memory_order_relaxed);
    }
    if (rt->nworkers > 0)
        atomic_store_explicit(&rt->metrics_snapshot[0].remote_schedules,
                              atomic_load_explicit(&rt->remote_schedules, memory_order_relaxed),
                              memory_order_relaxed);
    rt_blocking_stats bs;
    rt_blocking_pool_stats(rt->blocking, &bs);
    *m = (rt_runtime_metrics){
        .flavour = "as (async-std style)",
        .features = 0, /* no LIFO slot, no coop budget: by design */
        .workers = rt->nworkers,
        .per_worker = rt->metrics_snapshot,
        .global_queue_depth = rt_mpmc_len(&rt->global) + rt_inject_len(&rt->spill),
        .blocking_threads = bs.threads,
        .blocking_queue_depth = bs.queued,
        .io_ready_events = atomic_load_explicit(&rt->reactor.io_ready_events, memory_order_relaxed),
        .timers_fired = atomic_load_explicit(&rt->reactor.timers_fired, memory_order_relaxed),
    };
}

/* as_metrics: the public snapshot (starts the runtime if needed). */
int as_metrics(rt_runtime_metrics *m)
{
    as__runtime *rt = as__rt();
    if (rt == NULL)
        return as__rt_error();
    as__metrics_fill(rt, m);
    return 0;
}

/* as_metrics_dump: the shared table. */
void as_metrics_dump(FILE *out)
{
    rt_runtime_metrics m;
    if (as_metrics(&m) == 0)
        rt_metrics_dump(&m, out);
}
