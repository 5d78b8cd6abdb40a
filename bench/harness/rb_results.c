/* rb_results.c: the row store -- one row per case, looked up by (workload, variant, runtime). */
#include "rb_results.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rt_alloc.h"

/* rb_results_init: every row starts as an error, so a row nobody filled in can never read as ok. */
int rb_results_init(rb_results *r, const rb_plan *plan)
{
    r->plan = plan;
    r->n = plan->ncases;
    r->rows = r->n ? rt_calloc(r->n, sizeof *r->rows) : NULL;
    if (r->n && r->rows == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < r->n; i++) {
        rb_row *row = &r->rows[i];
        row->c = &plan->cases[i];
        rb_row_set(row, RB_ST_ERROR, "not run");
        for (int m = 0; m < RB_MAX_METRICS; m++)
            row->ratio[m] = NAN;
    }
    return 0;
}

/* rb_results_free: the rows point into the plan, which the caller owns. */
void rb_results_free(rb_results *r)
{
    rt_free(r->rows);
    r->rows = NULL;
    r->n = 0;
}

/* rb_results_find: a scan; a full plan has a few hundred rows and this is not a hot path. */
const rb_row *rb_results_find(const rb_results *r, const rb_workload *w, int variant,
                              const rb_runtime *rt)
{
    for (size_t i = 0; i < r->n; i++) {
        const rb_case *c = r->rows[i].c;
        if (c->w == w && c->variant == variant && c->rt == rt)
            return &r->rows[i];
    }
    return NULL;
}

/* rb_results_ok: find, filtered on status. */
const rb_row *rb_results_ok(const rb_results *r, const rb_workload *w, int variant,
                            const rb_runtime *rt)
{
    const rb_row *row = rb_results_find(r, w, variant, rt);
    return row && row->status == RB_ST_OK ? row : NULL;
}

/* rb_status_word: the words that start the CSV's note column. */
const char *rb_status_word(rb_status s)
{
    switch (s) {
    case RB_ST_OK:
        return "ok";
    case RB_ST_NOEQUIV:
        return "no equivalent";
    case RB_ST_NOTMEASURED:
        return "not measured";
    case RB_ST_ERROR:
        return "error";
    }
    return "?";
}

/* rb_row_set: the note is one line, so newlines in a reason (stderr text) become spaces. */
void rb_row_set(rb_row *row, rb_status status, const char *why)
{
    row->status = status;
    if (status == RB_ST_OK)
        snprintf(row->note, sizeof row->note, "ok");
    else
        snprintf(row->note, sizeof row->note, "%s: %s", rb_status_word(status), why);
    for (char *s = row->note; *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '\t')
            *s = ' ';
}
