/* test_http_server.c: the example HTTP servers (tk and as) against bad clients -- malformed requests, huge heads, slowloris, idle and never-reading clients. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "example_kit.h"
#include "fault_client.h"
#include "rt_clock.h"
#include "rt_testkit.h"

/*
 * Each case runs twice, once per flavour (a Check loop test: _i is 0 for tk_http_server, 1 for
 * as_http_server). The server is the example binary of this build variant, run as a child
 * with --port=0 and the timeouts the case wants; its stdout gives the port, its stderr goes
 * to a file the case reads at the end. Every case ends the same way: a well-behaved client is
 * still answered, SIGTERM stops the server, and it must exit 0 -- which under ASan also means
 * it leaked nothing.
 *
 * What is asserted is behaviour and counts (the server's GET /stats, its stderr lines), never
 * speed: a timeout is observed as "the server closed the connection eventually", with a
 * generous limit only as a backstop against a hang.
 */

/* Sanitized servers run several times slower: give their timeouts room, never the assertions. */
#define SCALE (RT_SANITIZED ? 4 : 1)
#define HEAD_MAX 8192                /* the servers' limits, as their comments state them */
#define OUT_MAX 16384
#define HOG_BYTES (50u << 20)        /* what the never-reading client tries to send */
#define BACKSTOP_S 60                /* a wait longer than this is a hang: fail */

static const char *const server_names[2] = { "tk_http_server", "as_http_server" };

static const char GOOD[] = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";

/* ---- running an example server as a child ------------------------------------------------ */

typedef struct srv {
    const char *name;
    pid_t pid;
    unsigned port;
    char err_path[128];
    char err[65536];                 /* its stderr, read at srv_stop */
} srv;

/* srv_child: in the child -- only the command line sets the timeouts, no metrics dump, and
 * SIGPIPE at its default action (the servers must never raise it). */
static void srv_child(const void *arg)
{
    (void)arg;
    unsetenv("HTTP_HEAD_TIMEOUT_MS");
    unsetenv("HTTP_IDLE_TIMEOUT_MS");
    unsetenv("TK_METRICS");
    unsetenv("AS_METRICS");
    signal(SIGPIPE, SIG_DFL);
}

/* srv_start: run the example with --port=0 and the given timeouts; wait for its port. */
static void srv_start(srv *s, int which, unsigned head_ms, unsigned idle_ms)
{
    memset(s, 0, sizeof *s);
    s->name = server_names[which];
    char path[PATH_MAX], head[48], idle[48];
    ek_example_path(NULL, s->name, path, sizeof path);
    snprintf(head, sizeof head, "--head-timeout=%u", head_ms * SCALE);
    snprintf(idle, sizeof idle, "--idle-timeout=%u", idle_ms * SCALE);
    snprintf(s->err_path, sizeof s->err_path, "/tmp/test_http_server.%d.%s.err", (int)getpid(),
             s->name);
    int out[2];
    ek_pipe(out);
    int err = open(s->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_msg(err >= 0, "%s: %s", s->err_path, strerror(errno));
    const char *const argv[] = { path, "--port=0", head, idle, NULL };
    s->pid = ek_spawn(path, argv, out[1], err, srv_child, NULL);
    s->port = (unsigned)ek_read_port(out[0], s->name, BACKSTOP_S * 1000);
    close(out[0]);
}

/* srv_stop: SIGTERM, wait (with a backstop), read its stderr; it must exit 0. */
static void srv_stop(srv *s)
{
    ck_assert_int_eq(kill(s->pid, SIGTERM), 0);
    int status = 0;
    uint64_t deadline = rt_monotonic_ns() + (uint64_t)BACKSTOP_S * 1000000000u;
    while (waitpid(s->pid, &status, WNOHANG) == 0) {
        if (rt_monotonic_ns() > deadline) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
            ck_abort_msg("%s did not stop on SIGTERM", s->name);
        }
        usleep(10000);
    }
    FILE *f = fopen(s->err_path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(s->err, 1, sizeof s->err - 1, f);
    s->err[n] = '\0';
    fclose(f);
    unlink(s->err_path);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "%s ended with status 0x%x; its stderr:\n%s", s->name, status, s->err);
    ck_assert_msg(strstr(s->err, "shutting down") != NULL, "stderr:\n%s", s->err);
}

/* count_lines: how many lines of the server's stderr contain `what`. */
static int count_lines(const srv *s, const char *what)
{
    int n = 0;
    for (const char *p = s->err; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* ---- client side ------------------------------------------------------------------------- */

/* read_response: one whole response (head, then Content-Length bytes of body) into buf;
 * returns its length, or -errno / -EPROTO. Reads byte by byte after the head is found, so
 * nothing of a following pipelined response is consumed. */
static int read_response(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    char *end = NULL;
    while (end == NULL) {
        if (got == cap - 1)
            return -EPROTO;
        ssize_t r = read(fd, buf + got, 1);
        if (r < 0)
            return -errno;
        if (r == 0)
            return -ENODATA;
        got++;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    const char *cl = strcasestr(buf, "\r\nContent-Length: ");
    if (cl == NULL)
        return -EPROTO;
    size_t body = strtoul(cl + 18, NULL, 10);
    if (got + body >= cap)
        return -EPROTO;
    int rc = fc_read_exact(fd, buf + got, body);
    if (rc != 0)
        return rc;
    got += body;
    buf[got] = '\0';
    return (int)got;
}

/* expect_hello: a complete "200 OK ... Hello, World!" response. */
static void expect_hello(const char *resp, int len)
{
    ck_assert_msg(len > 0, "no response: %s", strerror(-len));
    ck_assert_msg(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0, "got '%s'", resp);
    ck_assert_msg(len >= 13 && strcmp(resp + len - 13, "Hello, World!") == 0, "got '%s'", resp);
}

/* good_client: the proof the server still serves -- two keep-alive requests, both answered. */
static void good_client(const srv *s)
{
    int fd = fc_connect_tcp(s->port);
    ck_assert_int_ge(fd, 0);
    char buf[1024];
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(fc_write_all(fd, GOOD, strlen(GOOD)), 0);
        expect_hello(buf, read_response(fd, buf, sizeof buf));
    }
    close(fd);
}

/* stat_of: one counter from GET /stats, on a connection of its own. */
static unsigned long long stat_of(const srv *s, const char *name)
{
    int fd = fc_connect_tcp(s->port);
    ck_assert_int_ge(fd, 0);
    const char req[] = "GET /stats HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
    char buf[2048], key[64];
    ck_assert_int_eq(fc_write_all(fd, req, strlen(req)), 0);
    int len = read_response(fd, buf, sizeof buf);
    close(fd);
    ck_assert_msg(len > 0, "GET /stats: %s", strerror(-len));
    /* The body is "name=value name=value ...\n": look for the key at the start of a word. */
    snprintf(key, sizeof key, "%s=", name);
    const char *body = strstr(buf, "\r\n\r\n");
    ck_assert_ptr_nonnull(body);
    for (const char *p = body + 4; p != NULL; p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL)
        if (strncmp(p, key, strlen(key)) == 0)
            return strtoull(p + strlen(key), NULL, 10);
    ck_abort_msg("no %s in '%s'", name, buf);
    return 0;
}

/* wait_stat: poll a counter until it reaches want (the event may be processed a moment after
 * the client saw its effect); the backstop fails a server that never counts it. */
static unsigned long long wait_stat(const srv *s, const char *name, unsigned long long want)
{
    uint64_t deadline = rt_monotonic_ns() + (uint64_t)BACKSTOP_S * 1000000000u;
    unsigned long long v;
    while ((v = stat_of(s, name)) < want && rt_monotonic_ns() < deadline)
        usleep(20000);
    return v;
}

/* exchange_to_eof: send raw bytes, then read everything until the server closes. */
static int exchange_to_eof(const srv *s, const void *req, size_t len, char *buf, size_t cap,
                           size_t *got)
{
    int fd = fc_connect_tcp(s->port);
    if (fd < 0)
        return fd;
    int rc = fc_write_all(fd, req, len);
    if (rc == 0)
        rc = fc_read_to_eof(fd, buf, cap - 1, got);
    buf[*got] = '\0';
    close(fd);
    return rc;
}

/* rss_kb: VmRSS of a process, from /proc/<pid>/status (-1 if the line is missing). */
static long rss_kb(pid_t pid)
{
    char status[4096];
    ek_read_proc(pid, "status", status, sizeof status);
    const char *line = strstr(status, "\nVmRSS:");
    long kb = -1;
    if (line == NULL || sscanf(line + 1, "VmRSS: %ld kB", &kb) != 1)
        return -1;
    return kb;
}

/* ---- well-behaved: keep-alive and pipelining --------------------------------------------- */

/* test_keep_alive: three requests on one connection, two of them pipelined in one write, all
 * answered in order; HTTP/1.0 without keep-alive is answered and closed. */
START_TEST(test_keep_alive)
{
    srv s;
    srv_start(&s, _i, 10000, 30000);
    int fd = fc_connect_tcp(s.port);
    ck_assert_int_ge(fd, 0);
    char buf[1024];
    ck_assert_int_eq(fc_write_all(fd, GOOD, strlen(GOOD)), 0);
    expect_hello(buf, read_response(fd, buf, sizeof buf));
    char two[2 * sizeof GOOD];
    snprintf(two, sizeof two, "%s%s", GOOD, GOOD);
    ck_assert_int_eq(fc_write_all(fd, two, strlen(two)), 0);
    expect_hello(buf, read_response(fd, buf, sizeof buf));
    expect_hello(buf, read_response(fd, buf, sizeof buf));
    close(fd);
    size_t got = 0;
    const char v10[] = "GET / HTTP/1.0\r\n\r\n";
    ck_assert_int_eq(exchange_to_eof(&s, v10, strlen(v10), buf, sizeof buf, &got), 0);
    expect_hello(buf, (int)got);
    ck_assert_uint_eq(stat_of(&s, "served"), 4); /* a /stats request counts once answered */
    good_client(&s);
    srv_stop(&s);
}
END_TEST

/* ---- malformed requests: 400 and close --------------------------------------------------- */

static const char *const malformed[] = {
    "GARBAGE\r\n\r\n",
    "GET / HTTP/1.1\r\n\r\n",                                       /* no Host */
    "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",                 /* two Hosts */
    "GET / HTTP/2.0\r\nHost: a\r\n\r\n",                            /* not HTTP/1.x */
    "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",                           /* empty target */
    "GET / HTTP/1.1\nHost: a\n\n\r\n\r\n",                          /* bare LF */
    "GET / HTTP/1.1\r\nHost : a\r\n\r\n",                           /* space before colon */
    "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",                 /* obsolete folding */
    "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
    "G\x01T / HTTP/1.1\r\nHost: a\r\n\r\n",                        /* control byte */
    "\x16\x03\x01\x02",                                           /* a TLS record's start */
};
#define N_MALFORMED (sizeof malformed / sizeof malformed[0])

/* test_malformed: each gets a 400 with Connection: close and then end-of-file. */
START_TEST(test_malformed)
{
    srv s;
    srv_start(&s, _i, 10000, 30000);
    for (size_t k = 0; k < N_MALFORMED; k++) {
        char buf[1024];
        size_t got = 0;
        int rc = exchange_to_eof(&s, malformed[k], strlen(malformed[k]), buf, sizeof buf, &got);
        ck_assert_msg(rc == 0, "request %zu: %s", k, strerror(-rc));
        ck_assert_msg(strncmp(buf, "HTTP/1.1 400 Bad Request\r\n", 26) == 0,
                      "request %zu got '%s'", k, buf);
        ck_assert_msg(strstr(buf, "\r\nConnection: close\r\n") != NULL, "got '%s'", buf);
    }
    /* A bad request after a good one on the same connection: the good one is answered first. */
    char buf[1024];
    size_t got = 0;
    char req[256];
    snprintf(req, sizeof req, "%sGARBAGE\r\n\r\n", GOOD);
    ck_assert_int_eq(exchange_to_eof(&s, req, strlen(req), buf, sizeof buf, &got), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0, "got '%s'", buf);
    ck_assert_msg(strstr(buf, "Hello, World!HTTP/1.1 400 Bad Request\r\n") != NULL, "got '%s'", buf);
    ck_assert_uint_eq(stat_of(&s, "bad_request"), N_MALFORMED + 1);
    good_client(&s);
    srv_stop(&s);
    ck_assert_int_eq(count_lines(&s, "malformed request: answering 400 and closing"),
                     (int)N_MALFORMED + 1);
    printf("%s: %zu malformed requests, each answered 400 and closed\n", s.name, N_MALFORMED + 1);
}
END_TEST

/* ---- oversized heads: 431 and close, with bounded buffering ------------------------------ */

/* test_oversized_head: a 64 KiB header gets 431; an endless header is cut off, and the server
 * never holds more than its fixed buffers for it. */
START_TEST(test_oversized_head)
{
    srv s;
    srv_start(&s, _i, 10000, 30000);
    size_t big = 64u << 10;
    char *req = malloc(big + 64);
    ck_assert_ptr_nonnull(req);
    int n = snprintf(req, 64, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
    memset(req + n, 'a', big);
    memcpy(req + n + big, "\r\n\r\n", 4);
    char buf[1024];
    size_t got = 0;
    ck_assert_int_eq(exchange_to_eof(&s, req, (size_t)n + big + 4, buf, sizeof buf, &got), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 431 Request Header Fields Too Large\r\n", 46) == 0,
                  "got '%s'", buf);
    /* Exactly at the limit is still too large: the head must END within 8 KiB. */
    memset(req + n, 'a', HEAD_MAX);
    memcpy(req + n + HEAD_MAX, "\r\n\r\n", 4);
    ck_assert_int_eq(exchange_to_eof(&s, req, (size_t)n + HEAD_MAX + 4, buf, sizeof buf, &got), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 431 ", 13) == 0, "got '%s'", buf);
    /* A head that fits is fine, however close to the limit. */
    size_t fill = HEAD_MAX - (size_t)n - 4 - 1;
    memset(req + n, 'a', fill);
    memcpy(req + n + fill, "\r\n\r\n", 4);
    int fd = fc_connect_tcp(s.port);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fc_write_all(fd, req, (size_t)n + fill + 4), 0);
    expect_hello(buf, read_response(fd, buf, sizeof buf));
    close(fd);

    /* An endless header: keep sending until the server cuts us off. */
    long rss_before = rss_kb(s.pid);
    fd = fc_connect_tcp(s.port);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fc_write_all(fd, req, (size_t)n), 0);
    memset(req, 'a', big);
    size_t sent = 0;
    int rc = 0;
    while (sent < HOG_BYTES && (rc = fc_write_all(fd, req, big)) == 0)
        sent += big;
    long rss_after = rss_kb(s.pid);
    close(fd);
    free(req);
    ck_assert_msg(rc == -ECONNRESET || rc == -EPIPE, "the endless header was not cut off (%s)",
                  rc ? strerror(-rc) : "all sent");
    ck_assert_uint_lt(sent, HOG_BYTES);
    ck_assert_uint_eq(wait_stat(&s, "header_too_large", 3), 3);
    ck_assert_uint_le(stat_of(&s, "peak_conn_buffered"), HEAD_MAX + OUT_MAX);
    if (!RT_SANITIZED)
        ck_assert_msg(rss_after - rss_before < 8192, "RSS grew from %ld to %ld kB", rss_before,
                      rss_after);
    good_client(&s);
    srv_stop(&s);
    ck_assert_int_eq(count_lines(&s, "request head over 8 KiB: answering 431 and closing"), 3);
    printf("%s: endless header cut off after %zu bytes sent; RSS %ld -> %ld kB\n", s.name, sent,
           rss_before, rss_after);
}
END_TEST

/* ---- slowloris and idle connections ------------------------------------------------------ */

#define SLOW_CONNS 5

/* test_slowloris: clients that trickle a head byte by byte, one that connects and sends
 * nothing, and one that goes quiet after a request: all are closed by the server. */
START_TEST(test_slowloris)
{
    srv s;
    srv_start(&s, _i, 400, 800);
    int slow[SLOW_CONNS];
    for (int k = 0; k < SLOW_CONNS; k++) {
        slow[k] = fc_connect_tcp(s.port);
        ck_assert_int_ge(slow[k], 0);
        ck_assert_int_eq(fc_write_all(slow[k], "GET / HTTP/1.1\r\n", 16), 0);
    }
    int silent = fc_connect_tcp(s.port);
    ck_assert_int_ge(silent, 0);
    int quiet = fc_connect_tcp(s.port);
    ck_assert_int_ge(quiet, 0);
    char buf[1024];
    ck_assert_int_eq(fc_write_all(quiet, GOOD, strlen(GOOD)), 0);
    expect_hello(buf, read_response(quiet, buf, sizeof buf));
    /* Trickle one header byte per connection every 50 ms until each is closed on us. */
    int open = SLOW_CONNS;
    size_t trickled = 0;
    uint64_t deadline = rt_monotonic_ns() + (uint64_t)BACKSTOP_S * 1000000000u;
    while (open > 0 && rt_monotonic_ns() < deadline) {
        for (int k = 0; k < SLOW_CONNS; k++) {
            if (slow[k] < 0)
                continue;
            if (send(slow[k], "X", 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) {
                trickled++;
                struct pollfd p = { .fd = slow[k], .events = POLLIN };
                if (poll(&p, 1, 0) == 0)
                    continue;    /* still open: nothing to read */
            }
            close(slow[k]);      /* the server hung up: EPIPE, RST or end-of-file */
            slow[k] = -1;
            open--;
        }
        usleep(50000);
    }
    ck_assert_int_eq(open, 0);
    /* The silent and the quiet connection end with end-of-file once the idle timeout passes. */
    size_t got = 0;
    ck_assert_int_eq(fc_read_to_eof(silent, buf, sizeof buf, &got), 0);
    ck_assert_uint_eq(got, 0);
    ck_assert_int_eq(fc_read_to_eof(quiet, buf, sizeof buf, &got), 0);
    ck_assert_uint_eq(got, 0);
    close(silent);
    close(quiet);
    ck_assert_uint_eq(wait_stat(&s, "head_timeouts", SLOW_CONNS), SLOW_CONNS);
    ck_assert_uint_ge(stat_of(&s, "idle_timeouts"), 2);
    good_client(&s);
    srv_stop(&s);
    ck_assert_int_eq(count_lines(&s, "request not complete within the head timeout"), SLOW_CONNS);
    ck_assert_int_ge(count_lines(&s, "idle keep-alive connection timed out"), 2);
    printf("%s: %d slowloris clients closed after %zu trickled bytes in all; 2 idle clients "
           "closed\n", s.name, SLOW_CONNS, trickled);
}
END_TEST

/* ---- a client that pipelines requests and never reads ------------------------------------ */

/* hog: send pipelined GOODs without ever reading, until HOG_BYTES went out, the connection
 * fails, or nothing could be sent for a second (the server stopped reading: backpressure). */
static size_t hog(int fd, int *err)
{
    static char chunk[64 * (sizeof GOOD - 1)];
    for (size_t k = 0; k < sizeof chunk; k += sizeof GOOD - 1)
        memcpy(chunk + k, GOOD, sizeof GOOD - 1);
    size_t sent = 0;
    *err = 0;
    while (sent < HOG_BYTES) {
        ssize_t w = send(fd, chunk, sizeof chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            sent += (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN) {
            *err = -errno;
            break;
        }
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        if (poll(&p, 1, 1000) == 0)
            break;      /* stuck: the server is not taking more */
    }
    return sent;
}

/* test_never_reading_client: the server stops reading when its output buffer is full, so 50 MB
 * of requests cannot go in and its memory stays flat; a reset of that connection is one line
 * on stderr; everyone else is served meanwhile. */
START_TEST(test_never_reading_client)
{
    srv s;
    srv_start(&s, _i, 10000, 120000);
    good_client(&s);     /* threads started, buffers warm: the baseline */
    long rss_before = rss_kb(s.pid);
    int fd = fc_connect_tcp(s.port);
    ck_assert_int_ge(fd, 0);
    int err;
    size_t sent = hog(fd, &err);
    long rss_after = rss_kb(s.pid);
    ck_assert_int_eq(err, 0);
    ck_assert_uint_lt(sent, HOG_BYTES);        /* the server stopped taking requests */
    good_client(&s);                           /* and serves others while it waits */
    unsigned long long served = stat_of(&s, "served");
    unsigned long long peak = stat_of(&s, "peak_conn_buffered");
    ck_assert_uint_le(peak, HEAD_MAX + OUT_MAX);
    if (!RT_SANITIZED)
        ck_assert_msg(rss_after - rss_before < 8192, "RSS grew from %ld to %ld kB", rss_before,
                      rss_after);
    ck_assert_int_eq(fc_reset(fd), 0);         /* drop it hard: the server's write fails */
    ck_assert_uint_ge(wait_stat(&s, "resets", 1), 1);
    good_client(&s);
    srv_stop(&s);
    ck_assert_int_ge(count_lines(&s, "peer reset the connection"), 1);
    printf("%s: never-reading client sent %zu of %u bytes before backpressure stopped it "
           "(%zu requests; %llu answered so far); RSS %ld -> %ld kB; peak per-connection "
           "buffer %llu bytes\n", s.name, sent, HOG_BYTES, sent / (sizeof GOOD - 1), served,
           rss_before, rss_after, peak);
}
END_TEST

/* test_write_stall: with a short idle timeout the server gives up on a client that does not
 * read its replies, and says why. */
START_TEST(test_write_stall)
{
    srv s;
    srv_start(&s, _i, 10000, 500);
    int fd = fc_connect_tcp(s.port);
    ck_assert_int_ge(fd, 0);
    int err;
    size_t sent = hog(fd, &err);
    ck_assert_uint_lt(sent, HOG_BYTES);
    struct pollfd p = { .fd = fd, .events = POLLRDHUP };
    ck_assert_msg(poll(&p, 1, BACKSTOP_S * 1000) == 1, "the server kept the stalled client");
    close(fd);
    ck_assert_uint_eq(wait_stat(&s, "write_stalls", 1), 1);
    good_client(&s);
    srv_stop(&s);
    ck_assert_int_eq(count_lines(&s, "client is not reading its replies"), 1);
    printf("%s: stalled client (sent %zu bytes, read none) closed by the write timeout\n",
           s.name, sent);
}
END_TEST

/* ---- bad command lines ------------------------------------------------------------------- */

/* args_child: in the child -- the one environment setting under test, and no other. */
static void args_child(const void *arg)
{
    unsetenv("HTTP_HEAD_TIMEOUT_MS");
    unsetenv("HTTP_IDLE_TIMEOUT_MS");
    if (arg)
        putenv((char *)arg);
}

/* run_args: run the example with one argument (or none) and one environment setting; its exit
 * code, with its stderr in err. */
static int run_args(int which, const char *arg, const char *env, char *err, size_t cap)
{
    char path[PATH_MAX];
    ek_example_path(NULL, server_names[which], path, sizeof path);
    int fds[2];
    ek_pipe(fds);
    const char *const argv[] = { path, arg, NULL };
    pid_t pid = ek_spawn(path, argv, fds[1], fds[1], args_child, env);
    ek_read_all(fds[0], err, cap);
    close(fds[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* test_bad_arguments: each bad setting is named, the usage is printed, and the exit code is 2
 * -- before anything listens. */
START_TEST(test_bad_arguments)
{
    static const struct { const char *arg, *env, *named; } cases[] = {
        { "--port=70000", NULL, "'--port=70000'" },
        { "--port=", NULL, "'--port='" },
        { "--head-timeout=0", NULL, "'--head-timeout=0'" },
        { "--idle-timeout=5s", NULL, "'--idle-timeout=5s'" },
        { "--verbose", NULL, "'--verbose'" },
        { NULL, "HTTP_HEAD_TIMEOUT_MS=soon", "'soon'" },
        { NULL, "HTTP_IDLE_TIMEOUT_MS=-1", "'-1'" },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char err[4096];
        int code = run_args(_i, cases[k].arg, cases[k].env, err, sizeof err);
        ck_assert_msg(code == 2, "%s %s: exit %d", server_names[_i],
                      cases[k].arg ? cases[k].arg : cases[k].env, code);
        ck_assert_msg(strstr(err, "invalid argument") && strstr(err, cases[k].named) &&
                          strstr(err, "usage:"),
                      "got '%s'", err);
    }
}
END_TEST

/* main: every case once per flavour (_i). */
int main(void)
{
    signal(SIGPIPE, SIG_DFL);
    Suite *s = suite_create("http_server");
    TCase *tc = tcase_create("bad_clients");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_keep_alive, 0, 2);
    tcase_add_loop_test(tc, test_malformed, 0, 2);
    tcase_add_loop_test(tc, test_oversized_head, 0, 2);
    tcase_add_loop_test(tc, test_slowloris, 0, 2);
    tcase_add_loop_test(tc, test_never_reading_client, 0, 2);
    tcase_add_loop_test(tc, test_write_stall, 0, 2);
    tcase_add_loop_test(tc, test_bad_arguments, 0, 2);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
