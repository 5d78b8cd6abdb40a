/* rb_plot.h: the gnuplot charts of a run -- a ratio chart per workload, the bench_c and million_timers scaling plots. */
#ifndef RB_PLOT_H
#define RB_PLOT_H

#include "rb_env.h"
#include "rb_results.h"

#define RB_MAX_PLOTS 24

/* One drawn chart: its files relative to the results directory, and what it shows. */
typedef struct rb_plot {
    const rb_workload *w;
    int scaling;        /* 0: ratio chart; 1: scaling plot */
    char png[96];       /* "plots/sock_ping_pong_ratio.png" */
    char svg[96];
    char caption[320];
} rb_plot;

/* Every chart drawn, or why none was. */
typedef struct rb_plots {
    rb_plot items[RB_MAX_PLOTS];
    int n;
    char why_none[200]; /* set when gnuplot is missing or failed */
} rb_plots;

/*
 * Draw every chart this run has figures for into <dir>/plots/ as PNG and SVG, using the
 * templates in env->tools_dir (ratio.gp, scaling.gp); the data files (.dat) stay beside
 * them, so a chart can be redrawn or restyled by hand. A chart gnuplot fails to draw is left
 * out with a message on stderr; the report lists what exists.
 */
void rb_plot_all(const rb_env *e, const rb_results *r, const char *dir, rb_plots *out);

/* The colour of a runtime in every chart ("#rrggbb"), so tk-ct is the same blue everywhere. */
const char *rb_plot_color(const rb_runtime *rt);

#endif
