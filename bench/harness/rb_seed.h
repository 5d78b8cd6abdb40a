/* rb_seed.h: the seed's "Tokio vs async-std" table, restated with its Performance row measured. */
#ifndef RB_SEED_H
#define RB_SEED_H

#include "rb_doc.h"
#include "rb_results.h"

/*
 * The seed (shared/seed/000_*.txt, "Tokio vs async-std (practical comparison)") rates
 * Performance "Very high" for tokio and "Good" for async-std. This section restates its
 * table, fills the Performance row from this run -- the real runtimes (tokio-mt against
 * async-std, both multi-threaded) and the two C flavours (tk-mt against as) -- and says, line
 * by line, where the measurement disagrees with the seed's words. The other rows are not
 * performance and are marked as not measured, with what the toolkit's flavours do about them.
 */
void rb_seed_write(rb_doc *d, const rb_results *r);

/*
 * The comparison behind the Performance cell, for one pair: on how many workloads `a` did
 * clearly better than `b`, on how many clearly worse, how many were level (within RB_TIE),
 * and the median of a's advantage over the workloads (above 1: a better on a typical
 * workload). The median, not a mean: one workload where a design fails badly (blocking_hazard
 * is a factor of 30) would otherwise decide the whole row. Returns the number of workloads
 * compared (0: no figures for both).
 */
int rb_seed_compare(const rb_results *r, const rb_runtime *a, const rb_runtime *b, int *a_wins,
                    int *b_wins, int *ties, double *typical);

#endif
