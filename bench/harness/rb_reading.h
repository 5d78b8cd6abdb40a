/* rb_reading.h: the report's "Reading the results" section, written from the measured figures. */
#ifndef RB_READING_H
#define RB_READING_H

#include "rb_doc.h"
#include "rb_results.h"

/*
 * Write the section: who won each workload and by how much; where each flavour wins or
 * loses against its real counterpart and against the other flavour, with the design reason
 * (rb_design.c) and a flag when a result goes against what the design predicts; what the
 * io_uring floor changes. Every number in it is read from `r`; nothing is canned.
 */
void rb_reading_write(rb_doc *d, const rb_results *r);

/*
 * The best runtime on one line (workload, variant, metric) and the runner-up, or NULL. Used
 * by the reading and the report's tables.
 */
void rb_reading_best(const rb_results *r, const rb_workload *w, int variant, int metric,
                     const rb_runtime **best, const rb_runtime **second);

/* A figure with its unit in human terms: "4.21 us", "1.25 ms", "912 MB/s", "48.3k req/s". */
void rb_reading_figure(double v, const char *unit, char *out, size_t n);

#endif
