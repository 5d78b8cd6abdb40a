/* http_parse.c: a strict, stateless HTTP/1.x request parser for the http_hello responders. */
#include "http_parse.h"

#include <string.h>

/*
 * Shape of the code: one cursor walks the buffer once. Every step returns RTB_HTTP_BAD the
 * moment a byte cannot belong to a valid request (so a fuzzer's garbage is refused early, and a
 * responder does not wait for more bytes of something hopeless), RTB_HTTP_INCOMPLETE when it
 * runs off the end of what has arrived, or moves on. Nothing is copied and nothing is
 * allocated; the result points into the caller's buffer.
 */

/* The scanner's position plus the facts gathered from the header fields. */
typedef struct rtb__scan {
    const unsigned char *buf;
    size_t len;
    size_t at;
    int hosts;         /* Host fields seen */
    int has_length;    /* a Content-Length field was seen */
    int conn_close;    /* Connection: close */
    int conn_keep;     /* Connection: keep-alive */
} rtb__scan;

/* rtb__is_tchar: RFC 9110 token character (method and field names). */
static int rtb__is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    /* c != 0 first: strchr would find the terminating NUL. */
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* rtb__is_value_char: a byte allowed inside a field value (VCHAR, SP, HTAB, obs-text). */
static int rtb__is_value_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* rtb__ieq: case-insensitive equality of s[0..n) with the NUL-terminated lower-case lit. */
static int rtb__ieq(const unsigned char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + ('a' - 'A'));
        if (c != (unsigned char)lit[i])
            return 0;
    }
    return 1;
}

/* rtb__expect_crlf: consume "\r\n" at the cursor. */
static rtb_http_result rtb__expect_crlf(rtb__scan *s)
{
    if (s->at == s->len)
        return RTB_HTTP_INCOMPLETE;
    if (s->buf[s->at] != '\r')
        return RTB_HTTP_BAD;
    if (++s->at == s->len)
        return RTB_HTTP_INCOMPLETE;
    if (s->buf[s->at] != '\n')
        return RTB_HTTP_BAD;
    s->at++;
    return RTB_HTTP_COMPLETE;
}

/* rtb__request_line: method SP target SP HTTP/1.d CRLF, after any empty lines RFC 9112 allows. */
static rtb_http_result rtb__request_line(rtb__scan *s, rtb_http_request *req)
{
    rtb_http_result r;
    /* A client may send a stray CRLF after a previous request's body; skip whole empty lines. */
    while (s->at < s->len && s->buf[s->at] == '\r')
        if ((r = rtb__expect_crlf(s)) != RTB_HTTP_COMPLETE)
            return r;
    size_t start = s->at;
    while (s->at < s->len && rtb__is_tchar(s->buf[s->at]))
        s->at++;
    if (s->at == s->len)
        return RTB_HTTP_INCOMPLETE;
    if (s->at == start || s->buf[s->at] != ' ')
        return RTB_HTTP_BAD;
    req->method = (const char *)s->buf + start;
    req->method_len = s->at - start;
    start = ++s->at;
    while (s->at < s->len && s->buf[s->at] > 0x20 && s->buf[s->at] < 0x7f)
        s->at++;
    if (s->at == s->len)
        return RTB_HTTP_INCOMPLETE;
    if (s->at == start || s->buf[s->at] != ' ')
        return RTB_HTTP_BAD;
    req->target = (const char *)s->buf + start;
    req->target_len = s->at - start;
    s->at++;
    static const char version[] = "HTTP/1.";
    for (size_t k = 0; k < sizeof version - 1; k++, s->at++) {
        if (s->at == s->len)
            return RTB_HTTP_INCOMPLETE;
        if (s->buf[s->at] != (unsigned char)version[k])
            return RTB_HTTP_BAD;
    }
    if (s->at == s->len)
        return RTB_HTTP_INCOMPLETE;
    if (s->buf[s->at] < '0' || s->buf[s->at] > '9')
        return RTB_HTTP_BAD;
    req->minor_version = s->buf[s->at++] - '0';
    return rtb__expect_crlf(s);
}

/* rtb__content_length: parse 1*DIGIT, refusing lists and anything that could not fit a request. */
static rtb_http_result rtb__content_length(const unsigned char *v, size_t n, uint64_t *out)
{
    if (n == 0)
        return RTB_HTTP_BAD;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return RTB_HTTP_BAD;
        x = x * 10 + (uint64_t)(v[i] - '0');
        /* Checked every digit, so x never gets near overflowing uint64_t. */
        if (x > RTB_HTTP_MAX_REQUEST)
            return RTB_HTTP_BAD;
    }
    *out = x;
    return RTB_HTTP_COMPLETE;
}

/* rtb__connection: note "close" and "keep-alive" among a Connection field's comma-separated tokens. */
static void rtb__connection(rtb__scan *s, const unsigned char *v, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
            i++;
        if (rtb__ieq(v + start, i - start, "close"))
            s->conn_close = 1;
        else if (rtb__ieq(v + start, i - start, "keep-alive"))
            s->conn_keep = 1;
    }
}

/* rtb__field: one `name: value CRLF` line, and what it means for framing and keep-alive. */
static rtb_http_result rtb__field(rtb__scan *s, rtb_http_request *req)
{
    size_t start = s->at;
    while (s->at < s->len && rtb__is_tchar(s->buf[s->at]))
        s->at++;
    if (s->at == s->len)
        return RTB_HTTP_INCOMPLETE;
    /* An empty name also catches obs-fold (a line starting with SP/HTAB) and "name :". */
    if (s->at == start || s->buf[s->at] != ':')
        return RTB_HTTP_BAD;
    const unsigned char *name = s->buf + start;
    size_t name_len = s->at - start;
    s->at++;
    while (s->at < s->len && (s->buf[s->at] == ' ' || s->buf[s->at] == '\t'))
        s->at++;
    size_t vstart = s->at;
    while (s->at < s->len && rtb__is_value_char(s->buf[s->at]))
        s->at++;
    size_t vend = s->at;
    rtb_http_result r = rtb__expect_crlf(s);
    if (r != RTB_HTTP_COMPLETE)
        return r;
    while (vend > vstart && (s->buf[vend - 1] == ' ' || s->buf[vend - 1] == '\t'))
        vend--;
    const unsigned char *value = s->buf + vstart;
    size_t value_len = vend - vstart;

    if (++req->header_count > RTB_HTTP_MAX_HEADERS)
        return RTB_HTTP_BAD;
    if (rtb__ieq(name, name_len, "content-length")) {
        uint64_t n;
        if (rtb__content_length(value, value_len, &n) != RTB_HTTP_COMPLETE)
            return RTB_HTTP_BAD;
        /* Two different lengths would let two parsers disagree on where the body ends. */
        if (s->has_length && n != req->content_length)
            return RTB_HTTP_BAD;
        s->has_length = 1;
        req->content_length = n;
    } else if (rtb__ieq(name, name_len, "transfer-encoding")) {
        return RTB_HTTP_BAD;
    } else if (rtb__ieq(name, name_len, "host")) {
        s->hosts++;
    } else if (rtb__ieq(name, name_len, "connection")) {
        rtb__connection(s, value, value_len);
    }
    return RTB_HTTP_COMPLETE;
}

/* rtb__parse: the whole request, without the overall size limit (applied by the caller). */
static rtb_http_result rtb__parse(rtb__scan *s, rtb_http_request *req)
{
    rtb_http_result r = rtb__request_line(s, req);
    if (r != RTB_HTTP_COMPLETE)
        return r;
    for (;;) {
        if (s->at == s->len)
            return RTB_HTTP_INCOMPLETE;
        if (s->buf[s->at] == '\r') {
            if ((r = rtb__expect_crlf(s)) != RTB_HTTP_COMPLETE)
                return r;
            break;
        }
        if ((r = rtb__field(s, req)) != RTB_HTTP_COMPLETE)
            return r;
    }
    /* RFC 9112 3.2: a server must reject an HTTP/1.1 request with no Host or more than one. */
    if (s->hosts > 1 || (req->minor_version >= 1 && s->hosts == 0))
        return RTB_HTTP_BAD;
    req->head_len = s->at;
    req->total_len = s->at + (size_t)req->content_length;
    if (req->total_len > RTB_HTTP_MAX_REQUEST)
        return RTB_HTTP_BAD;
    if (req->total_len > s->len)
        return RTB_HTTP_INCOMPLETE;
    req->keep_alive = req->minor_version >= 1 ? !s->conn_close : (s->conn_keep && !s->conn_close);
    return RTB_HTTP_COMPLETE;
}

/* rtb_http_parse_request: parse the request at buf's start; see http_parse.h for the contract. */
rtb_http_result rtb_http_parse_request(const char *buf, size_t len, rtb_http_request *req)
{
    rtb__scan s = { .buf = (const unsigned char *)buf, .len = len };
    rtb_http_request tmp;
    memset(&tmp, 0, sizeof tmp);
    rtb_http_result r = rtb__parse(&s, &tmp);
    /* A prefix that is still incomplete at the size limit can only end too large. */
    if (r == RTB_HTTP_INCOMPLETE && len >= RTB_HTTP_MAX_REQUEST)
        return RTB_HTTP_BAD;
    if (r == RTB_HTTP_COMPLETE)
        *req = tmp;
    return r;
}
