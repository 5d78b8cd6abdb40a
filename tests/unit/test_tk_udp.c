/* test_tk_udp.c: tk UDP -- send_to/recv_from, connected send/recv, datagram edges, ICMP errors. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rt_async.h"
#include "rt_testkit.h"
#include "tk_net.h"
#include "tk_runtime.h"
#include "tk_time.h"
#include "tk_testkit.h"

/* ---- a responder task: answer each datagram to its sender, upper-cased, n times ---------- */
typedef struct responder {
    rt_future base;
    rt_async co;
    tk_udp_socket *u;
    int n, i;
    char buf[256];
    tk_udp_recv_fut rv;
    tk_udp_send_fut sd;
} responder;

/* responder_poll: n times, receive a datagram and send it back upper-cased. */
static rt_poll responder_poll(rt_future *f, rt_context *cx)
{
    responder *r = (responder *)f;
    RT_BEGIN(&r->co);
    for (r->i = 0; r->i < r->n; r->i++) {
        r->rv = tk_udp_recv_from(r->u, r->buf, sizeof r->buf);
        RT_AWAIT(&r->co, &r->rv, cx);
        ck_assert_int_gt(r->rv.result, 0);
        for (ssize_t k = 0; k < r->rv.result; k++)
            if (r->buf[k] >= 'a' && r->buf[k] <= 'z')
                r->buf[k] = (char)(r->buf[k] - 'a' + 'A');
        r->sd = tk_udp_send_to(r->u, r->buf, (size_t)r->rv.result, &r->rv.from);
        RT_AWAIT(&r->co, &r->sd, cx);
        ck_assert_int_eq(r->sd.result, r->rv.result);
    }
    RT_END(&r->co);
}

static const rt_future_vtable responder_vtable = { responder_poll, NULL, "responder" };

/* ---- test: send_to / recv_from with a responder task ------------------------------------- */
typedef struct dgram_main {
    rt_future base;
    rt_async co;
    tk_udp_socket a, b;
    tk_sockaddr a_addr, b_addr;
    tk_join_handle jh;
    tk_udp_send_fut sd;
    tk_udp_recv_fut rv;
    int i;
    char out[64], in[64];
} dgram_main;

/* dgram_main_poll: round trips via a responder, boundaries, truncation, errors. */
static rt_poll dgram_main_poll(rt_future *f, rt_context *cx)
{
    dgram_main *m = (dgram_main *)f;
    RT_BEGIN(&m->co);
    ck_assert_int_eq(tk_udp_bind("127.0.0.1", 0, &m->a), 0);
    ck_assert_int_eq(tk_udp_bind("127.0.0.1", 0, &m->b), 0);
    ck_assert_int_eq(tk_udp_local_addr(&m->a, &m->a_addr), 0);
    ck_assert_int_eq(tk_udp_local_addr(&m->b, &m->b_addr), 0);
    {
        tk_sockaddr none;
        ck_assert_int_eq(tk_udp_peer_addr(&m->a, &none), -ENOTCONN);
        responder r = { .base = { &responder_vtable }, .u = &m->b, .n = 100 };
        ck_assert_int_eq(tk_spawn(&r.base, sizeof r, &m->jh), 0);
    }
    for (m->i = 0; m->i < 100; m->i++) {
        snprintf(m->out, sizeof m->out, "datagram %d", m->i);
        m->sd = tk_udp_send_to(&m->a, m->out, strlen(m->out), &m->b_addr);
        RT_AWAIT(&m->co, &m->sd, cx);
        ck_assert_int_eq(m->sd.result, (ssize_t)strlen(m->out));
        memset(m->in, 0, sizeof m->in);
        m->rv = tk_udp_recv_from(&m->a, m->in, sizeof m->in);
        RT_AWAIT(&m->co, &m->rv, cx);
        ck_assert_int_eq(m->rv.result, (ssize_t)strlen(m->out));
        ck_assert(tk_sockaddr_equal(&m->rv.from, &m->b_addr));
        for (char *p = m->out; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
        ck_assert_str_eq(m->in, m->out);
    }
    RT_AWAIT(&m->co, &m->jh, cx);
    ck_assert_int_eq(m->jh.outcome, RT_OUTCOME_OK);
    rt_join_handle_detach(&m->jh);

    /* datagram boundaries: two sends are two receives, and a short buffer truncates */
    m->sd = tk_udp_send_to(&m->a, "abc", 3, &m->b_addr);
    RT_AWAIT(&m->co, &m->sd, cx);
    m->sd = tk_udp_send_to(&m->a, "defgh", 5, &m->b_addr);
    RT_AWAIT(&m->co, &m->sd, cx);
    m->rv = tk_udp_recv_from(&m->b, m->in, sizeof m->in);
    RT_AWAIT(&m->co, &m->rv, cx);
    ck_assert_int_eq(m->rv.result, 3);
    ck_assert(tk_sockaddr_equal(&m->rv.from, &m->a_addr));
    m->rv = tk_udp_recv_from(&m->b, m->in, 2);
    RT_AWAIT(&m->co, &m->rv, cx);
    ck_assert_int_eq(m->rv.result, 2);
    ck_assert_int_eq(memcmp(m->in, "de", 2), 0);
    /* an empty datagram is a datagram too */
    m->sd = tk_udp_send_to(&m->a, "", 0, &m->b_addr);
    RT_AWAIT(&m->co, &m->sd, cx);
    ck_assert_int_eq(m->sd.result, 0);
    m->rv = tk_udp_recv_from(&m->b, m->in, sizeof m->in);
    RT_AWAIT(&m->co, &m->rv, cx);
    ck_assert_int_eq(m->rv.result, 0);
    /* send without a peer: the kernel wants an address */
    m->sd = tk_udp_send(&m->a, "x", 1);
    RT_AWAIT(&m->co, &m->sd, cx);
    ck_assert_int_eq(m->sd.result, -EDESTADDRREQ);
    tk_udp_close(&m->a);
    tk_udp_close(&m->b);
    tk_udp_close(&m->b); /* idempotent */
    m->rv = tk_udp_recv(&m->b, m->in, sizeof m->in);
    RT_AWAIT(&m->co, &m->rv, cx);
    ck_assert_int_eq(m->rv.result, -EBADF);
    RT_END(&m->co);
}

static const rt_future_vtable dgram_main_vtable = { dgram_main_poll, NULL, "dgram_main" };

/* test_send_to_recv_from_both_flavours: unconnected UDP on both flavours. */
START_TEST(test_send_to_recv_from_both_flavours)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        dgram_main m;
        memset(&m, 0, sizeof m);
        m.base.vtable = &dgram_main_vtable;
        tk_runtime_block_on(rt, &m.base);
        tk_runtime_free(rt);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- test: connected sockets; a receive that waits; an ICMP refusal --------------------- */
typedef struct late_sender {
    rt_future base;
    rt_async co;
    tk_udp_socket *u;
    tk_sleep_fut nap;
    tk_udp_send_fut sd;
} late_sender;

/* late_sender_poll: sleep, then send one datagram to the connected peer. */
static rt_poll late_sender_poll(rt_future *f, rt_context *cx)
{
    late_sender *s = (late_sender *)f;
    RT_BEGIN(&s->co);
    s->nap = tk_sleep(20); /* the receiver is parked by now */
    RT_AWAIT(&s->co, &s->nap, cx);
    s->sd = tk_udp_send(s->u, "late", 4);
    RT_AWAIT(&s->co, &s->sd, cx);
    ck_assert_int_eq(s->sd.result, 4);
    RT_END(&s->co);
}

static const rt_future_vtable late_sender_vtable = { late_sender_poll, NULL, "late_sender" };

typedef struct conn_main {
    rt_future base;
    rt_async co;
    tk_udp_socket a, b, c, gone;
    tk_sockaddr a_addr, b_addr, peer;
    tk_join_handle jh;
    tk_udp_send_fut sd;
    tk_udp_recv_fut rv;
    tk_timeout_fut to;
    char in[16];
    unsigned gone_port;
} conn_main;

/* conn_main_poll: connected send/recv, kernel filtering, a parked recv, ICMP errors. */
static rt_poll conn_main_poll(rt_future *f, rt_context *cx)
{
    conn_main *m = (conn_main *)f;
    RT_BEGIN(&m->co);
    ck_assert_int_eq(tk_udp_bind("127.0.0.1", 0, &m->a), 0);
    ck_assert_int_eq(tk_udp_bind("localhost", 0, &m->b), 0);
    ck_assert_int_eq(tk_udp_bind("127.0.0.1", 0, &m->c), 0);
    ck_assert_int_eq(tk_udp_local_addr(&m->a, &m->a_addr), 0);
    ck_assert_int_eq(tk_udp_local_addr(&m->b, &m->b_addr), 0);
    ck_assert_int_eq(tk_udp_connect(&m->a, "127.0.0.1", (unsigned)tk_sockaddr_port(&m->b_addr)), 0);
    ck_assert_int_eq(tk_udp_connect(&m->b, "127.0.0.1", (unsigned)tk_sockaddr_port(&m->a_addr)), 0);
    ck_assert_int_eq(tk_udp_peer_addr(&m->a, &m->peer), 0);
    ck_assert(tk_sockaddr_equal(&m->peer, &m->b_addr));
    ck_assert_int_eq(tk_udp_connect(&m->a, "not-an-address", 1), -EINVAL);

    /* a stranger's datagram to b is filtered out by the kernel; a's arrives, later */
    m->sd = tk_udp_send_to(&m->c, "stranger", 8, &m->b_addr);
    RT_AWAIT(&m->co, &m->sd, cx);
    ck_assert_int_eq(m->sd.result, 8);
    {
        late_sender s = { .base = { &late_sender_vtable }, .u = &m->a };
        ck_assert_int_eq(tk_spawn(&s.base, sizeof s, &m->jh), 0);
    }
    m->rv = tk_udp_recv(&m->b, m->in, sizeof m->in);
    RT_AWAIT(&m->co, &m->rv, cx);
    ck_assert_int_eq(m->rv.result, 4);
    ck_assert_int_eq(memcmp(m->in, "late", 4), 0);
    ck_assert(tk_sockaddr_equal(&m->rv.from, &m->a_addr));
    RT_AWAIT(&m->co, &m->jh, cx);
    rt_join_handle_detach(&m->jh);

    /* a port nobody listens on: loopback answers with ICMP port unreachable, which the
     * connected socket reports on its next receive */
    ck_assert_int_eq(tk_udp_bind("127.0.0.1", 0, &m->gone), 0);
    {
        tk_sockaddr g;
        ck_assert_int_eq(tk_udp_local_addr(&m->gone, &g), 0);
        m->gone_port = (unsigned)tk_sockaddr_port(&g);
    }
    tk_udp_close(&m->gone);
    ck_assert_int_eq(tk_udp_connect(&m->c, "127.0.0.1", m->gone_port), 0);
    m->sd = tk_udp_send(&m->c, "anyone?", 7);
    RT_AWAIT(&m->co, &m->sd, cx);
    ck_assert_int_eq(m->sd.result, 7);
    m->rv = tk_udp_recv(&m->c, m->in, sizeof m->in);
    m->to = tk_timeout(&m->rv.base, 5000);
    RT_AWAIT(&m->co, &m->to, cx);
    ck_assert_msg(!m->to.elapsed, "no ICMP error reported within 5 s");
    ck_assert_int_eq(m->rv.result, -ECONNREFUSED);
    /* the error is consumed: the next receive waits quietly instead of spinning on a stale
     * error flag (if it spun, this poll would never return and the test would time out) */
    m->rv = tk_udp_recv(&m->c, m->in, sizeof m->in);
    m->to = tk_timeout(&m->rv.base, 50);
    RT_AWAIT(&m->co, &m->to, cx);
    ck_assert(m->to.elapsed);
    tk_udp_close(&m->a);
    tk_udp_close(&m->b);
    tk_udp_close(&m->c);
    RT_END(&m->co);
}

static const rt_future_vtable conn_main_vtable = { conn_main_poll, NULL, "conn_main" };

/* test_connected_both_flavours: connected UDP on both flavours. */
START_TEST(test_connected_both_flavours)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        conn_main m;
        memset(&m, 0, sizeof m);
        m.base.vtable = &conn_main_vtable;
        tk_runtime_block_on(rt, &m.base);
        tk_runtime_free(rt);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* main: the suite. */
int main(void)
{
    Suite *s = suite_create("tk_udp");
    TCase *tc = tcase_create("udp");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_send_to_recv_from_both_flavours);
    tcase_add_test(tc, test_connected_both_flavours);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
