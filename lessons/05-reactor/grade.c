/* grade.c: lesson 05's grader -- read_exact under an edge-triggered reactor: no lost wake, no wasted poll, no leftovers. */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "exercise.h"

enum { STUCK_MS = 500 };

/* A waker over a flag: the grader's executor runs on one thread, as the reactor does. */
static const rt_waker_vtable flag_vtable;

/* flag_clone: the flag outlives the run. */
static rt_waker flag_clone(const void *data)
{
    return (rt_waker){ .vtable = &flag_vtable, .data = data };
}

/* flag_wake: set it. */
static void flag_wake(const void *data)
{
    *(int *)data = 1;
}

/* flag_drop: nothing owned. */
static void flag_drop(const void *data)
{
    (void)data;
}

static const rt_waker_vtable flag_vtable = { flag_clone, flag_wake, flag_wake, flag_drop };

/* run: poll when woken, otherwise turn the reactor; 0 when ready, -1 when nothing woke the
 * pending future for STUCK_MS (a lost wake-up). */
static int run(reactor *r, rt_future *f)
{
    int woken = 1;
    rt_waker waker = { .vtable = &flag_vtable, .data = &woken };
    rt_context cx = { .waker = &waker };
    for (;;) {
        if (woken) {
            woken = 0;
            if (rt_future_poll(f, &cx) == RT_READY)
                return 0;
            continue;
        }
        if (reactor_turn(r, STUCK_MS) <= 0 && !woken)
            return -1;
    }
}

/* The test's socket pair and reactor. */
static reactor r_;
static int sv[2];

/* setup: an edge-triggered reactor and a non-blocking stream socket pair. */
static void setup(void)
{
    ck_assert_int_eq(reactor_init(&r_, RT_MODE_EDGE), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
}

/* teardown: the reactor first (it must forget the fds before they close). */
static void teardown(void)
{
    reactor_free(&r_);
    close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
}

/* What a writer thread sends: `n` pieces of `piece` bytes, `gap_ms` apart. */
typedef struct writer_plan {
    int fd;
    const char *data;
    size_t piece;
    int n;
    int gap_ms;
} writer_plan;

/* writer_main: send the plan, piece by piece. The writer's end is made blocking: a unix socket
 * charges each small write a whole buffer's overhead, so many tiny writes fill its send buffer
 * long before the bytes do, and the writer must then wait for the reader, not give up. */
static void *writer_main(void *arg)
{
    writer_plan *p = arg;
    fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) & ~O_NONBLOCK);
    for (int i = 0; i < p->n; i++) {
        if (p->gap_ms > 0) {
            struct timespec ts = { 0, (long)p->gap_ms * 1000000L };
            nanosleep(&ts, NULL);
        }
        if (write(p->fd, p->data + (size_t)i * p->piece, p->piece) != (ssize_t)p->piece)
            return NULL;
    }
    return NULL;
}

START_TEST(test_whole_message_already_there_one_poll)
{
    char buf[16] = { 0 };
    ck_assert_int_eq(write(sv[1], "hello, world", 12), 12);
    read_exact_fut f = read_exact(&r_, sv[0], buf, 12);
    ck_assert_msg(run(&r_, &f.base) == 0,
                  "stuck after %zu of 12 bytes: under edge triggering, bytes left in the socket "
                  "make no new edge -- read until EAGAIN before you wait", f.got);
    ck_assert_str_eq(buf, "hello, world");
    ck_assert_msg(f.polls == 1, "all 12 bytes were there, so one poll must read them all; it "
                  "took %d", f.polls);
    ck_assert_int_eq(f.reads, 3);
    rt_future_drop(&f.base);
}
END_TEST

START_TEST(test_message_in_two_parts)
{
    char buf[16] = { 0 };
    ck_assert_int_eq(write(sv[1], "hello, ", 7), 7);
    writer_plan plan = { .fd = sv[1], .data = "world", .piece = 5, .n = 1, .gap_ms = 50 };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, writer_main, &plan), 0);
    read_exact_fut f = read_exact(&r_, sv[0], buf, 12);
    int rc = run(&r_, &f.base);
    pthread_join(t, NULL);
    ck_assert_msg(rc == 0, "stuck after %zu of 12 bytes (\"%.*s\")", f.got, (int)f.got, buf);
    ck_assert_str_eq(buf, "hello, world");
    ck_assert_msg(f.polls == 2, "one poll for \"hello, \", one after the edge of \"world\"; it "
                  "took %d", f.polls);
    rt_future_drop(&f.base);
}
END_TEST

START_TEST(test_many_small_writes_lose_nothing)
{
    static char data[2000], buf[2001];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)('a' + i % 26);
    writer_plan plan = { .fd = sv[1], .data = data, .piece = 7, .n = 2000 / 7, .gap_ms = 0 };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, writer_main, &plan), 0);
    size_t want = (size_t)plan.n * plan.piece;
    read_exact_fut f = read_exact(&r_, sv[0], buf, want);
    int rc = run(&r_, &f.base);
    pthread_join(t, NULL);
    ck_assert_msg(rc == 0, "stuck after %zu of %zu bytes", f.got, want);
    ck_assert_int_eq(memcmp(buf, data, want), 0);
    rt_future_drop(&f.base);
}
END_TEST

START_TEST(test_end_of_stream_before_the_end)
{
    char buf[16] = { 0 };
    ck_assert_int_eq(write(sv[1], "hello", 5), 5);
    close(sv[1]);
    sv[1] = -1;
    read_exact_fut f = read_exact(&r_, sv[0], buf, 12);
    ck_assert_msg(run(&r_, &f.base) == 0, "stuck: a closed peer is also readable (read gives 0)");
    ck_assert_int_eq(f.eof, 1);
    ck_assert_uint_eq(f.got, 5);
    ck_assert_int_eq(f.polls, 1);
    rt_future_drop(&f.base);
}
END_TEST

START_TEST(test_drop_while_waiting_leaves_nothing_in_the_reactor)
{
    char buf[16] = { 0 };
    read_exact_fut f = read_exact(&r_, sv[0], buf, 12);
    int woken = 0;
    rt_waker waker = { .vtable = &flag_vtable, .data = &woken };
    rt_context cx = { .waker = &waker };
    ck_assert_int_eq(rt_future_poll(&f.base, &cx), RT_PENDING);
    ck_assert_msg(!rt_waker_is_empty(&r_.wakers[sv[0]]), "pending, but no waker in the reactor");
    rt_future_drop(&f.base);
    ck_assert_msg(rt_waker_is_empty(&r_.wakers[sv[0]]) && !r_.registered[sv[0]],
                  "a dropped read_exact left its waker (and fd) in the reactor: the next event "
                  "on that fd would wake a future that no longer exists");
}
END_TEST

/* main: run the suite; exit 0 only if every check passed. */
int main(void)
{
    Suite *s = suite_create("lesson 05: the reactor");
    TCase *tc = tcase_create("read_exact, edge-triggered");
    tcase_set_timeout(tc, 20);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_whole_message_already_there_one_poll);
    tcase_add_test(tc, test_message_in_two_parts);
    tcase_add_test(tc, test_many_small_writes_lose_nothing);
    tcase_add_test(tc, test_end_of_stream_before_the_end);
    tcase_add_test(tc, test_drop_while_waiting_leaves_nothing_in_the_reactor);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
