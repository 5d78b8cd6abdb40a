/* test_poller.c: readiness semantics of every backend x mode -- tokens, del, modify, level, edge, oneshot, hangups. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "rt_poller.h"

/*
 * Loop tests: index i runs backend i / 3 in mode i % 3, each in its own forked child, so a
 * failure names the combination. Unsupported combinations (poll + EDGE, io_uring on a kernel
 * without it) are skipped with a printed message, after checking they fail the documented way.
 */
enum { NCOMBOS = 9, GUARD_MS = 5000, QUIET_MS = 30 };

static char label[64];

/* mode_name: for messages. */
static const char *mode_name(rt_poll_mode m)
{
    return m == RT_MODE_LEVEL ? "level" : m == RT_MODE_EDGE ? "edge" : "oneshot";
}

/* open_poller: a poller for (b, m), or NULL when that combination is legitimately unsupported. */
static rt_poller *open_poller(rt_poller_backend b, rt_poll_mode m)
{
    snprintf(label, sizeof label, "%s/%s", rt_poller_backend_name(b), mode_name(m));
    rt_poller *p = rt_poller_new(b, m);
    if (p != NULL) {
        ck_assert_int_eq(rt_poller_backend_of(p), b);
        ck_assert_int_eq(rt_poller_mode_of(p), m);
        return p;
    }
    int err = errno;
    if (b == RT_POLLER_POLL && m == RT_MODE_EDGE) {
        ck_assert_msg(err == ENOTSUP, "%s: expected ENOTSUP, got %s", label, strerror(err));
        return NULL;
    }
    if (b == RT_POLLER_URING && (err == ENOSYS || (err == ENOTSUP && m == RT_MODE_EDGE))) {
        printf("SKIP %s: %s on this kernel\n", label, strerror(err));
        return NULL;
    }
    ck_abort_msg("%s: rt_poller_new failed: %s", label, strerror(err));
    return NULL;
}

/* open_combo: open_poller for loop index i. */
static rt_poller *open_combo(int i)
{
    return open_poller((rt_poller_backend)(i / 3), (rt_poll_mode)(i % 3));
}

/* now_ms: CLOCK_MONOTONIC in milliseconds. */
static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* expect_event: wait (5 s hang guard) until token is reported and return its bits; any other
 * token, or the reserved notify token, fails the test. */
static unsigned expect_event(rt_poller *p, uint64_t token)
{
    int64_t deadline = now_ms() + GUARD_MS;
    for (;;) {
        int64_t left = deadline - now_ms();
        ck_assert_msg(left > 0, "%s: token %llu not reported within %d ms", label,
                      (unsigned long long)token, GUARD_MS);
        rt_poll_event ev[8];
        int n = rt_poller_wait(p, ev, 8, (int)left);
        ck_assert_msg(n >= 0, "%s: wait failed: %s", label, strerror(-n));
        for (int k = 0; k < n; k++)
            ck_assert_msg(ev[k].token == token, "%s: unexpected token %llu (waiting for %llu)",
                          label, (unsigned long long)ev[k].token, (unsigned long long)token);
        if (n > 0) {
            ck_assert_int_eq(n, 1);
            ck_assert_uint_ne(ev[0].events, 0);
            return ev[0].events;
        }
    }
}

/* expect_quiet: a short wait reports nothing at all. */
static void expect_quiet(rt_poller *p)
{
    rt_poll_event ev[8];
    int n = rt_poller_wait(p, ev, 8, QUIET_MS);
    ck_assert_msg(n == 0, "%s: expected no event, got %d (first token %llu, bits %u)", label, n,
                  n > 0 ? (unsigned long long)ev[0].token : 0ULL, n > 0 ? ev[0].events : 0u);
}

/* sockpair: a non-blocking AF_UNIX stream pair. */
static void sockpair(int sv[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
}

/* put: write one byte. */
static void put(int fd)
{
    ck_assert_int_eq(write(fd, "x", 1), 1);
}

/* drain: read until EAGAIN; returns bytes read. */
static long drain(int fd)
{
    char buf[256];
    long total = 0;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r > 0) {
            total += r;
            continue;
        }
        ck_assert_msg(r < 0 && errno == EAGAIN, "drain: read returned %zd (%s)", r, strerror(errno));
        return total;
    }
}

START_TEST(test_names_and_bad_new)
{
    ck_assert_str_eq(rt_poller_backend_name(RT_POLLER_EPOLL), "epoll");
    ck_assert_str_eq(rt_poller_backend_name(RT_POLLER_POLL), "poll");
    ck_assert_str_eq(rt_poller_backend_name(RT_POLLER_URING), "io_uring");
    ck_assert_str_eq(rt_poller_backend_name((rt_poller_backend)7), "?");
    errno = 0;
    ck_assert_ptr_null(rt_poller_new((rt_poller_backend)7, RT_MODE_LEVEL));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(rt_poller_new(RT_POLLER_EPOLL, (rt_poll_mode)9));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(rt_poller_new(RT_POLLER_POLL, RT_MODE_EDGE));
    ck_assert_int_eq(errno, ENOTSUP);
    rt_poller_free(NULL);
}
END_TEST

START_TEST(test_readable_token_socket_and_pipe)
{
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    int sv[2], pp[2];
    sockpair(sv);
    ck_assert_int_eq(pipe2(pp, O_NONBLOCK | O_CLOEXEC), 0);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, 101), 0);
    ck_assert_int_eq(rt_poller_add(p, pp[0], RT_READABLE, 202), 0);
    expect_quiet(p);
    put(sv[1]);
    unsigned ev = expect_event(p, 101);
    ck_assert_msg(ev & RT_READABLE, "%s: socket bits %u", label, ev);
    ck_assert_int_eq(rt_poller_del(p, sv[0]), 0);
    put(pp[1]);
    ev = expect_event(p, 202);
    ck_assert_msg(ev & RT_READABLE, "%s: pipe bits %u", label, ev);
    ck_assert_msg(!(ev & (RT_WRITABLE | RT_ERROR | RT_READ_CLOSED)), "%s: extra bits %u", label, ev);
    rt_poller_free(p);
    close(sv[0]), close(sv[1]), close(pp[0]), close(pp[1]);
}
END_TEST

START_TEST(test_writable_token_socket_and_pipe)
{
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    int sv[2], pp[2];
    sockpair(sv);
    ck_assert_int_eq(pipe2(pp, O_NONBLOCK | O_CLOEXEC), 0);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_WRITABLE, 303), 0);
    unsigned ev = expect_event(p, 303);
    ck_assert_msg(ev & RT_WRITABLE, "%s: socket bits %u", label, ev);
    ck_assert_msg(!(ev & RT_READABLE), "%s: readable without data: %u", label, ev);
    ck_assert_int_eq(rt_poller_del(p, sv[0]), 0);
    ck_assert_int_eq(rt_poller_add(p, pp[1], RT_WRITABLE, 404), 0);
    ev = expect_event(p, 404);
    ck_assert_msg(ev & RT_WRITABLE, "%s: pipe bits %u", label, ev);
    rt_poller_free(p);
    close(sv[0]), close(sv[1]), close(pp[0]), close(pp[1]);
}
END_TEST

START_TEST(test_del_stops_reports)
{
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    int sv[2];
    sockpair(sv);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, 7), 0);
    put(sv[1]);
    expect_event(p, 7);
    ck_assert_int_eq(rt_poller_del(p, sv[0]), 0);
    expect_quiet(p);  /* data still there: a LEVEL registration would report it */
    put(sv[1]);
    expect_quiet(p);  /* new data: an EDGE registration would report it */
    ck_assert_int_eq(rt_poller_del(p, sv[0]), -ENOENT);
    rt_poller_free(p);
    close(sv[0]), close(sv[1]);
}
END_TEST

/* A registration deleted (or replaced) while its old readiness is still queued inside the
 * backend -- for io_uring, a completed poll op whose CQE nobody has read -- must never surface
 * under the old token. */
START_TEST(test_readd_reports_only_new_token)
{
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    int sv[2];
    sockpair(sv);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, 1), 0);
    expect_quiet(p);          /* the registration is now live in the kernel */
    put(sv[1]);               /* ... and completes there, unreported */
    ck_assert_int_eq(rt_poller_del(p, sv[0]), 0);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, 2), 0);
    expect_event(p, 2);       /* fails on token 1 */
    /* The same through modify: old readiness queued, token replaced. */
    ck_assert_int_eq(rt_poller_modify(p, sv[0], RT_READABLE, 3), 0);
    put(sv[1]);
    ck_assert_int_eq(rt_poller_modify(p, sv[0], RT_READABLE, 4), 0);
    expect_event(p, 4);
    rt_poller_free(p);
    close(sv[0]), close(sv[1]);
}
END_TEST

START_TEST(test_modify_changes_interest)
{
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    int sv[2];
    sockpair(sv);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, 1), 0);
    expect_quiet(p);                                   /* writable, but not asked */
    ck_assert_int_eq(rt_poller_modify(p, sv[0], RT_WRITABLE, 2), 0);
    unsigned ev = expect_event(p, 2);
    ck_assert_msg(ev & RT_WRITABLE, "%s: bits %u", label, ev);
    ck_assert_int_eq(rt_poller_modify(p, sv[0], RT_READABLE, 3), 0);
    expect_quiet(p);                                   /* no data, writability not asked */
    put(sv[1]);
    ev = expect_event(p, 3);
    ck_assert_msg((ev & RT_READABLE) && !(ev & RT_WRITABLE), "%s: bits %u", label, ev);
    rt_poller_free(p);
    close(sv[0]), close(sv[1]);
}
END_TEST

START_TEST(test_level_repeats_while_data_remains)
{
    rt_poller *p = open_poller((rt_poller_backend)_i, RT_MODE_LEVEL);
    if (p == NULL)
        return;
    int sv[2];
    sockpair(sv);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, 5), 0);
    put(sv[1]);
    for (int k = 0; k < 5; k++)
        ck_assert(expect_event(p, 5) & RT_READABLE);
    ck_assert_int_eq(drain(sv[0]), 1);
    expect_quiet(p);
    put(sv[1]);
    expect_event(p, 5);
    rt_poller_free(p);
    close(sv[0]), close(sv[1]);
}
END_TEST

START_TEST(test_edge_once_per_edge_never_lost)
{
    rt_poller *p = open_poller((rt_poller_backend)_i, RT_MODE_EDGE);
    if (p == NULL)
        return;
    int sv[2];
    sockpair(sv);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, 9), 0);
    expect_quiet(p);
    put(sv[1]);
    ck_assert(expect_event(p, 9) & RT_READABLE);
    expect_quiet(p);            /* data unread, but no new edge: no report */
    ck_assert_int_eq(drain(sv[0]), 1);
    expect_quiet(p);
    /* Many rounds of the runtime's pattern: report, drain to EAGAIN, new data must report. */
    for (int round = 0; round < 200; round++) {
        put(sv[1]);
        ck_assert(expect_event(p, 9) & RT_READABLE);
        ck_assert_int_eq(drain(sv[0]), 1);
    }
    expect_quiet(p);
    rt_poller_free(p);
    close(sv[0]), close(sv[1]);
}
END_TEST

START_TEST(test_oneshot_until_rearmed)
{
    rt_poller *p = open_poller((rt_poller_backend)_i, RT_MODE_ONESHOT);
    if (p == NULL)
        return;
    int sv[2];
    sockpair(sv);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, 11), 0);
    put(sv[1]);
    expect_event(p, 11);
    expect_quiet(p);            /* disarmed, though data remains */
    put(sv[1]);
    expect_quiet(p);            /* disarmed, though new data came */
    ck_assert_int_eq(rt_poller_modify(p, sv[0], RT_READABLE, 12), 0);
    ck_assert(expect_event(p, 12) & RT_READABLE); /* what came while disarmed */
    expect_quiet(p);
    ck_assert_int_eq(drain(sv[0]), 2);
    for (int round = 0; round < 100; round++) {
        ck_assert_int_eq(rt_poller_modify(p, sv[0], RT_READABLE, 12), 0);
        put(sv[1]);
        expect_event(p, 12);
        ck_assert_int_eq(drain(sv[0]), 1);
    }
    rt_poller_free(p);
    close(sv[0]), close(sv[1]);
}
END_TEST

START_TEST(test_peer_close_reports_read_closed)
{
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    int sv[2];
    sockpair(sv);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, 21), 0);
    expect_quiet(p);
    close(sv[1]);
    unsigned ev = expect_event(p, 21);
    ck_assert_msg((ev & RT_READ_CLOSED) && (ev & RT_READABLE), "%s: bits %u", label, ev);
    char c;
    ck_assert_int_eq(read(sv[0], &c, 1), 0); /* the EOF the reader wakes up to */
    rt_poller_free(p);
    close(sv[0]);
}
END_TEST

START_TEST(test_shutdown_wr_reports_read_closed)
{
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    int sv[2];
    sockpair(sv);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, 22), 0);
    expect_quiet(p);
    ck_assert_int_eq(shutdown(sv[1], SHUT_WR), 0);
    unsigned ev = expect_event(p, 22);
    ck_assert_msg((ev & RT_READ_CLOSED) && (ev & RT_READABLE), "%s: bits %u", label, ev);
    rt_poller_free(p);
    close(sv[0]), close(sv[1]);
}
END_TEST

START_TEST(test_pipe_hangup_and_error)
{
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    int pp[2];
    ck_assert_int_eq(pipe2(pp, O_NONBLOCK | O_CLOEXEC), 0);
    ck_assert_int_eq(rt_poller_add(p, pp[0], RT_READABLE, 31), 0);
    expect_quiet(p);
    close(pp[1]); /* POLLHUP on the read end: both directions wake */
    unsigned ev = expect_event(p, 31);
    ck_assert_msg((ev & (RT_READABLE | RT_WRITABLE | RT_READ_CLOSED)) ==
                      (RT_READABLE | RT_WRITABLE | RT_READ_CLOSED), "%s: bits %u", label, ev);
    ck_assert_int_eq(rt_poller_del(p, pp[0]), 0);
    close(pp[0]);
    /* A write end with no reader left: POLLERR. */
    ck_assert_int_eq(pipe2(pp, O_NONBLOCK | O_CLOEXEC), 0);
    close(pp[0]);
    ck_assert_int_eq(rt_poller_add(p, pp[1], RT_WRITABLE, 32), 0);
    ev = expect_event(p, 32);
    ck_assert_msg(ev & RT_ERROR, "%s: bits %u", label, ev);
    rt_poller_free(p);
    close(pp[1]);
}
END_TEST

/* Many fds, fewer event slots than ready fds, and deletes in the middle: every live token is
 * reported (nobody starved), no deleted one is. Exercises poll's swap-remove index map. */
START_TEST(test_many_fds_small_batches)
{
    enum { N = 100 };
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    int sv[N][2];
    for (int k = 0; k < N; k++) {
        sockpair(sv[k]);
        ck_assert_int_eq(rt_poller_add(p, sv[k][0], RT_READABLE, 1000 + k), 0);
        put(sv[k][1]);
    }
    for (int phase = 0; phase < 2; phase++) {
        char seen[N] = { 0 };
        int nseen = 0, want = phase == 0 ? N : N / 2;
        int64_t deadline = now_ms() + GUARD_MS;
        while (nseen < want) {
            ck_assert_msg(now_ms() < deadline, "%s: phase %d saw %d of %d tokens", label, phase, nseen, want);
            rt_poll_event ev[7];
            int n = rt_poller_wait(p, ev, 7, 100);
            ck_assert_int_ge(n, 0);
            for (int j = 0; j < n; j++) {
                int k = (int)(ev[j].token - 1000);
                ck_assert_msg(k >= 0 && k < N, "%s: bad token %llu", label, (unsigned long long)ev[j].token);
                ck_assert_msg(phase == 0 || k % 2 == 1, "%s: deleted fd %d reported", label, k);
                ck_assert(ev[j].events & RT_READABLE);
                if (!seen[k])
                    seen[k] = 1, nseen++;
            }
        }
        if (phase == 1)
            break;
        /* Drain all, delete the even ones, re-arm the odd ones, and send new data to all. */
        for (int k = 0; k < N; k++) {
            ck_assert_int_eq(drain(sv[k][0]), 1);
            if (k % 2 == 0)
                ck_assert_int_eq(rt_poller_del(p, sv[k][0]), 0);
            else
                ck_assert_int_eq(rt_poller_modify(p, sv[k][0], RT_READABLE, 1000 + k), 0);
        }
        for (int k = 0; k < N; k++)
            put(sv[k][1]);
    }
    rt_poller_free(p);
    for (int k = 0; k < N; k++)
        close(sv[k][0]), close(sv[k][1]);
}
END_TEST

/* After del, close(fd) must really close: the peer sees EOF (io_uring's poll op holds a file
 * reference until it is cancelled, so del has to cancel it right away). */
START_TEST(test_del_then_close_gives_peer_eof)
{
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    int sv[2];
    sockpair(sv);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, 41), 0);
    expect_quiet(p);
    ck_assert_int_eq(rt_poller_del(p, sv[0]), 0);
    close(sv[0]);
    struct pollfd pfd = { .fd = sv[1], .events = POLLIN };
    ck_assert_msg(poll(&pfd, 1, GUARD_MS) == 1, "%s: peer saw no EOF within %d ms", label, GUARD_MS);
    char c;
    ck_assert_int_eq(read(sv[1], &c, 1), 0);
    rt_poller_free(p);
    close(sv[1]);
}
END_TEST

/* A ns timeout with a sub-ms part (1.5 ms) is honoured: an idle wait never returns before it
 * (returning early would make a timer loop spin or fire early). Only the lower bound is
 * checked -- how late it returns is speed, which the bench measures. */
START_TEST(test_wait_ns_never_returns_early)
{
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    int sv[2];
    sockpair(sv);
    ck_assert_int_eq(rt_poller_add(p, sv[0], RT_READABLE, 43), 0);
    for (int round = 0; round < 5; round++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        rt_poll_event ev[8];
        int n = rt_poller_wait_ns(p, ev, 8, 1500000);
        clock_gettime(CLOCK_MONOTONIC, &b);
        int64_t took = (int64_t)(b.tv_sec - a.tv_sec) * 1000000000 + (b.tv_nsec - a.tv_nsec);
        ck_assert_msg(n == 0, "%s: an idle wait reported %d events", label, n);
        ck_assert_msg(took >= 1500000, "%s: a 1.5 ms wait returned after %lld ns", label,
                      (long long)took);
    }
    put(sv[1]);
    rt_poll_event ev[8];
    ck_assert_int_eq(rt_poller_wait_ns(p, ev, 8, (int64_t)GUARD_MS * 1000000), 1);
    ck_assert_uint_eq(ev[0].token, 43);
    rt_poller_free(p);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("poller");
    TCase *tc = tcase_create("semantics");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_names_and_bad_new);
    tcase_add_loop_test(tc, test_readable_token_socket_and_pipe, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_writable_token_socket_and_pipe, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_del_stops_reports, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_readd_reports_only_new_token, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_modify_changes_interest, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_level_repeats_while_data_remains, 0, 3);
    tcase_add_loop_test(tc, test_edge_once_per_edge_never_lost, 0, 3);
    tcase_add_loop_test(tc, test_oneshot_until_rearmed, 0, 3);
    tcase_add_loop_test(tc, test_peer_close_reports_read_closed, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_shutdown_wr_reports_read_closed, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_pipe_hangup_and_error, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_many_fds_small_batches, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_del_then_close_gives_peer_eof, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_wait_ns_never_returns_early, 0, NCOMBOS);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
