/* demo_spread.c: lesson 13 -- one workload measured eleven times: the spread, the warm-up, and what one busy moment does to a mean and to a median. */
#include <stdio.h>

#include "kit.h"

/*
 * The workload is the bench's spawn_many on tk current_thread: a task spawns TASKS tasks that
 * each decrement a counter (kit.h). Every repetition runs in a fresh process, as rtbench runs
 * them, and the first is a warm-up that does not count. Two experiments of REPS repetitions:
 *
 *   1. on the machine as it is: the spread of ten figures of one unchanged program;
 *   2. the same, but during two of the ten repetitions two processes spin on the machine's
 *      cores, the way another user's compile job does: the mean moves, the median much less.
 */

enum { TASKS = 100000, REPS = 11, LOADED_A = 4, LOADED_B = 8 };

/* one_rep: a repetition for kit_fork_measure. */
static double one_rep(const void *arg)
{
    (void)arg;
    return kit_spawn_many(KIT_TK_CT, TASKS);
}

/* mean: the arithmetic mean of v[0..n). */
static double mean(const double *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s / n;
}

/* report: print the measured repetitions (v[1..REPS), v[0] being the warm-up) as the bench would. */
static kit_stat report(const char *what, const double *v)
{
    kit_stat st = kit_summary(v + 1, REPS - 1);
    printf("  %s: median %.0f ns, min %.0f, max %.0f (max/min %.2f); mean %.0f ns\n", what,
           st.median, st.min, st.max, st.max / st.min, mean(v + 1, REPS - 1));
    return st;
}

/* main: eleven fresh-process repetitions, then eleven more with two of them under load. */
int main(void)
{
    double fresh[REPS], loaded[REPS];
    printf("spawn_many on tk-ct, %d tasks, ns per task; %d repetitions each\n\n", TASKS, REPS);

    printf("1. each repetition in a fresh process, the first a warm-up (in brackets):\n  ");
    for (int i = 0; i < REPS; i++) {
        fresh[i] = kit_fork_measure(one_rep, NULL);
        printf("%s%.0f%s", i == 0 ? "(" : "", fresh[i], i == 0 ? ") " : i + 1 < REPS ? " " : "\n");
    }
    kit_stat quiet = report("measured", fresh);
    printf("  a single repetition could have reported anything from %.0f to %.0f ns\n\n",
           quiet.min, quiet.max);

    printf("2. the same, with two spinning processes during repetitions %d and %d:\n  ", LOADED_A,
           LOADED_B);
    for (int i = 0; i < REPS; i++) {
        kit_load load;
        int busy = i == LOADED_A || i == LOADED_B;
        if (busy)
            kit_load_start(&load, 2);
        loaded[i] = kit_fork_measure(one_rep, NULL);
        if (busy)
            kit_load_stop(&load);
        printf("%s%.0f%s%s", i == 0 ? "(" : "", loaded[i], busy ? "*" : "",
               i == 0 ? ") " : i + 1 < REPS ? " " : "\n");
    }
    kit_stat noisy = report("measured", loaded);
    double m0 = mean(fresh + 1, REPS - 1), m1 = mean(loaded + 1, REPS - 1);
    printf("  the two loaded repetitions (*) took %.2fx and %.2fx the quiet median\n",
           loaded[LOADED_A] / quiet.median, loaded[LOADED_B] / quiet.median);
    printf("  from run 1 to run 2 the mean moved %+.0f%%, the median %+.0f%%\n",
           100.0 * (m1 / m0 - 1.0), 100.0 * (noisy.median / quiet.median - 1.0));
    return 0;
}
