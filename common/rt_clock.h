/* rt_clock.h: the runtime's monotonic clock, read once per loop turn and cached; manual mode. */
#ifndef RT_CLOCK_H
#define RT_CLOCK_H

#include <stdint.h>

/*
 * Reading the clock costs a vDSO call (tens of ns), and a loop turn may look at "now" once per
 * timer it arms or checks. tokio and libuv both read it once per turn (libuv: uv_update_time,
 * uv_now) and let everything in that turn share the value; so does this. The cached time is
 * kept in ns since `origin` (the clock's creation), and the timers use whole ms of it.
 *
 * Manual mode freezes the clock so tests are deterministic: time moves only when the test says
 * so (tokio's time::pause / advance). Time never goes backwards, in either mode.
 */
typedef struct rt_clock {
    uint64_t origin_ns;  /* CLOCK_MONOTONIC at init (shifted by rt_clock_resume) */
    uint64_t cached_ns;  /* ns since origin as of the last update (or as set by hand) */
    int manual;          /* 1: frozen, moved only by rt_clock_set_manual / rt_clock_advance */
} rt_clock;

/* Start the clock: origin = now, cached = 0, automatic mode. */
void rt_clock_init(rt_clock *c);
/* Read CLOCK_MONOTONIC (unless manual), cache it, and return the ms since origin (rounded down). */
uint64_t rt_clock_update(rt_clock *c);
/* The cached time in whole ms since origin (rounded down); no system call. */
uint64_t rt_clock_now_ms(const rt_clock *c);
/* The cached time in ns since origin; no system call. */
uint64_t rt_clock_now_ns(const rt_clock *c);
/* CLOCK_MONOTONIC in ns, uncached (a fresh read every call). */
uint64_t rt_monotonic_ns(void);
/* Freeze the clock at ns_since_origin (a smaller value than the cached one is ignored). */
void rt_clock_set_manual(rt_clock *c, uint64_t ns_since_origin);
/* Move a frozen clock forward by ns (saturating); ignored in automatic mode. */
void rt_clock_advance(rt_clock *c, uint64_t ns);
/* Leave manual mode: time continues from the frozen value at the real clock's pace. */
void rt_clock_resume(rt_clock *c);

/* ns -> ms rounding UP: 1 ns is 1 ms, 1 000 000 ns is 1 ms, 1 000 001 ns is 2 ms. */
uint64_t rt_ns_to_ms_ceil(uint64_t ns);
/* The timer deadline (ms since origin) for a wait of dur_ms starting at the cached now. Rounds
 * up so a timer never fires early: see rt_clock.c. Saturates at UINT64_MAX. */
uint64_t rt_clock_deadline_after_ms(const rt_clock *c, uint64_t dur_ms);
/* The same for a wait given in ns (e.g. a sleep of 1.5 ms), also rounded up. */
uint64_t rt_clock_deadline_after_ns(const rt_clock *c, uint64_t dur_ns);

#endif
