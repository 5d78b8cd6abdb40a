/* demo_wheel_levels.c: lesson 06 -- where the timing wheel puts timers, how it finds the next one, and how they cascade. */
#include <stdio.h>
#include <stdlib.h>

#include "rt_timer.h"

/*
 * rt_timer_wheel.c is tokio's wheel: 6 levels of 64 slots; level L's slots are 64^L ms wide.
 * A timer goes to the finest level whose window still holds its deadline, so near timers sit
 * in 1 ms slots and far ones in coarse slots, and insert and cancel are O(1) at any distance.
 * As time approaches a coarse slot, its timers are re-placed ("cascade") into finer levels.
 * This demo prints the placement of a few timers (entry.level and entry.slot are the wheel's
 * private bookkeeping, read here only to show it), then moves time and watches.
 */

static const struct { const char *what; uint64_t ms; } plan[] = {
    { "10 ms", 10 },          { "63 ms", 63 },          { "64 ms", 64 },
    { "100 ms", 100 },        { "3 s", 3000 },          { "1 min", 60000 },
    { "1 h", 3600000 },       { "1 day", 86400000 },
};
enum { N = sizeof plan / sizeof plan[0] };

static rt_timer_entry entries[N];

/* show: one line per armed entry: deadline, level and slot. */
static void show(const char *title)
{
    printf("%s\n", title);
    for (int i = 0; i < N; i++)
        if (rt_timer_entry_is_armed(&entries[i]))
            printf("  %-7s deadline %9llu ms   level %u  slot %2u\n", plan[i].what,
                   (unsigned long long)entries[i].deadline, entries[i].level, entries[i].slot);
}

/* pop_until: advance the wheel to `now`, printing every timer that fires. */
static void pop_until(rt_timers *t, uint64_t now)
{
    printf("time moves to %llu ms:", (unsigned long long)now);
    rt_timer_entry *e;
    int any = 0;
    while ((e = rt_timers_pop_expired(t, now)) != NULL) {
        printf(" [%s fires]", (const char *)e->data);
        any = 1;
    }
    printf("%s\n", any ? "" : " nothing due");
}

/* main: place, look, advance, look again. */
int main(void)
{
    rt_timers *wheel = rt_timers_new(RT_TIMERS_WHEEL, 0);
    if (!wheel) {
        fprintf(stderr, "demo_wheel_levels: out of memory\n");
        return 1;
    }
    for (int i = 0; i < N; i++) {
        rt_timer_entry_init(&entries[i], (void *)plan[i].what);
        if (rt_timers_insert(wheel, &entries[i], plan[i].ms) != 0) {
            fprintf(stderr, "demo_wheel_levels: insert failed\n");
            return 1;
        }
    }
    show("at 0 ms, after inserting:");
    printf("next deadline: %llu ms\n", (unsigned long long)rt_timers_next_deadline(wheel));
    pop_until(wheel, 100);
    pop_until(wheel, 2999);
    show("the 3 s timer has cascaded from level 1 to level 0:");
    rt_timers_cancel(wheel, &entries[6]); /* the 1 h timer: O(1), nothing to search */
    printf("cancelled the 1 h timer; %zu timers left\n", rt_timers_count(wheel));
    pop_until(wheel, 3000);
    printf("next deadline: %llu ms (the 1 min timer, via its coarse slot)\n",
           (unsigned long long)rt_timers_next_deadline(wheel));
    rt_timers_free(wheel);
    return 0;
}
