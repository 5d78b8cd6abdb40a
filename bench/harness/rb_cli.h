/* rb_cli.h: rtbench's command line -- list, run and its options -- and the program's entry point. */
#ifndef RB_CLI_H
#define RB_CLI_H

#include <stdio.h>

#include "rb_table.h"

#define RB_SEL_MAX 32

/* What was asked for. */
typedef enum rb_cmd {
    RB_CMD_HELP,
    RB_CMD_LIST,
    RB_CMD_RUN,
} rb_cmd;

/* The parsed command line of `rtbench run` (defaults filled in by rb_cli_parse). */
typedef struct rb_options {
    rb_cmd cmd;
    unsigned char want_w[RB_SEL_MAX];  /* per rb_workloads entry; all set when none chosen */
    unsigned char want_rt[RB_SEL_MAX]; /* per rb_runtimes entry */
    rb_size size;
    int smoke;      /* --smoke: tiny sizes, 1 rep, no warm-up, no plots or report */
    int reps;       /* measured repetitions per case */
    int warmup;     /* 1, or 0 with --smoke */
    double timeout; /* per-run limit, seconds */
    const char *out;   /* --out, or NULL for bench/results/<date-time> (+ latest) */
    const char *bin;   /* --bin: where rtb-* live, or NULL */
    const char *tools; /* --tools: the gnuplot templates, or NULL */
} rb_options;

/*
 * Parse argv into o. Returns 0, or 2 after writing what was wrong, the usage and every valid
 * workload, runtime and size to `err`. Nothing else happens on a bad command line: no
 * directory is created and nothing runs, so a typo costs nothing.
 */
int rb_cli_parse(int argc, char **argv, rb_options *o, FILE *err);

/* The usage text. */
void rb_cli_usage(FILE *f);

/* The valid workload, runtime and size names, one list per line. */
void rb_cli_valid_names(FILE *f);

/* `rtbench list`: every workload with its figures, every runtime with its executable. */
void rb_cli_list(FILE *f);

/* The whole program: parse, then list or run. Returns the exit code (0, 1, or 2 for bad input). */
int rb_main(int argc, char **argv);

#endif
