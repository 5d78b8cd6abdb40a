/* rb_fmt.c: number formatting shared by the CSV's neighbours (report, summary, progress). */
#include "rb_fmt.h"

#include <math.h>
#include <stdio.h>

/*
 * Why not %g: it switches to an exponent at 10^6 (wakes/s and req/s live there) and drops
 * trailing zeros, so a column of figures would not line up or read at a glance. Choosing the
 * number of decimals from the magnitude keeps about four significant digits everywhere.
 */

/* rb_fmt_value: decimals shrink as the magnitude grows; integers from 1000 up. */
void rb_fmt_value(char *out, size_t n, double v)
{
    double a = fabs(v);
    if (isnan(v))
        snprintf(out, n, "-");
    else if (a >= 1000.0)
        snprintf(out, n, "%.0f", v);
    else if (a >= 100.0)
        snprintf(out, n, "%.1f", v);
    else if (a >= 10.0)
        snprintf(out, n, "%.2f", v);
    else
        snprintf(out, n, "%.3f", v);
}

/* rb_fmt_compact: k and M suffixes past 10^4 so every cell fits six characters. */
void rb_fmt_compact(char *out, size_t n, double v)
{
    double a = fabs(v);
    if (isnan(v))
        snprintf(out, n, "-");
    else if (a >= 1e7)
        snprintf(out, n, "%.1fM", v / 1e6);
    else if (a >= 1e6)
        snprintf(out, n, "%.2fM", v / 1e6);
    else if (a >= 1e5)
        snprintf(out, n, "%.0fk", v / 1e3);
    else if (a >= 1e4)
        snprintf(out, n, "%.1fk", v / 1e3);
    else if (a >= 100.0)
        snprintf(out, n, "%.0f", v);
    else if (a >= 10.0)
        snprintf(out, n, "%.1f", v);
    else
        snprintf(out, n, "%.2f", v);
}

/* rb_fmt_ratio: two decimals below 10, where the interesting differences are. */
void rb_fmt_ratio(char *out, size_t n, double r)
{
    if (isnan(r))
        snprintf(out, n, "%s", "");
    else if (r >= 100.0)
        snprintf(out, n, "%.0f", r);
    else if (r >= 10.0)
        snprintf(out, n, "%.1f", r);
    else
        snprintf(out, n, "%.2f", r);
}

/* rb_fmt_duration: hours and minutes, minutes and seconds, or seconds. */
void rb_fmt_duration(char *out, size_t n, double seconds)
{
    long s = seconds > 0 ? (long)(seconds + 0.5) : 0;
    if (s >= 3600)
        snprintf(out, n, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
    else if (s >= 60)
        snprintf(out, n, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(out, n, "%lds", s);
}
