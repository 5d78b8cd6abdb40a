/* exercise.h: lesson 14's exercise -- fill one row of the comparison table by measuring it, the way the bench does. */
#ifndef LESSON14_EXERCISE_H
#define LESSON14_EXERCISE_H

#include "../13-reading-benchmarks/kit.h"

/*
 * One side of a comparison: `run(arg)` performs ONE repetition of the workload and returns its
 * figure, a cost (ns per task, bytes per task, ms per batch): lower is better. A figure that is
 * NaN or not positive means the repetition failed.
 */
typedef struct l14_contender {
    const char *name;
    double (*run)(void *arg);
    void *arg;
} l14_contender;

/* One row of the table: each side's figure, their ratio, and who did better. */
typedef struct l14_row {
    kit_stat a, b;      /* median, min, max of each side's measured repetitions */
    double ratio;       /* a.median / b.median: below 1, a is cheaper */
    const char *better; /* a->name, b->name, or "level" when within L14_TIE either way */
} l14_row;

/* Below this factor two figures are level (the harness's RB_TIE). */
#define L14_TIE 1.10

/* l14_measure_row: one warm-up repetition of a, then one of b (both thrown away); then `reps`
 * rounds of one repetition of a followed by one of b; then fill *out. 0, or -EINVAL for reps
 * outside 1..64 (nothing is run) or a failed repetition (NaN or <= 0: measuring stops there). */
int l14_measure_row(const l14_contender *a, const l14_contender *b, int reps, l14_row *out);

#endif
