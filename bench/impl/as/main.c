/* main.c (rtb-as): the workload table, the --workers flag, and AS_THREAD_COUNT for the runtime. */
#include "asb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The shared command line (rtb_cli.c) is written for the single-threaded C loops and refuses
 * --flavor and --workers, so this file takes --workers out of argv first and hands the rest --
 * `WORKLOAD key=value ...` -- to rtb_main unchanged. The rules are the async-std anchor's:
 * there is one flavour, so --flavor is a bad invocation; --workers N sets the thread count
 * through the environment variable the runtime reads when it starts (AS_THREAD_COUNT, as
 * async-std reads ASYNC_STD_THREAD_COUNT). Nothing has started the runtime yet at that point
 * -- it starts lazily, on the first spawn, block_on or socket -- so the setting always applies.
 * Without --workers the runtime picks one thread per CPU, async-std's default.
 */

static const rtb_entry asb__table[] = {
    { "sock_ping_pong", asb_sock_ping_pong, NULL },
    { "bench_c", asb_bench_c, NULL },
    { "million_timers", asb_million_timers, NULL },
    { "timer_churn", asb_timer_churn, NULL },
    { "spawn_many", asb_spawn_many, NULL },
    { "yield_many", asb_yield_many, NULL },
    { "chained_spawn", asb_chained_spawn, NULL },
    { "task_ping_pong", asb_task_ping_pong, NULL },
    { "cross_thread_wake", asb_cross_thread_wake, NULL },
    { "tcp_echo", asb_tcp_echo, NULL },
    { "http_hello", asb_http_hello, NULL },
    { "blocking_hazard", asb_blocking_hazard, NULL },
    { "idle_task_memory", asb_idle_task_memory, NULL },
};

#define ASB__NENTRIES (sizeof asb__table / sizeof asb__table[0])
#define ASB__MAX_WORKERS 256 /* the runtime's own cap on AS_THREAD_COUNT */

/* asb__bad_args: what was wrong, the usage and the workloads on stderr; exit 2, nothing run. */
static _Noreturn void asb__bad_args(const char *what, const char *detail)
{
    fprintf(stderr, "rtb-as: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    fprintf(stderr, "usage: rtb-as WORKLOAD [--workers N] key=value ...\n");
    fprintf(stderr, "  --workers N: the runtime's thread count, 1 to %d (sets AS_THREAD_COUNT;\n"
                    "               default: one per CPU); the as flavour has no --flavor\n",
            ASB__MAX_WORKERS);
    fprintf(stderr, "workloads:");
    for (size_t i = 0; i < ASB__NENTRIES; i++)
        fprintf(stderr, " %s", asb__table[i].workload);
    fprintf(stderr, "\nsizes and keys: bench/WORKLOADS.md\n");
    exit(2);
}

/* asb__parse_workers: plain decimal digits in [1, ASB__MAX_WORKERS], or exit 2. */
static unsigned asb__parse_workers(const char *text)
{
    unsigned long v = 0;
    if (*text == '\0')
        asb__bad_args("--workers needs a number", text);
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9')
            asb__bad_args("--workers needs a number", text);
        v = v * 10 + (unsigned long)(*c - '0');
        if (v > ASB__MAX_WORKERS)
            asb__bad_args("--workers must be from 1 to 256", text);
    }
    if (v == 0)
        asb__bad_args("--workers must be from 1 to 256", text);
    return (unsigned)v;
}

/* asb__take_flags: remove --workers (with its value) from argv, in place, and export it as
 * AS_THREAD_COUNT; returns the new argc. Exits 2 on --flavor, or a missing, repeated or
 * invalid --workers. */
static int asb__take_flags(int argc, char **argv)
{
    unsigned workers = 0;
    int out = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--flavor") == 0)
            asb__bad_args("the as flavour has one runtime: --flavor does not apply", NULL);
        if (strcmp(argv[i], "--workers") != 0) {
            argv[out++] = argv[i];
            continue;
        }
        if (i + 1 == argc)
            asb__bad_args("--workers", "needs a value");
        if (workers != 0)
            asb__bad_args("--workers given twice", NULL);
        workers = asb__parse_workers(argv[++i]);
    }
    argv[out] = NULL;
    if (workers != 0) {
        char text[16];
        snprintf(text, sizeof text, "%u", workers);
        if (setenv("AS_THREAD_COUNT", text, 1) != 0)
            rtb_fail_errno("setenv AS_THREAD_COUNT");
    }
    return out;
}

/* main: one repetition of one workload per the protocol in bench/WORKLOADS.md. */
int main(int argc, char **argv)
{
    argc = asb__take_flags(argc, argv);
    return rtb_main(argc, argv, "as", asb__table, ASB__NENTRIES);
}
