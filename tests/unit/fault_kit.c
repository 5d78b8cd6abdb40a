/* fault_kit.c: the fault suites' client threads and checks, shared by the tk and as flavours. */
#include "fault_kit.h"

#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_join_handle.h"
#include "rt_panic.h"

/* fk_fill: the server side of fc_pattern, one chunk at a time. */
void fk_fill(unsigned char *buf, size_t n, uint32_t seed, uint64_t at)
{
    for (size_t k = 0; k < n; k++)
        buf[k] = fc_pattern(seed, at + k);
}

/* ---- the server side of the protocol, minus the I/O ------------------------------------- */

/* fk_conn_begin: a failed malloc is a broken test machine, not a fault under test. */
void fk_conn_begin(fk_conn *c)
{
    c->buf = malloc(c->cmd == FK_CMD_BIG ? FK_BIG_CHUNK : FK_IO_CHUNK);
    ck_assert_ptr_nonnull(c->buf);
    if (c->cmd == FK_CMD_BIG)
        fk_fill(c->buf, FK_BIG_CHUNK, 1, 0);
    c->hash = FC_FNV_INIT;
}

/* fk_conn_took: the hash runs over the stream in order, so chunk boundaries do not matter. */
void fk_conn_took(fk_conn *c, size_t n)
{
    c->hash = fc_fnv1a(c->hash, c->buf, n);
    c->nread += (uint64_t)n;
}

/* fk_conn_header: both ends run on this machine, so native byte order is the protocol's. */
void fk_conn_header(fk_conn *c)
{
    memcpy(c->hdr, &c->nread, 8);
    memcpy(c->hdr + 8, &c->hash, 8);
}

/* fk_conn_request: the panic unwinds out of the task's poll; the harness then runs the task's
 * drop, which closes the socket and frees the buffer -- so a panicking task leaks nothing. */
void fk_conn_request(fk_conn *c)
{
    if (c->req % (uint32_t)c->panic_every == 0)
        rt_panic("request %u: injected panic (every %dth request)", c->req, c->panic_every);
    snprintf(c->line, sizeof c->line, "served %u\n", c->req);
}

/* fk_conn_free: the poll's normal end and the drop both call it. */
void fk_conn_free(fk_conn *c)
{
    free(c->buf);
    c->buf = NULL;
}

/* fk_unix_path: the pid keeps parallel runs of the suites apart. */
void fk_unix_path(char *buf, size_t len, const char *suite, const char *tag)
{
    snprintf(buf, len, "/tmp/%s.%d.%s.sock", suite, (int)getpid(), tag);
}

/* fk_start_client: the thread only connects once this returns, and the listener is bound. */
void fk_start_client(fk_case *k)
{
    ck_assert_int_eq(pthread_create(&k->thread, NULL, k->client_fn, k->client), 0);
    k->thread_started = 1;
}

/* fk_join_client: after the server future is done (or was dropped early by a failed check). */
void fk_join_client(fk_case *k)
{
    if (k->thread_started)
        pthread_join(k->thread, NULL);
    k->thread_started = 0;
    if (k->path)
        unlink(k->path);
}

/* fk_note_ok: the output is copied out because the task's memory goes with its handle. */
void fk_note_ok(fk_case *k, int i, const fk_conn *c)
{
    k->outcome[i] = RT_OUTCOME_OK;
    k->result[i] = c->result;
    k->cmd[i] = c->cmd;
    k->written[i] = c->written;
    k->nread[i] = c->nread;
}

/* fk_note_panic: the message must be the injected one, not some other failure's. */
void fk_note_panic(fk_case *k, int i, const char *msg)
{
    k->outcome[i] = RT_OUTCOME_PANICKED;
    k->panics_with_message += msg && strstr(msg, "injected panic") != NULL;
}

/* ---- the client side: ordinary blocking sockets, never a Check assertion ----------------- */

/* fk__open: connect to wherever the server listens. */
static int fk__open(const fk_target *t)
{
    return t->path ? fc_connect_unix(t->path) : fc_connect_tcp(t->port);
}

/* fk__probe: the "still serving" probe -- one request, and exactly "ok\n" back. */
static int fk__probe(const fk_target *t)
{
    int fd = fk__open(t);
    if (fd < 0)
        return fd;
    char cmd = FK_CMD_SMALL, buf[16];
    size_t got = 0;
    int rc = fc_write_all(fd, &cmd, 1);
    if (rc == 0)
        rc = fc_read_to_eof(fd, buf, sizeof buf, &got);
    close(fd);
    if (rc == 0 && (got != 3 || memcmp(buf, "ok\n", 3) != 0))
        rc = -EPROTO;
    return rc;
}

/* fk__run: a fresh case of nconn connections against client t, run by the suite's server;
 * every connection must have been accepted. */
static void fk__run(fk_case *k, int nconn, void *(*client_fn)(void *), fk_target *t,
                    fk_server_fn run, void *arg)
{
    k->nconn = nconn;
    k->client_fn = client_fn;
    k->client = t;
    run(k, arg);
    ck_assert_int_eq(k->accept_err, 0);
}

/* ---- peer reset in the middle of a write ------------------------------------------------- */

typedef struct fk__reset_client {
    fk_target t;
    int read_rc, reset_rc, after_rc;
} fk__reset_client;

/* fk__reset_client_run: ask for the huge reply, take a little of it, reset; then the probe. */
static void *fk__reset_client_run(void *arg)
{
    fk__reset_client *r = arg;
    int fd = fk__open(&r->t);
    if (fd < 0) {
        r->read_rc = fd;
        return NULL;
    }
    char cmd = FK_CMD_BIG;
    unsigned char *buf = malloc(FK_BIG_CLIENT_READS);
    r->read_rc = buf ? fc_write_all(fd, &cmd, 1) : -ENOMEM;
    if (r->read_rc == 0)
        r->read_rc = fc_read_exact(fd, buf, FK_BIG_CLIENT_READS);
    for (size_t k = 0; r->read_rc == 0 && k < FK_BIG_CLIENT_READS; k++)
        if (buf[k] != fc_pattern(1, k))
            r->read_rc = -EPROTO;
    free(buf);
    r->reset_rc = fc_reset(fd);
    r->after_rc = fk__probe(&r->t);
    return NULL;
}

/* fk_check_reset: connection 0 is the reset one, connection 1 the probe. */
void fk_check_reset(const char *label, fk_server_fn run, void *arg)
{
    fk__reset_client rc;
    memset(&rc, 0, sizeof rc);
    fk_case s;
    memset(&s, 0, sizeof s);
    fk__run(&s, 2, fk__reset_client_run, &rc.t, run, arg);
    ck_assert_int_eq(rc.read_rc, 0);
    ck_assert_int_eq(rc.reset_rc, 0);
    ck_assert_int_eq(rc.after_rc, 0);
    ck_assert_int_eq(s.outcome[0], RT_OUTCOME_OK);
    ck_assert_int_eq(s.cmd[0], FK_CMD_BIG);
    ck_assert_msg(s.result[0] == -ECONNRESET || s.result[0] == -EPIPE,
                  "the write to a reset peer gave %d (%s)", s.result[0], strerror(-s.result[0]));
    ck_assert_uint_lt(s.written[0], (uint64_t)FK_BIG_CHUNK * FK_BIG_ROUNDS);
    ck_assert_int_eq(s.outcome[1], RT_OUTCOME_OK);
    ck_assert_int_eq(s.result[1], 0);
    printf("%s: peer reset mid-write: server wrote %llu bytes, then %s; next client served\n",
           label, (unsigned long long)s.written[0], strerror(-s.result[0]));
}

/* ---- half-close: the client's FIN, and the server's whole reply after it ----------------- */

typedef struct fk__half_client {
    fk_target t;
    int rc, after_rc;
    uint64_t got, hdr_nread, hdr_hash, want_hash;
} fk__half_client;

/* fk__half_client_run: send the payload, SHUT_WR, then read the whole reply to the server's FIN. */
static void *fk__half_client_run(void *arg)
{
    fk__half_client *h = arg;
    size_t cap = FK_HALF_PAYLOAD > 16 + FK_HALF_REPLY ? FK_HALF_PAYLOAD : 16 + FK_HALF_REPLY;
    unsigned char *buf = malloc(cap);
    int fd = buf ? fk__open(&h->t) : -ENOMEM;
    if (fd < 0) {
        h->rc = fd;
        free(buf);
        return NULL;
    }
    char cmd = FK_CMD_HALF;
    for (size_t k = 0; k < FK_HALF_PAYLOAD; k++)
        buf[k] = fc_pattern(3, k);
    h->want_hash = fc_fnv1a(FC_FNV_INIT, buf, FK_HALF_PAYLOAD);
    h->rc = fc_write_all(fd, &cmd, 1);
    if (h->rc == 0)
        h->rc = fc_write_all(fd, buf, FK_HALF_PAYLOAD);
    if (h->rc == 0 && shutdown(fd, SHUT_WR) != 0)
        h->rc = -errno;
    size_t got = 0;
    if (h->rc == 0)
        h->rc = fc_read_to_eof(fd, buf, 16 + FK_HALF_REPLY, &got);
    h->got = got;
    if (h->rc == 0 && got == 16 + FK_HALF_REPLY) {
        memcpy(&h->hdr_nread, buf, 8);
        memcpy(&h->hdr_hash, buf + 8, 8);
        for (size_t k = 0; k < FK_HALF_REPLY; k++)
            if (buf[16 + k] != fc_pattern(2, k)) {
                h->rc = -EPROTO;
                break;
            }
    }
    close(fd);
    free(buf);
    h->after_rc = fk__probe(&h->t);
    return NULL;
}

/* fk_check_half: connection 0 is the half-closing one, connection 1 the probe. */
void fk_check_half(fk_server_fn run, void *arg, const char *path)
{
    fk__half_client h;
    memset(&h, 0, sizeof h);
    fk_case s;
    memset(&s, 0, sizeof s);
    s.path = path;
    fk__run(&s, 2, fk__half_client_run, &h.t, run, arg);
    ck_assert_int_eq(h.rc, 0);
    ck_assert_uint_eq(h.got, 16 + FK_HALF_REPLY);          /* every byte sent after the FIN */
    ck_assert_uint_eq(h.hdr_nread, FK_HALF_PAYLOAD);       /* every byte sent before it */
    ck_assert(h.hdr_hash == h.want_hash);
    ck_assert_int_eq(h.after_rc, 0);
    ck_assert_int_eq(s.outcome[0], RT_OUTCOME_OK);
    ck_assert_int_eq(s.result[0], 0);
    ck_assert_uint_eq(s.nread[0], FK_HALF_PAYLOAD);
    ck_assert_int_eq(s.outcome[1], RT_OUTCOME_OK);
}

/* ---- a task that panics every Nth request ------------------------------------------------ */

typedef struct fk__panic_client {
    fk_target t;
    int rc, after_rc;
    int served, closed_silently, wrong;
} fk__panic_client;

/* fk__panic_client_run: open every connection, send every request, then read every answer --
 * so panicking tasks and serving tasks are alive at the same time. */
static void *fk__panic_client_run(void *arg)
{
    fk__panic_client *p = arg;
    int fds[FK_PANIC_CONNS];
    int opened = 0;
    for (; opened < FK_PANIC_CONNS; opened++) {
        fds[opened] = fk__open(&p->t);
        if (fds[opened] < 0) {
            p->rc = fds[opened];
            break;
        }
        unsigned char req[5] = { FK_CMD_PANIC };
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
    p->after_rc = fk__probe(&p->t);
    return NULL;
}

/* fk_check_panics: both sides count the same panics -- the client by silent closes, the server
 * by outcomes, and the messages are the injected ones. */
void fk_check_panics(const char *label, fk_server_fn run, void *arg)
{
    fk__panic_client p;
    memset(&p, 0, sizeof p);
    fk_case s;
    memset(&s, 0, sizeof s);
    s.panic_every = FK_PANIC_EVERY;
    fk__run(&s, FK_PANIC_CONNS + 1, fk__panic_client_run, &p.t, run, arg);
    int want_panics = FK_PANIC_CONNS / FK_PANIC_EVERY;
    ck_assert_int_eq(p.rc, 0);
    ck_assert_int_eq(p.wrong, 0);
    ck_assert_int_eq(p.closed_silently, want_panics);
    ck_assert_int_eq(p.served, FK_PANIC_CONNS - want_panics);
    ck_assert_int_eq(p.after_rc, 0);
    int panicked = 0, ok = 0;
    for (int i = 0; i < s.nconn; i++) {
        panicked += s.outcome[i] == RT_OUTCOME_PANICKED;
        ok += s.outcome[i] == RT_OUTCOME_OK && s.result[i] == 0;
    }
    ck_assert_int_eq(panicked, want_panics);
    ck_assert_int_eq(s.panics_with_message, want_panics);
    ck_assert_int_eq(ok, s.nconn - want_panics);
    printf("%s: panic every %dth request: %d panicked, %d served (+1 probe)\n", label,
           FK_PANIC_EVERY, panicked, ok - 1);
}

/* ---- the timer storm --------------------------------------------------------------------- */

/* fk__storm_poll: the first poll arms every timer (its poll registers it), then waits forever. */
static rt_poll fk__storm_poll(rt_future *f, rt_context *cx)
{
    fk_storm_task *t = (fk_storm_task *)f;
    if (t->armed)
        return RT_PENDING;
    t->armed = 1;
    t->sleeps = malloc(t->n * t->ops->sleep_size);
    t->timeouts = malloc(t->n * t->ops->timeout_size);
    t->nevers = malloc(t->n * sizeof *t->nevers);
    ck_assert(t->sleeps && t->timeouts && t->nevers);
    for (size_t i = 0; i < t->n; i++) {
        rt_future *sl = (rt_future *)(t->sleeps + i * t->ops->sleep_size);
        rt_future *to = (rt_future *)(t->timeouts + i * t->ops->timeout_size);
        t->ops->sleep(sl, 3600 * 1000);
        ck_assert_int_eq(rt_future_poll(sl, cx), RT_PENDING);
        t->nevers[i] = rt_pending();
        t->ops->timeout(to, &t->nevers[i].base, 3600 * 1000);
        ck_assert_int_eq(rt_future_poll(to, cx), RT_PENDING);
    }
    if (atomic_fetch_add(t->armed_total, 2 * t->n) + 2 * t->n == FK_STORM_TIMERS)
        slot_fire(t->all_armed);
    return RT_PENDING;
}

/* fk__storm_drop: the cancel -- every sleep and timeout is dropped, which takes its entry out
 * of the runtime's timers; the arrays are never moved while armed, so the timers' addresses
 * stay valid until here. */
static void fk__storm_drop(rt_future *f)
{
    fk_storm_task *t = (fk_storm_task *)f;
    if (t->sleeps && t->timeouts && t->nevers)
        for (size_t i = 0; i < t->n; i++) {
            rt_future_drop((rt_future *)(t->sleeps + i * t->ops->sleep_size));
            rt_future_drop((rt_future *)(t->timeouts + i * t->ops->timeout_size));
        }
    free(t->sleeps);
    free(t->timeouts);
    free(t->nevers);
    t->sleeps = t->timeouts = NULL;
    t->nevers = NULL;
}

static const rt_future_vtable fk__storm_vtable = { fk__storm_poll, fk__storm_drop, "timer_storm" };

/* fk_storm_task_new: each task takes an equal share of the storm. */
fk_storm_task fk_storm_task_new(const fk_storm_ops *ops, _Atomic size_t *armed_total,
                                slot *all_armed)
{
    fk_storm_task t = { .base = { &fk__storm_vtable }, .ops = ops,
                        .n = FK_STORM_TIMERS / FK_STORM_TASKS / 2, .armed_total = armed_total,
                        .all_armed = all_armed };
    return t;
}

/* fk_check_storm: the counts, not the time it took. */
void fk_check_storm(const fk_storm *st)
{
    ck_assert_uint_eq(st->before, 0);
    ck_assert_uint_eq(st->armed, FK_STORM_TIMERS);
    ck_assert_uint_eq(st->after, 0);
    ck_assert_int_eq(st->cancelled, FK_STORM_TASKS);
    ck_assert(st->after_fired);
}

/* fk_heap_in_use: glibc's own count, so it means something only outside the sanitizers. */
size_t fk_heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}
