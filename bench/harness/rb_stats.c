/* rb_stats.c: median, min and max of a handful of repetitions. */
#include "rb_stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_alloc.h"

/* rb__cmp: ascending doubles for qsort (NaN was rejected before sorting). */
static int rb__cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// region: compute
/* rb_stats_compute: sort a copy; the inputs are a few dozen values, so O(n log n) is nothing. */
int rb_stats_compute(const double *values, int n, rb_stat *out)
{
    if (n < 1)
        return -EINVAL;
    for (int i = 0; i < n; i++)
        if (isnan(values[i]))
            return -EINVAL;
    double *v = rt_malloc((size_t)n * sizeof *v);
    if (v == NULL)
        return -ENOMEM;
    memcpy(v, values, (size_t)n * sizeof *v);
    qsort(v, (size_t)n, sizeof *v, rb__cmp);
    out->min = v[0];
    out->max = v[n - 1];
    out->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
    out->n = n;
    rt_free(v);
    return 0;
}
// endregion
