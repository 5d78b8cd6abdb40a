/* demo_seed_table.c: lesson 14 -- the seed's "Performance: Very high / Good" measured on the two C flavours in one run: spawn, yield, idle memory. */
#include <stdio.h>

#include "../13-reading-benchmarks/kit.h"

/*
 * The seed's table says Tokio's performance is "Very high" and async-std's "Good". The two C
 * flavours copy the two designs, so the claim can be measured on them: three of the bench's
 * task workloads (bench/WORKLOADS.md), each on tk current_thread, tk multi_thread (2 workers)
 * and as (one worker per core), in one run.
 *
 * Every repetition is a fresh process (kit_fork_measure); for each figure the three flavours
 * take turns, one repetition each, so that a burst of load on the machine falls on all three.
 * One warm-up round, then REPS measured rounds; each cell is median [min-max].
 */

enum { REPS = 7, SPAWN_TASKS = 50000, YIELD_TASKS = 200, YIELDS = 500, IDLE_TASKS = 50000 };

/* The seed's tie band, the harness's RB_TIE: under 1.10x two figures are level. */
#define TIE 1.10

typedef struct figure {
    const char *name, *unit; /* unit: the short name used in the last line */
    double (*run)(const void *arg); /* arg: the kit_flavour */
} figure;

/* The three figures: one repetition of each workload on the flavour in *arg. */
/* spawn_fig: spawn_many. */
static double spawn_fig(const void *arg)
{
    return kit_spawn_many(*(const kit_flavour *)arg, SPAWN_TASKS);
}

/* yield_fig: yield_many. */
static double yield_fig(const void *arg)
{
    return kit_yield_many(*(const kit_flavour *)arg, YIELD_TASKS, YIELDS);
}

/* idle_fig: idle_task_memory. */
static double idle_fig(const void *arg)
{
    return kit_idle_task_memory(*(const kit_flavour *)arg, IDLE_TASKS);
}

static const figure figures[] = {
    { "spawn_many, ns per task", "spawn", spawn_fig },
    { "yield_many, ns per yield", "yield", yield_fig },
    { "idle_task_memory, B per task", "memory", idle_fig },
};
enum { NFIG = sizeof figures / sizeof figures[0] };

static const kit_flavour flavours[] = { KIT_TK_CT, KIT_TK_MT, KIT_AS };
enum { NFL = 3 };

/* cell: "median [min-max]" of one flavour's figure. */
static const char *cell(char *buf, size_t n, const kit_stat *st)
{
    snprintf(buf, n, "%.0f [%.0f-%.0f]", st->median, st->min, st->max);
    return buf;
}

/* main: every figure on every flavour, taking turns; then the seed's table beside the figures. */
int main(void)
{
    kit_stat st[NFIG][NFL];
    double adv[NFIG]; /* tk-mt's advantage over as, per figure: as / tk-mt (all lower-better) */
    printf("the seed's Performance row, measured on the C flavours in one run\n");
    printf("median [min-max] of %d repetitions (fresh processes, flavours taking turns, after a "
           "warm-up); lower is better\n\n", REPS);
    printf("  %-30s %-20s %-20s %-20s %s\n", "figure", "tk-ct", "tk-mt", "as", "tk-mt vs as");
    for (int f = 0; f < NFIG; f++) {
        double v[NFL][REPS];
        for (int r = -1; r < REPS; r++)          /* r = -1: the warm-up round */
            for (int k = 0; k < NFL; k++) {
                double x = kit_fork_measure(figures[f].run, &flavours[k]);
                if (r >= 0)
                    v[k][r] = x;
            }
        char c[NFL][48];
        for (int k = 0; k < NFL; k++) {
            st[f][k] = kit_summary(v[k], REPS);
            cell(c[k], sizeof c[k], &st[f][k]);
        }
        adv[f] = st[f][2].median / st[f][1].median;
        char verdict[48];
        if (adv[f] >= TIE)
            snprintf(verdict, sizeof verdict, "tk-mt %.2fx better", adv[f]);
        else if (adv[f] <= 1.0 / TIE)
            snprintf(verdict, sizeof verdict, "as %.2fx better", 1.0 / adv[f]);
        else
            snprintf(verdict, sizeof verdict, "level (%.3fx)", adv[f] >= 1 ? adv[f] : 1 / adv[f]);
        printf("  %-30s %-20s %-20s %-20s %s\n", figures[f].name, c[0], c[1], c[2], verdict);
    }

    /* The Performance row: one vote per figure, and the median advantage, as the report does. */
    int tk_wins = 0, as_wins = 0, level = 0;
    for (int f = 0; f < NFIG; f++)
        tk_wins += adv[f] >= TIE, as_wins += adv[f] <= 1.0 / TIE,
            level += adv[f] < TIE && adv[f] > 1.0 / TIE;
    kit_stat gap = kit_summary(adv, NFIG);
    printf("\nthe seed's table, with what this run measured (tk-mt against as: both multi-threaded):"
           "\n\n");
    printf("  %-15s %-15s %-17s %s\n", "Feature", "Tokio (seed)", "async-std (seed)",
           "measured here");
    printf("  %-15s %-15s %-17s tk-mt better on %d of %d, as on %d, level on %d; median "
           "advantage %.2fx for %s\n", "Performance", "Very high", "Good", tk_wins, NFIG,
           as_wins, level, gap.median >= 1 ? gap.median : 1 / gap.median,
           gap.median >= 1 ? "tk-mt" : "as");
    printf("  %-15s %-15s %-17s %s\n", "Configuration", "Very flexible", "Minimal",
           "see demo_setup (counted, not timed)");
    printf("  %-15s %-15s %-17s %s\n", "API style", "Explicit", "std-like", "see demo_setup");
    printf("  %-15s %-15s %-17s %s\n", "Ecosystem", "Huge", "Smaller", "not a runtime property");
    printf("  %-15s %-15s %-17s %s\n", "Industry use", "Dominant", "Moderate", "not measurable here");
    printf("  %-15s %-15s %-17s %s\n", "Learning curve", "Steeper", "Easier", "not measurable here");

    printf("\nwhere the measurement and the words agree or not:\n");
    if (as_wins > 0) {
        printf("  - disagree: as did better on");
        for (int f = 0; f < NFIG; f++)
            if (adv[f] <= 1.0 / TIE)
                printf(" %s (%.2fx)", figures[f].unit, 1 / adv[f]);
        printf("\n");
    }
    if (level > 0) {
        printf("  - no difference worth a word on");
        for (int f = 0; f < NFIG; f++)
            if (adv[f] < TIE && adv[f] > 1.0 / TIE)
                printf(" %s", figures[f].unit);
        printf("\n");
    }
    if (tk_wins > as_wins && gap.median >= 1.5)
        printf("  - agree: tk-mt is ahead on most figures, by a clear margin (median %.2fx)\n",
               gap.median);
    else if (tk_wins > as_wins)
        printf("  - partly: tk-mt is ahead on more figures, but the typical gap (%.2fx) is "
               "smaller than \"Very high\" against \"Good\" suggests\n", gap.median);
    else
        printf("  - disagree: on these figures the tokio-style design is not ahead\n");
    printf("  - and tk-ct, on one thread, against tk-mt on two:");
    for (int f = 0; f < NFIG; f++)
        printf(" %s %.2fx", figures[f].unit, st[f][1].median / st[f][0].median);
    printf(" (tk-mt / tk-ct)\n");
    return 0;
}
