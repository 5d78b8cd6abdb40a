/* rb_stats.h: the summary of one figure's repetitions -- median, min, max. */
#ifndef RB_STATS_H
#define RB_STATS_H

/*
 * Why the median: on a shared 2-core machine a repetition is sometimes descheduled for a few
 * milliseconds, which drags a mean far off while leaving the median where the other runs are.
 * Min and max are kept beside it so that the spread is visible rather than hidden.
 */
typedef struct rb_stat {
    double median;
    double min;
    double max;
    int n;
} rb_stat;

/* Summarise n >= 1 values (left unchanged); with an even n the median is the mean of the two
 * middle values. Returns 0, -EINVAL for n < 1 or a NaN among them, -ENOMEM. */
int rb_stats_compute(const double *values, int n, rb_stat *out);

#endif
