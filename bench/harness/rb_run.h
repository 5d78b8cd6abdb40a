/* rb_run.h: `rtbench run` from start to finish -- measure, then write every output. */
#ifndef RB_RUN_H
#define RB_RUN_H

#include "rb_cli.h"

/*
 * Run the plan the options describe and write into the output directory: results.csv and
 * machine.txt always; with a measuring size also plots/ (gnuplot PNG + SVG), report.md and
 * report.html. The progress goes to stderr, the summary table to stdout. Without --out the
 * directory is bench/results/<YYYY-MM-DD-HHMMSS>/ and bench/results/latest is pointed at it.
 *
 * Returns 0 when the run completed (an error in a case is a finding, reported in the CSV and
 * the report, not a failure of the harness) -- except in smoke mode, whose whole point is the
 * self-checks: there any case in error makes it return 1. Returns 1 also when an output
 * could not be written.
 */
int rb_run(const rb_options *o);

#endif
