/* demo_blocking.c: lesson 12 -- a thread-blocking call in a task starves a 1 ms interval; spawn_blocking does not. */
#include <stdio.h>
#include <stdlib.h>

#include "../11-blocking/lateness.h"

/*
 * The last way to mix two worlds: synchronous, thread-blocking code inside async code. The
 * runtime here is #[tokio::main]'s shape with one worker thread (multi_thread, worker_threads
 * = 1), so the ticker and the blocker share it. The blocker sleeps 4 x 50 ms, first with
 * nanosleep inside its poll, then with tk_spawn_blocking. Lesson 11 takes this apart.
 */
#define ROUNDS 4
#define BLOCK_MS 50

/* run_once: one measurement on a fresh runtime; prints one line. */
static void run_once(const char *label, int use_pool, lateness *out)
{
    tk_builder b = tk_builder_new_multi_thread();
    tk_builder_worker_threads(&b, 1);
    tk_builder_enable_all(&b);
    tk_runtime *rt = NULL;
    if (tk_builder_build(&b, &rt) != 0) {
        fprintf(stderr, "demo_blocking: cannot build a runtime\n");
        exit(1);
    }
    hazard_run(rt, use_pool, ROUNDS, BLOCK_MS, out);
    tk_runtime_free(rt);
    printf("  %-26s %4llu ticks, late by %5.1f ms on average, the worst %5.1f ms\n", label,
           (unsigned long long)out->ticks, lateness_mean_ms(out), lateness_worst_ms(out));
}

/* main: blocked, then fixed; the comparison is a ratio from this one run. */
int main(void)
{
    lateness bad, good;
    printf("a 1 ms interval beside a task that blocks %d x %d ms (multi_thread, 1 worker):\n",
           ROUNDS, BLOCK_MS);
    run_once("blocking call in the task:", 0, &bad);
    run_once("with tk_spawn_blocking:", 1, &good);
    double ratio = lateness_worst_ms(&bad) / (lateness_worst_ms(&good) > 0.05
                                                   ? lateness_worst_ms(&good) : 0.05);
    printf("worst lateness: %.1f ms blocked, %.1f ms with spawn_blocking (%.0fx)\n",
           lateness_worst_ms(&bad), lateness_worst_ms(&good), ratio);
    return 0;
}
