/* rb_buf.c: a growable text buffer that records an allocation failure instead of losing text silently. */
#include "rb_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rt_alloc.h"

/* rb_buf_init: empty; the first append allocates. */
void rb_buf_init(rb_buf *b)
{
    b->s = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = 0;
}

/* rb__reserve: room for `extra` more bytes plus the NUL; doubles so appends stay amortised O(1). */
static int rb__reserve(rb_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *s = rt_realloc(b->s, cap);
    if (s == NULL) {
        b->failed = 1;
        return -1;
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

/* rb_buf_append: copy n bytes and keep the text terminated. */
int rb_buf_append(rb_buf *b, const char *text, size_t n)
{
    if (rb__reserve(b, n) != 0)
        return -1;
    memcpy(b->s + b->len, text, n);
    b->len += n;
    b->s[b->len] = '\0';
    return 0;
}

/* rb_buf_printf: format once to learn the length, then straight into the buffer. */
int rb_buf_printf(rb_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || rb__reserve(b, (size_t)n) != 0) {
        b->failed = 1;
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

/* rb_buf_str: "" stands in for a buffer that never allocated. */
const char *rb_buf_str(const rb_buf *b)
{
    return b->s ? b->s : "";
}

/* rb_buf_consume: memmove the tail down; a line reader consumes one line at a time. */
void rb_buf_consume(rb_buf *b, size_t n)
{
    if (b->s == NULL)
        return;
    if (n >= b->len) {
        b->len = 0;
        b->s[0] = '\0';
        return;
    }
    memmove(b->s, b->s + n, b->len - n);
    b->len -= n;
    b->s[b->len] = '\0';
}

/* rb_buf_free: back to the state rb_buf_init leaves. */
void rb_buf_free(rb_buf *b)
{
    rt_free(b->s);
    rb_buf_init(b);
}

/* rb_snprintf: vsnprintf's return value is the length it wanted; compare it with the room. */
int rb_snprintf(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(out, n, fmt, ap);
    va_end(ap);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* rb_strdup: strdup through the project's allocator. */
char *rb_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = rt_malloc(n);
    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}
