/* rtb_cli.h: the command line and stdout protocol shared by every C bench executable (rtb-*). */
#ifndef RTB_CLI_H
#define RTB_CLI_H

#include <stddef.h>
#include <stdint.h>

/*
 * The protocol (bench/WORKLOADS.md, "Protocol") in one paragraph: `rtb-X WORKLOAD key=value ...`
 * runs one repetition of one workload; stdout carries only `metric=... unit=... value=...` lines
 * and then `check=ok`; exit 0 ok, 1 self-check failed (`check=fail <why>`, no metric lines),
 * 2 bad arguments, 3 no equivalent in this runtime (`unsupported: <why>`).
 *
 * Metrics are buffered, not printed, while the workload runs: a run that fails its check after
 * having measured something must still print no number, and buffering is the simplest way to
 * guarantee that.
 */

#define RTB_MAX_PARAMS 16

/* One key=value argument; `used` is set when the workload reads it, to catch typos. */
typedef struct rtb_param {
    const char *key;    /* points into argv, up to (not including) the '=' */
    size_t key_len;
    const char *value;  /* the text after the '=' */
    int used;
} rtb_param;

/* The parsed command line of one invocation. */
typedef struct rtb_args {
    const char *runtime;   /* the executable's runtime name, for messages */
    const char *workload;  /* argv[1] */
    int nparams;
    rtb_param params[RTB_MAX_PARAMS];
} rtb_args;

/* A workload body: reads its params, calls rtb_params_done, runs, records metrics; 0 = passed. */
typedef int (*rtb_run_fn)(rtb_args *args);

/* One row of a runtime's table: either a body, or the reason it has no equivalent. */
typedef struct rtb_entry {
    const char *workload;
    rtb_run_fn run;           /* NULL when unsupported */
    const char *unsupported;  /* the one-line reason when run is NULL */
} rtb_entry;

/* The whole program: parse argv, find the workload in `table`, run it, print; returns the exit code. */
int rtb_main(int argc, char **argv, const char *runtime, const rtb_entry *table, size_t count);

/* The unsigned param `key`, which must be present and lie in [min, max]; else exits 2. */
uint64_t rtb_param_u64(rtb_args *args, const char *key, uint64_t min, uint64_t max);

/* Exit 2 if any key=value was not read by the workload (a misspelt size must not be ignored). */
void rtb_params_done(rtb_args *args);

/* Record one metric, printed only if the run then passes its check. */
void rtb_metric(const char *name, const char *unit, double value);

/* This variant (chosen by a param) has no equivalent here: print unsupported: <why>, exit 3. */
_Noreturn void rtb_unsupported(const char *why);

/* The self-check failed (or the run could not be set up): print check=fail <why>, exit 1. */
_Noreturn void rtb_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same, with strerror(errno) appended: for a system call that failed during the run. */
_Noreturn void rtb_fail_errno(const char *what);

#endif
