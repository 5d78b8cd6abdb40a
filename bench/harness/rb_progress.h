/* rb_progress.h: one stderr line per run -- its number out of the total and the estimated time left. */
#ifndef RB_PROGRESS_H
#define RB_PROGRESS_H

#include <stdio.h>

#include "rb_plan.h"

/*
 * The total counts every run the plan could make (warm-up + reps per case). A case that ends
 * early -- no equivalent, not measured, an error -- gives its remaining runs back, so the
 * total shrinks and the count stays honest. The ETA multiplies each remaining run by the
 * mean duration of the runs of the same workload so far (or of all runs, before the first
 * of a workload); it starts pessimistic, since most unsupported cases cost a millisecond.
 */
typedef struct rb_progress {
    FILE *out;
    const rb_plan *plan;
    int *left;        /* per case: runs not made yet */
    double *w_secs;   /* per workload: total seconds of finished runs */
    int *w_runs;      /* per workload: number of finished runs */
    unsigned char *gap; /* per workload x runtime: a case ended early, expect the others to */
    double all_secs;
    int all_runs;
    int total;
    int done;
} rb_progress;

/* Start counting for a plan; 0 or -ENOMEM. */
int rb_progress_init(rb_progress *p, const rb_plan *plan, FILE *out);

/* Print the line for the run about to start: case index, and "warm-up" or "rep k/N". */
void rb_progress_begin(rb_progress *p, size_t case_index, const char *phase);

/* Record a finished run of case_index that took `seconds`; `sample` says whether it was a real
 * run worth learning the workload's duration from (not a one-line "no equivalent"). */
void rb_progress_end(rb_progress *p, size_t case_index, double seconds, int sample);

/*
 * The case ended early: drop its remaining runs from the total. `gap` says it will end early
 * on every parameter set (no equivalent, not measured), so the ETA stops counting the same
 * workload on the same runtime at full price.
 */
void rb_progress_skip_rest(rb_progress *p, size_t case_index, int gap);

/* Seconds the remaining runs are expected to take. */
double rb_progress_eta(const rb_progress *p);

/* Release the counters. */
void rb_progress_free(rb_progress *p);

#endif
