/* rb_plot.c: writing the charts' data files and driving gnuplot with the templates in bench/tools/. */
#include "rb_plot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rb_buf.h"
#include "rb_proc.h"
#include "rb_ratio.h"

#define RB__GNUPLOT_LIMIT 60.0

/*
 * One colour per runtime, in rb_runtimes order: the flavours in strong blues and orange, the
 * C loops in greens, the floors in greys, the real Rust runtimes in reds and purple, so that
 * a reader learns the legend once.
 */
static const char *const rb__colors[] = {
    "#1f5fbf", "#57a0e8", "#f08c00", "#2e8b57", "#7cc47c", "#a6d96a",
    "#555555", "#a0a0a0", "#c0392b", "#e57373", "#8e44ad",
};

/* rb_plot_color: by table index; the table and the palette have the same length. */
const char *rb_plot_color(const rb_runtime *rt)
{
    size_t i = rb_runtime_index(rt);
    return i < sizeof rb__colors / sizeof rb__colors[0] ? rb__colors[i] : "#000000";
}

/* rb__gnuplot: render one template into png and svg; 0, or -1 with a message on stderr. */
static int rb__gnuplot(const rb_env *e, const char *tmpl, const char *vars, const char *dir,
                       const char *base)
{
    static const char *const fmts[2] = { "png", "svg" };
    char script[PATH_MAX + 32], expr[4096];
    snprintf(script, sizeof script, "%s/%s", e->tools_dir, tmpl);
    for (int k = 0; k < 2; k++) {
        snprintf(expr, sizeof expr, "%s; fmt='%s'; outfile='%s/plots/%s.%s'", vars, fmts[k], dir,
                 base, fmts[k]);
        char *argv[] = { "gnuplot", "-e", expr, script, NULL };
        rb_proc p;
        if (rb_proc_spawn(&p, argv) != 0) {
            fprintf(stderr, "rtbench: cannot run gnuplot\n");
            return -1;
        }
        int rc = rb_proc_finish(&p, rb_now() + RB__GNUPLOT_LIMIT);
        if (rc != 0 || rb_proc_exit_code(&p) != 0) {
            fprintf(stderr, "rtbench: gnuplot failed on %s.%s: %s\n", base, fmts[k],
                    rb_buf_str(&p.err));
            rb_proc_free(&p);
            return -1;
        }
        rb_proc_free(&p);
    }
    return 0;
}

/* rb__columns: the runtimes with at least one usable value for workload w (per `has`). */
static int rb__columns(const rb_results *r, const rb_workload *w, int ratio,
                       const rb_runtime *cols[], char *colors, size_t cn)
{
    int n = 0;
    size_t used = 0;
    colors[0] = '\0';
    for (size_t k = 0; k < rb_nruntimes; k++) {
        int has = 0;
        for (size_t i = 0; i < r->n && !has; i++) {
            const rb_row *row = &r->rows[i];
            if (row->c->w != w || row->c->rt != &rb_runtimes[k] || row->status != RB_ST_OK)
                continue;
            for (int m = 0; m < w->nmetrics && !has; m++)
                has = w->metrics[m].chart && (!ratio || !isnan(row->ratio[m]));
        }
        if (!has)
            continue;
        cols[n++] = &rb_runtimes[k];
        used += (size_t)snprintf(colors + used, used < cn ? cn - used : 0, "%s%s", used ? " " : "",
                                 rb_plot_color(&rb_runtimes[k]));
    }
    return n;
}

/* rb__add: record a drawn chart. */
static void rb__add(rb_plots *out, const rb_workload *w, int scaling, const char *base,
                    const char *caption)
{
    if (out->n == RB_MAX_PLOTS)
        return;
    rb_plot *p = &out->items[out->n++];
    p->w = w;
    p->scaling = scaling;
    snprintf(p->png, sizeof p->png, "plots/%s.png", base);
    snprintf(p->svg, sizeof p->svg, "plots/%s.svg", base);
    snprintf(p->caption, sizeof p->caption, "%s", caption);
}

/* rb__ratio_chart: clusters are (variant, charted metric); bars are runtimes with a ratio. */
static void rb__ratio_chart(const rb_env *e, const rb_results *r, const rb_workload *w,
                            const char *dir, rb_plots *out)
{
    const rb_runtime *cols[32];
    char colors[400], path[PATH_MAX + 64], base[64], vars[2048], label[128], vlabel[96];
    int ncols = rb__columns(r, w, 1, cols, colors, sizeof colors), nchart = 0, lower = 0;
    if (ncols == 0)
        return;
    for (int m = 0; m < w->nmetrics; m++)
        if (w->metrics[m].chart && w->metrics[m].dir != RB_DESCRIPTIVE)
            nchart++, lower += w->metrics[m].dir == RB_LOWER_BETTER;
    snprintf(base, sizeof base, "%s_ratio", w->name);
    snprintf(path, sizeof path, "%s/plots/%s.dat", dir, base);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return;
    fprintf(f, "cluster");
    for (int k = 0; k < ncols; k++)
        fprintf(f, " %s", cols[k]->name);
    fprintf(f, "\n");
    for (int v = 0; v < rb_plan_nvariants(w, r->plan->size); v++) {
        rb_plan_label(w, r->plan->size, v, vlabel, sizeof vlabel);
        for (int m = 0; m < w->nmetrics; m++) {
            if (!w->metrics[m].chart || w->metrics[m].dir == RB_DESCRIPTIVE)
                continue;
            int any = 0;
            for (int k = 0; k < ncols && !any; k++) {
                const rb_row *row = rb_results_ok(r, w, v, cols[k]);
                any = row && !isnan(row->ratio[m]);
            }
            if (!any)
                continue; /* a parameter set nobody measured: the table says why */
            /* one key=value per line under the cluster, then the metric: gnuplot turns the
             * \n of a quoted data-file string into a line break */
            char stacked[96];
            size_t used = 0;
            for (const char *c = vlabel; *c && used + 3 < sizeof stacked; c++) {
                if (*c == ' ')
                    stacked[used++] = '\\', stacked[used++] = 'n';
                else
                    stacked[used++] = *c;
            }
            stacked[used] = '\0';
            snprintf(label, sizeof label, "%s%s%s", stacked,
                     stacked[0] && nchart > 1 ? "\\n" : "", nchart > 1 ? w->metrics[m].name : "");
            fprintf(f, "\"%s\"", label[0] ? label : w->name);
            for (int k = 0; k < ncols; k++) {
                const rb_row *row = rb_results_ok(r, w, v, cols[k]);
                if (row && !isnan(row->ratio[m]))
                    fprintf(f, " %.6g", row->ratio[m]);
                else
                    fprintf(f, " -");
            }
            fprintf(f, "\n");
        }
    }
    if (fclose(f) != 0)
        return;
    rb_snprintf(vars, sizeof vars,
             "datafile='%s'; ncols=%d; colors='%s'; chart_title='%s (%s): figure / reference'; "
             "ylabel_text='%s'", path, ncols, colors, w->name, rb_size_name(r->plan->size),
             lower == nchart ? "ratio (log scale): below 1 is better"
             : lower == 0    ? "ratio (log scale): above 1 is better"
                             : "ratio (log scale): req/s above 1 is better, p99 below 1");
    if (rb__gnuplot(e, "ratio.gp", vars, dir, base) == 0) {
        char caption[320];
        snprintf(caption, sizeof caption, "%s: each runtime's figure divided by its reference "
                 "(the dashed line is 1; the reference of each bar is in the table's ratio_to).",
                 w->name);
        rb__add(out, w, 0, base, caption);
    }
}

/*
 * rb__scaling: one panel per value of `split` (bench_c: timeouts) or, with split NULL, one
 * panel per metric in `metrics`; x is the parameter `xkey`, a line per runtime.
 */
static void rb__scaling(const rb_env *e, const rb_results *r, const rb_workload *w,
                        const char *dir, const char *xkey, const char *split,
                        const char *const *metrics, const char *ylabel, rb_plots *out)
{
    const rb_runtime *cols[32];
    char colors[400], files[2048] = "", titles[256] = "", vars[4096], base[64];
    int ncols = rb__columns(r, w, 0, cols, colors, sizeof colors), npanels = 0, points = 0;
    double splits[4] = { 0, 1, -1, -1 };
    int nsplit = split ? 2 : 0;
    while (!split && metrics[npanels])
        npanels++;
    if (split)
        npanels = nsplit;
    if (ncols == 0)
        return;
    snprintf(base, sizeof base, "%s_scaling", w->name);
    for (int p = 0; p < npanels; p++) {
        char path[PATH_MAX + 64], title[64];
        int m = rb_metric_index(w, split ? metrics[0] : metrics[p]);
        snprintf(path, sizeof path, "%s/plots/%s_%d.dat", dir, base, p);
        if (split)
            snprintf(title, sizeof title, "%s=%g", split, splits[p]);
        else
            snprintf(title, sizeof title, "%s", metrics[p]);
        FILE *f = fopen(path, "w");
        if (f == NULL)
            return;
        fprintf(f, "x");
        for (int k = 0; k < ncols; k++)
            fprintf(f, " %s", cols[k]->name);
        fprintf(f, "\n");
        for (int v = 0; v < rb_plan_nvariants(w, r->plan->size); v++) {
            const char *params = w->sizes[r->plan->size][v];
            if (split && rb_plan_param(params, split) != splits[p])
                continue;
            fprintf(f, "%.0f", rb_plan_param(params, xkey));
            for (int k = 0; k < ncols; k++) {
                const rb_row *row = rb_results_ok(r, w, v, cols[k]);
                if (row)
                    fprintf(f, " %.6g", row->stat[m].median), points++;
                else
                    fprintf(f, " -");
            }
            fprintf(f, "\n");
        }
        if (fclose(f) != 0)
            return;
        size_t fl = strlen(files), tl = strlen(titles);
        rb_snprintf(files + fl, sizeof files - fl, "%s%s", p ? " " : "", path);
        rb_snprintf(titles + tl, sizeof titles - tl, "%s%s", p ? " " : "", title);
    }
    if (points == 0)
        return;
    snprintf(vars, sizeof vars,
             "files='%s'; titles='%s'; npanels=%d; ncols=%d; colors='%s'; "
             "chart_title='%s (%s): scaling over %s'; xlabel_text='%s'; ylabel_text='%s'",
             files, titles, npanels, ncols, colors, w->name, rb_size_name(r->plan->size), xkey,
             xkey, ylabel);
    if (rb__gnuplot(e, "scaling.gp", vars, dir, base) == 0) {
        char caption[320];
        snprintf(caption, sizeof caption, "%s over %s (log-log; medians). A missing point is a "
                 "size that did not run or failed; the table below says why.", w->name, xkey);
        rb__add(out, w, 1, base, caption);
    }
}

/* rb_plot_all: the directory first, then each chart independently of the others. */
void rb_plot_all(const rb_env *e, const rb_results *r, const char *dir, rb_plots *out)
{
    char path[PATH_MAX + 16];
    memset(out, 0, sizeof *out);
    if (!e->have_gnuplot) {
        snprintf(out->why_none, sizeof out->why_none, "gnuplot not found (Debian package "
                 "gnuplot-nox; make deps)");
        return;
    }
    snprintf(path, sizeof path, "%s/plots", dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        rb_snprintf(out->why_none, sizeof out->why_none, "cannot create %s: %s", path,
                    strerror(errno));
        return;
    }
    for (size_t i = 0; i < rb_nworkloads; i++)
        rb__ratio_chart(e, r, &rb_workloads[i], dir, out);
    static const char *const process[] = { "process", NULL };
    static const char *const phases[] = { "init", "dispatch_cpu", "cleanup", NULL };
    rb__scaling(e, r, rb_workload_find("bench_c"), dir, "n", "timeouts", process,
                "process time per iteration (us)", out);
    rb__scaling(e, r, rb_workload_find("million_timers"), dir, "timers", NULL, phases,
                "ns per timer", out);
    if (out->n == 0)
        snprintf(out->why_none, sizeof out->why_none, "no chart had figures to draw");
}
