/* exercise.h: lesson 13's exercise -- from repetitions to a figure, and from two figures to a verdict. */
#ifndef LESSON13_EXERCISE_H
#define LESSON13_EXERCISE_H

/* The figure of one case: median, min and max of its measured repetitions (n of them). */
typedef struct l13_stat {
    double median;
    double min;
    double max;
    int n;
} l13_stat;

/* Which way is better for a unit of results.csv. */
typedef enum l13_dir {
    L13_LOWER_BETTER,  /* a time or a size: ns, us, ms, B */
    L13_HIGHER_BETTER, /* a rate: MB/s, wakes/s, req/s */
    L13_DESCRIPTIVE,   /* neither, e.g. wakes/callback: it describes, it does not rank */
} l13_dir;

/* Who did better: A, B, neither by enough to say (level), or no verdict possible. */
typedef enum l13_winner {
    L13_A,
    L13_B,
    L13_LEVEL,
    L13_NONE,
} l13_winner;

/* Below this advantage two figures are read as level (the harness's RB_TIE). */
#define L13_TIE 1.10

/* l13_summarise: samples[0..warmup) are warm-ups and do not count; summarise the other
 * n - warmup samples into *out. samples is left unchanged. 0, or -EINVAL when no sample is
 * left to summarise (or warmup < 0) or a counted sample is NaN (*out then untouched). */
int l13_summarise(const double *samples, int n, int warmup, l13_stat *out);

/* l13_direction: which way is better for `unit`: ns, us, ms and B lower; MB/s, wakes/s and
 * req/s higher; any other unit is descriptive. */
l13_dir l13_direction(const char *unit);

/* l13_advantage: how many times better a's median is than b's, whichever way the unit goes:
 * b/a for a lower-better unit, a/b for a higher-better one (above 1: a did better). NAN for a
 * descriptive unit, or when either median is not a positive number. */
double l13_advantage(const l13_stat *a, const l13_stat *b, const char *unit);

/* l13_verdict: L13_A or L13_B when that side's advantage is at least L13_TIE, L13_LEVEL when
 * neither's is, L13_NONE when there is no advantage to compute. *advantage (if not NULL) gets
 * the better side's advantage, always >= 1 (NAN with L13_NONE). */
l13_winner l13_verdict(const l13_stat *a, const l13_stat *b, const char *unit, double *advantage);

#endif
