/* rb_summary.c: the fixed-width table of medians that ends every run on the terminal. */
#include "rb_summary.h"

#include <math.h>
#include <string.h>

#include "rb_fmt.h"

/* rb_summary_cell: a figure, or the short word for why there is none. */
void rb_summary_cell(const rb_row *row, int metric, char *out, size_t n)
{
    if (row == NULL)
        snprintf(out, n, " ");
    else if (row->status == RB_ST_OK)
        rb_fmt_compact(out, n, row->stat[metric].median);
    else if (row->status == RB_ST_NOEQUIV)
        snprintf(out, n, "-");
    else if (row->status == RB_ST_NOTMEASURED)
        snprintf(out, n, "n/m");
    else
        snprintf(out, n, "ERR");
}

/* rb__colw: a runtime's column: its name, at least six characters, plus room for the `*`. */
static int rb__colw(const rb_runtime *rt)
{
    int len = (int)strlen(rt->name);
    return (len > 6 ? len : 6) + 1;
}

/* rb__in_plan: whether any case uses this runtime (the others get no column). */
static int rb__in_plan(const rb_results *r, const rb_runtime *rt)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->rows[i].c->rt == rt)
            return 1;
    return 0;
}

/* rb__best: the runtime with the best median on this line, or NULL (descriptive, none ran). */
static const rb_runtime *rb__best(const rb_results *r, const rb_workload *w, int v, int m)
{
    const rb_runtime *best = NULL;
    double bv = NAN;
    if (w->metrics[m].dir == RB_DESCRIPTIVE)
        return NULL;
    for (size_t k = 0; k < rb_nruntimes; k++) {
        const rb_row *row = rb_results_ok(r, w, v, &rb_runtimes[k]);
        if (row == NULL)
            continue;
        double x = row->stat[m].median;
        if (best == NULL || (w->metrics[m].dir == RB_LOWER_BETTER ? x < bv : x > bv)) {
            best = &rb_runtimes[k];
            bv = x;
        }
    }
    return best;
}

/* rb__line_label: "bench_c n=1000 timeouts=1": the workload and what tells its variants apart. */
static void rb__line_label(const rb_results *r, const rb_workload *w, int v, char *out, size_t n)
{
    char label[96];
    rb_plan_label(w, r->plan->size, v, label, sizeof label);
    snprintf(out, n, "%s%s%s", w->name, label[0] ? " " : "", label);
}

/* rb_summary_print: two passes -- widths first, then the lines. */
void rb_summary_print(FILE *f, const rb_results *r)
{
    int lw = 8, mw = 6, counts[4] = { 0 };
    char buf[128];
    for (size_t i = 0; i < r->n; i++) {
        const rb_row *row = &r->rows[i];
        counts[row->status]++;
        rb__line_label(r, row->c->w, row->c->variant, buf, sizeof buf);
        if ((int)strlen(buf) > lw)
            lw = (int)strlen(buf);
        for (int m = 0; m < row->c->w->nmetrics; m++) {
            const rb_metric_def *md = &row->c->w->metrics[m];
            int len = (int)(strlen(md->name) + strlen(md->unit) + 1);
            if (row->c->w->metrics[m].chart && len > mw)
                mw = len;
        }
    }
    fprintf(f, "\n%-*s  %-*s", lw, "workload", mw, "metric");
    for (size_t k = 0; k < rb_nruntimes; k++)
        if (rb__in_plan(r, &rb_runtimes[k]))
            fprintf(f, " %*s", rb__colw(&rb_runtimes[k]), rb_runtimes[k].name);
    fprintf(f, "\n");
    for (size_t wi = 0; wi < rb_nworkloads; wi++) {
        const rb_workload *w = &rb_workloads[wi];
        for (int v = 0; v < RB_MAX_VARIANTS && w->sizes[r->plan->size][v]; v++) {
            for (int m = 0; m < w->nmetrics; m++) {
                int any = 0;
                for (size_t k = 0; k < rb_nruntimes && !any; k++)
                    any = rb_results_find(r, w, v, &rb_runtimes[k]) != NULL;
                if (!any || !w->metrics[m].chart)
                    continue;
                const rb_runtime *best = rb__best(r, w, v, m);
                rb__line_label(r, w, v, buf, sizeof buf);
                fprintf(f, "%-*s  ", lw, buf);
                snprintf(buf, sizeof buf, "%s %s", w->metrics[m].name, w->metrics[m].unit);
                fprintf(f, "%-*s", mw, buf);
                for (size_t k = 0; k < rb_nruntimes; k++) {
                    const rb_runtime *rt = &rb_runtimes[k];
                    if (!rb__in_plan(r, rt))
                        continue;
                    char cell[32];
                    rb_summary_cell(rb_results_find(r, w, v, rt), m, cell, sizeof cell);
                    if (rt == best)
                        strcat(cell, "*");
                    else
                        strcat(cell, " ");
                    fprintf(f, " %*s", rb__colw(rt), cell);
                }
                fprintf(f, "\n");
            }
        }
    }
    fprintf(f, "\nmedians; * best of the line (lower is better for ns, us and B; higher for MB/s,\n"
               "wakes/s and req/s); - no equivalent; n/m not measured; ERR error.\n");
    fprintf(f, "cases: %d ok, %d no equivalent, %d not measured, %d error\n", counts[RB_ST_OK],
            counts[RB_ST_NOEQUIV], counts[RB_ST_NOTMEASURED], counts[RB_ST_ERROR]);
}
