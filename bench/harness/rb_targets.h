/* rb_targets.h: the five targets issue 5 sets for the bench, judged from the measured figures. */
#ifndef RB_TARGETS_H
#define RB_TARGETS_H

#include "rb_results.h"

#define RB_NTARGETS 5

/* The outcome of one target. */
typedef enum rb_verdict {
    RB_MET,
    RB_MISSED,
    RB_UNMEASURED, /* a figure it needs is missing; `measured` says which and why */
} rb_verdict;

/* One target: what it asks, what was measured, and the design reason when it is missed. */
typedef struct rb_target {
    const char *goal;
    rb_verdict verdict;
    char measured[4096];
    char why[900];
} rb_target;

/*
 * Judge every target on every parameter set of this run that has the figures:
 *   1. tk-ct sock_ping_pong within 1.10x of the epoll floor;
 *   2. tk-ct at least as fast as libev on bench_c at every n (process time; tk-mt shown too);
 *   3. tk-ct's million_timers work (init + dispatch_cpu + cleanup per timer, the phases that
 *      are not waiting for deadlines) at most 0.5x libuv's, at every N;
 *   4. tk-mt at least as fast as tokio-mt on spawn_many, yield_many, chained_spawn and
 *      task_ping_pong;
 *   5. as at least as fast as async-std on those four and on sock_ping_pong.
 * A target is met only when every figure it needs was measured and passes.
 */
void rb_targets_eval(const rb_results *r, rb_target out[RB_NTARGETS]);

/* "met", "missed" or "not measured". */
const char *rb_verdict_word(rb_verdict v);

#endif
