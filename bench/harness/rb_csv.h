/* rb_csv.h: results.csv -- one line per (case, metric), the columns the issue fixes. */
#ifndef RB_CSV_H
#define RB_CSV_H

#include <stdio.h>

#include "rb_results.h"

/* The header line, exactly as issue 5 specifies it. */
#define RB_CSV_HEADER "workload,runtime,size,metric,unit,median,min,max,reps,ratio,ratio_to,note"

/*
 * Write the header and every row. `size` is the case's key=value parameters (bench_c has six
 * parameter sets at one size, so the size label alone would not identify a row; the label is
 * in machine.txt and the report). A row that did not measure keeps one line per metric with
 * empty figures and its reason in `note`, so every workload x runtime x size is accounted for.
 * Returns 0, or -1 on a write error.
 */
int rb_csv_write(FILE *f, const rb_results *r);

/* One field, quoted (RFC 4180) only when it holds a comma, a quote or a line break. */
void rb_csv_field(FILE *f, const char *s);

/* A number with enough digits to round-trip a median ("4205.227", "0.9312"); "" for NaN. */
void rb_csv_number(char *out, size_t n, double v);

#endif
