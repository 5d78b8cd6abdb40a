/* rb_cli.c: parsing rtbench's command line strictly -- a typo exits 2 with the valid names and runs nothing. */
#include "rb_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rb_run.h"

/* Per-run limits by size: about ten times the longest legitimate run of that size. */
#define RB__TIMEOUT_SMOKE 20.0
#define RB__TIMEOUT_QUICK 30.0
#define RB__TIMEOUT_FULL 300.0
#define RB__DEFAULT_REPS 5
#define RB__MAX_REPS 1000
#define RB__MAX_TIMEOUT 86400

/* rb_cli_usage: the synopsis of both commands and every option of run. */
void rb_cli_usage(FILE *f)
{
    fprintf(f,
            "usage: rtbench list\n"
            "       rtbench run [--workload W,..] [--runtime R,..] [--size quick|full] [--reps N]\n"
            "                   [--out DIR] [--timeout SECS] [--smoke] [--bin DIR] [--tools DIR]\n"
            "  --workload   workloads to run (default: all)\n"
            "  --runtime    runtimes to run them on (default: all)\n"
            "  --size       quick (make bench, the default) or full (make bench FULL=1)\n"
            "  --reps       measured repetitions per case, after one warm-up (default %d)\n"
            "  --out        results directory (default: bench/results/<date-time>, and\n"
            "               bench/results/latest is pointed at it)\n"
            "  --timeout    per-run time limit in seconds (default %g quick, %g full)\n"
            "  --smoke      tiny sizes, 1 repetition, no warm-up, no plots or report: checks\n"
            "               that every workload passes its self-check on every runtime\n"
            "  --bin        where the rtb-* executables are (default: build/bench/bin)\n"
            "  --tools      where the gnuplot templates are (default: bench/tools)\n"
            "Definitions of every workload and size: bench/WORKLOADS.md\n",
            RB__DEFAULT_REPS, RB__TIMEOUT_QUICK, RB__TIMEOUT_FULL);
}

/* rb_cli_valid_names: what a user who mistyped a name needs to see. */
void rb_cli_valid_names(FILE *f)
{
    fprintf(f, "valid workloads:");
    for (size_t i = 0; i < rb_nworkloads; i++)
        fprintf(f, " %s", rb_workloads[i].name);
    fprintf(f, "\nvalid runtimes:");
    for (size_t i = 0; i < rb_nruntimes; i++)
        fprintf(f, " %s", rb_runtimes[i].name);
    fprintf(f, "\nvalid sizes: quick full (and --smoke)\n");
}

/* rb_cli_list: the table, for a person choosing what to run. */
void rb_cli_list(FILE *f)
{
    fprintf(f, "workloads (bench/WORKLOADS.md):\n");
    for (size_t i = 0; i < rb_nworkloads; i++) {
        const rb_workload *w = &rb_workloads[i];
        fprintf(f, "  %-18s %s\n  %-18s figures:", w->name, w->what, "");
        for (int m = 0; m < w->nmetrics; m++)
            fprintf(f, " %s (%s)", w->metrics[m].name, w->metrics[m].unit);
        fprintf(f, "\n");
    }
    fprintf(f, "runtimes:\n");
    for (size_t i = 0; i < rb_nruntimes; i++) {
        const rb_runtime *rt = &rb_runtimes[i];
        fprintf(f, "  %-10s %-14s %s\n", rt->name, rt->exe, rt->what);
    }
}

/* rb__bad: the message, the usage and the valid names; always returns 2. */
static int rb__bad(FILE *err, const char *what, const char *detail)
{
    fprintf(err, "rtbench: %s%s%s%s\n", what, detail ? " '" : "", detail ? detail : "",
            detail ? "'" : "");
    rb_cli_usage(err);
    rb_cli_valid_names(err);
    return 2;
}

/* rb__number: plain decimal digits within [lo, hi]; -1 otherwise (no sign, no spaces, no 1e3). */
static long rb__number(const char *s, long lo, long hi)
{
    long v = 0;
    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
        if (v > hi)
            return -1;
    }
    return v < lo ? -1 : v;
}

/*
 * rb__select: a comma-separated list of names into flags; 0, or 2 on an unknown or empty
 * name. `workloads` picks the table: workload names if set, runtime names if not.
 */
static int rb__select(const char *list, int workloads, unsigned char *flags, FILE *err)
{
    char name[64];
    const char *s = list;
    memset(flags, 0, RB_SEL_MAX);
    for (;;) {
        size_t len = strcspn(s, ",");
        if (len == 0 || len >= sizeof name)
            return rb__bad(err, workloads ? "empty or overlong workload name in" :
                                            "empty or overlong runtime name in", list);
        memcpy(name, s, len);
        name[len] = '\0';
        if (workloads) {
            const rb_workload *w = rb_workload_find(name);
            if (w == NULL)
                return rb__bad(err, "unknown workload", name);
            flags[rb_workload_index(w)] = 1;
        } else {
            const rb_runtime *rt = rb_runtime_find(name);
            if (rt == NULL)
                return rb__bad(err, "unknown runtime", name);
            flags[rb_runtime_index(rt)] = 1;
        }
        s += len;
        if (*s == '\0')
            break;
        s++;
    }
    return 0;
}

/* rb__defaults: everything selected, quick, 5 reps after one warm-up. */
static void rb__defaults(rb_options *o)
{
    memset(o, 0, sizeof *o);
    memset(o->want_w, 1, rb_nworkloads);
    memset(o->want_rt, 1, rb_nruntimes);
    o->size = RB_SIZE_QUICK;
    o->reps = RB__DEFAULT_REPS;
    o->warmup = 1;
}

/* rb__option: one `--name value` or `--name=value` of run; returns 0 or 2. */
static int rb__option(const char *name, const char *value, rb_options *o, unsigned *seen, FILE *err)
{
    static const char *const names[] = { "--workload", "--runtime", "--size", "--reps", "--out",
                                         "--timeout", "--bin", "--tools" };
    int which = -1;
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            which = i;
    if (which < 0)
        return rb__bad(err, "unknown option", name);
    if (*seen & (1u << which))
        return rb__bad(err, "option given twice:", name);
    *seen |= 1u << which;
    if (value == NULL)
        return rb__bad(err, "option needs a value:", name);
    long v;
    switch (which) {
    case 0:
        return rb__select(value, 1, o->want_w, err);
    case 1:
        return rb__select(value, 0, o->want_rt, err);
    case 2:
        if (rb_size_parse(value) < 0)
            return rb__bad(err, "unknown size", value);
        o->size = (rb_size)rb_size_parse(value);
        return 0;
    case 3:
        if ((v = rb__number(value, 1, RB__MAX_REPS)) < 0)
            return rb__bad(err, "--reps needs a whole number from 1 to 1000, not", value);
        o->reps = (int)v;
        return 0;
    case 4:
        o->out = value;
        return 0;
    case 5:
        if ((v = rb__number(value, 1, RB__MAX_TIMEOUT)) < 0)
            return rb__bad(err, "--timeout needs whole seconds from 1 to 86400, not", value);
        o->timeout = (double)v;
        return 0;
    case 6:
        o->bin = value;
        return 0;
    default:
        o->tools = value;
        return 0;
    }
}

/* rb_cli_parse: the command word, then run's options; defaults resolved at the end. */
int rb_cli_parse(int argc, char **argv, rb_options *o, FILE *err)
{
    rb__defaults(o);
    if (argc < 2)
        return rb__bad(err, "no command given", NULL);
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        o->cmd = RB_CMD_HELP;
        return 0;
    }
    if (strcmp(cmd, "list") == 0) {
        o->cmd = RB_CMD_LIST;
        return argc == 2 ? 0 : rb__bad(err, "list takes no arguments; got", argv[2]);
    }
    if (strcmp(cmd, "run") != 0)
        return rb__bad(err, "unknown command", cmd);
    o->cmd = RB_CMD_RUN;
    unsigned seen = 0;
    int size_given = 0, reps_given = 0;
    for (int i = 2; i < argc; i++) {
        char name[32];
        const char *arg = argv[i], *value;
        if (strcmp(arg, "--smoke") == 0) {
            if (o->smoke)
                return rb__bad(err, "option given twice:", arg);
            o->smoke = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0)
            return rb__bad(err, "unexpected argument", arg);
        const char *eq = strchr(arg, '=');
        if (eq != NULL) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - arg), arg);
            value = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", arg);
            value = i + 1 < argc ? argv[++i] : NULL;
        }
        size_given |= strcmp(name, "--size") == 0;
        reps_given |= strcmp(name, "--reps") == 0;
        int rc = rb__option(name, value, o, &seen, err);
        if (rc != 0)
            return rc;
    }
    if (o->smoke && size_given)
        return rb__bad(err, "--smoke has its own tiny sizes; it cannot be combined with --size",
                       NULL);
    if (o->smoke) {
        o->size = RB_SIZE_SMOKE;
        o->warmup = 0;
        if (!reps_given)
            o->reps = 1;
    }
    if (o->timeout == 0)
        o->timeout = o->smoke ? RB__TIMEOUT_SMOKE
                     : o->size == RB_SIZE_FULL ? RB__TIMEOUT_FULL : RB__TIMEOUT_QUICK;
    return 0;
}

/* rb_main: stdout for what was asked, stderr for complaints. */
int rb_main(int argc, char **argv)
{
    rb_options o;
    int rc = rb_cli_parse(argc, argv, &o, stderr);
    if (rc != 0)
        return rc;
    switch (o.cmd) {
    case RB_CMD_HELP:
        rb_cli_usage(stdout);
        rb_cli_valid_names(stdout);
        return 0;
    case RB_CMD_LIST:
        rb_cli_list(stdout);
        return 0;
    case RB_CMD_RUN:
        break;
    }
    return rb_run(&o);
}
