/* rb_reading.c: turning the medians into sentences -- winners, the flavours' wins and losses, and why. */
#include "rb_reading.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rb_design.h"
#include "rb_fmt.h"
#include "rb_ratio.h"

/* rb_reading_best: scan the OK rows of the line; descriptive metrics have no winner. */
void rb_reading_best(const rb_results *r, const rb_workload *w, int variant, int metric,
                     const rb_runtime **best, const rb_runtime **second)
{
    double bv = NAN, sv = NAN;
    int lower = w->metrics[metric].dir == RB_LOWER_BETTER;
    *best = *second = NULL;
    if (w->metrics[metric].dir == RB_DESCRIPTIVE)
        return;
    for (size_t k = 0; k < rb_nruntimes; k++) {
        const rb_row *row = rb_results_ok(r, w, variant, &rb_runtimes[k]);
        if (row == NULL)
            continue;
        double x = row->stat[metric].median;
        if (*best == NULL || (lower ? x < bv : x > bv)) {
            *second = *best, sv = bv;
            *best = &rb_runtimes[k], bv = x;
        } else if (*second == NULL || (lower ? x < sv : x > sv)) {
            *second = &rb_runtimes[k], sv = x;
        }
    }
}

/* rb_reading_figure: ns grow into us and ms, large rates get k and M, as a person says them. */
void rb_reading_figure(double v, const char *unit, char *out, size_t n)
{
    char num[32];
    const char *u = unit;
    if (strcmp(unit, "ns") == 0 && v >= 1e6)
        v /= 1e6, u = "ms";
    else if (strcmp(unit, "ns") == 0 && v >= 1e3)
        v /= 1e3, u = "us";
    else if (strcmp(unit, "us") == 0 && v >= 1e3)
        v /= 1e3, u = "ms";
    if (strcmp(u, "MB/s") != 0 && v >= 1e4) {
        rb_fmt_compact(num, sizeof num, v);
    } else {
        rb_fmt_value(num, sizeof num, v);
    }
    snprintf(out, n, "%s %s", num, u);
}

/* rb__at: " at n=1000 timeouts=1", or "" for a single-variant workload. */
static void rb__at(const rb_results *r, const rb_workload *w, int v, char *out, size_t n)
{
    char label[96];
    rb_plan_label(w, r->plan->size, v, label, sizeof label);
    snprintf(out, n, "%s%s", label[0] ? " at " : "", label);
}

/* rb__headline: the last variant of w with a winner on its first charted metric; -1 if none. */
static int rb__headline(const rb_results *r, const rb_workload *w, int *metric)
{
    for (int m = 0; m < w->nmetrics; m++) {
        if (!w->metrics[m].chart)
            continue;
        *metric = m;
        for (int v = rb_plan_nvariants(w, r->plan->size) - 1; v >= 0; v--) {
            const rb_runtime *b, *s;
            rb_reading_best(r, w, v, m, &b, &s);
            if (b != NULL)
                return v;
        }
        return -1;
    }
    return -1;
}

/* rb__winners: one bullet per workload -- who won its lines, and the headline line in figures. */
static void rb__winners(rb_doc *d, const rb_results *r)
{
    rb_doc_para(d, "**Who won.** Per workload, the runtime with the best median on each "
                   "measured line (a parameter set and a charted figure), and the largest "
                   "parameter set in figures:");
    for (size_t i = 0; i < rb_nworkloads; i++) {
        const rb_workload *w = &rb_workloads[i];
        int m = 0, v = rb__headline(r, w, &m);
        if (v < 0)
            continue;
        int lines = 0, wins[32] = { 0 };
        for (int vv = 0; vv < rb_plan_nvariants(w, r->plan->size); vv++)
            for (int mm = 0; mm < w->nmetrics; mm++) {
                const rb_runtime *b, *s;
                if (!w->metrics[mm].chart)
                    continue;
                rb_reading_best(r, w, vv, mm, &b, &s);
                if (b)
                    lines++, wins[rb_runtime_index(b)]++;
            }
        char tally[400] = "";
        size_t used = 0;
        for (size_t k = 0; k < rb_nruntimes; k++)
            if (wins[k])
                used += (size_t)snprintf(tally + used, sizeof tally - used, "%s%s %d",
                                         used ? ", " : "", rb_runtimes[k].name, wins[k]);
        const rb_runtime *best, *second;
        rb_reading_best(r, w, v, m, &best, &second);
        char at[128], fb[48], fs[48], ratio[16];
        rb__at(r, w, v, at, sizeof at);
        rb_reading_figure(rb_results_ok(r, w, v, best)->stat[m].median, w->metrics[m].unit, fb,
                          sizeof fb);
        if (second != NULL) {
            double adv = rb_ratio_advantage(r, w, v, m, best, second);
            rb_reading_figure(rb_results_ok(r, w, v, second)->stat[m].median, w->metrics[m].unit,
                              fs, sizeof fs);
            rb_fmt_ratio(ratio, sizeof ratio, adv);
            rb_doc_bullet(d, "`%s` (lines won: %s of %d). %s%s: **%s** %s, %s %s (%s)%s%sx%s.",
                          w->name, tally, lines, w->metrics[m].name, at, best->name, fb,
                          adv < RB_TIE ? "level with" : "ahead of", second->name, fs,
                          adv < RB_TIE ? ", a tie at this noise (" : " by ", ratio,
                          adv < RB_TIE ? ")" : "");
        } else {
            rb_doc_bullet(d, "`%s`: only %s measured%s (%s %s).", w->name, best->name, at,
                          w->metrics[m].name, fb);
        }
    }
}

/* rb__versus: a/b advantage on w's headline line; NAN when either is missing. */
static double rb__versus(const rb_results *r, const rb_workload *w, const rb_runtime *a,
                         const rb_runtime *b, int *variant, int *metric)
{
    *metric = 0;
    for (int m = 0; m < w->nmetrics; m++)
        if (w->metrics[m].chart && w->metrics[m].dir != RB_DESCRIPTIVE) {
            *metric = m;
            break;
        }
    for (int v = rb_plan_nvariants(w, r->plan->size) - 1; v >= 0; v--) {
        double adv = rb_ratio_advantage(r, w, v, *metric, a, b);
        if (!isnan(adv)) {
            *variant = v;
            return adv;
        }
    }
    return NAN;
}

/* rb__flavours: tk against as, workload by workload, with the design sentence for each. */
static void rb__flavours(rb_doc *d, const rb_results *r, const rb_runtime *tk, const rb_runtime *as)
{
    int any = 0;
    for (size_t i = 0; i < rb_nworkloads; i++) {
        const rb_workload *w = &rb_workloads[i];
        const rb_design_note *note = rb_design_find(w->name);
        int v, m;
        double adv = rb__versus(r, w, tk, as, &v, &m);
        if (isnan(adv) || note == NULL)
            continue;
        if (!any)
            rb_doc_para(d, "**%s against %s**, the seed's two designs side by side (largest "
                           "parameter set; x is how many times better the winner did):",
                        tk->name, as->name);
        any = 1;
        int tk_won = adv >= 1.0;
        char ratio[16], at[128], ft[48], fa[48];
        rb_fmt_ratio(ratio, sizeof ratio, tk_won ? adv : 1.0 / adv);
        rb__at(r, w, v, at, sizeof at);
        rb_reading_figure(rb_results_ok(r, w, v, tk)->stat[m].median, w->metrics[m].unit, ft,
                          sizeof ft);
        rb_reading_figure(rb_results_ok(r, w, v, as)->stat[m].median, w->metrics[m].unit, fa,
                          sizeof fa);
        int level = (tk_won ? adv : 1.0 / adv) < RB_TIE;
        int against = !level && note->favours != 0 && (note->favours > 0) != tk_won;
        const char *verdict = level || note->favours == 0 ? ""
                              : against ? " **Against the design's prediction**, which favours "
                                          "the other side here: the mechanism above was not the "
                                          "deciding cost on this machine in this run."
                                        : " As the design predicts.";
        if (level)
            rb_doc_bullet(d, "`%s`%s: level (%s %s, %s %s; %sx apart, within the noise). The "
                          "designs: %s; %s.", w->name, at, tk->name, ft, as->name, fa, ratio,
                          note->tk, note->as);
        else
            rb_doc_bullet(d, "`%s`%s: **%s** better by %sx (%s %s, %s %s). The designs: %s; "
                          "%s.%s", w->name, at, tk_won ? tk->name : as->name, ratio, tk->name,
                          ft, as->name, fa, note->tk, note->as, verdict);
    }
    if (!any) {
        const rb_row *row = NULL;
        for (size_t i = 0; i < r->n && row == NULL; i++)
            if (r->rows[i].c->rt == as && r->rows[i].status != RB_ST_OK)
                row = &r->rows[i];
        rb_doc_para(d, "**%s against %s**: no workload has figures for both%s%s%s.", tk->name,
                    as->name, row ? " (" : "", row ? row->note : "", row ? ")" : "");
    }
}

/* rb__twins: a flavour against its real counterpart, as a list of ratios with the verdict. */
static void rb__twins(rb_doc *d, const rb_results *r, const rb_runtime *flavour)
{
    const rb_runtime *twin = rb_runtime_find(flavour->twin);
    char wins[1200] = "", losses[1200] = "", ties[1200] = "";
    size_t wu = 0, lu = 0, tu = 0;
    int nwins = 0, nlosses = 0, nties = 0;
    for (size_t i = 0; i < rb_nworkloads; i++) {
        const rb_workload *w = &rb_workloads[i];
        int v, m;
        double adv = rb__versus(r, w, flavour, twin, &v, &m);
        if (isnan(adv))
            continue;
        char ratio[16];
        rb_fmt_ratio(ratio, sizeof ratio, adv >= 1 ? adv : 1.0 / adv);
        if ((adv >= 1 ? adv : 1.0 / adv) < RB_TIE) {
            nties++;
            tu += (size_t)snprintf(ties + tu, tu < sizeof ties ? sizeof ties - tu : 0,
                                   "%s`%s`", tu ? ", " : "", w->name);
        } else if (adv >= 1.0) {
            nwins++;
            wu += (size_t)snprintf(wins + wu, wu < sizeof wins ? sizeof wins - wu : 0,
                                   "%s`%s` %sx", wu ? ", " : "", w->name, ratio);
        } else {
            nlosses++;
            lu += (size_t)snprintf(losses + lu, lu < sizeof losses ? sizeof losses - lu : 0,
                                   "%s`%s` %sx", lu ? ", " : "", w->name, ratio);
        }
    }
    if (nwins + nlosses + nties == 0) {
        const rb_row *row = NULL;
        for (size_t i = 0; i < r->n && row == NULL; i++)
            if ((r->rows[i].c->rt == flavour || r->rows[i].c->rt == twin) &&
                r->rows[i].status == RB_ST_NOTMEASURED)
                row = &r->rows[i];
        if (row)
            rb_doc_bullet(d, "**%s against %s**: not compared, %s is %s.", flavour->name,
                          twin->name, row->c->rt->name, row->note);
        else
            rb_doc_bullet(d, "**%s against %s**: not compared (no workload has figures for "
                          "both in this run).", flavour->name, twin->name);
        return;
    }
    rb_doc_bullet(d, "**%s against %s**: better on %d workload%s (%s), worse on %d (%s), level "
                  "within %.0f%% on %d (%s).", flavour->name, twin->name, nwins,
                  nwins == 1 ? "" : "s", nwins ? wins : "none", nlosses,
                  nlosses ? losses : "none", (RB_TIE - 1) * 100, nties, nties ? ties : "none");
}

/* rb__floors: what io_uring changes against readiness-based epoll. */
static void rb__floors(rb_doc *d, const rb_results *r)
{
    const rb_runtime *ep = rb_runtime_find("epoll"), *ur = rb_runtime_find("uring");
    static const char *const io[] = { "sock_ping_pong", "tcp_echo" };
    for (int i = 0; i < 2; i++) {
        const rb_workload *w = rb_workload_find(io[i]);
        int v, m;
        double adv = rb__versus(r, w, ur, ep, &v, &m);
        if (isnan(adv))
            continue;
        char q[16];
        rb_fmt_ratio(q, sizeof q, rb_ratio_between(r, w, v, m, ur, ep));
        double gap = adv >= 1 ? adv : 1.0 / adv;
        rb_doc_bullet(d, "`%s`: uring/epoll = %s on %s (%s: %s is better), %s. %s", w->name, q,
                      w->metrics[m].name, w->metrics[m].unit,
                      w->metrics[m].dir == RB_LOWER_BETTER ? "lower" : "higher",
                      gap < RB_TIE ? "level within the noise" : adv >= 1 ? "io_uring ahead"
                                                                          : "epoll ahead",
                      gap >= RB_TIE && adv < 1
                          ? "The epoll floor drains each socket until EAGAIN per wake-up; the "
                            "io_uring floor keeps one request in flight per socket and "
                            "direction, so it pays one completion per buffer."
                          : "io_uring completes the read or write itself, so no separate system "
                            "call follows an event, and one submit-and-wait covers a batch.");
    }
}

/* rb_reading_write: the section, in the order a reader asks the questions. */
void rb_reading_write(rb_doc *d, const rb_results *r)
{
    int counts[4] = { 0 };
    for (size_t i = 0; i < r->n; i++)
        counts[r->rows[i].status]++;
    rb_doc_para(d, "Generated from this run's medians: %d cases measured, %d with no equivalent, "
                   "%d not measured, %d in error. The machine is shared and small, so read "
                   "differences under about 10%% as ties, and look at min and max in the tables "
                   "before trusting one.", counts[RB_ST_OK], counts[RB_ST_NOEQUIV],
                counts[RB_ST_NOTMEASURED], counts[RB_ST_ERROR]);
    rb__winners(d, r);
    rb__flavours(d, r, rb_runtime_find("tk-mt"), rb_runtime_find("as"));
    rb_doc_para(d, "**Each flavour against the real runtime it copies** (workloads with figures "
                   "for both; x is how many times better or worse, largest parameter set). "
                   "tk copies tokio's design step for step, so its gaps are the cost of this "
                   "implementation, not of a different design; as copies async-std's.");
    rb__twins(d, r, rb_runtime_find("tk-ct"));
    rb__twins(d, r, rb_runtime_find("tk-mt"));
    rb__twins(d, r, rb_runtime_find("as"));
    rb_doc_para(d, "**The floors.**");
    rb__floors(d, r);
}
