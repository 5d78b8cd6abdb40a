/* rtb_timers.h: million_timers' and timer_churn's sizes, checks and metrics, shared by the C loops. */
#ifndef RTB_TIMERS_H
#define RTB_TIMERS_H

#include <stdint.h>

#include "rtb_cli.h"
#include "rtb_util.h"

/*
 * million_timers (libuv's test/benchmark-million-timers.c): N one-shot timers, the i-th due
 * i / 1000 + 1 ms from the start, so the deadlines fill N / 1000 ms in steps of 1 ms with a
 * thousand timers on each. Three phases, each reported in ns per timer: init (create and start
 * all N), dispatch (run the loop until the last has fired) and cleanup (whatever the runtime
 * needs to release them: libuv closes handles through the loop, the others stop watchers that
 * are already inactive). Dispatch cannot be shorter than the last deadline, N / 1000 ms, so a
 * fourth figure, the loop thread's CPU time during dispatch, shows the work without the waiting.
 * The check: every timer fired exactly once (a flag per timer), and no callback ran twice.
 */

typedef struct rtb_mt {
    uint64_t n;
    unsigned char *fired;   /* fired[i]: how many times timer i ran (must end at exactly 1) */
    uint64_t count;         /* callbacks run */
    uint64_t released;      /* timers released in the cleanup phase (libuv: close callbacks) */
    uint64_t t_init, t_run, t_ran, t_done;  /* the phase boundaries, CLOCK_MONOTONIC ns */
    uint64_t cpu_dispatch;  /* loop thread CPU ns spent in dispatch */
} rtb_mt;

/* Read timers= (then rtb_params_done) and allocate the flags; exits 1 when out of memory. */
void rtb_mt_params(rtb_mt *mt, rtb_args *args);
/* Timer i's timeout in ms: libuv's "+1 ms per 1000 timers". */
uint64_t rtb_mt_timeout_ms(uint64_t i);
/* A timer callback: count it and mark timer i; fails the run on a second firing. */
void rtb_mt_fire(rtb_mt *mt, uint64_t i);
/* Check exactly-once firing and `released` == n (when want_released), record the four metrics. */
void rtb_mt_report(rtb_mt *mt, int want_released);

/*
 * timer_churn: W watchers each hold a 10 s timeout (plus up to 1 s of jitter, so they spread
 * over the timer structure instead of piling on one deadline). The loop runs R rounds, one per
 * loop iteration; in a round every watcher re-arms its timeout, which is what a server does for
 * an idle timeout on every event: cancel the old deadline, insert the new one. None may ever fire.
 * The figure is ns per re-arm (the round's loop iteration included, shared over W re-arms).
 */

typedef struct rtb_churn {
    uint64_t watchers, rounds;
    uint64_t rounds_done;
    uint64_t fired;         /* a 10 s timeout went off: a failure in a run this short */
    rtb_rng rng;
    uint64_t t0, t1;
} rtb_churn;

/* Read watchers= and rounds= (then rtb_params_done). */
void rtb_churn_params(rtb_churn *c, rtb_args *args);
/* The next timeout to arm, in ms: 10000 + [0, 1000). */
uint64_t rtb_churn_timeout_ms(rtb_churn *c);
/* Check R rounds done and nothing fired; record ns per re-arm. */
void rtb_churn_report(rtb_churn *c);

#endif
