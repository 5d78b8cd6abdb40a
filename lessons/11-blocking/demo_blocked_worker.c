/* demo_blocked_worker.c: lesson 11 -- a blocking call inside a task makes a 1 ms interval late; spawn_blocking cures it. */
#include <stdio.h>
#include <stdlib.h>

#include "lateness.h"

/*
 * The same two tasks run twice in one process, each time on a fresh current_thread runtime
 * (one thread does everything, so nothing can hide the effect): a ticker with a 1 ms interval,
 * and a blocker that sleeps 4 x 50 ms. The first time the blocker calls nanosleep inside its
 * poll; the second time it hands the same call to tk_spawn_blocking and awaits the handle.
 */
#define ROUNDS 4
#define BLOCK_MS 50

/* run_once: build a runtime, measure, free it; print one line. */
static void run_once(const char *label, int use_pool, lateness *out)
{
    tk_builder b = tk_builder_new_current_thread();
    tk_builder_enable_all(&b);
    tk_runtime *rt = NULL;
    int rc = tk_builder_build(&b, &rt);
    if (rc != 0) {
        fprintf(stderr, "demo_blocked_worker: cannot build a runtime (error %d)\n", -rc);
        exit(1);
    }
    uint64_t t0 = rt_monotonic_ns();
    hazard_run(rt, use_pool, ROUNDS, BLOCK_MS, out);
    double wall = (double)(rt_monotonic_ns() - t0) / 1e6;
    tk_runtime_free(rt);
    printf("  %-28s %4llu ticks in %3.0f ms, late by %5.1f ms on average, the worst %5.1f ms\n",
           label, (unsigned long long)out->ticks, wall, lateness_mean_ms(out),
           lateness_worst_ms(out));
}

/* main: the two runs, then the comparison as a ratio (same process, same machine, same load). */
int main(void)
{
    lateness bad, good;
    printf("a 1 ms interval beside a task that blocks %d x %d ms (current_thread runtime):\n",
           ROUNDS, BLOCK_MS);
    run_once("nanosleep inside the task:", 0, &bad);
    run_once("tk_spawn_blocking:", 1, &good);
    double ratio = lateness_worst_ms(&bad) / (lateness_worst_ms(&good) > 0.05
                                                   ? lateness_worst_ms(&good) : 0.05);
    printf("the worst tick was %.0fx later when the task blocked its thread\n", ratio);
    return 0;
}
