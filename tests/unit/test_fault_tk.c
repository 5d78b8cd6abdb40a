/* test_fault_tk.c: the tk runtime keeps serving through faults -- a peer reset mid-write, a half-close, panicking tasks, a storm of cancelled timers. */
#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fault_client.h"
#include "rt_async.h"
#include "rt_panic.h"
#include "rt_testkit.h"
#include "tk_internal.h"
#include "tk_net.h"
#include "tk_runtime.h"
#include "tk_testkit.h"
#include "tk_time.h"

/*
 * Shape of every network case: a server future runs inside tk_runtime_block_on -- it binds,
 * starts a client thread, accepts a fixed number of connections, spawns one task for each,
 * and then joins every task and records how it ended. The client is an ordinary thread with
 * blocking sockets (fault_client.h) that does the damage and then, as the proof that the
 * runtime survived it, makes one more plain request that must be answered correctly. The
 * test checks both sides after the runtime is freed, and that every task was freed (ASan
 * checks the rest of the memory).
 *
 * Each case runs on current_thread and on a two-worker multi_thread runtime.
 */

/* SIGPIPE keeps its default action in this process: a write to a reset socket that raised it
 * would kill the test, which is exactly the failure we want to be able to see. */

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define FT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define FT_SANITIZED 1
#endif
#endif
#ifndef FT_SANITIZED
#define FT_SANITIZED 0
#endif

enum { CMD_BIG = 'B', CMD_HALF = 'H', CMD_SMALL = 'S', CMD_PANIC = 'P' };

#define BIG_CHUNK (4u << 20)       /* the server's write_all size in the reset case */
#define BIG_ROUNDS 64              /* 256 MiB at most: the client resets long before */
#define BIG_CLIENT_READS (256u << 10)
#define HALF_PAYLOAD (1u << 20)    /* what the half-closing client sends before its FIN */
#define HALF_REPLY (1u << 20)      /* what the server still sends after reading that FIN */
#define IO_CHUNK (64u << 10)
#define PANIC_CONNS 40
#define PANIC_EVERY 4
#define MAX_CONNS (PANIC_CONNS + 1)

/* ---- one connection: a command byte, then that command's exchange ----------------------- */

typedef struct conn {
    rt_future base;
    rt_async co;
    tk_stream s;
    int panic_every;
    unsigned char cmd;
    uint32_t req;
    int i;
    uint64_t nread, hash, written;
    int result;                 /* output: 0, or the -errno of the operation that failed */
    unsigned char *buf;
    unsigned char hdr[16];
    char line[32];
    tk_read_exact_fut rx;
    tk_read_fut rd;
    tk_write_all_fut wa;
} conn;

/* conn_fill: the next chunk of the reply pattern, starting at stream offset `at`. */
static void conn_fill(unsigned char *buf, size_t n, uint32_t seed, uint64_t at)
{
    for (size_t k = 0; k < n; k++)
        buf[k] = fc_pattern(seed, at + k);
}

/* conn_poll: if/else rather than switch, because RT_AWAIT's resume labels are switch cases. */
static rt_poll conn_poll(rt_future *f, rt_context *cx)
{
    conn *c = (conn *)f;
    RT_BEGIN(&c->co);
    c->rx = tk_stream_read_exact(&c->s, &c->cmd, 1);
    RT_AWAIT(&c->co, &c->rx, cx);
    if ((c->result = c->rx.result) != 0)
        goto out;
    c->buf = malloc(c->cmd == CMD_BIG ? BIG_CHUNK : IO_CHUNK);
    ck_assert_ptr_nonnull(c->buf);
    if (c->cmd == CMD_BIG) {
        /* Write far more than any socket buffer holds: the client resets while we wait. */
        conn_fill(c->buf, BIG_CHUNK, 1, 0);
        for (c->i = 0; c->i < BIG_ROUNDS; c->i++) {
            c->wa = tk_stream_write_all(&c->s, c->buf, BIG_CHUNK);
            RT_AWAIT(&c->co, &c->wa, cx);
            c->written += c->wa.done;
            if ((c->result = c->wa.result) != 0)
                break;
        }
    } else if (c->cmd == CMD_HALF) {
        /* Read to end-of-file (the client's SHUT_WR), then answer: the write side is open. */
        c->hash = FC_FNV_INIT;
        for (;;) {
            c->rd = tk_stream_read(&c->s, c->buf, IO_CHUNK);
            RT_AWAIT(&c->co, &c->rd, cx);
            if (c->rd.result <= 0)
                break;
            c->hash = fc_fnv1a(c->hash, c->buf, (size_t)c->rd.result);
            c->nread += (uint64_t)c->rd.result;
        }
        if ((c->result = (int)c->rd.result) != 0)
            goto out;
        memcpy(c->hdr, &c->nread, 8);
        memcpy(c->hdr + 8, &c->hash, 8);
        c->wa = tk_stream_write_all(&c->s, c->hdr, sizeof c->hdr);
        RT_AWAIT(&c->co, &c->wa, cx);
        if ((c->result = c->wa.result) != 0)
            goto out;
        for (c->written = 0; c->written < HALF_REPLY; c->written += IO_CHUNK) {
            conn_fill(c->buf, IO_CHUNK, 2, c->written);
            c->wa = tk_stream_write_all(&c->s, c->buf, IO_CHUNK);
            RT_AWAIT(&c->co, &c->wa, cx);
            if ((c->result = c->wa.result) != 0)
                goto out;
        }
    } else if (c->cmd == CMD_PANIC) {
        c->rx = tk_stream_read_exact(&c->s, &c->req, sizeof c->req);
        RT_AWAIT(&c->co, &c->rx, cx);
        if ((c->result = c->rx.result) != 0)
            goto out;
        /* The socket and buffer are in the struct, so the drop the harness runs after the
         * longjmp closes and frees them: a panicking task leaks nothing. */
        if (c->req % (uint32_t)c->panic_every == 0)
            rt_panic("request %u: injected panic (every %dth request)", c->req, c->panic_every);
        snprintf(c->line, sizeof c->line, "served %u\n", c->req);
        c->wa = tk_stream_write_all(&c->s, c->line, strlen(c->line));
        RT_AWAIT(&c->co, &c->wa, cx);
        c->result = c->wa.result;
    } else {
        c->wa = tk_stream_write_all(&c->s, "ok\n", 3);
        RT_AWAIT(&c->co, &c->wa, cx);
        c->result = c->wa.result;
    }
out:
    tk_stream_close(&c->s);
    free(c->buf);
    c->buf = NULL;
    RT_END(&c->co);
}

/* conn_drop: finished, panicked or cancelled: the socket and the buffer go either way. */
static void conn_drop(rt_future *f)
{
    conn *c = (conn *)f;
    rt_async_drop(&c->co);
    tk_stream_close(&c->s);
    free(c->buf);
    c->buf = NULL;
}

static const rt_future_vtable conn_vtable = { conn_poll, conn_drop, "fault_conn" };

/* ---- the server: accept n connections, join their tasks, record how each ended ----------- */

/* What the client thread gets: where to connect. It writes its findings into its own struct. */
typedef struct client_base {
    unsigned port;              /* TCP, or 0 */
    const char *path;           /* Unix, or NULL */
} client_base;

typedef struct server {
    rt_future base;
    rt_async co;
    /* input */
    const char *path;           /* Unix socket path, or NULL for TCP */
    int nconn;
    int panic_every;
    void *(*client_fn)(void *);
    client_base *client;
    /* state */
    tk_listener l;
    pthread_t thread;
    int thread_started;
    int i;
    tk_accept_fut acc;
    tk_join_handle jh[MAX_CONNS];
    /* output */
    int accept_err;
    int outcome[MAX_CONNS];
    int result[MAX_CONNS];
    unsigned char cmd[MAX_CONNS];
    uint64_t written[MAX_CONNS];
    uint64_t nread[MAX_CONNS];
    int panics_with_message;
} server;

/* server_poll: bind, start the client, accept and spawn nconn tasks, then join them all. */
static rt_poll server_poll(rt_future *f, rt_context *cx)
{
    server *s = (server *)f;
    RT_BEGIN(&s->co);
    if (s->path) {
        unlink(s->path);
        ck_assert_int_eq(tk_unix_listener_bind(s->path, &s->l), 0);
        s->client->path = s->path;
    } else {
        ck_assert_int_eq(tk_tcp_listener_bind("127.0.0.1", 0, &s->l), 0);
        s->client->port = (unsigned)tk_tcp_listener_local_port(&s->l);
    }
    ck_assert_int_eq(pthread_create(&s->thread, NULL, s->client_fn, s->client), 0);
    s->thread_started = 1;
    for (s->i = 0; s->i < s->nconn; s->i++) {
        s->acc = tk_listener_accept(&s->l);
        RT_AWAIT(&s->co, &s->acc, cx);
        if (s->acc.result != 0) {
            s->accept_err = s->acc.result;
            break;
        }
        conn c = { .base = { &conn_vtable }, .s = s->acc.stream, .panic_every = s->panic_every };
        ck_assert_int_eq(tk_spawn(&c.base, sizeof c, &s->jh[s->i]), 0);
    }
    for (s->i = 0; s->i < s->nconn && s->jh[s->i].task; s->i++) {
        RT_AWAIT(&s->co, &s->jh[s->i], cx);
        s->outcome[s->i] = (int)s->jh[s->i].outcome;
        if (s->jh[s->i].outcome == RT_OUTCOME_OK) {
            conn *c = (conn *)rt_join_handle_output(&s->jh[s->i]);
            s->result[s->i] = c->result;
            s->cmd[s->i] = c->cmd;
            s->written[s->i] = c->written;
            s->nread[s->i] = c->nread;
        } else if (s->jh[s->i].outcome == RT_OUTCOME_PANICKED) {
            const char *msg = rt_join_handle_panic_message(&s->jh[s->i]);
            s->panics_with_message += msg && strstr(msg, "injected panic") != NULL;
        }
        rt_join_handle_detach(&s->jh[s->i]);
    }
    tk_listener_close(&s->l);
    RT_END(&s->co);
}

/* server_drop: only reached early if the test failed; close what is open. */
static void server_drop(rt_future *f)
{
    server *s = (server *)f;
    rt_async_drop(&s->co);
    tk_listener_close(&s->l);
}

static const rt_future_vtable server_vtable = { server_poll, server_drop, "fault_server" };

/* run_server: one whole exchange on a fresh runtime of `flavor`; fills *s's outputs. */
static void run_server(tk_flavor flavor, server *s)
{
    tk_runtime *rt = build(flavor, flavor == TK_MULTI_THREAD ? 2 : 0);
    s->base.vtable = &server_vtable;
    tk_runtime_block_on(rt, &s->base);
    rt_future_drop(&s->base);
    if (s->thread_started)
        pthread_join(s->thread, NULL);
    tk_runtime_free(rt);
    if (s->path)
        unlink(s->path);
    ck_assert_int_eq(s->accept_err, 0);
}

/* client_open: connect to wherever the server listens. */
static int client_open(const client_base *cb)
{
    return cb->path ? fc_connect_unix(cb->path) : fc_connect_tcp(cb->port);
}

/* client_small: the "still serving" probe -- one request, and exactly "ok\n" back. */
static int client_small(const client_base *cb)
{
    int fd = client_open(cb);
    if (fd < 0)
        return fd;
    char cmd = CMD_SMALL, buf[16];
    size_t got = 0;
    int rc = fc_write_all(fd, &cmd, 1);
    if (rc == 0)
        rc = fc_read_to_eof(fd, buf, sizeof buf, &got);
    close(fd);
    if (rc == 0 && (got != 3 || memcmp(buf, "ok\n", 3) != 0))
        rc = -EPROTO;
    return rc;
}

/* unix_path: a fresh socket path for this process and case. */
static void unix_path(char *buf, size_t len, const char *tag)
{
    snprintf(buf, len, "/tmp/test_fault_tk.%d.%s.sock", (int)getpid(), tag);
}

/* ---- peer reset in the middle of a write ------------------------------------------------- */

typedef struct reset_client {
    client_base cb;
    int read_rc, reset_rc, after_rc;
} reset_client;

/* reset_client_run: ask for the huge reply, take a little of it, reset; then the probe. */
static void *reset_client_run(void *arg)
{
    reset_client *r = arg;
    int fd = client_open(&r->cb);
    if (fd < 0) {
        r->read_rc = fd;
        return NULL;
    }
    char cmd = CMD_BIG;
    unsigned char *buf = malloc(BIG_CLIENT_READS);
    r->read_rc = buf ? fc_write_all(fd, &cmd, 1) : -ENOMEM;
    if (r->read_rc == 0)
        r->read_rc = fc_read_exact(fd, buf, BIG_CLIENT_READS);
    for (size_t k = 0; r->read_rc == 0 && k < BIG_CLIENT_READS; k++)
        if (buf[k] != fc_pattern(1, k))
            r->read_rc = -EPROTO;
    free(buf);
    r->reset_rc = fc_reset(fd);
    r->after_rc = client_small(&r->cb);
    return NULL;
}

/* check_reset: the writer saw ECONNRESET or EPIPE, ended normally, and the probe got its answer. */
static void check_reset(tk_flavor flavor)
{
    reset_client rc;
    memset(&rc, 0, sizeof rc);
    server s;
    memset(&s, 0, sizeof s);
    s.nconn = 2;
    s.client_fn = reset_client_run;
    s.client = &rc.cb;
    run_server(flavor, &s);
    ck_assert_int_eq(rc.read_rc, 0);
    ck_assert_int_eq(rc.reset_rc, 0);
    ck_assert_int_eq(rc.after_rc, 0);
    ck_assert_int_eq(s.outcome[0], RT_OUTCOME_OK);
    ck_assert_int_eq(s.cmd[0], CMD_BIG);
    ck_assert_msg(s.result[0] == -ECONNRESET || s.result[0] == -EPIPE,
                  "the write to a reset peer gave %d (%s)", s.result[0], strerror(-s.result[0]));
    ck_assert_uint_lt(s.written[0], (uint64_t)BIG_CHUNK * BIG_ROUNDS);
    ck_assert_int_eq(s.outcome[1], RT_OUTCOME_OK);
    ck_assert_int_eq(s.result[1], 0);
    printf("tk %s: peer reset mid-write: server wrote %llu bytes, then %s; next client served\n",
           flavor == TK_MULTI_THREAD ? "multi_thread" : "current_thread",
           (unsigned long long)s.written[0], strerror(-s.result[0]));
    rt_check_tasks_balanced();
}

/* test_reset_mid_write: both schedulers. */
START_TEST(test_reset_mid_write)
{
    check_reset(TK_CURRENT_THREAD);
    check_reset(TK_MULTI_THREAD);
}
END_TEST

/* ---- half-close: the client's FIN, and the server's whole reply after it ----------------- */

typedef struct half_client {
    client_base cb;
    int rc, after_rc;
    uint64_t got, hdr_nread, hdr_hash, want_hash;
} half_client;

/* half_client_run: send the payload, SHUT_WR, then read the whole reply to the server's FIN. */
static void *half_client_run(void *arg)
{
    half_client *h = arg;
    unsigned char *buf = malloc(HALF_PAYLOAD > 16 + HALF_REPLY ? HALF_PAYLOAD : 16 + HALF_REPLY);
    int fd = buf ? client_open(&h->cb) : -ENOMEM;
    if (fd < 0) {
        h->rc = fd;
        free(buf);
        return NULL;
    }
    char cmd = CMD_HALF;
    for (size_t k = 0; k < HALF_PAYLOAD; k++)
        buf[k] = fc_pattern(3, k);
    h->want_hash = fc_fnv1a(FC_FNV_INIT, buf, HALF_PAYLOAD);
    h->rc = fc_write_all(fd, &cmd, 1);
    if (h->rc == 0)
        h->rc = fc_write_all(fd, buf, HALF_PAYLOAD);
    if (h->rc == 0 && shutdown(fd, SHUT_WR) != 0)
        h->rc = -errno;
    size_t got = 0;
    if (h->rc == 0)
        h->rc = fc_read_to_eof(fd, buf, 16 + HALF_REPLY, &got);
    h->got = got;
    if (h->rc == 0 && got == 16 + HALF_REPLY) {
        memcpy(&h->hdr_nread, buf, 8);
        memcpy(&h->hdr_hash, buf + 8, 8);
        for (size_t k = 0; k < HALF_REPLY; k++)
            if (buf[16 + k] != fc_pattern(2, k)) {
                h->rc = -EPROTO;
                break;
            }
    }
    close(fd);
    free(buf);
    h->after_rc = client_small(&h->cb);
    return NULL;
}

/* check_half: over TCP (path NULL) or a Unix stream. */
static void check_half(tk_flavor flavor, const char *path)
{
    half_client h;
    memset(&h, 0, sizeof h);
    server s;
    memset(&s, 0, sizeof s);
    s.path = path;
    s.nconn = 2;
    s.client_fn = half_client_run;
    s.client = &h.cb;
    run_server(flavor, &s);
    ck_assert_int_eq(h.rc, 0);
    ck_assert_uint_eq(h.got, 16 + HALF_REPLY);          /* every byte sent after the FIN */
    ck_assert_uint_eq(h.hdr_nread, HALF_PAYLOAD);       /* every byte sent before it */
    ck_assert(h.hdr_hash == h.want_hash);
    ck_assert_int_eq(h.after_rc, 0);
    ck_assert_int_eq(s.outcome[0], RT_OUTCOME_OK);
    ck_assert_int_eq(s.result[0], 0);
    ck_assert_uint_eq(s.nread[0], HALF_PAYLOAD);
    ck_assert_int_eq(s.outcome[1], RT_OUTCOME_OK);
    rt_check_tasks_balanced();
}

/* test_half_close: TCP and Unix streams, both schedulers. */
START_TEST(test_half_close)
{
    char path[108];
    unix_path(path, sizeof path, "half");
    for (int fl = 0; fl < 2; fl++) {
        check_half((tk_flavor)fl, NULL);
        check_half((tk_flavor)fl, path);
    }
    printf("tk: half-close: %u bytes in before the FIN, %u + 16 bytes out after it, TCP and Unix, "
           "both schedulers\n", HALF_PAYLOAD, HALF_REPLY);
}
END_TEST

/* ---- a task that panics every Nth request ------------------------------------------------ */

typedef struct panic_client {
    client_base cb;
    int rc, after_rc;
    int served, closed_silently, wrong;
} panic_client;

/* panic_client_run: open every connection, send every request, then read every answer --
 * so panicking tasks and serving tasks are alive at the same time. */
static void *panic_client_run(void *arg)
{
    panic_client *p = arg;
    int fds[PANIC_CONNS];
    int opened = 0;
    for (; opened < PANIC_CONNS; opened++) {
        fds[opened] = client_open(&p->cb);
        if (fds[opened] < 0) {
            p->rc = fds[opened];
            break;
        }
        unsigned char req[5] = { CMD_PANIC };
        uint32_t k = (uint32_t)opened + 1;
        memcpy(req + 1, &k, 4);
        if ((p->rc = fc_write_all(fds[opened], req, sizeof req)) != 0) {
            opened++;
            break;
        }
    }
    for (int i = 0; i < opened; i++) {
        char buf[32], want[32];
        size_t got = 0;
        int rc = fc_read_to_eof(fds[i], buf, sizeof buf, &got);
        close(fds[i]);
        snprintf(want, sizeof want, "served %d\n", i + 1);
        if (rc == 0 && got == 0)
            p->closed_silently++;         /* the task panicked: its drop closed the socket */
        else if (rc == 0 && got == strlen(want) && memcmp(buf, want, got) == 0)
            p->served++;
        else
            p->wrong++;
    }
    p->after_rc = client_small(&p->cb);
    return NULL;
}

/* check_panics: exactly PANIC_CONNS/PANIC_EVERY tasks panic, all others answer, and the
 * probe after them is answered. */
static void check_panics(tk_flavor flavor)
{
    panic_client p;
    memset(&p, 0, sizeof p);
    server s;
    memset(&s, 0, sizeof s);
    s.nconn = PANIC_CONNS + 1;
    s.panic_every = PANIC_EVERY;
    s.client_fn = panic_client_run;
    s.client = &p.cb;
    run_server(flavor, &s);
    int want_panics = PANIC_CONNS / PANIC_EVERY;
    ck_assert_int_eq(p.rc, 0);
    ck_assert_int_eq(p.wrong, 0);
    ck_assert_int_eq(p.closed_silently, want_panics);
    ck_assert_int_eq(p.served, PANIC_CONNS - want_panics);
    ck_assert_int_eq(p.after_rc, 0);
    int panicked = 0, ok = 0;
    for (int i = 0; i < s.nconn; i++) {
        panicked += s.outcome[i] == RT_OUTCOME_PANICKED;
        ok += s.outcome[i] == RT_OUTCOME_OK && s.result[i] == 0;
    }
    ck_assert_int_eq(panicked, want_panics);
    ck_assert_int_eq(s.panics_with_message, want_panics);
    ck_assert_int_eq(ok, s.nconn - want_panics);
    printf("tk %s: panic every %dth request: %d panicked, %d served (+1 probe)\n",
           flavor == TK_MULTI_THREAD ? "multi_thread" : "current_thread", PANIC_EVERY, panicked,
           ok - 1);
    rt_check_tasks_balanced();
}

/* test_panic_every_nth: both schedulers. */
START_TEST(test_panic_every_nth)
{
    check_panics(TK_CURRENT_THREAD);
    check_panics(TK_MULTI_THREAD);
}
END_TEST

/* ---- a storm of timers, all cancelled ---------------------------------------------------- */

/* 1M in the normal build; a tenth under the sanitizers, where each lock and waker clone costs
 * 5-15 times more (the code paths are the same, only the count differs). */
#define STORM_TIMERS (FT_SANITIZED ? 100000u : 1000000u)
#define STORM_TASKS 4

/* Half the storm are bare sleeps, half are timeouts around a future that never finishes. */
typedef struct storm_timeout {
    rt_pending_fut never;
    tk_timeout_fut t;
} storm_timeout;

typedef struct storm_task {
    rt_future base;
    size_t n;                   /* n sleeps and n timeouts */
    int armed;
    tk_sleep_fut *sleeps;
    storm_timeout *timeouts;
    _Atomic size_t *armed_total;
    slot *all_armed;            /* fired by the task that brings armed_total to want */
    size_t want;
} storm_task;

/* storm_poll: the first poll arms every timer (an hour out: none fires), then waits forever. */
static rt_poll storm_poll(rt_future *f, rt_context *cx)
{
    storm_task *t = (storm_task *)f;
    if (t->armed)
        return RT_PENDING;
    t->armed = 1;
    t->sleeps = malloc(t->n * sizeof *t->sleeps);
    t->timeouts = malloc(t->n * sizeof *t->timeouts);
    ck_assert(t->sleeps && t->timeouts);
    for (size_t i = 0; i < t->n; i++) {
        t->sleeps[i] = tk_sleep(3600 * 1000);
        ck_assert_int_eq(rt_future_poll(&t->sleeps[i].base, cx), RT_PENDING);
        t->timeouts[i].never = rt_pending();
        t->timeouts[i].t = tk_timeout(&t->timeouts[i].never.base, 3600 * 1000);
        ck_assert_int_eq(rt_future_poll(&t->timeouts[i].t.base, cx), RT_PENDING);
    }
    if (atomic_fetch_add(t->armed_total, 2 * t->n) + 2 * t->n == t->want)
        slot_fire(t->all_armed);
    return RT_PENDING;
}

/* storm_drop: the abort -- every sleep and timeout is dropped, which cancels its wheel entry. */
static void storm_drop(rt_future *f)
{
    storm_task *t = (storm_task *)f;
    if (t->sleeps)
        for (size_t i = 0; i < t->n; i++) {
            rt_future_drop(&t->sleeps[i].base);
            rt_future_drop(&t->timeouts[i].t.base);
        }
    free(t->sleeps);
    free(t->timeouts);
    t->sleeps = NULL;
    t->timeouts = NULL;
}

static const rt_future_vtable storm_vtable = { storm_poll, storm_drop, "timer_storm" };

/* wheel_count: timer entries in the runtime's wheel right now (white-box, under its lock). */
static size_t wheel_count(tk_runtime *rt)
{
    tk__driver *d = &tk_runtime_handle(rt)->driver;
    pthread_mutex_lock(&d->time_lock);
    size_t n = rt_timers_count(d->wheel);
    pthread_mutex_unlock(&d->time_lock);
    return n;
}

typedef struct storm_main {
    rt_future base;
    rt_async co;
    tk_runtime *rt;
    _Atomic size_t armed_total;
    slot all_armed;
    slot_wait wait;
    tk_join_handle jh[STORM_TASKS];
    int i;
    tk_sleep_fut after;
    /* output */
    size_t wheel_before, wheel_armed, wheel_after;
    int cancelled;
    int after_fired;
} storm_main;

/* storm_main_poll: spawn the storm, wait until it is all armed, abort it, then sleep once more. */
static rt_poll storm_main_poll(rt_future *f, rt_context *cx)
{
    storm_main *m = (storm_main *)f;
    RT_BEGIN(&m->co);
    m->wheel_before = wheel_count(m->rt);
    for (m->i = 0; m->i < STORM_TASKS; m->i++) {
        storm_task t = { .base = { &storm_vtable }, .n = STORM_TIMERS / STORM_TASKS / 2,
                         .armed_total = &m->armed_total, .all_armed = &m->all_armed,
                         .want = STORM_TIMERS };
        ck_assert_int_eq(tk_spawn(&t.base, sizeof t, &m->jh[m->i]), 0);
    }
    m->wait = slot_wait_new(&m->all_armed);
    RT_AWAIT(&m->co, &m->wait, cx);
    m->wheel_armed = wheel_count(m->rt);
    for (m->i = 0; m->i < STORM_TASKS; m->i++)
        rt_join_handle_abort(&m->jh[m->i]);
    for (m->i = 0; m->i < STORM_TASKS; m->i++) {
        RT_AWAIT(&m->co, &m->jh[m->i], cx);
        m->cancelled += m->jh[m->i].outcome == RT_OUTCOME_CANCELLED;
        rt_join_handle_detach(&m->jh[m->i]);
    }
    m->wheel_after = wheel_count(m->rt);
    /* The wheel still works: a fresh short sleep fires. */
    m->after = tk_sleep(5);
    RT_AWAIT(&m->co, &m->after, cx);
    m->after_fired = tk_sleep_is_elapsed(&m->after);
    RT_END(&m->co);
}

/* storm_main_drop: only reached early if the test failed. */
static void storm_main_drop(rt_future *f)
{
    rt_async_drop(&((storm_main *)f)->co);
}

static const rt_future_vtable storm_main_vtable = { storm_main_poll, storm_main_drop, "storm_main" };

/* heap_in_use: bytes malloc has handed out -- small blocks (uordblks) plus the big ones it
 * mmaps on their own (hblkhd), like the storm's arrays. */
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* check_storm: the wheel goes from 0 to STORM_TIMERS and back to 0; the heap's bytes in use
 * come back too (counted by glibc, so only measured outside the sanitizers). */
static void check_storm(tk_flavor flavor)
{
    tk_runtime *rt = build(flavor, flavor == TK_MULTI_THREAD ? 2 : 0);
    storm_main m;
    memset(&m, 0, sizeof m);
    m.base.vtable = &storm_main_vtable;
    m.rt = rt;
    slot_init(&m.all_armed);
    size_t before = heap_in_use();
    tk_runtime_block_on(rt, &m.base);
    size_t after = heap_in_use();
    rt_future_drop(&m.base);
    tk_runtime_free(rt);
    ck_assert_uint_eq(m.wheel_before, 0);
    ck_assert_uint_eq(m.wheel_armed, STORM_TIMERS);
    ck_assert_uint_eq(m.wheel_after, 0);
    ck_assert_int_eq(m.cancelled, STORM_TASKS);
    ck_assert(m.after_fired);
    long long grew = (long long)after - (long long)before;
    if (!FT_SANITIZED)
        ck_assert_msg(grew < (1 << 20), "%lld bytes still in use after the storm", grew);
    printf("tk %s: %u timers armed (wheel %zu -> %zu -> %zu), all cancelled; heap bytes in use "
           "%zu -> %zu%s; a 5 ms sleep still fires\n",
           flavor == TK_MULTI_THREAD ? "multi_thread" : "current_thread", STORM_TIMERS,
           m.wheel_before, m.wheel_armed, m.wheel_after, before, after,
           FT_SANITIZED ? " (not counted under sanitizers)" : "");
    rt_check_tasks_balanced();
}

/* test_timer_storm: both schedulers. */
START_TEST(test_timer_storm)
{
    check_storm(TK_CURRENT_THREAD);
    check_storm(TK_MULTI_THREAD);
}
END_TEST

/* main: one suite; each case runs both schedulers. */
int main(void)
{
    signal(SIGPIPE, SIG_DFL);
    Suite *s = suite_create("fault_tk");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_reset_mid_write);
    tcase_add_test(tc, test_half_close);
    tcase_add_test(tc, test_panic_every_nth);
    tcase_add_test(tc, test_timer_storm);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
