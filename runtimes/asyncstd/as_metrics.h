/* as_metrics.h: the runtime's counters in the core's shared table, so both flavours dump alike. */
#ifndef AS_METRICS_H
#define AS_METRICS_H

#include <stdio.h>

#include "rt_metrics.h"

/*
 * Per worker: polls, steal_operations/steal_count (batches taken from other workers' queues),
 * parks (times the worker went idle: on its futex, or waiting in the reactor's poller),
 * local_schedules (wakes issued on a worker thread) and local_queue_depth. There is no
 * LIFO slot and no coop budget in this design, so those rows print "-". overflows stays 0: a
 * local queue here is only ever filled by stealing, which never takes more than fits.
 *
 * remote_schedules (wakes from threads that are not workers: the reactor, as_block_on, the
 * blocking pool) all land in the one global queue; no worker is their home, so the runtime
 * counts them once and the table shows that count in worker 0's column (and the total).
 *
 * With AS_METRICS=1 in the environment the table is printed to stderr at exit.
 */

/* as_metrics: fill m with a snapshot (per_worker points at the runtime's snapshot array, valid
 * until the next call or exit); 0, or -errno if the runtime cannot start. */
int as_metrics(rt_runtime_metrics *m);
/* as_metrics_dump: print the table (rt_metrics_dump) to out. */
void as_metrics_dump(FILE *out);

#endif
