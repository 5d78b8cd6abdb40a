/* rt_clock.c: a cached CLOCK_MONOTONIC, updated once per loop turn; never-early deadline math. */
#include "rt_clock.h"

#include <time.h>

#define RT__NS_PER_MS UINT64_C(1000000)
#define RT__NS_PER_S UINT64_C(1000000000)

/* rt_monotonic_ns: CLOCK_MONOTONIC in ns; it cannot fail on Linux with a valid clock id. */
uint64_t rt_monotonic_ns(void)
{
    /* CLOCK_MONOTONIC, not _RAW: NTP may slew its rate slightly, which is what we want for
     * "sleep 10 ms" (real seconds), and it never jumps like CLOCK_REALTIME does. It does not
     * count suspended time (CLOCK_BOOTTIME would); tokio's Instant behaves the same. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * RT__NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* rt_clock_init: origin = now, cached = 0, automatic mode. */
void rt_clock_init(rt_clock *c)
{
    /* Counting from an origin keeps the numbers small (ms since start) and makes traces from
     * two runs comparable; the absolute boot-relative value means nothing to a program. */
    c->origin_ns = rt_monotonic_ns();
    c->cached_ns = 0;
    c->manual = 0;
}

/* rt_clock_update: refreshes the cache from the real clock unless frozen; returns its ms. */
uint64_t rt_clock_update(rt_clock *c)
{
    if (!c->manual) {
        /* Unsigned subtraction is right even after rt_clock_resume moved origin "past" the
         * real clock: the difference is taken modulo 2^64 and comes out as the elapsed time.
         * The max() is belt and braces: the cached time must never go backwards. */
        uint64_t ns = rt_monotonic_ns() - c->origin_ns;
        if (ns > c->cached_ns)
            c->cached_ns = ns;
    }
    return rt_clock_now_ms(c);
}

/* rt_clock_now_ms: the cached time in whole ms since origin, rounded down; no system call. */
uint64_t rt_clock_now_ms(const rt_clock *c)
{
    return c->cached_ns / RT__NS_PER_MS;
}

/* rt_clock_now_ns: the cached time in ns since origin; no system call. */
uint64_t rt_clock_now_ns(const rt_clock *c)
{
    return c->cached_ns;
}

/* rt_clock_set_manual: freezes the clock at ns_since_origin, never earlier than the cached time. */
void rt_clock_set_manual(rt_clock *c, uint64_t ns_since_origin)
{
    c->manual = 1;
    if (ns_since_origin > c->cached_ns)
        c->cached_ns = ns_since_origin;
}

/* rt_clock_advance: moves a frozen clock forward by ns, saturating; no effect when not frozen
 * (the real clock already moves by itself, and a jump would break monotonicity on resume). */
void rt_clock_advance(rt_clock *c, uint64_t ns)
{
    if (!c->manual)
        return;
    c->cached_ns = ns > UINT64_MAX - c->cached_ns ? UINT64_MAX : c->cached_ns + ns;
}

/* rt_clock_resume: unfreezes; the real clock continues from the frozen value, not from the
 * real elapsed time, so nothing appears to jump (tokio's time::resume does the same). */
void rt_clock_resume(rt_clock *c)
{
    if (!c->manual)
        return;
    c->origin_ns = rt_monotonic_ns() - c->cached_ns;
    c->manual = 0;
}

/* rt_ns_to_ms_ceil: ns in whole ms, rounded up (no overflow: the quotient is far below 2^64). */
uint64_t rt_ns_to_ms_ceil(uint64_t ns)
{
    return ns / RT__NS_PER_MS + (ns % RT__NS_PER_MS != 0);
}

/*
 * Why deadlines round up. The timers compare a deadline with now_ms, the cached time rounded
 * DOWN to whole ms, and fire when now_ms >= deadline. Suppose it is 7.9 ms and a task sleeps
 * 2 ms. Rounding the start down would give deadline 7 + 2 = 9, and the timer would fire as soon
 * as the clock reads 9.0 ms: after 1.1 ms, early. Rounding the start up gives 8 + 2 = 10, and
 * now_ms >= 10 means the real time is >= 10.0 ms >= 7.9 + 2: never early, at most 1 ms late
 * (plus however late the loop gets round to it). tokio rounds up the same way when it turns an
 * Instant into a tick of its wheel.
 */

/* rt_clock_deadline_after_ns: ceil((now_ns + dur_ns) / 1 ms), saturating at UINT64_MAX. */
uint64_t rt_clock_deadline_after_ns(const rt_clock *c, uint64_t dur_ns)
{
    if (dur_ns > UINT64_MAX - c->cached_ns)
        return UINT64_MAX;
    return rt_ns_to_ms_ceil(c->cached_ns + dur_ns);
}

/* rt_clock_deadline_after_ms: ceil(now_ns / 1 ms) + dur_ms, saturating at UINT64_MAX. */
uint64_t rt_clock_deadline_after_ms(const rt_clock *c, uint64_t dur_ms)
{
    /* Done in ms rather than via the ns version, so that a long wait (dur_ms * 10^6 would
     * overflow past 584 years) still gets a correct deadline instead of "forever". */
    uint64_t start = rt_ns_to_ms_ceil(c->cached_ns);
    return dur_ms > UINT64_MAX - start ? UINT64_MAX : start + dur_ms;
}
