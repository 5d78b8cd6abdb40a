/* rb_ratio.c: choosing each figure's reference (floor, Rust twin, best C loop) and dividing. */
#include "rb_ratio.h"

#include <math.h>
#include <string.h>

/* rb__ok_metric: the row is OK and its median for `metric` is usable as a divisor. */
static int rb__ok_metric(const rb_row *row, int metric)
{
    return row && row->status == RB_ST_OK && row->stat[metric].median > 0;
}

/* rb__best_cloop: the C loop with the best median on this metric, or NULL if none ran. */
static const rb_row *rb__best_cloop(const rb_results *r, const rb_row *row, int metric)
{
    const rb_row *best = NULL;
    rb_dir dir = row->c->w->metrics[metric].dir;
    for (size_t i = 0; i < rb_nruntimes; i++) {
        if (rb_runtimes[i].family != RB_FAM_CLOOP)
            continue;
        const rb_row *cand = rb_results_ok(r, row->c->w, row->c->variant, &rb_runtimes[i]);
        if (!rb__ok_metric(cand, metric))
            continue;
        double v = cand->stat[metric].median;
        if (best == NULL || (dir == RB_LOWER_BETTER ? v < best->stat[metric].median
                                                    : v > best->stat[metric].median))
            best = cand;
    }
    return best;
}

// region: reference
/* rb_ratio_reference: the five rules of rb_ratio.h, in order. */
const rb_row *rb_ratio_reference(const rb_results *r, const rb_row *row, int metric)
{
    const rb_case *c = row->c;
    if (c->w->metrics[metric].dir == RB_DESCRIPTIVE)
        return NULL;
    if (c->w->kind == RB_KIND_IO) {
        const rb_row *floor = rb_results_ok(r, c->w, c->variant, rb_runtime_find("epoll"));
        if (rb__ok_metric(floor, metric))
            return floor;
    }
    if (c->rt->family == RB_FAM_FLAVOUR) {
        const rb_row *twin = rb_results_ok(r, c->w, c->variant, rb_runtime_find(c->rt->twin));
        if (rb__ok_metric(twin, metric))
            return twin;
    }
    if (c->rt->family == RB_FAM_ANCHOR && c->w->kind == RB_KIND_TASK)
        return rb__ok_metric(row, metric) ? row : NULL;
    return rb__best_cloop(r, row, metric);
}
// endregion

/* rb_ratio_compute: one pass over the OK rows; the references are read, never written. */
void rb_ratio_compute(rb_results *r)
{
    for (size_t i = 0; i < r->n; i++) {
        rb_row *row = &r->rows[i];
        for (int m = 0; m < RB_MAX_METRICS; m++) {
            row->ratio[m] = NAN;
            row->ratio_to[m] = NULL;
        }
        if (row->status != RB_ST_OK)
            continue;
        for (int m = 0; m < row->c->w->nmetrics; m++) {
            const rb_row *ref = rb_ratio_reference(r, row, m);
            if (ref == NULL)
                continue;
            row->ratio[m] = row->stat[m].median / ref->stat[m].median;
            row->ratio_to[m] = ref->c->rt;
        }
    }
}

/* rb_ratio_between: a plain quotient of medians; the callers decide what it means. */
double rb_ratio_between(const rb_results *r, const rb_workload *w, int variant, int metric,
                        const rb_runtime *a, const rb_runtime *b)
{
    const rb_row *ra = a ? rb_results_ok(r, w, variant, a) : NULL;
    const rb_row *rbw = b ? rb_results_ok(r, w, variant, b) : NULL;
    if (!rb__ok_metric(ra, metric) || !rb__ok_metric(rbw, metric))
        return NAN;
    return ra->stat[metric].median / rbw->stat[metric].median;
}

// region: advantage
/* rb_ratio_advantage: the quotient turned so that "more is better" for every metric. */
double rb_ratio_advantage(const rb_results *r, const rb_workload *w, int variant, int metric,
                          const rb_runtime *a, const rb_runtime *b)
{
    double q = rb_ratio_between(r, w, variant, metric, a, b);
    if (isnan(q) || w->metrics[metric].dir == RB_DESCRIPTIVE)
        return NAN;
    return w->metrics[metric].dir == RB_LOWER_BETTER ? 1.0 / q : q;
}
// endregion

/* rb_ratio_rule_text: the rules in one sentence, shared by the report and the plots' captions. */
const char *rb_ratio_rule_text(void)
{
    return "Each ratio is the figure divided by its reference's figure from this same run: IO "
           "workloads against the bare epoll floor; the flavours against their real Rust "
           "counterpart (tk-ct against tokio-ct, tk-mt against tokio-mt, as against async-std); "
           "the real runtimes on task workloads against themselves (1.00); everything else "
           "against the best C loop on that figure.";
}
