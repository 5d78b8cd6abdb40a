/* rb_fmt.h: how the harness prints numbers -- figures, compact table cells, ratios and durations. */
#ifndef RB_FMT_H
#define RB_FMT_H

#include <stddef.h>

/* A figure for the report: 4 significant digits or more, never an exponent ("4205", "0.931"). */
void rb_fmt_value(char *out, size_t n, double v);

/* A figure in at most 6 characters for the terminal table ("4205", "50.2k", "1.25M"). */
void rb_fmt_compact(char *out, size_t n, double v);

/* A ratio with 2-3 significant digits ("0.93", "12.4", "140"); "" for NaN. */
void rb_fmt_ratio(char *out, size_t n, double r);

/* A duration for the ETA: "45s", "4m10s", "1h02m". */
void rb_fmt_duration(char *out, size_t n, double seconds);

#endif
