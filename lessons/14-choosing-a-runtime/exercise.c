/* exercise.c: lesson 14 -- measure one row of the seed's table: warm-up, interleaved repetitions, medians, a ratio and a verdict. */
#include "exercise.h"

/*
 * Your task (see README.md, "Exercise"):
 *
 *   l14_measure_row measures two contenders on one workload and says which is cheaper. As
 *   given it runs each side once and compares those two single figures -- the mistake the
 *   lesson warns about. Make it measure the way rtbench does:
 *
 *   1. check reps (1..64) before running anything;
 *   2. one warm-up repetition of a, then one of b, whose figures are not used;
 *   3. reps rounds, each one repetition of a then one of b -- interleaved, so that whatever
 *      the machine does at a given moment falls on both sides;
 *   4. a figure that is NaN or <= 0 is a failed repetition: stop and return -EINVAL;
 *   5. each side's median, min and max (kit_summary, from lesson 13's kit), the ratio of the
 *      medians, and the verdict: a's name if a is at least L14_TIE times cheaper, b's name if
 *      b is, "level" otherwise.
 *
 * Check your work with:  make grade N=14
 */

/* l14_measure_row: fill one row of the comparison table. */
int l14_measure_row(const l14_contender *a, const l14_contender *b, int reps, l14_row *out)
{
    /* TODO: replace all of this. */
    (void)reps;
    double fa = a->run(a->arg), fb = b->run(b->arg);
    out->a = kit_summary(&fa, 1);
    out->b = kit_summary(&fb, 1);
    out->ratio = fa / fb;
    out->better = fa < fb ? a->name : b->name;
    return 0;
}
