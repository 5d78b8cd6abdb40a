/* demo_wheel_vs_heap.c: lesson 06 -- the timing wheel and the binary heap on the same timers, measured in one run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_clock.h"
#include "rt_timer.h"

/*
 * Both timer sets fire in exactly the same (deadline, seq) order -- tests/unit/test_timer_diff.c
 * holds them to it -- so the only difference is cost. A network server's timers are mostly
 * timeouts that never fire: each request arms one and cancels it when the reply comes. So
 * the workload here is: insert N timers with deadlines spread over a minute, cancel 9 in 10
 * of them, then let time run to the end and pop the rest. Each phase is timed for both sets,
 * best of three runs, and the ratio heap/wheel is printed; compare ratios, not nanoseconds,
 * between machines.
 */

enum { SPREAD_MS = 60000 };

/* lcg: a small deterministic generator, so both sets get the same deadlines in the same order. */
static uint64_t lcg(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state >> 33;
}

typedef struct phase_ns {
    double insert, cancel, pop;
} phase_ns;

/* run: the three phases on one timer set; ns per operation in *out. 0, or -1 on ENOMEM. */
static int run(rt_timers_kind kind, rt_timer_entry *entries, size_t n, phase_ns *out)
{
    rt_timers *t = rt_timers_new(kind, 0);
    if (!t)
        return -1;
    uint64_t seed = 42;
    uint64_t t0 = rt_monotonic_ns();
    for (size_t i = 0; i < n; i++) {
        rt_timer_entry_init(&entries[i], NULL);
        if (rt_timers_insert(t, &entries[i], 1 + lcg(&seed) % SPREAD_MS) != 0) {
            rt_timers_free(t);
            return -1;
        }
    }
    uint64_t t1 = rt_monotonic_ns();
    size_t cancelled = 0;
    for (size_t i = 0; i < n; i++)
        if (i % 10 != 0) {
            rt_timers_cancel(t, &entries[i]);
            cancelled++;
        }
    uint64_t t2 = rt_monotonic_ns();
    /* As a runtime does: sleep until the next deadline (here: jump), then pop what is due.
     * The wheel may name an earlier slot boundary; popping there cascades, and we ask again. */
    size_t popped = 0;
    uint64_t next;
    while ((next = rt_timers_next_deadline(t)) != UINT64_MAX)
        while (rt_timers_pop_expired(t, next) != NULL)
            popped++;
    uint64_t t3 = rt_monotonic_ns();
    out->insert = (double)(t1 - t0) / (double)n;
    out->cancel = (double)(t2 - t1) / (double)cancelled;
    out->pop = (double)(t3 - t2) / (double)popped;
    rt_timers_free(t);
    return 0;
}

/* best_of: the fastest of `rounds` runs, phase by phase (the least disturbed by the machine). */
static int best_of(int rounds, rt_timers_kind kind, rt_timer_entry *entries, size_t n, phase_ns *best)
{
    for (int r = 0; r < rounds; r++) {
        phase_ns p;
        if (run(kind, entries, n, &p) != 0)
            return -1;
        if (r == 0 || p.insert < best->insert)
            best->insert = p.insert;
        if (r == 0 || p.cancel < best->cancel)
            best->cancel = p.cancel;
        if (r == 0 || p.pop < best->pop)
            best->pop = p.pop;
    }
    return 0;
}

/* main: two sizes, both sets, one table each. */
int main(void)
{
    const size_t sizes[] = { 10000, 1000000 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        rt_timer_entry *entries = malloc(n * sizeof *entries);
        phase_ns wheel, heap;
        if (entries)
            memset(entries, 0, n * sizeof *entries); /* fault the pages in before timing */
        if (!entries || best_of(3, RT_TIMERS_WHEEL, entries, n, &wheel) != 0 ||
            best_of(3, RT_TIMERS_HEAP, entries, n, &heap) != 0) {
            fprintf(stderr, "demo_wheel_vs_heap: out of memory at N = %zu\n", n);
            free(entries);
            return 1;
        }
        free(entries);
        printf("N = %zu timers over %d s, 90%% cancelled, the rest popped as time runs\n", n,
               SPREAD_MS / 1000);
        printf("  %-22s %10s %10s %12s\n", "ns per timer", "wheel", "heap", "heap/wheel");
        printf("  %-22s %10.1f %10.1f %11.1fx\n", "insert", wheel.insert, heap.insert,
               heap.insert / wheel.insert);
        printf("  %-22s %10.1f %10.1f %11.1fx\n", "cancel", wheel.cancel, heap.cancel,
               heap.cancel / wheel.cancel);
        printf("  %-22s %10.1f %10.1f %11.1fx\n", "pop (the 10% left)", wheel.pop, heap.pop,
               heap.pop / wheel.pop);
    }
    return 0;
}
