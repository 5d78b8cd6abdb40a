/* rb_ratio.h: every figure as a ratio to its reference, measured in the same invocation. */
#ifndef RB_RATIO_H
#define RB_RATIO_H

#include "rb_results.h"

/*
 * A ratio is always figure / reference, so its direction follows the metric's: for a
 * time-like metric (ns, us, bytes) below 1 is better than the reference, for a
 * throughput-like one (MB/s, wakes/s, req/s) above 1 is better. Descriptive metrics
 * (coalescing) get none.
 *
 * The reference of a row, first rule that applies with an OK reference row:
 *   1. IO workloads (sock_ping_pong, bench_c, cross_thread_wake, tcp_echo, http_hello): the
 *      bare epoll floor on the same parameters;
 *   2. a flavour: its real counterpart (tk-ct -> tokio-ct, tk-mt -> tokio-mt, as -> async-std);
 *   3. a real Rust runtime on a task workload: itself (the 1.00 every flavour is read against);
 *   4. otherwise the best C loop (libuv, libev, libevent) on that metric, e.g. bench_c with
 *      timeouts, which the floor does not run, and the timer workloads for the C loops and the
 *      real runtimes;
 *   5. none: the ratio stays empty, and the report says the reference was not measured.
 */
void rb_ratio_compute(rb_results *r);

/* The reference row of (row, metric) by the rules above, or NULL. */
const rb_row *rb_ratio_reference(const rb_results *r, const rb_row *row, int metric);

/* median(a) / median(b) on (w, variant, metric) when both rows are OK, else NAN. */
double rb_ratio_between(const rb_results *r, const rb_workload *w, int variant, int metric,
                        const rb_runtime *a, const rb_runtime *b);

/*
 * How many times better `a` did than `b`, whatever the metric's direction: b/a for a
 * time-like metric, a/b for a throughput-like one. Above 1: a was better. NAN when either
 * is missing or the metric is descriptive.
 */
double rb_ratio_advantage(const rb_results *r, const rb_workload *w, int variant, int metric,
                          const rb_runtime *a, const rb_runtime *b);

/*
 * Below this advantage two runtimes are read as level: on a shared 2-core machine the spread
 * between repetitions of one runtime is often 5-10%, so a smaller gap is not a finding. The
 * generated prose uses it; the targets do not (they have their own thresholds).
 */
#define RB_TIE 1.10

/* One line naming the rule, for the report ("the epoll floor", "its Rust twin", ...). */
const char *rb_ratio_rule_text(void);

#endif
