/* exercise.c (solution): lesson 14 -- one row of the table, measured the way rtbench measures. */
#include "exercise.h"

/* valid: a figure a repetition may report (a NaN compares false, so it fails too). */
static int valid(double v)
{
    return v > 0;
}

/* l14_measure_row: warm-ups first, then a and b take turns; medians, ratio, verdict. */
int l14_measure_row(const l14_contender *a, const l14_contender *b, int reps, l14_row *out)
{
    double va[64], vb[64];
    if (reps < 1 || reps > 64)
        return -EINVAL;
    if (!valid(a->run(a->arg)) || !valid(b->run(b->arg)))   /* the warm-ups: run, not kept */
        return -EINVAL;
    for (int i = 0; i < reps; i++) {
        va[i] = a->run(a->arg);
        if (!valid(va[i]))
            return -EINVAL;
        vb[i] = b->run(b->arg);
        if (!valid(vb[i]))
            return -EINVAL;
    }
    out->a = kit_summary(va, reps);
    out->b = kit_summary(vb, reps);
    out->ratio = out->a.median / out->b.median;
    if (out->ratio <= 1.0 / L14_TIE)
        out->better = a->name;
    else if (out->ratio >= L14_TIE)
        out->better = b->name;
    else
        out->better = "level";
    return 0;
}
