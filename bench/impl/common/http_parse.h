/* http_parse.h: the one HTTP/1.1 request parser every C http_hello responder uses (and the fuzz target). */
#ifndef RTB_HTTP_PARSE_H
#define RTB_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A stateless parser in the style of picohttpparser: give it everything received so far on a
 * connection, and it says whether the buffer starts with a whole request, needs more bytes, or
 * can never become a valid request. It re-scans from the start on every call; requests are at
 * most RTB_HTTP_MAX_REQUEST bytes, so the worst case (a request trickling in byte by byte) is
 * bounded, and in exchange there is no state to get wrong between calls.
 *
 * It is strict on purpose (RFC 9112 where a hello responder needs it): CRLF line ends only,
 * no obsolete line folding, no whitespace before a header's colon, token characters in method
 * and field names, no control characters anywhere, HTTP/1.x only, exactly one Host in HTTP/1.1,
 * one consistent Content-Length, and no Transfer-Encoding (a responder that cannot decode chunked
 * bodies must refuse them rather than misread where the next request starts). Anything else is
 * RTB_HTTP_BAD, which the responders answer with 400 and a close.
 */

/* The longest request (head plus body) a responder accepts; longer is RTB_HTTP_BAD. */
#define RTB_HTTP_MAX_REQUEST 16384
/* The most header fields a request may carry. */
#define RTB_HTTP_MAX_HEADERS 64

typedef enum rtb_http_result {
    RTB_HTTP_BAD = -1,        /* malformed, unsupported or too large: answer 400 and close */
    RTB_HTTP_INCOMPLETE = 0,  /* a valid prefix so far: read more */
    RTB_HTTP_COMPLETE = 1     /* buf starts with one whole request of total_len bytes */
} rtb_http_result;

/* What a complete request said; the pointers point into the caller's buffer. */
typedef struct rtb_http_request {
    const char *method;
    size_t method_len;
    const char *target;
    size_t target_len;
    int minor_version;        /* the x of HTTP/1.x (0 to 9) */
    int keep_alive;           /* 1: the connection stays open after the response */
    size_t header_count;
    uint64_t content_length;  /* body bytes after the head (0 when absent) */
    size_t head_len;          /* bytes up to and including the empty line */
    size_t total_len;         /* head_len + content_length: what the caller consumes */
} rtb_http_request;

/* Parse the request at the start of buf[0..len); fills *req only when RTB_HTTP_COMPLETE. */
rtb_http_result rtb_http_parse_request(const char *buf, size_t len, rtb_http_request *req);

#endif
