/* rb_doc.h: one document written twice, as Markdown and as HTML, from the same calls. */
#ifndef RB_DOC_H
#define RB_DOC_H

#include <stdio.h>

/*
 * The report exists as report.md (to read in a terminal or on a forge) and report.html (to
 * open in a browser, with the plots inline). Writing both from one sequence of calls keeps
 * them identical in content. Text passed in may use two inline marks, `code` and **bold**;
 * each writer renders them its own way and escapes everything else (|, <, &).
 */
typedef struct rb_doc {
    FILE *md;
    FILE *html;
    int in_list;
    int failed;
} rb_doc;

/* Create dir/<base>.md and dir/<base>.html and write the HTML head; 0 or -1 (nothing left open). */
int rb_doc_open(rb_doc *d, const char *dir, const char *base, const char *title);

/* A heading of level 1-3 with an anchor id (HTML) derived from `id`. */
void rb_doc_heading(rb_doc *d, int level, const char *id, const char *text);

/* A paragraph; printf-style. */
void rb_doc_para(rb_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A bullet; consecutive bullets form one list, closed by the next non-bullet call. */
void rb_doc_bullet(rb_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A table: the header row (ncols cells), then rows, then the end. */
void rb_doc_table_head(rb_doc *d, int ncols, const char *const *cells);
void rb_doc_table_row(rb_doc *d, int ncols, const char *const *cells);
void rb_doc_table_end(rb_doc *d);

/* A picture (the PNG) linked to its SVG, with alt text and a caption below. */
void rb_doc_image(rb_doc *d, const char *png, const char *svg, const char *alt,
                  const char *caption);

/* Preformatted text (a code block), shown verbatim. */
void rb_doc_pre(rb_doc *d, const char *text);

/* Close the HTML, both files; 0, or -1 if any write failed. */
int rb_doc_close(rb_doc *d);

#endif
