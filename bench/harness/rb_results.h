/* rb_results.h: the outcome of every case of an invocation -- the rows the CSV, the report and the summary print. */
#ifndef RB_RESULTS_H
#define RB_RESULTS_H

#include <stddef.h>

#include "rb_plan.h"
#include "rb_stats.h"

/* How a case ended. Anything but OK carries a one-line reason in `note`. */
typedef enum rb_status {
    RB_ST_OK,          /* every repetition passed its self-check */
    RB_ST_NOEQUIV,     /* the executable has no equivalent (exit 3) */
    RB_ST_NOTMEASURED, /* could not be run here: not built, cargo or wrk missing, too little memory */
    RB_ST_ERROR,       /* a check failed, a crash, a timeout, a protocol violation */
} rb_status;

/* One case's row: a figure per metric of its workload, or the reason there is none. */
typedef struct rb_row {
    const rb_case *c;
    rb_status status;
    char note[512]; /* "ok", "no equivalent: ...", "not measured: ...", "error: ..." */
    int reps;       /* measured repetitions that passed */
    rb_stat stat[RB_MAX_METRICS];
    double ratio[RB_MAX_METRICS];               /* figure / reference; NAN when none */
    const rb_runtime *ratio_to[RB_MAX_METRICS]; /* the reference, NULL when none */
    double seconds; /* wall time spent on this case, warm-up included */
} rb_row;

/* All rows, parallel to the plan's cases. */
typedef struct rb_results {
    const rb_plan *plan;
    rb_row *rows;
    size_t n;
} rb_results;

/* One row per case, each "not run yet" (status ERROR, note "error: not run"). 0 or -ENOMEM. */
int rb_results_init(rb_results *r, const rb_plan *plan);

/* Release the rows. */
void rb_results_free(rb_results *r);

/* The row of (w, variant, rt), or NULL when the plan did not include it. */
const rb_row *rb_results_find(const rb_results *r, const rb_workload *w, int variant,
                              const rb_runtime *rt);

/* The same, but only when it is OK: the one to read a figure from. */
const rb_row *rb_results_ok(const rb_results *r, const rb_workload *w, int variant,
                            const rb_runtime *rt);

/* "ok", "no equivalent", "not measured" or "error". */
const char *rb_status_word(rb_status s);

/* Set status and note ("<word>: <why>", or "ok"), truncating the reason to fit. */
void rb_row_set(rb_row *row, rb_status status, const char *why);

#endif
