/* fuzz_http_parse.c: libFuzzer target for the responders' HTTP parser, held to a reference and to prefix laws. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_parse.h"

/*
 * "Does not crash" is the least a parser fuzz can ask; ASan and UBSan give that for free, and
 * libFuzzer hands us its input in a heap block of exactly `size` bytes, so a read one byte past
 * the end is caught too. What this target adds are laws the parser must obey on every input:
 *
 *   1. Reference. A second parser, written differently (find the blank line first, split the
 *      head into lines, then judge each line on its own), decides whether the buffer starts with
 *      a whole valid request. rtb_http_parse_request says COMPLETE exactly when the reference
 *      does, with the same fields. So malformed input is never reported as complete, and a valid
 *      request is never refused.
 *   2. Prefixes. The answer is a function of the bytes seen so far: a request of total_len T is
 *      INCOMPLETE at every shorter prefix and the same COMPLETE at every longer one; a buffer
 *      that is BAD stays BAD however many bytes follow, and was INCOMPLETE, never COMPLETE,
 *      before. A responder that reads in arbitrary chunks therefore sees one story.
 *   3. Shape. Every pointer and length of a COMPLETE result lies inside the head, the head ends
 *      with the blank line, total_len = head_len + content_length <= min(len, the limit).
 *   4. Re-parse. The accepted T bytes parse again, alone, to the same result; with an empty line
 *      in front they still do (RFC 9112 allows it) unless that crosses the size limit; and
 *      breaking the first CRLF or the final LF turns the request BAD.
 *
 * On any violation the target prints what it saw and aborts, which libFuzzer reports as a crash
 * and saves the input.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reference's verdict on a buffer: whole valid request or not, and what it said. */
typedef struct ref_request {
    size_t method_off, method_len;
    size_t target_off, target_len;
    int minor_version;
    int keep_alive;
    size_t header_count;
    uint64_t content_length;
    size_t head_len, total_len;
} ref_request;

/* fail: report a broken law with the buffer's size and abort (libFuzzer keeps the input). */
static _Noreturn void fail(const char *law, size_t len, int got, int want)
{
    fprintf(stderr, "fuzz_http_parse: %s (len %zu, got %d, want %d)\n", law, len, got, want);
    abort();
}

/* ref_is_tchar: RFC 9110 tchar, spelled as an explicit set rather than ranges plus a list. */
static int ref_is_tchar(unsigned char c)
{
    static const char set[] = "!#$%&'*+-.^_`|~0123456789"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    return c != 0 && memchr(set, c, sizeof set - 1) != NULL;
}

/* ref_all: whether every byte of s[0..n) satisfies the class test. */
static int ref_all(const unsigned char *s, size_t n, int (*ok)(unsigned char))
{
    for (size_t i = 0; i < n; i++)
        if (!ok(s[i]))
            return 0;
    return 1;
}

/* ref_is_target: a request-target byte: visible ASCII, no space. */
static int ref_is_target(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e;
}

/* ref_is_field_byte: a byte allowed anywhere after a field's colon (VCHAR, SP, HTAB, obs-text). */
static int ref_is_field_byte(unsigned char c)
{
    return c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7e) || c >= 0x80;
}

/* ref_is_digit: a decimal digit. */
static int ref_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* ref_is_ows: optional whitespace. */
static int ref_is_ows(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* ref_name_is: case-insensitive comparison of a field name with a lower-case literal. */
static int ref_name_is(const unsigned char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && strncasecmp((const char *)s, lit, n) == 0;
}

/* ref_connection: walk a Connection value's tokens (separated by commas and whitespace). */
static void ref_connection(const unsigned char *v, size_t n, int *close_seen, int *keep_seen)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && v[j] != ',' && !ref_is_ows(v[j]))
            j++;
        if (j > i && ref_name_is(v + i, j - i, "close"))
            *close_seen = 1;
        if (j > i && ref_name_is(v + i, j - i, "keep-alive"))
            *keep_seen = 1;
        i = j + 1;
    }
}

/* ref_find_blank: offset of the first "\r\n\r\n" at or after `from`, or SIZE_MAX. */
static size_t ref_find_blank(const unsigned char *b, size_t len, size_t from)
{
    for (size_t i = from; i + 4 <= len; i++)
        if (memcmp(b + i, "\r\n\r\n", 4) == 0)
            return i;
    return SIZE_MAX;
}

/* ref_request_line: judge "method SP target SP HTTP/1.d" (the line without its CRLF). */
static int ref_request_line(const unsigned char *b, size_t start, size_t end, ref_request *r)
{
    const unsigned char *line = b + start;
    size_t n = end - start;
    const unsigned char *sp1 = memchr(line, ' ', n);
    if (sp1 == NULL)
        return 0;
    size_t m = (size_t)(sp1 - line);
    const unsigned char *sp2 = memchr(sp1 + 1, ' ', n - m - 1);
    if (sp2 == NULL)
        return 0;
    size_t t = (size_t)(sp2 - sp1 - 1);
    size_t v = n - m - 1 - t - 1;
    if (m == 0 || t == 0 || !ref_all(line, m, ref_is_tchar) || !ref_all(sp1 + 1, t, ref_is_target))
        return 0;
    if (v != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp2[8] < '0' || sp2[8] > '9')
        return 0;
    r->method_off = start;
    r->method_len = m;
    r->target_off = start + m + 1;
    r->target_len = t;
    r->minor_version = sp2[8] - '0';
    return 1;
}

/* ref_parse: 1 if b starts with a whole, valid request of at most the size limit, else 0. */
static int ref_parse(const unsigned char *b, size_t len, ref_request *r)
{
    memset(r, 0, sizeof *r);
    size_t p = 0;
    while (p + 2 <= len && b[p] == '\r' && b[p + 1] == '\n')
        p += 2;
    size_t blank = ref_find_blank(b, len, p);
    if (blank == SIZE_MAX)
        return 0;
    /* The head is [p, blank + 2) as CRLF-terminated lines, then one more CRLF. A valid line
     * holds no CR or LF, so the first blank line found really is the end of the head. */
    size_t eol = p;
    while (memcmp(b + eol, "\r\n", 2) != 0)
        eol++;
    if (!ref_request_line(b, p, eol, r))
        return 0;
    int hosts = 0, has_len = 0, close_seen = 0, keep_seen = 0;
    size_t at = eol + 2;
    while (at < blank + 2) {
        size_t end = at;
        while (memcmp(b + end, "\r\n", 2) != 0)
            end++;
        const unsigned char *colon = memchr(b + at, ':', end - at);
        if (colon == NULL)
            return 0;
        size_t name_len = (size_t)(colon - (b + at));
        const unsigned char *name = b + at, *v = colon + 1, *vend = b + end;
        if (name_len == 0 || !ref_all(name, name_len, ref_is_tchar))
            return 0;
        if (!ref_all(v, (size_t)(vend - v), ref_is_field_byte))
            return 0;
        while (v < vend && ref_is_ows(*v))
            v++;
        while (vend > v && ref_is_ows(vend[-1]))
            vend--;
        size_t vlen = (size_t)(vend - v);
        if (++r->header_count > RTB_HTTP_MAX_HEADERS)
            return 0;
        if (ref_name_is(name, name_len, "content-length")) {
            /* Digits only (no list, no sign); leading zeros are harmless. Saturate so a long
             * run of digits cannot overflow: anything above the limit is refused anyway. */
            uint64_t x = 0;
            if (vlen == 0 || !ref_all(v, vlen, ref_is_digit))
                return 0;
            for (size_t i = 0; i < vlen; i++)
                x = x > RTB_HTTP_MAX_REQUEST ? x : x * 10 + (uint64_t)(v[i] - '0');
            if (x > RTB_HTTP_MAX_REQUEST)
                return 0;
            if (has_len && x != r->content_length)
                return 0;
            has_len = 1;
            r->content_length = x;
        } else if (ref_name_is(name, name_len, "transfer-encoding")) {
            return 0;
        } else if (ref_name_is(name, name_len, "host")) {
            hosts++;
        } else if (ref_name_is(name, name_len, "connection")) {
            ref_connection(v, vlen, &close_seen, &keep_seen);
        }
        at = end + 2;
    }
    if (hosts > 1 || (r->minor_version >= 1 && hosts == 0))
        return 0;
    r->head_len = blank + 4;
    r->total_len = r->head_len + r->content_length;
    if (r->total_len > RTB_HTTP_MAX_REQUEST || r->total_len > len)
        return 0;
    r->keep_alive = r->minor_version >= 1 ? !close_seen : keep_seen && !close_seen;
    return 1;
}

/* A scratch block as long as the input: a prefix of length L is copied to its END, so a read
 * past the prefix runs off the allocation and ASan reports it, just as for the whole input. */
static unsigned char *scratch;
static size_t scratch_cap;

/* parse_prefix: the parser on the first len bytes of data, placed flush against the block's end. */
static rtb_http_result parse_prefix(const uint8_t *data, size_t len, rtb_http_request *req)
{
    unsigned char *at = scratch + (scratch_cap - len);
    memcpy(at, data, len);
    return rtb_http_parse_request((const char *)at, len, req);
}

/* same_request: two COMPLETE results describe the same request (pointers compared as offsets
 * from their own buffers' starts, plus `shift` for a copy with bytes put in front). */
static int same_request(const rtb_http_request *a, const char *abuf, const rtb_http_request *b,
                        const char *bbuf, size_t shift)
{
    return (size_t)(a->method - abuf) + shift == (size_t)(b->method - bbuf) &&
           a->method_len == b->method_len &&
           (size_t)(a->target - abuf) + shift == (size_t)(b->target - bbuf) &&
           a->target_len == b->target_len && a->minor_version == b->minor_version &&
           a->keep_alive == b->keep_alive && a->header_count == b->header_count &&
           a->content_length == b->content_length && a->head_len + shift == b->head_len &&
           a->total_len + shift == b->total_len;
}

/* check_shape: law 3, the fields of a COMPLETE result stay inside what was parsed. */
static void check_shape(const char *buf, size_t len, const rtb_http_request *q)
{
    if (q->head_len < 4 || q->head_len > q->total_len || q->total_len > len ||
        q->total_len > RTB_HTTP_MAX_REQUEST || q->total_len != q->head_len + q->content_length)
        fail("shape: lengths out of order", len, (int)q->total_len, (int)q->head_len);
    if (memcmp(buf + q->head_len - 4, "\r\n\r\n", 4) != 0)
        fail("shape: head does not end with a blank line", len, 0, 0);
    if (q->method < buf || q->method_len == 0 || q->target <= q->method + q->method_len ||
        q->target_len == 0 || q->target + q->target_len > buf + q->head_len)
        fail("shape: method/target outside the head", len, 0, 0);
    if (q->minor_version < 0 || q->minor_version > 9 || (q->keep_alive != 0 && q->keep_alive != 1))
        fail("shape: version or keep_alive out of range", len, q->minor_version, q->keep_alive);
    if (q->header_count > RTB_HTTP_MAX_HEADERS)
        fail("shape: too many headers accepted", len, (int)q->header_count, RTB_HTTP_MAX_HEADERS);
    if (q->minor_version >= 1 && q->header_count == 0)
        fail("shape: HTTP/1.1 accepted without Host", len, 0, 1);
}

/* check_reference: law 1, COMPLETE exactly when the reference says so, with the same fields. */
static void check_reference(const char *buf, size_t len, rtb_http_result r, const rtb_http_request *q)
{
    ref_request want;
    int ok = ref_parse((const unsigned char *)buf, len, &want);
    if (ok != (r == RTB_HTTP_COMPLETE))
        fail("reference disagrees on completeness", len, r, ok);
    if (!ok)
        return;
    if ((size_t)(q->method - buf) != want.method_off || q->method_len != want.method_len ||
        (size_t)(q->target - buf) != want.target_off || q->target_len != want.target_len)
        fail("reference disagrees on method/target", len, (int)q->method_len, (int)want.method_len);
    if (q->minor_version != want.minor_version || q->keep_alive != want.keep_alive)
        fail("reference disagrees on version/keep-alive", len, q->keep_alive, want.keep_alive);
    if (q->header_count != want.header_count || q->content_length != want.content_length ||
        q->head_len != want.head_len || q->total_len != want.total_len)
        fail("reference disagrees on framing", len, (int)q->total_len, (int)want.total_len);
}

/* check_prefix: law 2 at one prefix length L, given the full input's result. */
static void check_prefix(const uint8_t *data, size_t L, rtb_http_result full,
                         const rtb_http_request *fq)
{
    rtb_http_request q;
    rtb_http_result r = parse_prefix(data, L, &q);
    const char *at = (const char *)scratch + (scratch_cap - L);
    if (full == RTB_HTTP_COMPLETE) {
        if (L < fq->total_len && r != RTB_HTTP_INCOMPLETE)
            fail("prefix of a complete request is not INCOMPLETE", L, r, RTB_HTTP_INCOMPLETE);
        if (L >= fq->total_len &&
            (r != RTB_HTTP_COMPLETE || !same_request(fq, (const char *)data, &q, at, 0)))
            fail("longer prefix of a complete request parses differently", L, r, full);
    } else if (full == RTB_HTTP_INCOMPLETE) {
        if (r != RTB_HTTP_INCOMPLETE)
            fail("prefix of an incomplete buffer is not INCOMPLETE", L, r, RTB_HTTP_INCOMPLETE);
    } else if (r == RTB_HTTP_COMPLETE) {
        fail("prefix of a BAD buffer is COMPLETE", L, r, RTB_HTTP_BAD);
    }
}

/* check_bad_is_final: for a BAD input, find where it turned BAD and check it stays BAD after. */
static void check_bad_is_final(const uint8_t *data, size_t size)
{
    rtb_http_request q;
    size_t lo = 0, hi = size; /* f(hi) is BAD; find the smallest such length, if f is monotone */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (parse_prefix(data, mid, &q) == RTB_HTTP_BAD)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo > 0 && parse_prefix(data, lo - 1, &q) != RTB_HTTP_INCOMPLETE)
        fail("the byte before a BAD verdict was not INCOMPLETE", lo - 1, 0, RTB_HTTP_INCOMPLETE);
    /* Every length from the first BAD to the end, sampled: a later byte must not revive it. */
    size_t step = (size - lo) / 64 + 1;
    for (size_t L = lo; L <= size; L += step)
        if (parse_prefix(data, L, &q) != RTB_HTTP_BAD)
            fail("BAD did not stay BAD as bytes arrived", L, 0, RTB_HTTP_BAD);
}

/* check_prefixes: law 2 over every prefix of a short input, a spread sample of a long one. */
static void check_prefixes(const uint8_t *data, size_t size, rtb_http_result full,
                           const rtb_http_request *fq)
{
    if (size <= 512) {
        for (size_t L = 0; L <= size; L++)
            check_prefix(data, L, full, fq);
    } else {
        for (size_t L = 0; L <= 128; L++)
            check_prefix(data, L, full, fq);
        for (size_t k = 1; k <= 64; k++)
            check_prefix(data, size * k / 65, full, fq);
        for (size_t d = 0; d < 3; d++)
            check_prefix(data, size - d, full, fq);
        if (full == RTB_HTTP_COMPLETE) {
            size_t marks[] = { fq->head_len, fq->total_len };
            for (size_t m = 0; m < 2; m++)
                for (size_t L = marks[m] >= 2 ? marks[m] - 2 : 0; L <= marks[m] + 2 && L <= size; L++)
                    check_prefix(data, L, full, fq);
        }
    }
    if (full == RTB_HTTP_BAD)
        check_bad_is_final(data, size);
}

/* check_reparse: law 4 for a COMPLETE request of total_len T. */
static void check_reparse(const uint8_t *data, const rtb_http_request *fq)
{
    size_t T = fq->total_len;
    rtb_http_request q;
    /* Alone, in a block of exactly T bytes (the copy at scratch's end). */
    if (parse_prefix(data, T, &q) != RTB_HTTP_COMPLETE ||
        !same_request(fq, (const char *)data, &q, (const char *)scratch + (scratch_cap - T), 0))
        fail("an accepted request does not re-parse alone", T, 0, RTB_HTTP_COMPLETE);

    /* With one more empty line in front: same request shifted by two, unless now too large. */
    char *shifted = malloc(T + 2);
    if (shifted == NULL)
        abort();
    memcpy(shifted, "\r\n", 2);
    memcpy(shifted + 2, data, T);
    rtb_http_result r = rtb_http_parse_request(shifted, T + 2, &q);
    if (T + 2 <= RTB_HTTP_MAX_REQUEST) {
        if (r != RTB_HTTP_COMPLETE || !same_request(fq, (const char *)data, &q, shifted, 2))
            fail("a leading empty line changed the request", T + 2, r, RTB_HTTP_COMPLETE);
    } else if (r != RTB_HTTP_BAD) {
        fail("a leading empty line took the request over the limit but it was not BAD", T + 2, r,
             RTB_HTTP_BAD);
    }

    /* Break the first CRLF (the first CR can only end the request line or a leading empty
     * line), then, separately, the final LF of the blank line: both must be BAD. */
    memcpy(shifted, data, T);
    char *cr = memchr(shifted, '\r', T);
    if (cr == NULL || cr[1] != '\n')
        fail("an accepted request has no CRLF", T, 0, 0);
    cr[1] = 'x';
    if ((r = rtb_http_parse_request(shifted, T, &q)) != RTB_HTTP_BAD)
        fail("a request with a broken first CRLF was not BAD", T, r, RTB_HTTP_BAD);
    memcpy(shifted, data, T);
    shifted[fq->head_len - 1] = ' ';
    if ((r = rtb_http_parse_request(shifted, T, &q)) != RTB_HTTP_BAD)
        fail("a request with a broken blank line was not BAD", T, r, RTB_HTTP_BAD);
    free(shifted);
}

/* LLVMFuzzerTestOneInput: one input through all four laws. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rtb_http_request q;
    if (size == 0) {
        /* Nothing yet is a valid prefix of every request (and data may be NULL here). */
        if (rtb_http_parse_request("", 0, &q) != RTB_HTTP_INCOMPLETE)
            fail("the empty buffer is not INCOMPLETE", 0, 0, RTB_HTTP_INCOMPLETE);
        return 0;
    }
    if (size > scratch_cap) {
        free(scratch);
        scratch = malloc(size);
        if (scratch == NULL)
            abort();
        scratch_cap = size;
    }
    memset(&q, 0xa5, sizeof q); /* untouched unless COMPLETE: see below */
    rtb_http_request before = q;
    rtb_http_result r = rtb_http_parse_request((const char *)data, size, &q);
    if (r != RTB_HTTP_BAD && r != RTB_HTTP_INCOMPLETE && r != RTB_HTTP_COMPLETE)
        fail("result out of range", size, r, 0);
    if (r != RTB_HTTP_COMPLETE && memcmp(&q, &before, sizeof q) != 0)
        fail("req written although the result is not COMPLETE", size, r, RTB_HTTP_COMPLETE);
    if (r == RTB_HTTP_INCOMPLETE && size >= RTB_HTTP_MAX_REQUEST)
        fail("INCOMPLETE at or past the size limit", size, r, RTB_HTTP_BAD);
    if (r == RTB_HTTP_COMPLETE)
        check_shape((const char *)data, size, &q);
    check_reference((const char *)data, size, r, &q);
    check_prefixes(data, size, r, &q);
    if (r == RTB_HTTP_COMPLETE)
        check_reparse(data, &q);
    return 0;
}
