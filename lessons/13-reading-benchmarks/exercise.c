/* exercise.c: lesson 13 -- turn repetitions into a figure (median, min, max) and two figures into a verdict. */
#include "exercise.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * Your task (see README.md, "Exercise"):
 *
 *   1. l13_summarise: drop the warm-ups, then median, min and max of what is left. Sort a COPY:
 *      the caller's samples must come back unchanged. With an even count the median is the
 *      mean of the two middle values. Refuse a NaN and an empty set with -EINVAL.
 *   2. l13_direction: lower is better for ns, us, ms and B; higher for MB/s, wakes/s and req/s;
 *      anything else (wakes/callback) only describes.
 *   3. l13_advantage: how many times better a did than b -- mind the direction.
 *   4. l13_verdict: the better side, unless its advantage is under L13_TIE (then it is level).
 *
 * As given, every function answers "I don't know", and the grader says so.
 * Check your work with:  make grade N=13
 */

/* l13_summarise: median, min and max of the samples after the warm-ups. */
int l13_summarise(const double *samples, int n, int warmup, l13_stat *out)
{
    /* TODO */
    (void)samples;
    (void)n;
    (void)warmup;
    (void)out;
    return -ENOSYS;
}

/* l13_direction: which way is better for this unit. */
l13_dir l13_direction(const char *unit)
{
    /* TODO */
    (void)unit;
    return L13_DESCRIPTIVE;
}

/* l13_advantage: how many times better a did than b. */
double l13_advantage(const l13_stat *a, const l13_stat *b, const char *unit)
{
    /* TODO */
    (void)a;
    (void)b;
    (void)unit;
    return NAN;
}

/* l13_verdict: A, B, level or none, and the better side's advantage. */
l13_winner l13_verdict(const l13_stat *a, const l13_stat *b, const char *unit, double *advantage)
{
    /* TODO */
    (void)a;
    (void)b;
    (void)unit;
    if (advantage)
        *advantage = NAN;
    return L13_NONE;
}
