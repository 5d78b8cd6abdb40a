/* rtb_http.h: one http_hello connection's buffers and replies, shared by the C responders. */
#ifndef RTB_HTTP_H
#define RTB_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"
#include "rtb_cli.h"

/*
 * The split of work: this file turns received bytes into queued reply bytes (parse, choose 200
 * or 400, decide whether the connection closes). Each runtime does the IO in its own idiom:
 * read into rtb_http_in_space, call rtb_http_process, write out[out_off..out_len), and close
 * when rtb_http_done says so. The responders differ only where the runtimes differ.
 *
 * Pipelining: a client may send several requests before reading a reply. process answers as
 * many as fit in `out`; when `out` is full it stops, the runtime writes, and calls process
 * again, so a flood of pipelined requests is throttled by the client's own reading.
 */

#define RTB_HTTP_OUT_CAP 8192

typedef struct rtb_http_conn {
    char in[RTB_HTTP_MAX_REQUEST];  /* received, not yet answered */
    size_t in_len;
    char out[RTB_HTTP_OUT_CAP];     /* replies not yet written */
    size_t out_off;                 /* out[out_off..out_len) is still to be written */
    size_t out_len;
    int close_after;  /* no more requests: close once out is written (400 or Connection: close) */
    uint64_t served;  /* 200 replies queued */
    uint64_t refused; /* 400 replies queued */
} rtb_http_conn;

/* The responder's settings: port= (0: any free port) and duration= (seconds, 0: until a signal). */
typedef struct rtb_http_opts {
    int port;
    uint64_t duration_s;
} rtb_http_opts;

/* Read port= and duration= (then rtb_params_done) and ignore SIGPIPE (a client may vanish mid-write). */
void rtb_http_setup(rtb_args *args, rtb_http_opts *opts);
/* Announce the listening port on stdout as `ready port=<port>` and flush: the harness waits for it. */
void rtb_http_ready(int port);
/* One line on stderr when the responder stops: connections, 200s and 400s served. */
void rtb_http_summary(const char *runtime, uint64_t conns, uint64_t served, uint64_t refused);

/*
 * Before closing a finished connection: send FIN and read away what the client already sent.
 * Closing a socket with unread input makes the kernel answer with a reset, and a reset can
 * destroy the 400 the client has not read yet; emptying the queue first avoids that in the
 * usual case (a client still sending after this point can still see a reset). fd must be
 * non-blocking. The runtime closes the fd itself afterwards, in its own idiom.
 */
void rtb_http_linger(int fd);

/* Reset a connection's state (fresh buffers, nothing queued). */
void rtb_http_conn_init(rtb_http_conn *c);
/* Where to read into and how much room there is (0: answer and write first, or close). */
char *rtb_http_in_space(rtb_http_conn *c, size_t *room);
/* Account for n bytes read into the space rtb_http_in_space returned. */
void rtb_http_in_commit(rtb_http_conn *c, size_t n);
/* Answer every complete request that fits; sets close_after on a malformed one or a close.
 * Returns how many replies it queued: 0 means there is nothing more to answer until more arrives. */
size_t rtb_http_process(rtb_http_conn *c);
/* Account for n bytes of out written; when all are written, out is rewound. */
void rtb_http_out_commit(rtb_http_conn *c, size_t n);
/* 1 when the connection should be closed now: it asked to close and everything is written. */
int rtb_http_done(const rtb_http_conn *c);

#endif
