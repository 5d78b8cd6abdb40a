/* demo_setup.c: lesson 14 -- "Configuration: very flexible / minimal" and "API style: explicit / std-like", seen from the outside: what starting each runtime costs and starts. */
#include <stdio.h>

#include "../13-reading-benchmarks/kit.h"

/*
 * tokio (and tk) make you build a runtime: a builder, its settings, build(), block_on(), and
 * a runtime you free. async-std (and as) have none: the first spawn or block_on starts a
 * global runtime sized from the environment, and it lives until the process exits. This demo
 * shows what each way does, in a fresh process per repetition so that every start is a first:
 *
 *   - the threads a start creates (counted in /proc/self/status);
 *   - the time from "nothing" to a first future polled to completion (and, for tk, the runtime
 *     freed again; as cannot be freed);
 *   - for as, the same call a second time, when the runtime is already up.
 */

enum { REPS = 7 };

/* threads_now: this process's thread count ("Threads:" in /proc/self/status). */
static int threads_now(void)
{
    char line[128];
    int n = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

// region: explicit
/* tk_start: build a runtime of the given flavour, run one ready future, free it. With
 * `threads` set, report instead how many threads the built runtime added. */
static double tk_start(kit_flavour fl, int threads)
{
    int before = threads_now();
    uint64_t t0 = rt_monotonic_ns();
    tk_builder b = fl == KIT_TK_CT ? tk_builder_new_current_thread()   /* which scheduler */
                                   : tk_builder_new_multi_thread();
    if (fl == KIT_TK_MT)
        tk_builder_worker_threads(&b, 2);                              /* how many workers */
    tk_builder_enable_all(&b);                                         /* which drivers */
    tk_runtime *rt;
    if (tk_builder_build(&b, &rt) != 0)
        rt_panic("cannot build the runtime");
    int added = threads_now() - before;
    rt_ready_fut ready = rt_ready(NULL);
    tk_runtime_block_on(rt, &ready.base);                              /* run a future */
    tk_runtime_free(rt);                                               /* and stop it all */
    return threads ? added : (double)(rt_monotonic_ns() - t0);
}
// endregion

// region: global
/* as_start: the first block_on of the process starts the global runtime on its own. With
 * `second` set, time a second block_on instead (the runtime is up by then). */
static double as_start(int second, int threads)
{
    int before = threads_now();
    rt_ready_fut ready = rt_ready(NULL);
    if (as_runtime_is_started())
        rt_panic("the as runtime was already running: this must be a fresh process");
    uint64_t t0 = rt_monotonic_ns();
    as_block_on(&ready.base);                                          /* that is all */
    uint64_t t1 = rt_monotonic_ns();
    if (threads)
        return threads_now() - before;
    if (!second)
        return (double)(t1 - t0);
    rt_ready_fut again = rt_ready(NULL);
    t0 = rt_monotonic_ns();
    as_block_on(&again.base);
    return (double)(rt_monotonic_ns() - t0);
}
// endregion

/* The repetitions, one fresh process each; arg selects what to measure. */
enum { TK_CT_TIME, TK_MT_TIME, AS_TIME, AS_SECOND, TK_CT_THREADS, TK_MT_THREADS, AS_THREADS };

/* measure: one repetition of the quantity *arg names. */
static double measure(const void *arg)
{
    switch (*(const int *)arg) {
    case TK_CT_TIME: return tk_start(KIT_TK_CT, 0);
    case TK_MT_TIME: return tk_start(KIT_TK_MT, 0);
    case AS_TIME: return as_start(0, 0);
    case AS_SECOND: return as_start(1, 0);
    case TK_CT_THREADS: return tk_start(KIT_TK_CT, 1);
    case TK_MT_THREADS: return tk_start(KIT_TK_MT, 1);
    default: return as_start(0, 1);
    }
}

/* median_of: REPS fresh-process repetitions of quantity q (after a warm-up). */
static kit_stat median_of(int q)
{
    double v[REPS];
    kit_fork_measure(measure, &q);
    for (int i = 0; i < REPS; i++)
        v[i] = kit_fork_measure(measure, &q);
    return kit_summary(v, REPS);
}

/* main: every quantity in fresh processes, then the two rows of the seed's table. */
int main(void)
{
    char a[32], b[32], c[32];
    kit_stat ct = median_of(TK_CT_TIME), mt = median_of(TK_MT_TIME);
    kit_stat as = median_of(AS_TIME), as2 = median_of(AS_SECOND);
    kit_stat nct = median_of(TK_CT_THREADS), nmt = median_of(TK_MT_THREADS);
    kit_stat nas = median_of(AS_THREADS);

    printf("starting a runtime, each repetition a fresh process (median of %d, after a "
           "warm-up):\n\n", REPS);
    printf("  %-46s %-14s %-14s %s\n", "", "tk-ct", "tk-mt (2)", "as");
    printf("  %-46s %-14s %-14s %s\n", "settings you can give (counted in the headers)",
           "9 (builder)", "9 (builder)", "1 (AS_THREAD_COUNT)");
    printf("  %-46s %-14.0f %-14.0f %.0f\n", "threads the start creates", nct.median, nmt.median,
           nas.median);
    printf("  %-46s %-14s %-14s %s\n", "start, run a ready future (tk: and free it)",
           kit_fmt_ns(a, sizeof a, ct.median), kit_fmt_ns(b, sizeof b, mt.median),
           kit_fmt_ns(c, sizeof c, as.median));
    printf("  %-46s %-14s %-14s %s\n", "a second block_on in the same process", "as above",
           "as above", kit_fmt_ns(c, sizeof c, as2.median));
    printf("  %-46s %-14s %-14s %s\n", "can be stopped and freed", "yes", "yes", "no: at exit");

    printf("\nthe seed's rows, with what this shows:\n");
    printf("  Configuration  Very flexible / Minimal: agree. tk asks for a flavour, drivers and "
           "a worker count\n"
           "                 before anything runs; as takes one number from the environment.\n");
    printf("  API style      Explicit / std-like: agree. tk's start is five calls you can see; "
           "as's is the\n"
           "                 first as_block_on, which starts %.0f threads you never asked for.\n",
           nas.median);
    printf("  the price: as's first block_on took %.2fx tk-mt's whole build-run-free (%.2fx "
           "tk-ct's); its later ones %s each\n", as.median / mt.median, as.median / ct.median,
           kit_fmt_ns(c, sizeof c, as2.median));
    return 0;
}
