/* as_http_server.c: an HTTP/1.1 keep-alive hello server that survives bad clients -- malformed requests, huge heads, slowloris, never-reading pipeliners. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "as.h"
#include "rt_clock.h"

/*
 * What a hello-world server must add before it can face the internet, each in a few lines:
 *
 *   malformed request        -> "400 Bad Request", then close (we cannot know where the next
 *                               request would start);
 *   head over 8 KiB          -> "431 Request Header Fields Too Large", then close. The head is
 *                               read into a fixed 8 KiB buffer, so a client cannot make us
 *                               buffer more, however much it sends;
 *   body over 1 MiB          -> "413 Content Too Large", then close (bodies are read and
 *                               thrown away, never stored);
 *   slowloris                -> a request must be complete within --head-timeout ms of its
 *                               first byte; an idle keep-alive connection closes after
 *                               --idle-timeout ms;
 *   a client that never reads-> backpressure: replies go into a fixed 16 KiB output buffer, and
 *                               while it is full we write and do not read, so the client's
 *                               pipelined requests wait in the kernel (whose buffers are bounded
 *                               too) and our memory stays flat. If a write makes no progress for
 *                               --idle-timeout ms, the connection is closed;
 *   a peer that resets       -> one line on stderr, the connection ends, nobody else notices.
 *
 * Every event prints one line on stderr. GET /stats answers the counters as text, so a test
 * (or you, with curl) can see what happened. SIGINT/SIGTERM stop the server cleanly, as in
 * as_echo_server.c: the handler writes a byte into a self-pipe that the accept loop races
 * against accept.
 *
 * The request parser is written out in this file, small and strict, rather than shared with
 * the benchmark's (bench/impl/common/http_parse.c): an example is compiled alone against the
 * runtime libraries and must not depend on bench/, and a student reads it top to bottom. The
 * tk flavour's example (tk_http_server.c) carries the same parser, so the two read alike.
 *
 *   usage: as_http_server [--port=N] [--head-timeout=MS] [--idle-timeout=MS]
 *          (defaults: port 8080, 0 lets the OS choose; head 10000 ms; idle 30000 ms; the
 *          environment variables HTTP_HEAD_TIMEOUT_MS and HTTP_IDLE_TIMEOUT_MS set the same)
 */

#define NAME "as_http_server"
#define HEAD_MAX 8192            /* the longest request head we accept */
#define OUT_MAX 16384            /* replies waiting to be written, per connection */
#define REPLY_MAX 512            /* room one reply needs in the output buffer */
#define BODY_MAX (1u << 20)      /* the longest request body we read (and discard) */
#define LINGER_MAX (256u << 10)  /* after a refusal, drain at most this much before closing */

static uint64_t head_timeout_ms = 10000, idle_timeout_ms = 30000;

/* ---- counters (GET /stats) --------------------------------------------------------------- */

static struct {
    _Atomic uint64_t accepted, open, served, bad_request, header_too_large, body_too_large,
        head_timeouts, idle_timeouts, write_stalls, resets, peak_conn_buffered;
} stats;

/* stats_peak: remember the most bytes one connection ever held in its buffers. */
static void stats_peak(uint64_t v)
{
    uint64_t cur = atomic_load_explicit(&stats.peak_conn_buffered, memory_order_relaxed);
    while (v > cur && !atomic_compare_exchange_weak(&stats.peak_conn_buffered, &cur, v))
        ;
}

/* stats_format: the counters as one line of text. */
static int stats_format(char *buf, size_t len)
{
#define S(f) (unsigned long long)atomic_load(&stats.f)
    return snprintf(buf, len,
                    "accepted=%llu open=%llu served=%llu bad_request=%llu header_too_large=%llu "
                    "body_too_large=%llu head_timeouts=%llu idle_timeouts=%llu write_stalls=%llu "
                    "resets=%llu peak_conn_buffered=%llu\n",
                    S(accepted), S(open), S(served), S(bad_request), S(header_too_large),
                    S(body_too_large), S(head_timeouts), S(idle_timeouts), S(write_stalls),
                    S(resets), S(peak_conn_buffered));
#undef S
}

/* ---- the request-head parser ------------------------------------------------------------- */

enum {
    HEAD_PARTIAL = 0,        /* a valid prefix: read more */
    HEAD_OK = 1,             /* a whole head: *req is filled */
    HEAD_BAD = -1,           /* 400 */
    HEAD_TOO_LARGE = -2,     /* 431 */
    HEAD_BODY_TOO_LARGE = -3 /* 413 */
};

typedef struct http_req {
    size_t head_len;         /* bytes up to and including the empty line */
    uint64_t body_len;       /* Content-Length (0 when absent) */
    int keep_alive;
    int stats;               /* GET /stats */
} http_req;

/* is_tchar: a token character (RFC 9110): method and header names. */
static int is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* name_is: case-insensitive compare of a header name with a lower-case literal. */
static int name_is(const char *p, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(p, lit, n) == 0;
}

/* parse_head: look at buf[0..len) -- the start of a request -- and say what it is. Strict on
 * purpose: CRLF line ends, no whitespace before a colon, no folded lines, no control bytes,
 * HTTP/1.0 or 1.1, exactly one Host in 1.1, one Content-Length, no Transfer-Encoding (we
 * cannot decode chunked bodies, and guessing where the next request starts is how request
 * smuggling happens). */
static int parse_head(const char *buf, size_t len, http_req *req)
{
    const char *end = memmem(buf, len < HEAD_MAX ? len : HEAD_MAX, "\r\n\r\n", 4);
    if (end == NULL) {
        /* Refuse hopeless garbage early, so a client sending binary noise gets its 400 now. */
        for (size_t i = 0; i < len && i < HEAD_MAX; i++)
            if ((unsigned char)buf[i] < 0x20 && buf[i] != '\r' && buf[i] != '\n' && buf[i] != '\t')
                return HEAD_BAD;
        return len >= HEAD_MAX ? HEAD_TOO_LARGE : HEAD_PARTIAL;
    }
    memset(req, 0, sizeof *req);
    req->head_len = (size_t)(end - buf) + 4;
    /* Request line: METHOD SP TARGET SP HTTP/1.x CRLF */
    const char *p = buf, *line_end = memmem(buf, req->head_len, "\r\n", 2);
    const char *m = p;
    while (p < line_end && is_tchar((unsigned char)*p))
        p++;
    if (p == m || p == line_end || *p != ' ')
        return HEAD_BAD;
    size_t mlen = (size_t)(p - m);
    const char *t = ++p;
    while (p < line_end && (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f)
        p++;
    if (p == t || p == line_end || *p != ' ')
        return HEAD_BAD;
    size_t tlen = (size_t)(p - t);
    p++;
    if (line_end - p != 8 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1'))
        return HEAD_BAD;
    int minor = p[7] - '0';
    req->stats = mlen == 3 && memcmp(m, "GET", 3) == 0 && tlen == 6 && memcmp(t, "/stats", 6) == 0;
    int hosts = 0, has_length = 0, conn_close = 0, conn_keep = 0;
    /* Header fields: NAME ":" OWS VALUE OWS CRLF, until the empty line. */
    for (p = line_end + 2; p < end + 2; p = line_end + 2) {
        line_end = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
        const char *n = p;
        while (p < line_end && is_tchar((unsigned char)*p))
            p++;
        if (p == n || p == line_end || *p != ':')
            return HEAD_BAD;     /* also catches a folded line, which starts with a space */
        size_t nlen = (size_t)(p - n);
        for (p++; p < line_end && (*p == ' ' || *p == '\t'); p++)
            ;
        const char *v = p;
        for (; p < line_end; p++)
            if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
                return HEAD_BAD;
        size_t vlen = (size_t)(line_end - v);
        while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            vlen--;
        if (name_is(n, nlen, "host")) {
            hosts++;
        } else if (name_is(n, nlen, "transfer-encoding")) {
            return HEAD_BAD;
        } else if (name_is(n, nlen, "content-length")) {
            uint64_t x = 0;
            if (vlen == 0)
                return HEAD_BAD;
            for (size_t i = 0; i < vlen; i++) {
                if (v[i] < '0' || v[i] > '9')
                    return HEAD_BAD;
                x = x * 10 + (uint64_t)(v[i] - '0');
                if (x > BODY_MAX)
                    return HEAD_BODY_TOO_LARGE;
            }
            if (has_length && x != req->body_len)
                return HEAD_BAD;
            has_length = 1;
            req->body_len = x;
        } else if (name_is(n, nlen, "connection")) {
            conn_close |= vlen == 5 && strncasecmp(v, "close", 5) == 0;
            conn_keep |= vlen == 10 && strncasecmp(v, "keep-alive", 10) == 0;
        }
    }
    if (minor == 1 && hosts != 1)
        return HEAD_BAD;
    req->keep_alive = minor == 1 ? !conn_close : conn_keep;
    return HEAD_OK;
}

/* ---- one connection ---------------------------------------------------------------------- */

typedef struct conn_task {
    rt_future base;
    rt_async co;
    as_io *s;
    char peer[64];
    size_t in_len, out_len, out_off;
    uint64_t discard;            /* body bytes still to be read and thrown away */
    uint64_t head_start_ns;      /* when the first byte of the pending request arrived */
    uint64_t lingered;
    int closing;                 /* a refusal was queued: close once it is written */
    int peer_eof;
    as_read_fut rd;
    as_write_fut wr;
    as_timeout_fut to;
    char in[HEAD_MAX];
    char out[OUT_MAX];
} conn_task;

/* conn_log: one line per event on stderr, naming the peer. */
static void conn_log(conn_task *c, const char *what)
{
    fprintf(stderr, NAME ": %s: %s\n", c->peer, what);
}

/* conn_reply: queue a reply; `close` adds Connection: close and stops parsing. */
static void conn_reply(conn_task *c, const char *status, const char *body, int close)
{
    int n = snprintf(c->out + c->out_len, OUT_MAX - c->out_len,
                     "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n%s",
                     status, strlen(body), close ? "Connection: close\r\n" : "", body);
    c->out_len += (size_t)n;  /* REPLY_MAX of room was checked, and every reply fits in it */
    if (close)
        c->closing = 1;
}

/* conn_consume: drop n bytes from the front of the input buffer. */
static void conn_consume(conn_task *c, size_t n)
{
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
    if (c->in_len > 0)
        c->head_start_ns = rt_monotonic_ns(); /* the next pipelined request has begun */
}

/* conn_process: answer every whole request in the input while the output has room. */
static void conn_process(conn_task *c)
{
    if (c->discard > 0) {
        size_t take = c->discard < c->in_len ? (size_t)c->discard : c->in_len;
        c->discard -= take;
        conn_consume(c, take);
    }
    while (!c->closing && c->discard == 0 && c->in_len > 0 && OUT_MAX - c->out_len >= REPLY_MAX) {
        http_req req;
        int r = parse_head(c->in, c->in_len, &req);
        if (r == HEAD_PARTIAL)
            return;
        if (r == HEAD_BAD) {
            atomic_fetch_add(&stats.bad_request, 1);
            conn_log(c, "malformed request: answering 400 and closing");
            conn_reply(c, "400 Bad Request", "bad request\n", 1);
        } else if (r == HEAD_TOO_LARGE) {
            atomic_fetch_add(&stats.header_too_large, 1);
            conn_log(c, "request head over 8 KiB: answering 431 and closing");
            conn_reply(c, "431 Request Header Fields Too Large", "request head too large\n", 1);
        } else if (r == HEAD_BODY_TOO_LARGE) {
            atomic_fetch_add(&stats.body_too_large, 1);
            conn_log(c, "request body over 1 MiB: answering 413 and closing");
            conn_reply(c, "413 Content Too Large", "request body too large\n", 1);
        } else {
            if (req.stats) {
                char body[REPLY_MAX / 2 + 64];
                stats_format(body, sizeof body);
                conn_reply(c, "200 OK", body, !req.keep_alive);
            } else {
                conn_reply(c, "200 OK", "Hello, World!", !req.keep_alive);
            }
            atomic_fetch_add(&stats.served, 1); /* after: a /stats reply does not count itself */
            uint64_t total = req.head_len + req.body_len;
            if (total <= c->in_len) {
                conn_consume(c, (size_t)total);
            } else {
                c->discard = total - c->in_len;
                c->in_len = 0;
            }
        }
    }
}

/* conn_read_timeout: how long the next read may wait -- what is left of the request's
 * deadline while one is arriving, or the idle limit between requests. 0: already late. */
static uint64_t conn_read_timeout(conn_task *c)
{
    if (c->in_len == 0 && c->discard == 0)
        return idle_timeout_ms;
    uint64_t waited = (rt_monotonic_ns() - c->head_start_ns) / 1000000u;
    return waited >= head_timeout_ms ? 0 : head_timeout_ms - waited;
}

/* conn_io_error: a failed read or write ends this connection only. */
static void conn_io_error(conn_task *c, const char *op, ssize_t err)
{
    char line[128];
    if (err == -ECONNRESET || err == -EPIPE) {
        atomic_fetch_add(&stats.resets, 1);
        snprintf(line, sizeof line, "peer reset the connection during %s; closing", op);
    } else {
        snprintf(line, sizeof line, "%s failed: %s; closing", op, strerror((int)-err));
    }
    conn_log(c, line);
}

/* conn_poll: answer, write, read -- with every wait bounded by a timeout. */
static rt_poll conn_poll(rt_future *f, rt_context *cx)
{
    conn_task *c = (conn_task *)f;
    RT_BEGIN(&c->co);
    for (;;) {
        conn_process(c);
        stats_peak(c->in_len + c->out_len);
        if (c->out_off < c->out_len) {
            /* Backpressure: while replies wait we do not read, so a client that does not read
             * our answers cannot make us hold more than OUT_MAX of them. */
            c->wr = as_write(c->s, c->out + c->out_off, c->out_len - c->out_off);
            c->to = as_timeout(&c->wr.base, idle_timeout_ms);
            RT_AWAIT(&c->co, &c->to, cx);
            if (c->to.timed_out) {
                atomic_fetch_add(&stats.write_stalls, 1);
                conn_log(c, "client is not reading its replies (no write progress within the "
                            "idle timeout); closing");
                break;
            }
            if (c->wr.result < 0) {
                conn_io_error(c, "write", c->wr.result);
                break;
            }
            c->out_off += (size_t)c->wr.result;
            if (c->out_off == c->out_len)
                c->out_off = c->out_len = 0;
            continue;
        }
        if (c->closing || c->peer_eof)
            break;
        {
            uint64_t t = conn_read_timeout(c);
            if (t == 0) {
                atomic_fetch_add(&stats.head_timeouts, 1);
                conn_log(c, "request not complete within the head timeout (slow client?); closing");
                break;
            }
            c->rd = as_read(c->s, c->in + c->in_len, HEAD_MAX - c->in_len);
            c->to = as_timeout(&c->rd.base, t);
        }
        RT_AWAIT(&c->co, &c->to, cx);
        if (c->to.timed_out) {
            if (c->in_len == 0 && c->discard == 0) {
                atomic_fetch_add(&stats.idle_timeouts, 1);
                conn_log(c, "idle keep-alive connection timed out; closing");
            } else {
                atomic_fetch_add(&stats.head_timeouts, 1);
                conn_log(c, "request not complete within the head timeout (slow client?); "
                            "closing");
            }
            break;
        }
        if (c->rd.result < 0) {
            conn_io_error(c, "read", c->rd.result);
            break;
        }
        if (c->rd.result == 0) {
            if (c->in_len > 0 || c->discard > 0)
                conn_log(c, "peer closed in the middle of a request");
            c->peer_eof = 1; /* still answer what is complete, then close */
            continue;
        }
        if (c->in_len == 0 && c->discard == 0)
            c->head_start_ns = rt_monotonic_ns();
        c->in_len += (size_t)c->rd.result;
        stats_peak(c->in_len + c->out_len);
    }
    if (c->closing && !c->peer_eof) {
        /* A lingering close: closing with unread input makes the kernel send RST, which can
         * destroy the refusal we just wrote before the client reads it. So send our FIN, then
         * drain what the client still sends, bounded in bytes and time, then close. */
        as_io_shutdown(c->s, SHUT_WR);
        for (c->lingered = 0; c->lingered < LINGER_MAX;) {
            c->rd = as_read(c->s, c->in, HEAD_MAX);
            c->to = as_timeout(&c->rd.base, head_timeout_ms < 2000 ? head_timeout_ms : 2000);
            RT_AWAIT(&c->co, &c->to, cx);
            if (c->to.timed_out || c->rd.result <= 0)
                break;
            c->lingered += (uint64_t)c->rd.result;
        }
    }
    as_io_close(c->s);
    c->s = NULL;
    RT_END(&c->co);
}

/* conn_drop: finished or cancelled at shutdown: the socket goes either way, and the open count. */
static void conn_drop(rt_future *f)
{
    conn_task *c = (conn_task *)f;
    rt_async_drop(&c->co);
    as_io_close(c->s);
    c->s = NULL;
    atomic_fetch_sub(&stats.open, 1);
}

static const rt_future_vtable conn_vtable = { conn_poll, conn_drop, "http_conn" };

/* ---- SIGINT/SIGTERM: a self-pipe (see as_echo_server.c) ---------------------------------- */

static int stop_pipe[2] = { -1, -1 };

/* on_signal: async-signal-safe: one byte into the self-pipe the accept loop watches. */
static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    ssize_t n = write(stop_pipe[1], "x", 1);
    (void)n; /* a full pipe already says "stop" */
    errno = saved;
}

/* ---- the accept loop --------------------------------------------------------------------- */

typedef struct server {
    rt_future base;
    rt_async co;
    as_io *listener;
    as_io *stop;               /* the self-pipe's read end */
    as_accept_fut acc;
    as_ready_fut stop_ready;
    rt_future *race[2];
    rt_select_fut sel;
    as_sleep_fut backoff;
} server;

/* server_spawn_conn: hand the accepted stream to a new task (which then owns it). */
static void server_spawn_conn(server *s)
{
    conn_task *c = calloc(1, sizeof *c); /* 25 KiB: built on the heap, copied into the task */
    if (c == NULL) {
        fprintf(stderr, NAME ": out of memory; dropping a connection\n");
        as_io_close(s->acc.stream);
        return;
    }
    c->base.vtable = &conn_vtable;
    c->s = s->acc.stream;
    as_addr_format((struct sockaddr *)&s->acc.peer, s->acc.peer_len, c->peer, sizeof c->peer);
    as_task t;
    atomic_fetch_add(&stats.accepted, 1);
    atomic_fetch_add(&stats.open, 1);
    if (as_spawn(&c->base, sizeof *c, &t) != 0) {
        fprintf(stderr, NAME ": out of memory; dropping %s\n", c->peer);
        atomic_fetch_sub(&stats.open, 1);
        as_io_close(c->s);
    } else {
        as_task_detach(&t);
    }
    free(c);
}

/* server_poll: accept (or stop), spawn a task per connection, back off on accept errors. */
static rt_poll server_poll(rt_future *f, rt_context *cx)
{
    server *s = (server *)f;
    RT_BEGIN(&s->co);
    for (;;) {
        s->acc = as_tcp_accept(s->listener);
        s->stop_ready = as_readable(s->stop);
        s->race[0] = &s->stop_ready.base;
        s->race[1] = &s->acc.base;
        s->sel = rt_select(s->race, 2); /* biased: the stop request comes first */
        RT_AWAIT(&s->co, &s->sel, cx);
        if (s->sel.winner == 0)
            break;
        if (s->acc.err == 0) {
            server_spawn_conn(s);
            continue;
        }
        /* Out of descriptors (or another accept failure): the connection stays in the
         * backlog, so retrying at once would spin. */
        fprintf(stderr, NAME ": accept failed: %s; retrying in 100 ms\n", strerror(-s->acc.err));
        s->backoff = as_sleep(100);
        RT_AWAIT(&s->co, &s->backoff, cx);
    }
    {
        char line[512];
        stats_format(line, sizeof line);
        fprintf(stderr, NAME ": shutting down; %s", line);
    }
    RT_END(&s->co);
}

/* server_drop: release whatever the loop was waiting on. */
static void server_drop(rt_future *f)
{
    rt_async_drop(&((server *)f)->co);
}

static const rt_future_vtable server_vtable = { server_poll, server_drop, "http_server" };

/* parse_uint: a whole decimal number in [lo, hi], nothing else; -1 if it is not one. */
static int parse_uint(const char *text, unsigned long lo, unsigned long hi, uint64_t *out)
{
    char *end;
    errno = 0;
    if (text == NULL || text[0] < '0' || text[0] > '9')
        return -1;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* usage: what the flags are, then exit 2. */
static int usage(const char *bad)
{
    if (bad)
        fprintf(stderr, NAME ": invalid argument '%s'\n", bad);
    fprintf(stderr, "usage: " NAME " [--port=N] [--head-timeout=MS] [--idle-timeout=MS]\n"
                    "  --port=N           0 to 65535, default 8080 (0 lets the OS pick)\n"
                    "  --head-timeout=MS  a request must arrive whole within MS of its first "
                    "byte (default 10000; env HTTP_HEAD_TIMEOUT_MS)\n"
                    "  --idle-timeout=MS  close keep-alive connections idle for MS, and clients "
                    "that stop reading for MS (default 30000; env HTTP_IDLE_TIMEOUT_MS)\n");
    return 2;
}

/* main: read the settings, listen, serve until SIGINT/SIGTERM, close what we opened. The
 * runtime's exit handler then cancels the connection tasks still open. */
int main(int argc, char **argv)
{
    uint64_t port = 8080;
    const char *env;
    if ((env = getenv("HTTP_HEAD_TIMEOUT_MS")) && parse_uint(env, 1, 86400000, &head_timeout_ms)) {
        fprintf(stderr, NAME ": HTTP_HEAD_TIMEOUT_MS must be a number of milliseconds, 1 to 86400000\n");
        return usage(env);
    }
    if ((env = getenv("HTTP_IDLE_TIMEOUT_MS")) && parse_uint(env, 1, 86400000, &idle_timeout_ms)) {
        fprintf(stderr, NAME ": HTTP_IDLE_TIMEOUT_MS must be a number of milliseconds, 1 to 86400000\n");
        return usage(env);
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int bad;
        if (strncmp(a, "--port=", 7) == 0)
            bad = parse_uint(a + 7, 0, 65535, &port);
        else if (strncmp(a, "--head-timeout=", 15) == 0)
            bad = parse_uint(a + 15, 1, 86400000, &head_timeout_ms);
        else if (strncmp(a, "--idle-timeout=", 15) == 0)
            bad = parse_uint(a + 15, 1, 86400000, &idle_timeout_ms);
        else
            bad = -1;
        if (bad)
            return usage(a);
    }
    if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        perror(NAME ": pipe");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)port);
    server s;
    memset(&s, 0, sizeof s);
    s.base.vtable = &server_vtable;
    int err = as_tcp_listen(addr, &s.listener);
    if (err != 0) {
        fprintf(stderr, NAME ": cannot listen on %s: %s\n", addr, strerror(-err));
        return 1;
    }
    if ((err = as_io_open(stop_pipe[0], &s.stop)) != 0) {
        fprintf(stderr, NAME ": cannot watch the signal pipe: %s\n", strerror(-err));
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", as_io_local_port(s.listener));
    fflush(stdout);
    as_block_on(&s.base);
    rt_future_drop(&s.base);
    as_io_close(s.listener);
    as_io_close(s.stop);
    /* The pipe's write end stays open until exit: a late signal's handler still writes into
     * it, and a closed number could by then belong to some other file. */
    return 0;
}
