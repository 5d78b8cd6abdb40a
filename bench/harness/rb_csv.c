/* rb_csv.c: writing results.csv (RFC 4180 quoting, one line per metric of every case). */
#include "rb_csv.h"

#include <math.h>
#include <string.h>

/* rb_csv_field: quoting doubles embedded quotes, as RFC 4180 says. */
void rb_csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* rb_csv_number: %.6g keeps six significant digits, more than any repetition's spread. */
void rb_csv_number(char *out, size_t n, double v)
{
    if (isnan(v))
        snprintf(out, n, "%s", "");
    else
        snprintf(out, n, "%.6g", v);
}

/* rb_csv_write: rows in plan order, metrics in the table's order. */
int rb_csv_write(FILE *f, const rb_results *r)
{
    fprintf(f, "%s\n", RB_CSV_HEADER);
    for (size_t i = 0; i < r->n; i++) {
        const rb_row *row = &r->rows[i];
        const rb_workload *w = row->c->w;
        for (int m = 0; m < w->nmetrics; m++) {
            char med[32] = "", lo[32] = "", hi[32] = "", ratio[32] = "";
            int ok = row->status == RB_ST_OK;
            if (ok) {
                rb_csv_number(med, sizeof med, row->stat[m].median);
                rb_csv_number(lo, sizeof lo, row->stat[m].min);
                rb_csv_number(hi, sizeof hi, row->stat[m].max);
                rb_csv_number(ratio, sizeof ratio, row->ratio[m]);
            }
            rb_csv_field(f, w->name);
            fputc(',', f);
            rb_csv_field(f, row->c->rt->name);
            fputc(',', f);
            rb_csv_field(f, row->c->params);
            fputc(',', f);
            rb_csv_field(f, w->metrics[m].name);
            fputc(',', f);
            rb_csv_field(f, w->metrics[m].unit);
            fprintf(f, ",%s,%s,%s,%d,%s,", med, lo, hi, ok ? row->reps : 0, ratio);
            rb_csv_field(f, ok && row->ratio_to[m] ? row->ratio_to[m]->name : "");
            fputc(',', f);
            rb_csv_field(f, row->note);
            fputc('\n', f);
        }
    }
    return ferror(f) ? -1 : 0;
}
