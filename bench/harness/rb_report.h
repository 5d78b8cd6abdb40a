/* rb_report.h: report.md and report.html -- the machine, the reading, the targets, the seed, every table and plot. */
#ifndef RB_REPORT_H
#define RB_REPORT_H

#include "rb_machine.h"
#include "rb_plot.h"
#include "rb_results.h"

/*
 * Write <dir>/report.md and <dir>/report.html from the same content: the machine, "Reading
 * the results" (generated, rb_reading.c), the targets (rb_targets.c), the seed's table
 * measured (rb_seed.c), how to read a ratio, the floor, then one section per workload with
 * its table (median, min-max, ratio and reference per figure, or the reason there is none)
 * and its plots, then every gap in one list. Returns 0, or -1 if a file could not be written.
 */
int rb_report_write(const rb_results *r, const rb_machine *m, const rb_plots *plots,
                    const char *dir);

#endif
