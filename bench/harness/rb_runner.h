/* rb_runner.h: one repetition of one case -- run the rtb-* executable, enforce the time limit, read the protocol. */
#ifndef RB_RUNNER_H
#define RB_RUNNER_H

#include "rb_env.h"
#include "rb_plan.h"
#include "rb_results.h"

/* The outcome of one repetition. */
typedef struct rb_run {
    rb_status status;
    char why[512];                  /* the reason when status is not OK */
    double values[RB_MAX_METRICS];  /* in the workload's metric order, when OK */
    double seconds;                 /* wall time of the repetition */
} rb_run;

#define RB_MAX_ARGS 24

/*
 * Build the command line of a case: path, workload, --flavor, --workers, then every key=value
 * of its params. `storage` holds the strings argv points into. Returns argc, or -1 when it
 * does not fit (never with the table's params).
 */
int rb_runner_argv(const rb_env *e, const rb_case *c, const char *const *extra, char *storage,
                   size_t storage_len, char *argv[RB_MAX_ARGS]);

/*
 * Run one repetition with a time limit of `timeout` seconds. http_hello is handed to
 * rb_http_run (server + wrk); everything else runs once and its stdout is read by
 * rb_runner_classify. Never blocks past the limit by more than the kill and reap.
 */
void rb_runner_run(const rb_env *e, const rb_case *c, double timeout, rb_run *out);

/*
 * Turn an executable's exit into a run outcome, per the protocol in bench/WORKLOADS.md:
 * exit 0 with every metric and check=ok -> OK; exit 1 -> ERROR with the check=fail text;
 * exit 2 -> ERROR (bad invocation); exit 3 -> NOEQUIV with its reason; a signal, a timeout
 * or anything unexpected on stdout -> ERROR. `expect_metrics` is 0 for the http responder,
 * which prints none. exit_code is -1 when the child died of `sig`.
 */
void rb_runner_classify(const rb_workload *w, int expect_metrics, int exit_code, int sig,
                        int timed_out, double timeout, const char *out_text,
                        const char *err_text, rb_run *out);

/* The first non-empty line of `text`, trimmed and cut to fit, for an error note. */
void rb_runner_first_line(const char *text, char *out, size_t n);

#endif
