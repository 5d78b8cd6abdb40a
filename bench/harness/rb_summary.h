/* rb_summary.h: the terminal summary printed at the end of a run (and quoted in README.md). */
#ifndef RB_SUMMARY_H
#define RB_SUMMARY_H

#include <stdio.h>

#include "rb_results.h"

/*
 * One line per (workload, parameter set, charted metric), one column per runtime in the
 * plan: the median in at most six characters, `*` on the best of the line, `-` for no
 * equivalent, `n/m` for not measured, `ERR` for an error. Then a legend and the count of
 * each kind of gap, so nothing missing goes unnoticed.
 */
void rb_summary_print(FILE *f, const rb_results *r);

/* The cell text of one row and metric (no best marker), as the table prints it. */
void rb_summary_cell(const rb_row *row, int metric, char *out, size_t n);

#endif
