/* rb_measure.h: running a plan -- warm-up, repetitions, stats -- into the results' rows. */
#ifndef RB_MEASURE_H
#define RB_MEASURE_H

#include <stdio.h>

#include "rb_env.h"
#include "rb_results.h"

/*
 * Run every case of res->plan in order: the unmeasured warm-up, then the repetitions, each a
 * fresh process with a limit of `timeout` seconds, with a progress line on `progress` before
 * each. The first repetition that is not OK ends the case (a fast but wrong run must not
 * report a figure, and a hang must not eat the budget five times); the row then carries the
 * reason. An OK row holds the median, min and max of its repetitions. Returns 0, or -ENOMEM.
 */
int rb_measure(const rb_env *e, rb_results *res, double timeout, FILE *progress);

/*
 * Whether a case fits this machine: million_timers at 10^7 timers needs gigabytes ("where
 * memory allows", WORKLOADS.md), and bench_c needs 2n + 50 descriptors, which the hard
 * RLIMIT_NOFILE may forbid (raising it needs CAP_SYS_RESOURCE). 1 when it fits; else 0 with
 * the reason in why, and the case is "not measured" rather than an error of the runtime.
 */
int rb_measure_fits_machine(const rb_case *c, char *why, size_t n);

#endif
