/* rb_targets.c: judging issue 5's targets against this run's medians, and saying why a miss happened. */
#include "rb_targets.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rb_buf.h"
#include "rb_design.h"
#include "rb_fmt.h"
#include "rb_ratio.h"

/* One target's working state while its figures are collected. */
typedef struct rb__judge {
    rb_target *t;
    size_t used;     /* bytes of t->measured written */
    int checked;     /* figures compared */
    int failed;      /* figures that missed */
    int missing;     /* figures that could not be compared */
    const char *last_why; /* the last reason printed, so a repeated one is not spelt out again */
} rb__judge;

/* rb__say: append one printf-formatted piece to the measured text, separated by "; ". */
__attribute__((format(printf, 2, 3))) static void rb__say(rb__judge *j, const char *fmt, ...)
{
    char piece[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(piece, sizeof piece, fmt, ap);
    va_end(ap);
    static const char more[] = "; ... (the rest is in results.csv)";
    size_t room = sizeof j->t->measured - j->used;
    if (room <= sizeof more)
        return; /* already full, and already says so */
    int k = snprintf(j->t->measured + j->used, room - sizeof more, "%s%s", j->used ? "; " : "",
                     piece);
    if (k > 0 && (size_t)k < room - sizeof more) {
        j->used += (size_t)k;
        return;
    }
    /* The piece did not fit: end the text with a pointer to the full figures rather than a
     * sentence cut in the middle. */
    size_t cut = j->used;
    memcpy(j->t->measured + cut, more, sizeof more);
    j->used = sizeof j->t->measured;
}

/* rb__why_missing: the note of whichever of the two rows is not OK. */
static const char *rb__why_missing(const rb_results *r, const rb_workload *w, int v,
                                   const rb_runtime *a, const rb_runtime *b)
{
    const rb_row *ra = rb_results_find(r, w, v, a), *rbr = rb_results_find(r, w, v, b);
    if (ra == NULL)
        return "not in this run";
    if (ra->status != RB_ST_OK)
        return ra->note;
    if (rbr == NULL)
        return "its reference is not in this run";
    return rbr->status != RB_ST_OK ? rbr->note : "no figure";
}

/*
 * rb__compare: for every variant of w, a's cost relative to b's on metric m (a/b for a
 * time-like metric, b/a for a throughput, so below 1 always means a did better) must be at
 * most `limit`. Each comparison goes into the measured text, marked when it misses.
 */
static void rb__compare(rb__judge *j, const rb_results *r, const char *wname, const char *mname,
                        const char *an, const char *bn, double limit)
{
    const rb_workload *w = rb_workload_find(wname);
    const rb_runtime *a = rb_runtime_find(an), *b = rb_runtime_find(bn);
    int m = rb_metric_index(w, mname);
    for (int v = 0; v < rb_plan_nvariants(w, r->plan->size); v++) {
        char label[96], num[32];
        if (rb_results_find(r, w, v, a) == NULL && rb_results_find(r, w, v, b) == NULL)
            continue;
        rb_plan_label(w, r->plan->size, v, label, sizeof label);
        double adv = rb_ratio_advantage(r, w, v, m, a, b);
        if (isnan(adv)) {
            const char *why = rb__why_missing(r, w, v, a, b);
            j->missing++;
            rb__say(j, "%s%s%s: %s", wname, label[0] ? " " : "", label,
                    j->last_why && strcmp(j->last_why, why) == 0 ? "the same" : why);
            j->last_why = why;
            continue;
        }
        double q = 1.0 / adv;
        int miss = q > limit * (1 + 1e-9);
        j->checked++;
        j->failed += miss;
        rb_fmt_ratio(num, sizeof num, q);
        rb__say(j, "%s%s%s: %s/%s = %s%s", wname, label[0] ? " " : "", label, an, bn, num,
                miss ? " (miss)" : "");
    }
}

/* rb__verdict: met only if something was checked, nothing failed and nothing was missing. */
static void rb__verdict(rb__judge *j)
{
    if (j->failed > 0)
        j->t->verdict = RB_MISSED;
    else if (j->checked == 0 || j->missing > 0)
        j->t->verdict = RB_UNMEASURED;
    else
        j->t->verdict = RB_MET;
    if (j->used == 0)
        snprintf(j->t->measured, sizeof j->t->measured, "not in this run");
}

/* rb__design_why: the design notes of the workloads a missed target involves. */
static void rb__design_why(rb_target *t, const char *const *workloads, int as_side)
{
    size_t used = 0;
    for (const char *const *w = workloads; *w; w++) {
        const rb_design_note *d = rb_design_find(*w);
        int k = snprintf(t->why + used, sizeof t->why - used, "%s%s: %s", used ? " " : "", *w,
                         as_side ? d->as : d->tk);
        if (k < 0 || (size_t)k >= sizeof t->why - used)
            break;
        used += (size_t)k;
        if (used + 1 < sizeof t->why)
            t->why[used++] = '.', t->why[used] = '\0';
    }
}

/* rb_targets_eval: each target from its own comparisons; the "why" only for misses. */
void rb_targets_eval(const rb_results *r, rb_target out[RB_NTARGETS])
{
    static const char *const four[] = { "spawn_many", "yield_many", "chained_spawn",
                                        "task_ping_pong", NULL };
    static const char *const five[] = { "spawn_many", "yield_many", "chained_spawn",
                                        "task_ping_pong", "sock_ping_pong", NULL };
    static const char *const ping[] = { "sock_ping_pong", NULL };
    static const char *const benchc[] = { "bench_c", NULL };
    static const char *const timers[] = { "million_timers", NULL };
    memset(out, 0, sizeof(rb_target) * RB_NTARGETS);
    out[0].goal = "tk-ct sock_ping_pong within 1.10x of the epoll floor";
    out[1].goal = "tk at least as fast as libev (the fastest C loop) on bench_c at every n";
    out[2].goal = "million_timers on tk's wheel at most 0.5x libuv's time";
    out[3].goal = "tk-mt at least as fast as tokio-mt on spawn_many, yield_many, chained_spawn "
                  "and task_ping_pong";
    out[4].goal = "as at least as fast as async-std on those four, and on sock_ping_pong";

    rb__judge j = { &out[0], 0, 0, 0, 0, NULL };
    rb__compare(&j, r, "sock_ping_pong", "round_trip", "tk-ct", "epoll", 1.10);
    rb__verdict(&j);
    if (out[0].verdict == RB_MISSED) {
        rb__design_why(&out[0], ping, 0);
        snprintf(out[0].why + strlen(out[0].why), sizeof out[0].why - strlen(out[0].why),
                 " The floor calls read and write straight from its epoll_wait loop; the wake "
                 "and the poll are what tk adds per message.");
    }

    j = (rb__judge){ &out[1], 0, 0, 0, 0, NULL };
    rb__compare(&j, r, "bench_c", "process", "tk-ct", "libev", 1.0);
    rb__verdict(&j);
    rb__judge extra = { &out[1], j.used, 0, 0, 0, j.last_why };
    rb__compare(&extra, r, "bench_c", "process", "tk-mt", "libev", 1.0);
    if (out[1].verdict == RB_MISSED) {
        rb__design_why(&out[1], benchc, 0);
        snprintf(out[1].why + strlen(out[1].why), sizeof out[1].why - strlen(out[1].why),
                 " libev calls the callback straight from its loop and re-arms a timeout with "
                 "ev_timer_again, an in-place heap adjustment.");
    }

    /* Target 3 sums the three phases that are work, not waiting for deadlines. */
    j = (rb__judge){ &out[2], 0, 0, 0, 0, NULL };
    const rb_workload *mt = rb_workload_find("million_timers");
    const rb_runtime *tk = rb_runtime_find("tk-ct"), *uv = rb_runtime_find("libuv");
    for (int v = 0; v < rb_plan_nvariants(mt, r->plan->size); v++) {
        const rb_row *a = rb_results_ok(r, mt, v, tk), *b = rb_results_ok(r, mt, v, uv);
        char label[96];
        rb_plan_label(mt, r->plan->size, v, label, sizeof label);
        if (rb_results_find(r, mt, v, tk) == NULL && rb_results_find(r, mt, v, uv) == NULL)
            continue;
        if (a == NULL || b == NULL) {
            j.missing++;
            rb__say(&j, "%s: %s", label, rb__why_missing(r, mt, v, tk, uv));
            continue;
        }
        int phases[3] = { rb_metric_index(mt, "init"), rb_metric_index(mt, "dispatch_cpu"),
                          rb_metric_index(mt, "cleanup") };
        double ta = 0, tb = 0;
        for (int k = 0; k < 3; k++)
            ta += a->stat[phases[k]].median, tb += b->stat[phases[k]].median;
        double q = ta / tb;
        char qs[16], i1[16], i2[16], i3[16];
        rb_fmt_ratio(qs, sizeof qs, q);
        rb_fmt_ratio(i1, sizeof i1, a->stat[phases[0]].median / b->stat[phases[0]].median);
        rb_fmt_ratio(i2, sizeof i2, a->stat[phases[1]].median / b->stat[phases[1]].median);
        rb_fmt_ratio(i3, sizeof i3, a->stat[phases[2]].median / b->stat[phases[2]].median);
        rb__say(&j, "%s: tk-ct/libuv = %s (%.0f vs %.0f ns per timer; init %s, dispatch_cpu %s, "
                "cleanup %s)%s", label, qs, ta, tb, i1, i2, i3, q > 0.5 ? " (miss)" : "");
        j.checked++;
        if (q > 0.5)
            j.failed++;
    }
    rb__verdict(&j);
    if (out[2].verdict == RB_MISSED) {
        rb__design_why(&out[2], timers, 0);
        snprintf(out[2].why + strlen(out[2].why), sizeof out[2].why - strlen(out[2].why),
                 " libuv's uv_timer_start is a binary-heap insert on a handle the caller owns, "
                 "with no lock and no waker; at these N the heap's log n is under 20 steps, so "
                 "the wheel's O(1) has little to win back.");
    }

    j = (rb__judge){ &out[3], 0, 0, 0, 0, NULL };
    for (const char *const *w = four; *w; w++)
        rb__compare(&j, r, *w, rb_workload_find(*w)->metrics[0].name, "tk-mt", "tokio-mt", 1.0);
    rb__verdict(&j);
    if (out[3].verdict == RB_MISSED)
        snprintf(out[3].why, sizeof out[3].why,
                 "tk-mt copies tokio's scheduler design (LIFO slot, 256-slot rings, stealing "
                 "half, the inject queue every 61 ticks), so a gap here is the cost of its "
                 "implementation of the same steps -- the atomic state word, the futex parker, "
                 "the unpark of a sibling -- not a different design.");

    j = (rb__judge){ &out[4], 0, 0, 0, 0, NULL };
    for (const char *const *w = five; *w; w++)
        rb__compare(&j, r, *w, rb_workload_find(*w)->metrics[0].name, "as", "async-std", 1.0);
    rb__verdict(&j);
    if (out[4].verdict == RB_MISSED)
        rb__design_why(&out[4], five, 1);
}

/* rb_verdict_word: for tables. */
const char *rb_verdict_word(rb_verdict v)
{
    return v == RB_MET ? "met" : v == RB_MISSED ? "missed" : "not measured";
}
