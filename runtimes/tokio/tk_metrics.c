/* tk_metrics.c: a snapshot of the runtime's counters, in the format both flavours share. */
#include <string.h>

#include "rt_alloc.h"
#include "tk_internal.h"

/* tk_runtime_metrics: copy every worker's counters (relaxed reads: a snapshot, not a cut). */
rt_runtime_metrics tk_runtime_metrics(tk_runtime *rt)
{
    tk_handle *h = &rt->handle;
    rt_runtime_metrics m;
    memset(&m, 0, sizeof m);
    m.flavour = h->flavor == TK_CURRENT_THREAD ? "tk current_thread" : "tk multi_thread";
    m.features = RT_METRICS_HAS_BUDGET | (h->flavor == TK_MULTI_THREAD ? RT_METRICS_HAS_LIFO : 0);
    m.workers = h->num_workers;
    m.per_worker = rt_calloc(h->num_workers, sizeof *m.per_worker);
    if (!m.per_worker) {
        m.workers = 0;
        return m;
    }
    for (unsigned i = 0; i < h->num_workers; i++) {
        const _Atomic uint64_t *src = (const _Atomic uint64_t *)&h->workers[i].metrics;
        _Atomic uint64_t *dst = (_Atomic uint64_t *)&m.per_worker[i];
        for (size_t k = 0; k < sizeof(rt_worker_metrics) / sizeof(uint64_t); k++)
            atomic_store_explicit(&dst[k], atomic_load_explicit(&src[k], memory_order_relaxed),
                                  memory_order_relaxed);
    }
    m.global_queue_depth = rt_inject_len(&h->inject);
    if (h->blocking) {
        rt_blocking_stats bs;
        tk__blocking_stats(h, &bs);
        m.blocking_threads = bs.threads;
        m.blocking_queue_depth = bs.queued;
    }
    m.io_ready_events = atomic_load_explicit(&h->driver.io_ready_events, memory_order_relaxed);
    m.timers_fired = atomic_load_explicit(&h->driver.timers_fired, memory_order_relaxed);
    return m;
}

/* tk_runtime_metrics_free: release the snapshot's per-worker array. */
void tk_runtime_metrics_free(rt_runtime_metrics *m)
{
    rt_free(m->per_worker);
    m->per_worker = NULL;
    m->workers = 0;
}

/* tk_runtime_metrics_dump: snapshot, print, release. */
void tk_runtime_metrics_dump(tk_runtime *rt, FILE *out)
{
    rt_runtime_metrics m = tk_runtime_metrics(rt);
    rt_metrics_dump(&m, out);
    tk_runtime_metrics_free(&m);
}
