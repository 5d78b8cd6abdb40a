/* rb_run.c: the run command -- plan, measure, ratios, then CSV, machine, plots, report and summary. */
#include "rb_run.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rb_buf.h"
#include "rb_csv.h"
#include "rb_env.h"
#include "rb_machine.h"
#include "rb_measure.h"
#include "rb_plot.h"
#include "rb_proc.h"
#include "rb_ratio.h"
#include "rb_report.h"
#include "rb_summary.h"

/* rb__mkdirs: mkdir -p; 0 or -errno. */
static int rb__mkdirs(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *s = tmp + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -errno;
        *s = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* rb__write_csv_and_machine: results.csv and machine.txt into dir; 0, or -1 with a message. */
static int rb__write_csv_and_machine(const char *dir, const rb_results *res, const rb_machine *m)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    FILE *f = fopen(path, "w");
    int rc = f ? rb_csv_write(f, res) : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    if (rc != 0) {
        fprintf(stderr, "rtbench: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/machine.txt", dir);
    f = fopen(path, "w");
    rc = f ? rb_machine_write(f, m) : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "rtbench: cannot write %s: %s\n", path, strerror(errno));
    return rc;
}

/* rb__default_out: <root>/bench/results/<YYYY-MM-DD-HHMMSS>; `latest` will point at the stamp. */
static void rb__default_out(const rb_env *e, char *out, size_t n, char *stamp, size_t sn)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sn, "%Y-%m-%d-%H%M%S", &tm);
    rb_snprintf(out, n, "%s/bench/results/%s", e->root, stamp);
}

/* rb__point_latest: bench/results/latest -> <stamp>, replaced atomically with a rename. */
static void rb__point_latest(const rb_env *e, const char *stamp)
{
    char tmp[PATH_MAX + 64], link[PATH_MAX + 64];
    snprintf(tmp, sizeof tmp, "%s/bench/results/.latest.%ld", e->root, (long)getpid());
    snprintf(link, sizeof link, "%s/bench/results/latest", e->root);
    unlink(tmp);
    if (symlink(stamp, tmp) != 0 || rename(tmp, link) != 0) {
        fprintf(stderr, "rtbench: could not point %s at %s: %s\n", link, stamp, strerror(errno));
        unlink(tmp);
    }
}

/* rb__selection: " --flag a,b" for the chosen entries of a table, nothing when all are chosen. */
static void rb__selection(rb_buf *b, const char *flag, const unsigned char *want, int workloads)
{
    size_t count = workloads ? rb_nworkloads : rb_nruntimes, chosen = 0;
    for (size_t i = 0; i < count; i++)
        chosen += want[i] != 0;
    if (chosen == count)
        return;
    rb_buf_printf(b, " %s ", flag);
    for (size_t i = 0, first = 1; i < count; i++) {
        if (!want[i])
            continue;
        rb_buf_printf(b, "%s%s", first ? "" : ",",
                      workloads ? rb_workloads[i].name : rb_runtimes[i].name);
        first = 0;
    }
}

/* rb__command_line: the equivalent rtbench invocation, for the report and machine.txt. */
static void rb__command_line(const rb_options *o, char *out, size_t n)
{
    rb_buf b;
    rb_buf_init(&b);
    if (o->smoke)
        rb_buf_printf(&b, "rtbench run --smoke");
    else
        rb_buf_printf(&b, "rtbench run --size %s", rb_size_name(o->size));
    rb_buf_printf(&b, " --reps %d --timeout %g", o->reps, o->timeout);
    rb__selection(&b, "--workload", o->want_w, 1);
    rb__selection(&b, "--runtime", o->want_rt, 0);
    snprintf(out, n, "%s", b.failed ? "rtbench run (out of memory describing it)" : rb_buf_str(&b));
    rb_buf_free(&b);
}

/* rb__smoke_verdict: make test's closing line for the smoke run; 1 if any case is in error. */
static int rb__smoke_verdict(const rb_results *res)
{
    int ok = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < res->n; i++) {
        const rb_row *row = &res->rows[i];
        if (row->status == RB_ST_OK)
            ok++;
        else if (row->status == RB_ST_ERROR)
            failed++, fprintf(stderr, "smoke: FAIL %s %s (%s): %s\n", row->c->w->name,
                              row->c->rt->name, row->c->params, row->note);
        else
            skipped++;
    }
    printf("smoke: %d passed, %d failed, %d skipped\n", ok, failed, skipped);
    return failed ? 1 : 0;
}

/* rb_run: nothing is written before the plan is known to be runnable. */
int rb_run(const rb_options *o)
{
    rb_env env;
    rb_plan plan;
    rb_results res;
    rb_machine machine;
    char out[PATH_MAX], stamp[64] = "", cmd[1024];
    rb_proc_guard_signals();
    rb_env_init(&env, o->bin, o->tools);
    if (rb_plan_build(&plan, o->want_w, o->want_rt, o->size, o->reps, o->warmup) != 0 ||
        rb_results_init(&res, &plan) != 0) {
        fprintf(stderr, "rtbench: out of memory\n");
        rb_plan_free(&plan);
        return 1;
    }
    if (o->out)
        snprintf(out, sizeof out, "%s", o->out);
    else
        rb__default_out(&env, out, sizeof out, stamp, sizeof stamp);
    int rc = rb__mkdirs(out);
    if (rc != 0) {
        fprintf(stderr, "rtbench: cannot create %s: %s\n", out, strerror(-rc));
        rb_results_free(&res);
        rb_plan_free(&plan);
        return 1;
    }
    rb__command_line(o, cmd, sizeof cmd);
    rb_machine_probe(&machine, &env);
    rb_machine_set(&machine, "size", rb_size_name(o->size));
    rb_machine_set(&machine, "command", cmd);
    fprintf(stderr, "rtbench: %zu cases (%s size, %d warm-up + %d reps each, limit %gs per run) "
            "-> %s\n", plan.ncases, rb_size_name(o->size), o->warmup, o->reps, o->timeout, out);
    double start = rb_now();
    rc = rb_measure(&env, &res, o->timeout, stderr) != 0 ? 1 : 0;
    char took[32];
    snprintf(took, sizeof took, "%.0f s", rb_now() - start);
    rb_machine_set(&machine, "measuring time", took);
    rb_ratio_compute(&res);
    if (rc == 0 && rb__write_csv_and_machine(out, &res, &machine) != 0)
        rc = 1;
    if (rc == 0 && !o->smoke) {
        static rb_plots plots; /* about 13 KiB of paths and captions: kept off the stack */
        rb_plot_all(&env, &res, out, &plots);
        if (rb_report_write(&res, &machine, &plots, out) != 0)
            rc = 1;
    }
    rb_summary_print(stdout, &res);
    if (o->smoke && rb__smoke_verdict(&res) != 0)
        rc = 1;
    if (!o->smoke)
        printf("\nresults: %s/ (results.csv, report.md, report.html, plots/, machine.txt)\n", out);
    if (rc == 0 && !o->out)
        rb__point_latest(&env, stamp);
    rb_results_free(&res);
    rb_plan_free(&plan);
    return rc;
}
