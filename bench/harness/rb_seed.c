/* rb_seed.c: the seed's comparison table, its Performance row filled in from the run, and where it disagrees. */
#include "rb_seed.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rb_buf.h"
#include "rb_fmt.h"
#include "rb_ratio.h"
#include "rb_reading.h"
#include "rb_stats.h"

/* Room for one advantage per workload of the table. */
#define RB__MAX_WORKLOADS 32

/* rb__line: w's headline for a vs b: the last variant with both figures, first charted metric. */
static int rb__line(const rb_results *r, const rb_workload *w, const rb_runtime *a,
                    const rb_runtime *b, int *variant, int *metric)
{
    for (int m = 0; m < w->nmetrics; m++) {
        if (!w->metrics[m].chart || w->metrics[m].dir == RB_DESCRIPTIVE)
            continue;
        for (int v = rb_plan_nvariants(w, r->plan->size) - 1; v >= 0; v--)
            if (!isnan(rb_ratio_advantage(r, w, v, m, a, b))) {
                *variant = v;
                *metric = m;
                return 1;
            }
        return 0;
    }
    return 0;
}

// region: compare
/* rb_seed_compare: one vote per workload, so bench_c's six lines do not outvote the rest. */
int rb_seed_compare(const rb_results *r, const rb_runtime *a, const rb_runtime *b, int *a_wins,
                    int *b_wins, int *ties, double *typical)
{
    double adv[RB__MAX_WORKLOADS];
    int n = 0;
    *a_wins = *b_wins = *ties = 0;
    for (size_t i = 0; i < rb_nworkloads && n < RB__MAX_WORKLOADS; i++) {
        int v, m;
        if (!rb__line(r, &rb_workloads[i], a, b, &v, &m))
            continue;
        adv[n] = rb_ratio_advantage(r, &rb_workloads[i], v, m, a, b);
        if (adv[n] >= RB_TIE)
            (*a_wins)++;
        else if (adv[n] <= 1.0 / RB_TIE)
            (*b_wins)++;
        else
            (*ties)++;
        n++;
    }
    rb_stat st;
    *typical = n && rb_stats_compute(adv, n, &st) == 0 ? st.median : NAN;
    return n;
}
// endregion

/* rb__cell: the Performance cell for one pair: wins, losses, ties and the median gap. */
static void rb__cell(const rb_results *r, const char *an, const char *bn, char *out, size_t n)
{
    int aw, bw, ties;
    double g;
    const rb_runtime *a = rb_runtime_find(an), *b = rb_runtime_find(bn);
    int count = rb_seed_compare(r, a, b, &aw, &bw, &ties, &g);
    if (count == 0) {
        snprintf(out, n, "%s vs %s: not measured together in this run", an, bn);
        return;
    }
    char gs[16];
    rb_fmt_ratio(gs, sizeof gs, g >= 1 ? g : 1.0 / g);
    snprintf(out, n, "%s vs %s, %d workloads: %s better on %d, %s on %d, level on %d; median "
             "gap %sx in favour of %s", an, bn, count, an, aw, bn, bw, ties, gs, g >= 1 ? an : bn);
}

/* rb__verdict: one paragraph on how the seed's words hold for one pair. */
static void rb__verdict(rb_doc *d, const rb_results *r, const char *an, const char *bn,
                        const char *who)
{
    int aw, bw, ties;
    double g;
    const rb_runtime *a = rb_runtime_find(an), *b = rb_runtime_find(bn);
    int count = rb_seed_compare(r, a, b, &aw, &bw, &ties, &g);
    if (count == 0) {
        rb_doc_bullet(d, "%s: no workload has figures for both %s and %s, so this run cannot "
                      "confirm or contradict the seed.", who, an, bn);
        return;
    }
    char list[1200] = "", gs[16];
    size_t used = 0;
    for (size_t i = 0; i < rb_nworkloads; i++) {
        int v, m;
        if (!rb__line(r, &rb_workloads[i], a, b, &v, &m))
            continue;
        double adv = rb_ratio_advantage(r, &rb_workloads[i], v, m, a, b);
        if (adv > 1.0 / RB_TIE)
            continue;
        char x[16];
        rb_fmt_ratio(x, sizeof x, 1.0 / adv);
        used += (size_t)snprintf(list + used, used < sizeof list ? sizeof list - used : 0,
                                 "%s`%s` (%sx)", used ? ", " : "", rb_workloads[i].name, x);
    }
    rb_fmt_ratio(gs, sizeof gs, g >= 1 ? g : 1.0 / g);
    if (bw > aw || g <= 1.0 / 1.15)
        rb_doc_bullet(d, "%s: **the measurement disagrees with the seed.** %s did clearly better "
                      "than %s on %d of %d workloads (%s), %s on %d, and %d were level.", who,
                      bn, an, bw, count, list, an, aw, ties);
    else if (g < 1.15)
        rb_doc_bullet(d, "%s: %s did clearly better on %d of %d workloads and %s on %d (%d "
                      "level), but the median gap is only %sx: **\"Very high\" against "
                      "\"Good\" overstates the difference measured here.**%s%s%s%s%s", who, an,
                      aw, count, bn, bw, ties, gs, bw ? " " : "", bw ? bn : "",
                      bw ? " did clearly better on " : "", bw ? list : "", bw ? "." : "");
    else if (bw > 0)
        rb_doc_bullet(d, "%s: the seed's words hold on the whole (%s clearly better on %d of "
                      "%d, %d level, median gap %sx), **but not everywhere**: %s did "
                      "clearly better on %s.", who, an, aw, count, ties, gs, bn, list);
    else
        rb_doc_bullet(d, "%s: the measurement agrees with the seed: %s did better or level on "
                      "every workload compared (%d, %d level), by a median gap of %sx.", who,
                      an, count, ties, gs);
}

/* rb__detail: per workload, the four figures behind the Performance row. */
static void rb__detail(rb_doc *d, const rb_results *r)
{
    static const char *const head[] = { "workload", "figure", "tokio-mt", "async-std", "better",
                                        "tk-mt", "as", "better" };
    const char *pair[2][2] = { { "tokio-mt", "async-std" }, { "tk-mt", "as" } };
    rb_doc_table_head(d, 8, head);
    for (size_t i = 0; i < rb_nworkloads; i++) {
        const rb_workload *w = &rb_workloads[i];
        char cells[8][96];
        const char *cp[8];
        int any = 0, m = -1, v = -1;
        for (int p = 0; p < 2 && m < 0; p++)
            if (!rb__line(r, w, rb_runtime_find(pair[p][0]), rb_runtime_find(pair[p][1]), &v, &m))
                m = -1;
        if (m < 0)
            continue;
        char label[96];
        rb_plan_label(w, r->plan->size, v, label, sizeof label);
        rb_snprintf(cells[0], sizeof cells[0], "%s%s%s", w->name, label[0] ? " " : "", label);
        snprintf(cells[1], sizeof cells[1], "%s (%s)", w->metrics[m].name, w->metrics[m].unit);
        for (int p = 0; p < 2; p++) {
            const rb_runtime *a = rb_runtime_find(pair[p][0]), *b = rb_runtime_find(pair[p][1]);
            const rb_row *ra = rb_results_ok(r, w, v, a), *rbr = rb_results_ok(r, w, v, b);
            char *ca = cells[2 + 3 * p], *cb = cells[3 + 3 * p], *cw = cells[4 + 3 * p];
            snprintf(ca, 96, "-");
            snprintf(cb, 96, "-");
            snprintf(cw, 96, " ");
            if (ra)
                rb_reading_figure(ra->stat[m].median, w->metrics[m].unit, ca, 96);
            if (rbr)
                rb_reading_figure(rbr->stat[m].median, w->metrics[m].unit, cb, 96);
            double adv = rb_ratio_advantage(r, w, v, m, a, b);
            if (!isnan(adv)) {
                char x[16];
                rb_fmt_ratio(x, sizeof x, adv >= 1 ? adv : 1.0 / adv);
                snprintf(cw, 96, "%s %sx", adv >= 1 ? a->name : b->name, x);
                any = 1;
            }
        }
        for (int k = 0; k < 8; k++)
            cp[k] = cells[k];
        if (any)
            rb_doc_table_row(d, 8, cp);
    }
    rb_doc_table_end(d);
}

/* rb_seed_write: the table, the verdicts, then the figures behind them. */
void rb_seed_write(rb_doc *d, const rb_results *r)
{
    char real[400], flav[400], perf[820];
    rb__cell(r, "tokio-mt", "async-std", real, sizeof real);
    rb__cell(r, "tk-mt", "as", flav, sizeof flav);
    snprintf(perf, sizeof perf, "real: %s. C flavours: %s.", real, flav);
    rb_doc_para(d, "The seed's table, as the seed gives it, with a column for what this run "
                   "measured. Only Performance is something a benchmark can measure; each "
                   "workload counts once (its largest parameter set), and both sides are "
                   "multi-threaded (tokio-mt against async-std, tk-mt against as).");
    static const char *const head[] = { "Feature", "Tokio (seed)", "async-std (seed)",
                                        "measured here" };
    rb_doc_table_head(d, 4, head);
    const char *rows[][4] = {
        { "Performance", "Very high", "Good", perf },
        { "Ecosystem", "Huge", "Smaller", "not measured (not a property of a runtime's speed)" },
        { "Configuration", "Very flexible", "Minimal",
          "not measured; the flavours copy it: tk has an explicit builder (current_thread or "
          "multi_thread, worker count, enable_all), as a global runtime started on first use, "
          "sized by AS_THREAD_COUNT" },
        { "API style", "Explicit", "std-like", "not measured" },
        { "Industry use", "Dominant", "Moderate", "not measured" },
        { "Learning curve", "Steeper", "Easier", "not measured" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        rb_doc_table_row(d, 4, rows[i]);
    rb_doc_table_end(d);
    rb_doc_para(d, "**Where the measurement agrees or disagrees with \"Very high\" against "
                   "\"Good\":**");
    rb__verdict(d, r, "tokio-mt", "async-std", "The real runtimes");
    rb__verdict(d, r, "tk-mt", "as", "The C flavours");
    rb_doc_para(d, "The figures behind the Performance row (the better side and by how much):");
    rb__detail(d, r);
}
