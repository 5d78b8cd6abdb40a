/* rt_metrics.c: the shared metrics dump, the same table for both flavours. */
#include "rt_metrics.h"

#include <stddef.h>

typedef struct rt__metric_row {
    const char *name;
    size_t offset;
    unsigned needs; /* RT_METRICS_HAS_* the flavour must have, or 0 */
} rt__metric_row;

static const rt__metric_row rt__rows[] = {
    { "polls", offsetof(rt_worker_metrics, polls), 0 },
    { "steal_operations", offsetof(rt_worker_metrics, steal_operations), 0 },
    { "steal_count", offsetof(rt_worker_metrics, steal_count), 0 },
    { "parks", offsetof(rt_worker_metrics, parks), 0 },
    { "local_schedules", offsetof(rt_worker_metrics, local_schedules), 0 },
    { "remote_schedules", offsetof(rt_worker_metrics, remote_schedules), 0 },
    { "overflows", offsetof(rt_worker_metrics, overflows), 0 },
    { "budget_forced_yields", offsetof(rt_worker_metrics, budget_forced_yields), RT_METRICS_HAS_BUDGET },
    { "lifo_hits", offsetof(rt_worker_metrics, lifo_hits), RT_METRICS_HAS_LIFO },
    { "local_queue_depth", offsetof(rt_worker_metrics, local_queue_depth), 0 },
};

/* rt__counter: read one counter of one worker by its offset. */
static uint64_t rt__counter(const rt_worker_metrics *w, size_t offset)
{
    const _Atomic uint64_t *c = (const _Atomic uint64_t *)((const char *)w + offset);
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* rt_metrics_total: sum over workers. */
uint64_t rt_metrics_total(const rt_runtime_metrics *m, size_t counter_offset)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < m->workers; i++)
        sum += rt__counter(&m->per_worker[i], counter_offset);
    return sum;
}

/* rt_metrics_dump: "-" marks a counter the flavour does not have by design. */
void rt_metrics_dump(const rt_runtime_metrics *m, FILE *out)
{
    fprintf(out, "runtime metrics: %s, %u worker%s\n", m->flavour, m->workers,
            m->workers == 1 ? "" : "s");
    fprintf(out, "  %-22s", "counter");
    for (unsigned i = 0; i < m->workers; i++)
        fprintf(out, " %10s%-2u", "worker", i);
    fprintf(out, " %12s\n", "total");
    for (size_t r = 0; r < sizeof rt__rows / sizeof rt__rows[0]; r++) {
        const rt__metric_row *row = &rt__rows[r];
        int absent = row->needs && !(m->features & row->needs);
        fprintf(out, "  %-22s", row->name);
        for (unsigned i = 0; i < m->workers; i++) {
            if (absent)
                fprintf(out, " %12s", "-");
            else
                fprintf(out, " %12llu", (unsigned long long)rt__counter(&m->per_worker[i], row->offset));
        }
        if (absent)
            fprintf(out, " %12s\n", "-");
        else
            fprintf(out, " %12llu\n", (unsigned long long)rt_metrics_total(m, row->offset));
    }
    fprintf(out, "  %-22s %llu\n", "global_queue_depth", (unsigned long long)m->global_queue_depth);
    fprintf(out, "  %-22s %llu\n", "blocking_threads", (unsigned long long)m->blocking_threads);
    fprintf(out, "  %-22s %llu\n", "blocking_queue_depth", (unsigned long long)m->blocking_queue_depth);
    fprintf(out, "  %-22s %llu\n", "io_ready_events", (unsigned long long)m->io_ready_events);
    fprintf(out, "  %-22s %llu\n", "timers_fired", (unsigned long long)m->timers_fired);
}
