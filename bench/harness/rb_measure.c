/* rb_measure.c: the measuring loop -- each case's warm-up and repetitions, stopped at the first failure. */
#include "rb_measure.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "rb_proc.h"
#include "rb_progress.h"
#include "rb_runner.h"
#include "rt_alloc.h"

/*
 * The memory a timer may need at most, summed over every runtime's representation: the C
 * loops keep a handle of 50-150 bytes, the Rust anchors a boxed Sleep of a few hundred. 1 KiB
 * per timer leaves room for the allocator and the runtime's own structures, so a case that
 * passes this test will not push the machine into swap (or the OOM killer).
 */
#define RB__BYTES_PER_TIMER 1024.0

/* rb__mem_available: MemAvailable in bytes, or -1 if /proc/meminfo does not say. */
static double rb__mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    double kib = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kib) == 1)
            break;
    fclose(f);
    return kib < 0 ? -1 : kib * 1024.0;
}

/* rb__fits_fds: bench.c's own rule, 2n + 50 descriptors, against the hard limit -- raised
 * first when we may (root with CAP_SYS_RESOURCE), so the children inherit the higher limit. */
static int rb__fits_fds(const rb_case *c, char *why, size_t n)
{
    struct rlimit rl;
    double need = 2 * rb_plan_param(c->params, "n") + 50;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_max == RLIM_INFINITY ||
        need <= (double)rl.rlim_max)
        return 1;
    struct rlimit more = { .rlim_cur = rl.rlim_cur, .rlim_max = (rlim_t)need };
    if (setrlimit(RLIMIT_NOFILE, &more) == 0)
        return 1;
    snprintf(why, n, "bench_c needs %.0f descriptors but the hard RLIMIT_NOFILE is %llu "
             "(raising it needs root with CAP_SYS_RESOURCE: ulimit -Hn)", need,
             (unsigned long long)rl.rlim_max);
    return 0;
}

/* rb_measure_fits_machine: the two workloads whose size can outgrow a machine. */
int rb_measure_fits_machine(const rb_case *c, char *why, size_t n)
{
    if (strcmp(c->w->name, "bench_c") == 0)
        return rb__fits_fds(c, why, n);
    if (strcmp(c->w->name, "million_timers") != 0)
        return 1;
    double need = rb_plan_param(c->params, "timers") * RB__BYTES_PER_TIMER;
    double have = rb__mem_available();
    if (have < 0 || need <= have)
        return 1;
    snprintf(why, n, "needs about %.1f GiB (1 KiB per timer) but MemAvailable is %.1f GiB",
             need / (1 << 30), have / (1 << 30));
    return 0;
}

/* rb__same_except: two params strings that differ at most in the value of `key`. */
static int rb__same_except(const char *a, const char *b, const char *key)
{
    size_t klen = strlen(key);
    for (;;) {
        while (*a == ' ')
            a++;
        while (*b == ' ')
            b++;
        if (*a == '\0' || *b == '\0')
            return *a == *b;
        size_t la = strcspn(a, " "), lb = strcspn(b, " ");
        int a_key = la > klen && strncmp(a, key, klen) == 0 && a[klen] == '=';
        int b_key = lb > klen && strncmp(b, key, klen) == 0 && b[klen] == '=';
        if (a_key != b_key || (!a_key && (la != lb || strncmp(a, b, la) != 0)))
            return 0;
        a += la;
        b += lb;
    }
}

/*
 * rb__known_gap: a case too big for this machine is still "no equivalent" on a runtime that
 * said so for a smaller size of the same variant (the uring floor has no bench_c at any n);
 * the reason is that earlier answer, so the report does not call a gap a machine limit.
 */
static const rb_row *rb__known_gap(const rb_results *res, size_t i)
{
    const rb_case *c = res->rows[i].c;
    const char *key = strcmp(c->w->name, "bench_c") == 0 ? "n" : "timers";
    for (size_t j = 0; j < i; j++) {
        const rb_row *o = &res->rows[j];
        if (o->c->w == c->w && o->c->rt == c->rt && o->status == RB_ST_NOEQUIV &&
            rb__same_except(o->c->params, c->params, key))
            return o;
    }
    return NULL;
}

/* rb__finish_row: stats over the repetitions of every metric; -ENOMEM if stats could not sort. */
static int rb__finish_row(rb_row *row, double *samples, int reps)
{
    for (int m = 0; m < row->c->w->nmetrics; m++)
        if (rb_stats_compute(samples + (size_t)m * (size_t)reps, reps, &row->stat[m]) != 0)
            return -ENOMEM;
    row->reps = reps;
    rb_row_set(row, RB_ST_OK, NULL);
    return 0;
}

/* rb__case: one case start to end; returns 0 or -ENOMEM. */
static int rb__case(const rb_env *e, rb_results *res, size_t i, double timeout, rb_progress *pg,
                    double *samples)
{
    rb_row *row = &res->rows[i];
    const rb_plan *plan = res->plan;
    char why[400];
    double start = rb_now();
    rb_env_unavailable(e, row->c->rt, why, sizeof why);
    if (why[0] != '\0') {
        rb_row_set(row, RB_ST_NOTMEASURED, why);
        rb_progress_skip_rest(pg, i, 1);
        return 0;
    }
    if (!rb_measure_fits_machine(row->c, why, sizeof why)) {
        const rb_row *gap = rb__known_gap(res, i);
        if (gap != NULL)
            rb_row_set(row, RB_ST_NOEQUIV, gap->note + strlen("no equivalent: "));
        else
            rb_row_set(row, RB_ST_NOTMEASURED, why);
        rb_progress_skip_rest(pg, i, 1);
        return 0;
    }
    // region: repetitions
    int runs = plan->warmup + plan->reps;
    for (int k = 0; k < runs; k++) {
        int measured = k - plan->warmup;
        char phase[32];
        if (measured < 0)
            snprintf(phase, sizeof phase, "warm-up");
        else
            snprintf(phase, sizeof phase, "rep %d/%d", measured + 1, plan->reps);
        rb_progress_begin(pg, i, phase);
        rb_run run;
        rb_runner_run(e, row->c, timeout, &run);
        rb_progress_end(pg, i, run.seconds, run.status == RB_ST_OK || run.status == RB_ST_ERROR);
        if (run.status != RB_ST_OK) {
            rb_row_set(row, run.status, run.why);
            rb_progress_skip_rest(pg, i, run.status != RB_ST_ERROR);
            row->seconds = rb_now() - start;
            if (run.status == RB_ST_ERROR)
                fprintf(pg->out, "  -> %s\n", row->note);
            return 0;
        }
        for (int m = 0; measured >= 0 && m < row->c->w->nmetrics; m++)
            samples[(size_t)m * (size_t)plan->reps + (size_t)measured] = run.values[m];
    }
    // endregion
    row->seconds = rb_now() - start;
    return rb__finish_row(row, samples, plan->reps);
}

/* rb_measure: one sample buffer reused by every case. */
int rb_measure(const rb_env *e, rb_results *res, double timeout, FILE *progress)
{
    rb_progress pg;
    if (rb_progress_init(&pg, res->plan, progress) != 0)
        return -ENOMEM;
    double *samples = rt_calloc((size_t)RB_MAX_METRICS * (size_t)res->plan->reps, sizeof *samples);
    if (samples == NULL) {
        rb_progress_free(&pg);
        return -ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < res->n && rc == 0; i++)
        rc = rb__case(e, res, i, timeout, &pg, samples);
    rt_free(samples);
    rb_progress_free(&pg);
    return rc;
}
