/* rb_env.h: where the harness finds its executables, its gnuplot templates and the tools it drives. */
#ifndef RB_ENV_H
#define RB_ENV_H

#include <limits.h>
#include <stddef.h>

#include "rb_table.h"

/* What was found once at start-up; every later decision reads this instead of probing again. */
typedef struct rb_env {
    char root[PATH_MAX];      /* the source tree (holds bench/WORKLOADS.md), or "." */
    char bin_dir[PATH_MAX];   /* the rtb-* executables */
    char tools_dir[PATH_MAX]; /* bench/tools: the gnuplot templates */
    int workers;              /* --workers for multi-threaded runtimes: one per online CPU */
    int have_wrk;
    int have_cargo;
    int have_gnuplot;
} rb_env;

/*
 * Find the tree from the harness's own location (build/bin/rtbench -> the tree two levels up),
 * falling back to the current directory; bin_dir defaults to build/bench/bin beside the
 * harness, tools_dir to <root>/bench/tools. Either may be overridden (NULL: default).
 */
void rb_env_init(rb_env *e, const char *bin_override, const char *tools_override);

/* Whether `name` is an executable file in one of PATH's directories. */
int rb_env_in_path(const char *name);

/* The full path of a runtime's executable (whether or not it exists). */
void rb_env_exe_path(const rb_env *e, const rb_runtime *rt, char *out, size_t n);

/*
 * Why a runtime cannot be measured in this tree, as the text after "not measured: " (e.g.
 * "cargo not found"), or "" when its executable is there.
 */
void rb_env_unavailable(const rb_env *e, const rb_runtime *rt, char *out, size_t n);

#endif
