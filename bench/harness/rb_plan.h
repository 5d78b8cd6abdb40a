/* rb_plan.h: what one invocation runs -- the cases (workload x size variant x runtime) and how often. */
#ifndef RB_PLAN_H
#define RB_PLAN_H

#include <stddef.h>

#include "rb_table.h"

/* One case: one runtime on one parameter set of one workload. A row of the results. */
typedef struct rb_case {
    const rb_workload *w;
    const rb_runtime *rt;
    int variant;        /* index into w->sizes[size] */
    const char *params; /* w->sizes[size][variant]: "pairs=16 rounds=1000" */
} rb_case;

/* The whole invocation. */
typedef struct rb_plan {
    rb_case *cases;
    size_t ncases;
    rb_size size;
    int reps;   /* measured repetitions per case */
    int warmup; /* unmeasured runs before them: 1, or 0 in smoke mode */
} rb_plan;

/*
 * Build the cases for the selected workloads and runtimes (arrays of flags indexed like
 * rb_workloads / rb_runtimes; NULL selects all), ordered workload, then variant, then runtime,
 * so that the runtimes of one workload are measured close together in time on a machine
 * whose load drifts. Returns 0, or -ENOMEM (nothing allocated).
 */
int rb_plan_build(rb_plan *p, const unsigned char *want_w, const unsigned char *want_rt,
                  rb_size size, int reps, int warmup);

/* Release the cases. */
void rb_plan_free(rb_plan *p);

/* How many parameter sets workload w has at this size. */
int rb_plan_nvariants(const rb_workload *w, rb_size size);

/*
 * The keys that tell this variant from the workload's other variants at this size, e.g.
 * "n=1000 timeouts=1" for bench_c; "" when the workload has a single variant. Written to out.
 */
void rb_plan_label(const rb_workload *w, rb_size size, int variant, char *out, size_t n);

/* The value of key `key` in a params string, as a number; -1 when absent. */
double rb_plan_param(const char *params, const char *key);

#endif
