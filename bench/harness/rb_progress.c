/* rb_progress.c: the "[12/140] sock_ping_pong libuv quick rep 3/5 ... ETA 4m10s" lines. */
#include "rb_progress.h"

#include <errno.h>

#include "rb_fmt.h"
#include "rt_alloc.h"

/* The guess for a run before anything was measured: a typical quick run plus process start. */
#define RB__PRIOR_SECS 0.3
/* What a case on a known gap costs: one process that prints its reason and exits. */
#define RB__GAP_SECS 0.005

/* rb_progress_init: every case starts with warm-up + reps runs to go. */
int rb_progress_init(rb_progress *p, const rb_plan *plan, FILE *out)
{
    p->out = out;
    p->plan = plan;
    p->left = rt_calloc(plan->ncases ? plan->ncases : 1, sizeof *p->left);
    p->w_secs = rt_calloc(rb_nworkloads, sizeof *p->w_secs);
    p->w_runs = rt_calloc(rb_nworkloads, sizeof *p->w_runs);
    p->gap = rt_calloc(rb_nworkloads * rb_nruntimes, 1);
    if (p->left == NULL || p->w_secs == NULL || p->w_runs == NULL || p->gap == NULL) {
        rb_progress_free(p);
        return -ENOMEM;
    }
    p->all_secs = 0;
    p->all_runs = 0;
    p->total = 0;
    p->done = 0;
    for (size_t i = 0; i < plan->ncases; i++) {
        p->left[i] = plan->warmup + plan->reps;
        p->total += p->left[i];
    }
    return 0;
}

/*
 * rb__estimate: mean seconds per run of workload wi, else of everything, else the prior. An
 * http_hello run lasts at least wrk's duration, which the table says, so that is its floor
 * before the first one is measured.
 */
static double rb__estimate(const rb_progress *p, size_t wi)
{
    if (p->w_runs[wi] > 0)
        return p->w_secs[wi] / p->w_runs[wi];
    if (rb_workload_is_http(&rb_workloads[wi]))
        return rb_plan_param(rb_workloads[wi].sizes[p->plan->size][0], "secs") + RB__PRIOR_SECS;
    if (p->all_runs > 0)
        return p->all_secs / p->all_runs;
    return RB__PRIOR_SECS;
}

/* rb_progress_eta: a sum over cases, since workloads differ by 100x in run time. */
double rb_progress_eta(const rb_progress *p)
{
    double eta = 0;
    for (size_t i = 0; i < p->plan->ncases; i++) {
        const rb_case *c = &p->plan->cases[i];
        size_t wi = rb_workload_index(c->w);
        if (p->left[i] == 0)
            continue;
        if (p->gap[wi * rb_nruntimes + rb_runtime_index(c->rt)])
            eta += RB__GAP_SECS;
        else
            eta += p->left[i] * rb__estimate(p, wi);
    }
    return eta;
}

/* rb_progress_begin: the line is printed before the run, so a hang shows what is hanging. */
void rb_progress_begin(rb_progress *p, size_t case_index, const char *phase)
{
    const rb_case *c = &p->plan->cases[case_index];
    char eta[32];
    rb_fmt_duration(eta, sizeof eta, rb_progress_eta(p));
    fprintf(p->out, "[%d/%d] %s %s %s %s %s ... ETA %s\n", p->done + 1, p->total, c->w->name,
            c->rt->name, rb_size_name(p->plan->size), c->params, phase, eta);
    fflush(p->out);
}

/* rb_progress_end: one run fewer to go, and one more sample for the estimate. */
void rb_progress_end(rb_progress *p, size_t case_index, double seconds, int sample)
{
    size_t wi = rb_workload_index(p->plan->cases[case_index].w);
    if (p->left[case_index] > 0)
        p->left[case_index]--;
    p->done++;
    if (!sample)
        return;
    p->w_secs[wi] += seconds;
    p->w_runs[wi]++;
    p->all_secs += seconds;
    p->all_runs++;
}

/* rb_progress_skip_rest: the runs that will not happen leave the total. */
void rb_progress_skip_rest(rb_progress *p, size_t case_index, int gap)
{
    const rb_case *c = &p->plan->cases[case_index];
    p->total -= p->left[case_index];
    p->left[case_index] = 0;
    if (gap)
        p->gap[rb_workload_index(c->w) * rb_nruntimes + rb_runtime_index(c->rt)] = 1;
}

/* rb_progress_free: safe after a failed init. */
void rb_progress_free(rb_progress *p)
{
    rt_free(p->left);
    rt_free(p->w_secs);
    rt_free(p->w_runs);
    rt_free(p->gap);
    p->gap = NULL;
    p->left = NULL;
    p->w_secs = NULL;
    p->w_runs = NULL;
}
