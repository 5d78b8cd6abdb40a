/* test_as_rearm.c: oneshot re-arm races -- readers and writers hammering readiness so that a lost event shows up as a hang. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "as.h"
#include "rt_testkit.h"

/*
 * The reactor's epoll runs in ONESHOT mode: an event disarms the fd, and every wait must arm it
 * again (as_io.c). The races this invites: data arriving between a read's EAGAIN and its re-arm;
 * an event for one direction disarming the fd while another direction is waited on; a future
 * parking while the reactor is dispatching the same fd. Any lost event leaves a task waiting
 * forever, which Check's timeout turns into a failure. Each test moves a known number of bytes
 * and checks every one of them arrived, in order.
 */

/* byte_reader: reads until `total` bytes arrived, checking the running pattern. */
typedef struct byte_reader {
    rt_future base;
    rt_async co;
    as_io *s;
    long total, got;
    int bad;
    as_read_fut rd;
    unsigned char buf[256];
} byte_reader;

static rt_poll byte_reader_poll(rt_future *f, rt_context *cx)
{
    byte_reader *self = (byte_reader *)f;
    RT_BEGIN(&self->co);
    while (self->got < self->total) {
        self->rd = as_read(self->s, self->buf, sizeof self->buf);
        RT_AWAIT(&self->co, &self->rd, cx);
        ck_assert_int_gt(self->rd.result, 0);
        for (ssize_t i = 0; i < self->rd.result; i++)
            if (self->buf[i] != (unsigned char)(self->got + i))
                self->bad++;
        self->got += self->rd.result;
    }
    RT_END(&self->co);
}

static const rt_future_vtable byte_reader_vtable = { byte_reader_poll, NULL, "byte_reader" };

/* byte_writer: writes `total` bytes in chunks of 1..chunk, yielding now and then. */
typedef struct byte_writer {
    rt_future base;
    rt_async co;
    as_io *s;
    long total, sent;
    unsigned seed, chunk;
    as_write_all_fut wr;
    as_yield_fut y;
    unsigned char buf[512];
    size_t n;
} byte_writer;

static rt_poll byte_writer_poll(rt_future *f, rt_context *cx)
{
    byte_writer *self = (byte_writer *)f;
    RT_BEGIN(&self->co);
    while (self->sent < self->total) {
        self->n = 1 + rand_r(&self->seed) % self->chunk;
        if ((long)self->n > self->total - self->sent)
            self->n = (size_t)(self->total - self->sent);
        for (size_t i = 0; i < self->n; i++)
            self->buf[i] = (unsigned char)(self->sent + (long)i);
        self->wr = as_write_all(self->s, self->buf, self->n);
        RT_AWAIT(&self->co, &self->wr, cx);
        ck_assert_int_eq(self->wr.result, (ssize_t)self->n);
        self->sent += (long)self->n;
        if (rand_r(&self->seed) % 4 == 0) {
            self->y = as_yield_now();
            RT_AWAIT(&self->co, &self->y, cx);
        }
    }
    RT_END(&self->co);
}

static const rt_future_vtable byte_writer_vtable = { byte_writer_poll, NULL, "byte_writer" };

/* joiner: awaits n handles. */
typedef struct joiner {
    rt_future base;
    rt_async co;
    as_task *ts;
    int n, i;
} joiner;

static rt_poll joiner_poll(rt_future *f, rt_context *cx)
{
    joiner *self = (joiner *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < self->n; self->i++)
        RT_AWAIT(&self->co, as_task_join(&self->ts[self->i]), cx);
    RT_END(&self->co);
}

static const rt_future_vtable joiner_vtable = { joiner_poll, NULL, "joiner" };

static void set_small_buffers(as_io *io)
{
    int small = 2048;
    setsockopt(as_io_fd(io), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(as_io_fd(io), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
}

START_TEST(test_many_pairs_one_way)
{
    enum { PAIRS = 16 };
    const long total = 60000;
    static as_io *a[PAIRS], *b[PAIRS];
    static as_task ts[2 * PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        ck_assert_int_eq(as_unix_pair(&a[i], &b[i]), 0);
        set_small_buffers(a[i]);
        set_small_buffers(b[i]);
        byte_reader r = { .base = { &byte_reader_vtable }, .s = b[i], .total = total };
        byte_writer w = { .base = { &byte_writer_vtable }, .s = a[i], .total = total,
                          .seed = (unsigned)i + 1, .chunk = 300 };
        ck_assert_int_eq(AS_SPAWN(r, &ts[2 * i]), 0);
        ck_assert_int_eq(AS_SPAWN(w, &ts[2 * i + 1]), 0);
    }
    joiner j = { .base = { &joiner_vtable }, .ts = ts, .n = 2 * PAIRS };
    as_block_on(&j.base);
    for (int i = 0; i < PAIRS; i++) {
        byte_reader *r = (byte_reader *)as_task_output(&ts[2 * i]);
        ck_assert_int_eq(r->got, total);
        ck_assert_int_eq(r->bad, 0);
        as_task_detach(&ts[2 * i]);
        as_task_detach(&ts[2 * i + 1]);
        as_io_close(a[i]);
        as_io_close(b[i]);
    }
}
END_TEST

START_TEST(test_full_duplex_same_handle_both_directions)
{
    /* On each end, one task reads while another task writes, on the SAME handle, with tiny
     * buffers: the fd has a reader and a writer parked at once, and each event for one
     * direction disarms the fd for both. The reactor must re-arm the direction still waited
     * on, or the other side stalls. */
    enum { PAIRS = 6 };
    const long total = 200000;
    static as_io *a[PAIRS], *b[PAIRS];
    static as_task ts[4 * PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        ck_assert_int_eq(as_unix_pair(&a[i], &b[i]), 0);
        set_small_buffers(a[i]);
        set_small_buffers(b[i]);
        byte_reader ra = { .base = { &byte_reader_vtable }, .s = a[i], .total = total };
        byte_reader rb = { .base = { &byte_reader_vtable }, .s = b[i], .total = total };
        byte_writer wa = { .base = { &byte_writer_vtable }, .s = a[i], .total = total,
                           .seed = 100u + (unsigned)i, .chunk = 512 };
        byte_writer wb = { .base = { &byte_writer_vtable }, .s = b[i], .total = total,
                           .seed = 200u + (unsigned)i, .chunk = 512 };
        ck_assert_int_eq(AS_SPAWN(ra, &ts[4 * i]), 0);
        ck_assert_int_eq(AS_SPAWN(rb, &ts[4 * i + 1]), 0);
        ck_assert_int_eq(AS_SPAWN(wa, &ts[4 * i + 2]), 0);
        ck_assert_int_eq(AS_SPAWN(wb, &ts[4 * i + 3]), 0);
    }
    joiner j = { .base = { &joiner_vtable }, .ts = ts, .n = 4 * PAIRS };
    as_block_on(&j.base);
    for (int i = 0; i < 4 * PAIRS; i++) {
        if (i % 4 < 2) {
            byte_reader *r = (byte_reader *)as_task_output(&ts[i]);
            ck_assert_int_eq(r->got, total);
            ck_assert_int_eq(r->bad, 0);
        }
        as_task_detach(&ts[i]);
    }
    for (int i = 0; i < PAIRS; i++) {
        as_io_close(a[i]);
        as_io_close(b[i]);
    }
}
END_TEST

/* pinger: strict alternation of one byte over a pair: every message needs a wake and a
 * re-arm, the worst case for oneshot. */
typedef struct pinger {
    rt_future base;
    rt_async co;
    as_io *s;
    int rounds, i, first;
    char c;
    as_write_fut wr;
    as_read_fut rd;
} pinger;

static rt_poll pinger_poll(rt_future *f, rt_context *cx)
{
    pinger *self = (pinger *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < self->rounds; self->i++) {
        if (self->first) {
            self->wr = as_write(self->s, "p", 1);
            RT_AWAIT(&self->co, &self->wr, cx);
            ck_assert_int_eq(self->wr.result, 1);
        }
        self->rd = as_read(self->s, &self->c, 1);
        RT_AWAIT(&self->co, &self->rd, cx);
        ck_assert_int_eq(self->rd.result, 1);
        if (!self->first) {
            self->wr = as_write(self->s, "p", 1);
            RT_AWAIT(&self->co, &self->wr, cx);
            ck_assert_int_eq(self->wr.result, 1);
        }
    }
    RT_END(&self->co);
}

static const rt_future_vtable pinger_vtable = { pinger_poll, NULL, "pinger" };

START_TEST(test_ping_pong_one_byte)
{
    enum { PAIRS = 8, ROUNDS = 3000 };
    static as_io *a[PAIRS], *b[PAIRS];
    static as_task ts[2 * PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        ck_assert_int_eq(as_unix_pair(&a[i], &b[i]), 0);
        pinger p1 = { .base = { &pinger_vtable }, .s = a[i], .rounds = ROUNDS, .first = 1 };
        pinger p2 = { .base = { &pinger_vtable }, .s = b[i], .rounds = ROUNDS, .first = 0 };
        ck_assert_int_eq(AS_SPAWN(p1, &ts[2 * i]), 0);
        ck_assert_int_eq(AS_SPAWN(p2, &ts[2 * i + 1]), 0);
    }
    joiner j = { .base = { &joiner_vtable }, .ts = ts, .n = 2 * PAIRS };
    as_block_on(&j.base);
    for (int i = 0; i < 2 * PAIRS; i++) {
        ck_assert_int_eq(as_task_outcome(&ts[i]), RT_OUTCOME_OK);
        as_task_detach(&ts[i]);
    }
    for (int i = 0; i < PAIRS; i++) {
        as_io_close(a[i]);
        as_io_close(b[i]);
    }
}
END_TEST

/* A plain thread writes bursts with pauses, so the reader's wakes come only from the reactor,
 * at random moments relative to its parking. */
typedef struct burst_arg {
    int fd;
    long total;
} burst_arg;

static void *burst_writer(void *arg)
{
    burst_arg *b = arg;
    unsigned seed = 7;
    unsigned char buf[700];
    long sent = 0;
    while (sent < b->total) {
        size_t n = 1 + rand_r(&seed) % sizeof buf;
        if ((long)n > b->total - sent)
            n = (size_t)(b->total - sent);
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)(sent + (long)i);
        size_t off = 0;
        while (off < n) {
            ssize_t w = send(b->fd, buf + off, n - off, MSG_NOSIGNAL);
            if (w > 0)
                off += (size_t)w;
            else if (errno == EAGAIN)
                usleep(50);
            else
                return NULL;
        }
        sent += (long)n;
        if (rand_r(&seed) % 8 == 0)
            usleep(rand_r(&seed) % 200);
    }
    return NULL;
}

START_TEST(test_reader_woken_only_by_reactor)
{
    as_io *a, *b;
    ck_assert_int_eq(as_unix_pair(&a, &b), 0);
    burst_arg arg = { .fd = as_io_fd(a), .total = 300000 };
    pthread_t th;
    byte_reader r = { .base = { &byte_reader_vtable }, .s = b, .total = arg.total };
    as_task t;
    ck_assert_int_eq(AS_SPAWN(r, &t), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, burst_writer, &arg), 0);
    joiner j = { .base = { &joiner_vtable }, .ts = &t, .n = 1 };
    as_block_on(&j.base);
    pthread_join(th, NULL);
    byte_reader *out = (byte_reader *)as_task_output(&t);
    ck_assert_int_eq(out->got, arg.total);
    ck_assert_int_eq(out->bad, 0);
    as_task_detach(&t);
    as_io_close(a);
    as_io_close(b);
}
END_TEST

static Suite *as_rearm_suite(void)
{
    Suite *s = suite_create("as_rearm");
    TCase *tc = tcase_create("rearm");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_many_pairs_one_way);
    tcase_add_test(tc, test_full_duplex_same_handle_both_directions);
    tcase_add_test(tc, test_ping_pong_one_byte);
    tcase_add_test(tc, test_reader_woken_only_by_reactor);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_suite_run(as_rearm_suite());
}
