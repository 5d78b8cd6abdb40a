/* main.c (rtb-tk): the workload table, the --flavor/--workers flags, and building the runtime. */
#include "tkb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The shared command line (rtb_cli.c) is written for the single-threaded C loops and refuses
 * --flavor and --workers, so this file takes them out of argv first and hands the rest --
 * `WORKLOAD key=value ...` -- to rtb_main unchanged. The rules are the tokio anchor's:
 * --flavor is required; ct runs on one thread, so --workers with ct must be 1 or absent; mt
 * defaults to two workers (the anchor's default is one per core, two on the target machine).
 */

static const rtb_entry tkb__table[] = {
    { "sock_ping_pong", tkb_sock_ping_pong, NULL },
    { "bench_c", tkb_bench_c, NULL },
    { "million_timers", tkb_million_timers, NULL },
    { "timer_churn", tkb_timer_churn, NULL },
    { "spawn_many", tkb_spawn_many, NULL },
    { "yield_many", tkb_yield_many, NULL },
    { "chained_spawn", tkb_chained_spawn, NULL },
    { "task_ping_pong", tkb_task_ping_pong, NULL },
    { "cross_thread_wake", tkb_cross_thread_wake, NULL },
    { "tcp_echo", tkb_tcp_echo, NULL },
    { "http_hello", tkb_http_hello, NULL },
    { "blocking_hazard", tkb_blocking_hazard, NULL },
    { "idle_task_memory", tkb_idle_task_memory, NULL },
};

#define TKB__NENTRIES (sizeof tkb__table / sizeof tkb__table[0])
#define TKB__MAX_WORKERS 1024
#define TKB__DEFAULT_WORKERS 2

static tk_flavor tkb__flavor;
static unsigned tkb__workers; /* 0: not given */

/* tkb__bad_args: what was wrong, the usage and the workloads on stderr; exit 2, nothing run. */
static _Noreturn void tkb__bad_args(const char *what, const char *detail)
{
    fprintf(stderr, "rtb-tk: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    fprintf(stderr, "usage: rtb-tk WORKLOAD --flavor ct|mt [--workers N] key=value ...\n");
    fprintf(stderr, "  --flavor ct: current_thread (one thread; --workers must be 1 or absent)\n");
    fprintf(stderr, "  --flavor mt: multi_thread with N workers (default %d)\n",
            TKB__DEFAULT_WORKERS);
    fprintf(stderr, "workloads:");
    for (size_t i = 0; i < TKB__NENTRIES; i++)
        fprintf(stderr, " %s", tkb__table[i].workload);
    fprintf(stderr, "\nsizes and keys: bench/WORKLOADS.md\n");
    exit(2);
}

/* tkb__parse_workers: plain decimal digits in [1, TKB__MAX_WORKERS], or exit 2. */
static unsigned tkb__parse_workers(const char *text)
{
    unsigned long v = 0;
    if (*text == '\0')
        tkb__bad_args("--workers needs a number", text);
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9')
            tkb__bad_args("--workers needs a number", text);
        v = v * 10 + (unsigned long)(*c - '0');
        if (v > TKB__MAX_WORKERS)
            tkb__bad_args("--workers must be from 1 to 1024", text);
    }
    if (v == 0)
        tkb__bad_args("--workers must be from 1 to 1024", text);
    return (unsigned)v;
}

/* tkb__take_flags: remove --flavor and --workers (each with its value) from argv, in place;
 * returns the new argc. Exits 2 on a missing, repeated or invalid flag. */
static int tkb__take_flags(int argc, char **argv)
{
    const char *flavor = NULL;
    int out = 1;
    for (int i = 1; i < argc; i++) {
        int is_flavor = strcmp(argv[i], "--flavor") == 0;
        if (!is_flavor && strcmp(argv[i], "--workers") != 0) {
            argv[out++] = argv[i];
            continue;
        }
        if (i + 1 == argc)
            tkb__bad_args(argv[i], "needs a value");
        const char *value = argv[++i];
        if (is_flavor) {
            if (flavor != NULL)
                tkb__bad_args("--flavor given twice", NULL);
            if (strcmp(value, "ct") != 0 && strcmp(value, "mt") != 0)
                tkb__bad_args("--flavor must be ct or mt", value);
            flavor = value;
        } else {
            if (tkb__workers != 0)
                tkb__bad_args("--workers given twice", NULL);
            tkb__workers = tkb__parse_workers(value);
        }
    }
    if (flavor == NULL)
        tkb__bad_args("--flavor ct|mt is required", NULL);
    tkb__flavor = strcmp(flavor, "ct") == 0 ? TK_CURRENT_THREAD : TK_MULTI_THREAD;
    if (tkb__flavor == TK_CURRENT_THREAD && tkb__workers > 1)
        tkb__bad_args("--flavor ct runs on one thread: --workers must be 1 or absent", NULL);
    if (tkb__flavor == TK_MULTI_THREAD && tkb__workers == 0)
        tkb__workers = TKB__DEFAULT_WORKERS;
    argv[out] = NULL;
    return out;
}

/* tkb_runtime_new: Builder::new_{current,multi}_thread().worker_threads(N).enable_all().build(). */
tk_runtime *tkb_runtime_new(void)
{
    tk_builder b = tkb__flavor == TK_CURRENT_THREAD ? tk_builder_new_current_thread()
                                                    : tk_builder_new_multi_thread();
    if (tkb__flavor == TK_MULTI_THREAD)
        tk_builder_worker_threads(&b, tkb__workers);
    tk_builder_enable_all(&b);
    tk_runtime *rt = NULL;
    int rc = tk_builder_build(&b, &rt);
    if (rc != 0)
        rtb_fail("building the tk runtime: %s", strerror(-rc));
    return rt;
}

/* main: one repetition of one workload per the protocol in bench/WORKLOADS.md. */
int main(int argc, char **argv)
{
    argc = tkb__take_flags(argc, argv);
    return rtb_main(argc, argv, "tk", tkb__table, TKB__NENTRIES);
}
