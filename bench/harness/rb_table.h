/* rb_table.h: the workloads and runtimes the harness knows, mirroring bench/WORKLOADS.md. */
#ifndef RB_TABLE_H
#define RB_TABLE_H

#include <stddef.h>

/*
 * This is the harness's copy of bench/WORKLOADS.md: names, metrics with their units, and the
 * parameters of each size. The executables hold no size tables (the protocol makes the
 * harness pass every key explicitly), so these strings are the only place a size is written
 * down in code; a change to WORKLOADS.md must be made here too.
 *
 * What the table does NOT hold is which runtime implements which workload: the executable is
 * the authority on that (it exits 3 with its reason), so the report quotes the implementer's
 * own words and cannot drift from the code.
 */

#define RB_MAX_METRICS 4
#define RB_MAX_VARIANTS 8

/* Which way a metric is better; descriptive metrics get no ratio and no winner. */
typedef enum rb_dir {
    RB_LOWER_BETTER,
    RB_HIGHER_BETTER,
    RB_DESCRIPTIVE,
} rb_dir;

/* What a workload exercises, which decides the reference of its ratios (rb_ratio.c). */
typedef enum rb_kind {
    RB_KIND_IO,    /* read against the epoll floor */
    RB_KIND_TIMER, /* no floor: flavours against their twin, others against the best C loop */
    RB_KIND_TASK,  /* flavours against the real tokio / async-std */
} rb_kind;

/* The three sizes: smoke is make test's tiny run, quick is `make bench`, full is FULL=1. */
typedef enum rb_size {
    RB_SIZE_SMOKE,
    RB_SIZE_QUICK,
    RB_SIZE_FULL,
    RB_NSIZES,
} rb_size;

/* Where a runtime sits in the comparison. */
typedef enum rb_family {
    RB_FAM_FLAVOUR, /* this toolkit's tk-ct, tk-mt, as */
    RB_FAM_CLOOP,   /* libuv, libev, libevent */
    RB_FAM_FLOOR,   /* epoll, uring */
    RB_FAM_ANCHOR,  /* the real tokio-ct, tokio-mt, async-std */
} rb_family;

/* One figure a workload reports: `metric=<name> unit=<unit>` on the executable's stdout. */
typedef struct rb_metric_def {
    const char *name;
    const char *unit;
    rb_dir dir;
    int chart; /* drawn in the ratio chart and the terminal summary */
} rb_metric_def;

/* One workload: its figures and, per size, the key=value sets to run (NULL-terminated). */
typedef struct rb_workload {
    const char *name;
    rb_kind kind;
    const char *what; /* one line, for `rtbench list` and the report */
    int nmetrics;
    rb_metric_def metrics[RB_MAX_METRICS];
    const char *sizes[RB_NSIZES][RB_MAX_VARIANTS + 1];
} rb_workload;

/* One runtime: the executable and the flags that select it. */
typedef struct rb_runtime {
    const char *name;
    const char *exe;    /* file name in the bench bin directory */
    const char *flavor; /* --flavor value, or NULL */
    int multi;          /* gets --workers <cores> */
    rb_family family;
    const char *twin;   /* a flavour's real counterpart, for task ratios */
    const char *what;
} rb_runtime;

/* The workloads, in WORKLOADS.md order. */
extern const rb_workload rb_workloads[];
extern const size_t rb_nworkloads;

/* The runtimes, in the order the report shows them. */
extern const rb_runtime rb_runtimes[];
extern const size_t rb_nruntimes;

/* The workload or runtime called `name`, or NULL. */
const rb_workload *rb_workload_find(const char *name);
const rb_runtime *rb_runtime_find(const char *name);

/* Index of a workload/runtime in its table (for bitmasks and per-row arrays). */
size_t rb_workload_index(const rb_workload *w);
size_t rb_runtime_index(const rb_runtime *rt);

/* "smoke", "quick" or "full". */
const char *rb_size_name(rb_size size);

/* The size called `name` ("quick" or "full"; "smoke" only via --smoke), or -1. */
int rb_size_parse(const char *name);

/* The index of metric `name` in w->metrics, or -1. */
int rb_metric_index(const rb_workload *w, const char *name);

/* Whether this is the HTTP workload, which the harness drives with wrk (rb_http.c). */
int rb_workload_is_http(const rb_workload *w);

#endif
