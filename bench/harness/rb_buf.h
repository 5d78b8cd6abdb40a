/* rb_buf.h: a growable text buffer for the harness (captured output, report fragments). */
#ifndef RB_BUF_H
#define RB_BUF_H

#include <stddef.h>

/*
 * A buffer that remembers it ran out of memory instead of making every caller check every
 * append: appends after a failure are ignored and `failed` stays set, so a writer can build a
 * whole report fragment and check once at the end. The text is always NUL-terminated once
 * anything was appended; `s` is NULL for an empty, never-grown buffer.
 */
typedef struct rb_buf {
    char *s;
    size_t len;
    size_t cap;
    int failed;
} rb_buf;

/* An empty buffer, allocating nothing yet. */
void rb_buf_init(rb_buf *b);

/* Append n bytes of `text`; 0, or -1 (and `failed` set) when memory ran out. */
int rb_buf_append(rb_buf *b, const char *text, size_t n);

/* Append printf-formatted text; 0 or -1 as rb_buf_append. */
int rb_buf_printf(rb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The text, or "" for an empty buffer: never NULL, so it can go straight to printf. */
const char *rb_buf_str(const rb_buf *b);

/* Drop the first n bytes (what a line reader consumed), keeping the rest. */
void rb_buf_consume(rb_buf *b, size_t n);

/* Release the memory; the buffer is empty and reusable afterwards. */
void rb_buf_free(rb_buf *b);

/*
 * snprintf that says whether the text fitted: 0, or -1 when it was cut (out still holds the
 * cut, terminated text). For paths and notes built from parts whose length the caller does
 * not control; a cut path must not be used, a cut note may be.
 */
int rb_snprintf(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A heap copy of `s` (rt_malloc), or NULL when memory ran out. */
char *rb_strdup(const char *s);

#endif
