/* rtb_http.c: parse what a connection received and queue "Hello, World!" or 400 in its out buffer. */
#include "rtb_http.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char rtb__ok[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
static const char rtb__ok_close[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n"
    "\r\nHello, World!";
/* HTTP/1.0 is close-by-default, so a 1.0 client that asked for keep-alive must hear it back. */
static const char rtb__ok_keep10[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
    "Connection: keep-alive\r\n\r\nHello, World!";
static const char rtb__bad[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
    "Connection: close\r\n\r\nBad Request\n";
/* Room every step of process needs: the longest reply above. */
#define RTB__MAX_REPLY (sizeof rtb__ok_close)

/* rtb_http_conn_init: empty buffers, nothing queued, connection open. */
void rtb_http_conn_init(rtb_http_conn *c)
{
    c->in_len = 0;
    c->out_off = c->out_len = 0;
    c->close_after = 0;
    c->served = c->refused = 0;
}

/* rtb_http_in_space: the free tail of `in`; none once the connection is closing. */
char *rtb_http_in_space(rtb_http_conn *c, size_t *room)
{
    /* After a 400 or a close nothing more is parsed, so reading more would only waste time. */
    *room = c->close_after ? 0 : sizeof c->in - c->in_len;
    return c->in + c->in_len;
}

/* rtb_http_in_commit: n more bytes are in `in`. */
void rtb_http_in_commit(rtb_http_conn *c, size_t n)
{
    c->in_len += n;
}

/* rtb__queue: append a reply to out; the caller has checked that it fits. */
static void rtb__queue(rtb_http_conn *c, const char *reply, size_t n)
{
    memcpy(c->out + c->out_len, reply, n);
    c->out_len += n;
}

/* rtb_http_process: answer complete requests while out has room for the longest reply. */
size_t rtb_http_process(rtb_http_conn *c)
{
    size_t used = 0, queued = 0;
    while (!c->close_after && sizeof c->out - c->out_len >= RTB__MAX_REPLY) {
        rtb_http_request req;
        rtb_http_result r = rtb_http_parse_request(c->in + used, c->in_len - used, &req);
        if (r == RTB_HTTP_INCOMPLETE)
            break;
        if (r == RTB_HTTP_BAD) {
            rtb__queue(c, rtb__bad, sizeof rtb__bad - 1);
            c->refused++;
            c->close_after = 1;
            used = c->in_len;  /* whatever follows a malformed request is not framed: drop it */
            queued++;
            break;
        }
        int head = req.method_len == 4 && memcmp(req.method, "HEAD", 4) == 0;
        const char *reply = rtb__ok;
        size_t n = sizeof rtb__ok - 1;
        if (!req.keep_alive) {
            reply = rtb__ok_close, n = sizeof rtb__ok_close - 1;
            c->close_after = 1;
        } else if (req.minor_version == 0) {
            reply = rtb__ok_keep10, n = sizeof rtb__ok_keep10 - 1;
        }
        /* HEAD gets the same head (with the GET's Content-Length) and no body. */
        rtb__queue(c, reply, head ? n - 13 : n);
        c->served++;
        queued++;
        used += req.total_len;
    }
    /* Leftovers (a partial request, or pipelined ones that did not fit) move to the front. */
    if (used > 0) {
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
    }
    return queued;
}

/* rtb_http_out_commit: n bytes of out were written; rewind when everything is out. */
void rtb_http_out_commit(rtb_http_conn *c, size_t n)
{
    c->out_off += n;
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
}

/* rtb_http_done: closing was requested and nothing is left to write. */
int rtb_http_done(const rtb_http_conn *c)
{
    return c->close_after && c->out_off == c->out_len;
}

/* rtb_http_setup: the two params, and SIGPIPE ignored so a write to a closed peer is just EPIPE. */
void rtb_http_setup(rtb_args *args, rtb_http_opts *opts)
{
    opts->port = (int)rtb_param_u64(args, "port", 0, 65535);
    opts->duration_s = rtb_param_u64(args, "duration", 0, 86400);
    rtb_params_done(args);
    signal(SIGPIPE, SIG_IGN);
}

/* rtb_http_ready: the one line the harness waits for before it starts wrk. */
void rtb_http_ready(int port)
{
    printf("ready port=%d\n", port);
    fflush(stdout);
}

/* rtb_http_summary: what the responder did, on stderr (stdout carries only the protocol). */
void rtb_http_summary(const char *runtime, uint64_t conns, uint64_t served, uint64_t refused)
{
    fprintf(stderr, "rtb-%s http_hello: %llu connections, %llu replies 200, %llu replies 400\n",
            runtime, (unsigned long long)conns, (unsigned long long)served,
            (unsigned long long)refused);
}

/* rtb_http_linger: FIN after the queued reply, then drain the receive queue (non-blocking). */
void rtb_http_linger(int fd)
{
    char sink[4096];
    shutdown(fd, SHUT_WR);
    while (read(fd, sink, sizeof sink) > 0)
        continue;
}
