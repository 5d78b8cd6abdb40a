/* rb_report.c: assembling the report from the results, the machine, the plots and the generated prose. */
#include "rb_report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rb_buf.h"
#include "rb_doc.h"
#include "rb_fmt.h"
#include "rb_ratio.h"
#include "rb_reading.h"
#include "rb_seed.h"
#include "rb_targets.h"

/* rb__machine: the facts as a two-column table. */
static void rb__machine(rb_doc *d, const rb_machine *m)
{
    static const char *const head[] = { "fact", "value" };
    rb_doc_table_head(d, 2, head);
    for (int i = 0; i < m->n; i++) {
        const char *cells[2] = { m->facts[i].key, m->facts[i].value };
        rb_doc_table_row(d, 2, cells);
    }
    rb_doc_table_end(d);
}

/* rb__targets: issue 5's targets with the verdict, the figures and, for a miss, the reason. */
static void rb__targets(rb_doc *d, const rb_results *r)
{
    rb_target t[RB_NTARGETS];
    rb_targets_eval(r, t);
    rb_doc_para(d, "The targets issue 5 sets, judged on every parameter set of this run. A "
                   "ratio here is the first runtime's cost relative to the second's (below 1: "
                   "the first did better, whatever the metric's direction). Target 2 is judged "
                   "on tk-ct, the single-threaded flavour, as libev is single-threaded; tk-mt's "
                   "figures follow. Target 3 sums the three phases that are work rather than "
                   "waiting for deadlines (init, dispatch_cpu, cleanup).");
    static const char *const head[] = { "target", "verdict", "measured", "why (when missed)" };
    rb_doc_table_head(d, 4, head);
    for (int i = 0; i < RB_NTARGETS; i++) {
        char verdict[32];
        snprintf(verdict, sizeof verdict, "**%s**", rb_verdict_word(t[i].verdict));
        const char *cells[4] = { t[i].goal, verdict, t[i].measured, t[i].why };
        rb_doc_table_row(d, 4, cells);
    }
    rb_doc_table_end(d);
}

/* rb__how_to_read: the direction of each kind of ratio, and the references, once. */
static void rb__how_to_read(rb_doc *d)
{
    rb_doc_para(d, "%s", rb_ratio_rule_text());
    rb_doc_bullet(d, "**Time-like figures** (ns, us, bytes per task): lower is better, so a "
                     "ratio **below 1** beats the reference. A ratio of 1.25 means 25%% more "
                     "time (or memory) than the reference.");
    rb_doc_bullet(d, "**Throughput-like figures** (MB/s, wakes/s, req/s): higher is better, so "
                     "a ratio **above 1** beats the reference. A ratio of 0.80 means 20%% less "
                     "throughput.");
    rb_doc_bullet(d, "`coalescing` (wakes per callback) describes behaviour and gets no ratio.");
    rb_doc_bullet(d, "Every figure is the median of the repetitions, after an unmeasured warm-up; "
                     "[min-max] beside it shows the spread. The machine is shared: compare "
                     "runtimes within this run, never absolute figures across runs.");
}

/* rb__floor: the epoll floor's own figures, and io_uring's beside them. */
static void rb__floor(rb_doc *d, const rb_results *r)
{
    const rb_runtime *ep = rb_runtime_find("epoll"), *ur = rb_runtime_find("uring");
    static const char *const head[] = { "workload", "figure", "epoll floor", "io_uring floor",
                                        "uring / epoll" };
    int rows = 0;
    for (size_t i = 0; i < r->n; i++) {
        const rb_row *row = &r->rows[i];
        if (row->c->rt != ep || row->status != RB_ST_OK)
            continue;
        const rb_workload *w = row->c->w;
        for (int m = 0; m < w->nmetrics; m++) {
            char label[96], what[64], fe[48], fu[48] = "-", q[16] = "-";
            if (w->metrics[m].dir == RB_DESCRIPTIVE)
                continue;
            if (rows++ == 0)
                rb_doc_table_head(d, 5, head);
            rb_plan_label(w, r->plan->size, row->c->variant, label, sizeof label);
            rb_snprintf(what, sizeof what, "%s%s%s", w->name, label[0] ? " " : "", label);
            char fig[64];
            snprintf(fig, sizeof fig, "%s (%s)", w->metrics[m].name, w->metrics[m].unit);
            rb_fmt_value(fe, sizeof fe, row->stat[m].median);
            const rb_row *u = rb_results_ok(r, w, row->c->variant, ur);
            if (u) {
                rb_fmt_value(fu, sizeof fu, u->stat[m].median);
                rb_fmt_ratio(q, sizeof q, u->stat[m].median / row->stat[m].median);
            }
            const char *cells[5] = { what, fig, fe, fu, q };
            rb_doc_table_row(d, 5, cells);
        }
    }
    if (rows)
        rb_doc_table_end(d);
    else
        rb_doc_para(d, "The epoll floor has no figures in this run, so the IO ratios are empty.");
}

/* rb__figure_cell: "4205 [4100-4300]" for an OK row, "-" otherwise. */
static void rb__figure_cell(const rb_row *row, int m, char *out, size_t n)
{
    char med[32], lo[32], hi[32];
    if (row->status != RB_ST_OK) {
        snprintf(out, n, "-");
        return;
    }
    rb_fmt_value(med, sizeof med, row->stat[m].median);
    rb_fmt_value(lo, sizeof lo, row->stat[m].min);
    rb_fmt_value(hi, sizeof hi, row->stat[m].max);
    rb_snprintf(out, n, "%s [%s-%s]", med, lo, hi);
}

/* rb__ratio_cell: "x1.12 epoll", "" when the figure has no ratio. */
static void rb__ratio_cell(const rb_row *row, int m, char *out, size_t n)
{
    char q[16];
    if (row->status != RB_ST_OK || isnan(row->ratio[m])) {
        snprintf(out, n, "%s", "");
        return;
    }
    rb_fmt_ratio(q, sizeof q, row->ratio[m]);
    snprintf(out, n, "x%s %s", q, row->ratio_to[m]->name);
}

/*
 * rb__no_equivalent: the runtimes that have no form of this workload, once each with the
 * executable's own reason (the table above leaves them out rather than repeat the reason on
 * every parameter set).
 */
static void rb__no_equivalent(rb_doc *d, const rb_results *r, const rb_workload *w)
{
    int said = 0;
    for (size_t k = 0; k < rb_nruntimes; k++) {
        const rb_row *first = NULL;
        int n = 0, all = 1;
        for (int v = 0; v < rb_plan_nvariants(w, r->plan->size); v++) {
            const rb_row *row = rb_results_find(r, w, v, &rb_runtimes[k]);
            if (row == NULL)
                continue;
            if (row->status != RB_ST_NOEQUIV) {
                all = 0;
                continue;
            }
            if (first == NULL)
                first = row;
            n++;
        }
        if (first == NULL)
            continue;
        if (!said++)
            rb_doc_para(d, "No equivalent, in each executable's own words:");
        const char *why = first->note + strlen("no equivalent: ");
        if (all)
            rb_doc_bullet(d, "`%s`: %s", rb_runtimes[k].name, why);
        else
            rb_doc_bullet(d, "`%s` (%s%s): %s", rb_runtimes[k].name, first->c->params,
                          n > 1 ? " and others" : "", why);
    }
}

/* rb__workload: the section of one workload -- table, then plots. */
static void rb__workload(rb_doc *d, const rb_results *r, const rb_workload *w,
                         const rb_plots *plots)
{
    int rows = 0;
    for (size_t i = 0; i < r->n; i++)
        rows += r->rows[i].c->w == w;
    if (rows == 0)
        return;
    char title[96], anchor[96];
    snprintf(title, sizeof title, "%s", w->name);
    snprintf(anchor, sizeof anchor, "w-%s", w->name);
    rb_doc_heading(d, 2, anchor, title);
    rb_doc_para(d, "%s. Definition, check and sizes: `bench/WORKLOADS.md#%s`.", w->what, w->name);
    const char *head[2 + 2 * RB_MAX_METRICS + 1];
    char hbuf[RB_MAX_METRICS][2][64];
    int nc = 0;
    head[nc++] = "runtime";
    head[nc++] = "parameters";
    for (int m = 0; m < w->nmetrics; m++) {
        snprintf(hbuf[m][0], 64, "%s (%s) median [min-max]", w->metrics[m].name,
                 w->metrics[m].unit);
        snprintf(hbuf[m][1], 64, "%s ratio", w->metrics[m].name);
        head[nc++] = hbuf[m][0];
        if (w->metrics[m].dir != RB_DESCRIPTIVE)
            head[nc++] = hbuf[m][1];
    }
    head[nc++] = "reps / note";
    rb_doc_table_head(d, nc, head);
    for (int v = 0; v < rb_plan_nvariants(w, r->plan->size); v++)
        for (size_t k = 0; k < rb_nruntimes; k++) {
            const rb_row *row = rb_results_find(r, w, v, &rb_runtimes[k]);
            if (row == NULL || row->status == RB_ST_NOEQUIV)
                continue;
            char cbuf[RB_MAX_METRICS][2][64], reps[600];
            const char *cells[2 + 2 * RB_MAX_METRICS + 1];
            int c = 0;
            cells[c++] = rb_runtimes[k].name;
            cells[c++] = row->c->params;
            for (int m = 0; m < w->nmetrics; m++) {
                rb__figure_cell(row, m, cbuf[m][0], 64);
                rb__ratio_cell(row, m, cbuf[m][1], 64);
                cells[c++] = cbuf[m][0];
                if (w->metrics[m].dir != RB_DESCRIPTIVE)
                    cells[c++] = cbuf[m][1];
            }
            if (row->status == RB_ST_OK)
                snprintf(reps, sizeof reps, "%d reps", row->reps);
            else
                snprintf(reps, sizeof reps, "%s", row->note);
            cells[c++] = reps;
            rb_doc_table_row(d, nc, cells);
        }
    rb_doc_table_end(d);
    rb__no_equivalent(d, r, w);
    for (int i = 0; i < plots->n; i++)
        if (plots->items[i].w == w)
            rb_doc_image(d, plots->items[i].png, plots->items[i].svg, plots->items[i].caption,
                         plots->items[i].caption);
}

/* rb__gaps: every case without a figure, one bullet per runtime and workload and reason. */
static void rb__gaps(rb_doc *d, const rb_results *r)
{
    int any = 0;
    for (size_t i = 0; i < r->n; i++) {
        const rb_row *row = &r->rows[i];
        if (row->status == RB_ST_OK)
            continue;
        int seen = 0, count = 0;
        for (size_t j = 0; j < r->n; j++) {
            const rb_row *o = &r->rows[j];
            if (o->c->w != row->c->w || o->c->rt != row->c->rt || strcmp(o->note, row->note) != 0)
                continue;
            if (j < i)
                seen = 1;
            count++;
        }
        if (seen)
            continue;
        any = 1;
        if (count == rb_plan_nvariants(row->c->w, r->plan->size))
            rb_doc_bullet(d, "`%s` on `%s`: %s", row->c->w->name, row->c->rt->name, row->note);
        else
            rb_doc_bullet(d, "`%s` on `%s` (%s%s): %s", row->c->w->name, row->c->rt->name,
                          row->c->params, count > 1 ? " and others" : "", row->note);
    }
    if (!any)
        rb_doc_para(d, "None: every case of this run has its figures.");
}

/* rb_report_write: the sections in the order a reader wants them. */
int rb_report_write(const rb_results *r, const rb_machine *m, const rb_plots *plots,
                    const char *dir)
{
    rb_doc d;
    char title[160];
    snprintf(title, sizeof title, "rtbench: %s size, %s", rb_size_name(r->plan->size),
             rb_machine_get(m, "date"));
    if (rb_doc_open(&d, dir, "report", title) != 0) {
        fprintf(stderr, "rtbench: cannot write the report in %s\n", dir);
        return -1;
    }
    rb_doc_para(&d, "The same workloads on every runtime: the two C flavours (tk-ct, "
                "tk-mt, as), libuv, libev, libevent, the bare epoll and io_uring floors, and the "
                "real tokio and async-std. Command: `%s`. Each figure: median of %d "
                "repetitions after %d warm-up. Files: `results.csv` (every figure), "
                "`machine.txt`, `plots/`.", rb_machine_get(m, "command"), r->plan->reps,
                r->plan->warmup);
    rb_doc_heading(&d, 1, "machine", "Machine");
    rb__machine(&d, m);
    rb_doc_heading(&d, 1, "reading", "Reading the results");
    rb_reading_write(&d, r);
    rb_doc_heading(&d, 1, "targets", "Targets");
    rb__targets(&d, r);
    rb_doc_heading(&d, 1, "seed", "The seed's comparison, measured");
    rb_seed_write(&d, r);
    rb_doc_heading(&d, 1, "how-to-read", "How to read a ratio");
    rb__how_to_read(&d);
    rb_doc_heading(&d, 1, "floor", "The floor");
    rb__floor(&d, r);
    rb_doc_heading(&d, 1, "workloads", "Workload by workload");
    if (plots->n == 0)
        rb_doc_para(&d, "No plots: %s.", plots->why_none[0] ? plots->why_none : "none drawn");
    for (size_t i = 0; i < rb_nworkloads; i++)
        rb__workload(&d, r, &rb_workloads[i], plots);
    rb_doc_heading(&d, 1, "gaps", "No equivalent, not measured, errors");
    rb__gaps(&d, r);
    return rb_doc_close(&d);
}
