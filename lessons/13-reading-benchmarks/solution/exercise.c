/* exercise.c (solution): lesson 13 -- repetitions to a figure, two figures to a verdict. */
#include "exercise.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* cmp_double: ascending order for qsort (no NaN gets this far). */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* l13_summarise: sort a copy of the counted samples; the median is the middle one (or the mean
 * of the middle two). The warm-ups are skipped, not sorted in: a cold first run is not data. */
int l13_summarise(const double *samples, int n, int warmup, l13_stat *out)
{
    int count = n - warmup;
    if (warmup < 0 || count < 1)
        return -EINVAL;
    const double *v = samples + warmup;
    for (int i = 0; i < count; i++)
        if (isnan(v[i]))
            return -EINVAL;
    double *s = malloc((size_t)count * sizeof *s);
    if (s == NULL)
        return -ENOMEM;
    memcpy(s, v, (size_t)count * sizeof *s);
    qsort(s, (size_t)count, sizeof *s, cmp_double);
    out->min = s[0];
    out->max = s[count - 1];
    out->median = count % 2 ? s[count / 2] : (s[count / 2 - 1] + s[count / 2]) / 2.0;
    out->n = count;
    free(s);
    return 0;
}

/* l13_direction: the units results.csv uses. */
l13_dir l13_direction(const char *unit)
{
    static const char *const lower[] = { "ns", "us", "ms", "B" };
    static const char *const higher[] = { "MB/s", "wakes/s", "req/s" };
    for (size_t i = 0; i < sizeof lower / sizeof lower[0]; i++)
        if (strcmp(unit, lower[i]) == 0)
            return L13_LOWER_BETTER;
    for (size_t i = 0; i < sizeof higher / sizeof higher[0]; i++)
        if (strcmp(unit, higher[i]) == 0)
            return L13_HIGHER_BETTER;
    return L13_DESCRIPTIVE;
}

/* l13_advantage: a quotient of medians, turned so that above 1 always means "a did better". */
double l13_advantage(const l13_stat *a, const l13_stat *b, const char *unit)
{
    l13_dir dir = l13_direction(unit);
    if (dir == L13_DESCRIPTIVE || !(a->median > 0) || !(b->median > 0))
        return NAN;
    return dir == L13_LOWER_BETTER ? b->median / a->median : a->median / b->median;
}

/* l13_verdict: an advantage under the tie band is not a finding on a shared machine. */
l13_winner l13_verdict(const l13_stat *a, const l13_stat *b, const char *unit, double *advantage)
{
    double adv = l13_advantage(a, b, unit);
    if (isnan(adv)) {
        if (advantage)
            *advantage = NAN;
        return L13_NONE;
    }
    double best = adv >= 1 ? adv : 1.0 / adv;
    if (advantage)
        *advantage = best;
    if (best < L13_TIE)
        return L13_LEVEL;
    return adv >= 1 ? L13_A : L13_B;
}
