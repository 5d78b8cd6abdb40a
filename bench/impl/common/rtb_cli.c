/* rtb_cli.c: argument parsing, the metric buffer and the exit-code protocol of the rtb-* executables. */
#include "rtb_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Every workload name the bench knows, in WORKLOADS.md order. A name outside this list is a
 * typo (exit 2); a name in it that a runtime's table marks unsupported is "no equivalent"
 * (exit 3). Keeping the two apart is what lets the harness tell a broken invocation from an
 * honest gap.
 */
static const char *const rtb__all_workloads[] = {
    "sock_ping_pong", "bench_c", "million_timers", "timer_churn", "spawn_many", "yield_many",
    "chained_spawn", "task_ping_pong", "cross_thread_wake", "tcp_echo", "http_hello",
    "blocking_hazard", "idle_task_memory",
};

#define RTB__NWORKLOADS (sizeof rtb__all_workloads / sizeof rtb__all_workloads[0])
#define RTB__MAX_METRICS 8

/* A recorded metric waiting for the check to pass. */
typedef struct rtb__metric {
    const char *name;
    const char *unit;
    double value;
} rtb__metric;

static rtb__metric rtb__metrics[RTB__MAX_METRICS];
static int rtb__nmetrics;
static const char *rtb__runtime = "rtb";

/* rtb__usage: print how to call this executable and the valid workload names to stderr. */
static void rtb__usage(void)
{
    fprintf(stderr, "usage: rtb-%s WORKLOAD key=value ...\n", rtb__runtime);
    fprintf(stderr, "  (this C loop is single-threaded: --flavor and --workers do not apply)\n");
    fprintf(stderr, "workloads:");
    for (size_t i = 0; i < RTB__NWORKLOADS; i++)
        fprintf(stderr, " %s", rtb__all_workloads[i]);
    fprintf(stderr, "\nsizes and keys: bench/WORKLOADS.md\n");
}

/* rtb__bad_args: report a bad invocation and exit 2, running nothing. */
static _Noreturn void rtb__bad_args(const char *fmt, const char *detail)
{
    fprintf(stderr, "rtb-%s: ", rtb__runtime);
    fprintf(stderr, fmt, detail);
    fputc('\n', stderr);
    rtb__usage();
    exit(2);
}

/* rtb__known: true when name is one of the bench's workloads. */
static int rtb__known(const char *name)
{
    for (size_t i = 0; i < RTB__NWORKLOADS; i++)
        if (strcmp(name, rtb__all_workloads[i]) == 0)
            return 1;
    return 0;
}

/* rtb__parse: fill args from argv (WORKLOAD key=value...); exits 2 on anything else. */
static void rtb__parse(rtb_args *args, int argc, char **argv)
{
    args->workload = NULL;
    args->nparams = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--flavor") == 0 || strcmp(arg, "--workers") == 0)
            rtb__bad_args("%s does not apply to a single-threaded C loop", arg);
        const char *eq = strchr(arg, '=');
        if (eq == NULL) {
            /* The protocol puts the workload first; accept it anywhere, but only once. */
            if (args->workload != NULL || arg[0] == '-')
                rtb__bad_args("unexpected argument '%s'", arg);
            if (!rtb__known(arg))
                rtb__bad_args("unknown workload '%s'", arg);
            args->workload = arg;
            continue;
        }
        if (eq == arg)
            rtb__bad_args("expected key=value, got '%s'", arg);
        if (args->nparams == RTB_MAX_PARAMS)
            rtb__bad_args("%s", "too many key=value arguments");
        for (int j = 0; j < args->nparams; j++)
            if (args->params[j].key_len == (size_t)(eq - arg)
                && memcmp(args->params[j].key, arg, (size_t)(eq - arg)) == 0)
                rtb__bad_args("key given twice: '%s'", arg);
        rtb_param *p = &args->params[args->nparams++];
        p->key = arg;
        p->key_len = (size_t)(eq - arg);
        p->value = eq + 1;
        p->used = 0;
    }
    if (args->workload == NULL)
        rtb__bad_args("%s", "missing WORKLOAD");
}

/* rtb_param_u64: the unsigned param `key`, present and in [min, max], or exit 2. */
uint64_t rtb_param_u64(rtb_args *args, const char *key, uint64_t min, uint64_t max)
{
    size_t klen = strlen(key);
    for (int i = 0; i < args->nparams; i++) {
        rtb_param *p = &args->params[i];
        if (p->key_len != klen || memcmp(p->key, key, klen) != 0)
            continue;
        p->used = 1;
        /* strtoull accepts a sign and leading blanks; a size is plain digits, nothing else. */
        const char *s = p->value;
        if (*s < '0' || *s > '9')
            rtb__bad_args("not a number: '%s'", p->key);
        errno = 0;
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0')
            rtb__bad_args("not a number: '%s'", p->key);
        if (v < min || v > max) {
            fprintf(stderr, "rtb-%s: %s=%llu is outside [%llu, %llu]\n", rtb__runtime, key, v,
                    (unsigned long long)min, (unsigned long long)max);
            rtb__usage();
            exit(2);
        }
        return (uint64_t)v;
    }
    rtb__bad_args("missing %s=<number> (the harness passes every size)", key);
}

/* rtb_params_done: exit 2 if a key=value was given that the workload never read. */
void rtb_params_done(rtb_args *args)
{
    for (int i = 0; i < args->nparams; i++)
        if (!args->params[i].used)
            rtb__bad_args("unknown key in '%s'", args->params[i].key);
}

/* rtb_metric: buffer one metric; printed by rtb_main only after the run passed. */
void rtb_metric(const char *name, const char *unit, double value)
{
    if (rtb__nmetrics == RTB__MAX_METRICS)
        rtb_fail("internal: more than %d metrics", RTB__MAX_METRICS);
    rtb__metrics[rtb__nmetrics++] = (rtb__metric){ name, unit, value };
}

/* rtb_fail: print check=fail <why> (stdout) and the same on stderr, then exit 1; no metrics. */
_Noreturn void rtb_fail(const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    /* One line on stdout: a newline inside the reason would break the harness's parsing. */
    for (char *c = why; *c; c++)
        if (*c == '\n')
            *c = ' ';
    fflush(stdout);
    printf("check=fail %s\n", why);
    fflush(stdout);
    fprintf(stderr, "rtb-%s: check failed: %s\n", rtb__runtime, why);
    exit(1);
}

/* rtb_unsupported: the one-line "no equivalent" answer, exit 3. */
_Noreturn void rtb_unsupported(const char *why)
{
    printf("unsupported: %s\n", why);
    fflush(stdout);
    exit(3);
}

/* rtb_fail_errno: rtb_fail with "what: strerror(errno)". */
_Noreturn void rtb_fail_errno(const char *what)
{
    rtb_fail("%s: %s", what, strerror(errno));
}

/* rtb_main: parse, dispatch to the table's body or report no equivalent, print the verdict. */
int rtb_main(int argc, char **argv, const char *runtime, const rtb_entry *table, size_t count)
{
    rtb_args args;
    rtb__runtime = runtime;
    args.runtime = runtime;
    rtb__parse(&args, argc, argv);
    const rtb_entry *e = NULL;
    for (size_t i = 0; i < count; i++)
        if (strcmp(table[i].workload, args.workload) == 0)
            e = &table[i];
    if (e == NULL || e->run == NULL) {
        printf("unsupported: %s\n", e != NULL && e->unsupported != NULL
                                        ? e->unsupported : "this runtime has no form of this workload");
        return 3;
    }
    if (e->run(&args) != 0)
        rtb_fail("%s reported failure", args.workload);
    for (int i = 0; i < rtb__nmetrics; i++)
        printf("metric=%s unit=%s value=%.3f\n", rtb__metrics[i].name, rtb__metrics[i].unit,
               rtb__metrics[i].value);
    printf("check=ok\n");
    fflush(stdout);
    return 0;
}
