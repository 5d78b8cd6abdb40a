/* rb_doc.c: the Markdown and HTML writers behind the report, with the escaping each needs. */
#include "rb_doc.h"

#include <limits.h>
#include <stdarg.h>
#include <string.h>

/* The page's whole style: readable tables and figures without any external file. */
static const char rb__css[] =
    "body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;max-width:1180px;"
    "margin:2em auto;padding:0 1em;line-height:1.45;color:#222}"
    "table{border-collapse:collapse;margin:1em 0;font-size:0.92em}"
    "th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "code{background:#f4f4f4;padding:0 0.2em;border-radius:3px}"
    "pre{background:#f7f7f7;padding:0.8em;overflow-x:auto;font-size:0.85em}"
    "figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}"
    "figcaption{font-size:0.9em;color:#555}";

/* rb__html_text: escape &, <, > and ", and render `code` and **bold**. */
static void rb__html_text(FILE *f, const char *s)
{
    int code = 0, bold = 0;
    for (; *s; s++) {
        if (*s == '`') {
            fputs(code ? "</code>" : "<code>", f);
            code = !code;
        } else if (!code && s[0] == '*' && s[1] == '*') {
            fputs(bold ? "</strong>" : "<strong>", f);
            bold = !bold;
            s++;
        } else if (*s == '&') {
            fputs("&amp;", f);
        } else if (*s == '<') {
            fputs("&lt;", f);
        } else if (*s == '>') {
            fputs("&gt;", f);
        } else if (*s == '"') {
            fputs("&quot;", f);
        } else {
            fputc(*s, f);
        }
    }
    if (code)
        fputs("</code>", f);
    if (bold)
        fputs("</strong>", f);
}

/* rb__md_cell: a table cell's text; a | would split the cell, a newline would end the row. */
static void rb__md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

/* rb__end_list: close an open bullet list before anything else is written. */
static void rb__end_list(rb_doc *d)
{
    if (!d->in_list)
        return;
    fputs("\n", d->md);
    fputs("</ul>\n", d->html);
    d->in_list = 0;
}

/* rb_doc_open: both files or neither. */
int rb_doc_open(rb_doc *d, const char *dir, const char *base, const char *title)
{
    char path[PATH_MAX + 64];
    memset(d, 0, sizeof *d);
    snprintf(path, sizeof path, "%s/%s.md", dir, base);
    d->md = fopen(path, "w");
    snprintf(path, sizeof path, "%s/%s.html", dir, base);
    d->html = d->md ? fopen(path, "w") : NULL;
    if (d->html == NULL) {
        if (d->md)
            fclose(d->md);
        return -1;
    }
    fprintf(d->md, "# %s\n\n", title);
    fprintf(d->html, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<title>");
    rb__html_text(d->html, title);
    fprintf(d->html, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", rb__css);
    rb__html_text(d->html, title);
    fprintf(d->html, "</h1>\n");
    return 0;
}

/* rb_doc_heading: Markdown's #s; HTML's hN with an id for links. */
void rb_doc_heading(rb_doc *d, int level, const char *id, const char *text)
{
    rb__end_list(d);
    fprintf(d->md, "%.*s %s\n\n", level + 1, "####", text);
    fprintf(d->html, "<h%d id=\"%s\">", level + 1, id);
    rb__html_text(d->html, text);
    fprintf(d->html, "</h%d>\n", level + 1);
}

/* rb_doc_para: one paragraph, blank-line separated in Markdown. */
void rb_doc_para(rb_doc *d, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap); /* a report paragraph fits 8 KiB */
    va_end(ap);
    rb__end_list(d);
    fprintf(d->md, "%s\n\n", buf);
    fputs("<p>", d->html);
    rb__html_text(d->html, buf);
    fputs("</p>\n", d->html);
}

/* rb_doc_bullet: opens the list on the first bullet. */
void rb_doc_bullet(rb_doc *d, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap); /* a report paragraph fits 8 KiB */
    va_end(ap);
    if (!d->in_list) {
        fputs("<ul>\n", d->html);
        d->in_list = 1;
    }
    fprintf(d->md, "- %s\n", buf);
    fputs("<li>", d->html);
    rb__html_text(d->html, buf);
    fputs("</li>\n", d->html);
}

/* rb__is_number: right-align cells that are figures (digits, a point, a leading minus or x). */
static int rb__is_number(const char *s)
{
    if (*s == '-' && s[1] == '\0')
        return 0;
    if (*s == 'x' || *s == '-')
        s++;
    if (*s < '0' || *s > '9')
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || *s == '.' || *s == 'k' || *s == 'M' || *s == ' ' ||
              *s == '(' || *s == ')' || *s == '-' || *s == 'x'))
            return 0;
    return 1;
}

/* rb_doc_table_head: the header row and Markdown's separator line. */
void rb_doc_table_head(rb_doc *d, int ncols, const char *const *cells)
{
    rb__end_list(d);
    fputs("|", d->md);
    fputs("<table>\n<thead><tr>", d->html);
    for (int i = 0; i < ncols; i++) {
        fputc(' ', d->md);
        rb__md_cell(d->md, cells[i]);
        fputs(" |", d->md);
        fputs("<th>", d->html);
        rb__html_text(d->html, cells[i]);
        fputs("</th>", d->html);
    }
    fputs("\n|", d->md);
    for (int i = 0; i < ncols; i++)
        fputs("---|", d->md);
    fputs("\n", d->md);
    fputs("</tr></thead>\n<tbody>\n", d->html);
}

/* rb_doc_table_row: one row; numeric cells right-aligned in HTML. */
void rb_doc_table_row(rb_doc *d, int ncols, const char *const *cells)
{
    fputs("|", d->md);
    fputs("<tr>", d->html);
    for (int i = 0; i < ncols; i++) {
        fputc(' ', d->md);
        rb__md_cell(d->md, cells[i]);
        fputs(" |", d->md);
        fputs(rb__is_number(cells[i]) ? "<td class=\"n\">" : "<td>", d->html);
        rb__html_text(d->html, cells[i]);
        fputs("</td>", d->html);
    }
    fputs("\n", d->md);
    fputs("</tr>\n", d->html);
}

/* rb_doc_table_end: a blank line ends a Markdown table. */
void rb_doc_table_end(rb_doc *d)
{
    fputs("\n", d->md);
    fputs("</tbody>\n</table>\n", d->html);
}

/* rb_doc_image: the PNG inline, the SVG one click away. */
void rb_doc_image(rb_doc *d, const char *png, const char *svg, const char *alt,
                  const char *caption)
{
    rb__end_list(d);
    fprintf(d->md, "![%s](%s)\n\n*%s* ([SVG](%s))\n\n", alt, png, caption, svg);
    fprintf(d->html, "<figure><a href=\"%s\"><img src=\"%s\" alt=\"", svg, png);
    rb__html_text(d->html, alt);
    fputs("\"></a><figcaption>", d->html);
    rb__html_text(d->html, caption);
    fputs("</figcaption></figure>\n", d->html);
}

/* rb_doc_pre: fenced in Markdown; escaped, not marked up, in HTML. */
void rb_doc_pre(rb_doc *d, const char *text)
{
    rb__end_list(d);
    fprintf(d->md, "```\n%s%s```\n\n", text, text[0] && text[strlen(text) - 1] != '\n' ? "\n" : "");
    fputs("<pre>", d->html);
    for (const char *s = text; *s; s++) {
        if (*s == '&')
            fputs("&amp;", d->html);
        else if (*s == '<')
            fputs("&lt;", d->html);
        else if (*s == '>')
            fputs("&gt;", d->html);
        else
            fputc(*s, d->html);
    }
    fputs("</pre>\n", d->html);
}

/* rb_doc_close: report any write error that happened along the way. */
int rb_doc_close(rb_doc *d)
{
    rb__end_list(d);
    fputs("</body>\n</html>\n", d->html);
    int bad = ferror(d->md) || ferror(d->html);
    bad |= fclose(d->md) != 0;
    bad |= fclose(d->html) != 0;
    return bad ? -1 : 0;
}
