/* test_notify.c: the coalescing eventfd wakeup -- readability, coalescing, and no lost wake under fire. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rt_notify.h"

/* readable: whether n's eventfd is readable right now (a zero-timeout poll). */
static int readable(const rt_notify *n)
{
    struct pollfd pfd = { .fd = n->fd, .events = POLLIN };
    int r = poll(&pfd, 1, 0);
    ck_assert_int_ge(r, 0);
    return r == 1 && (pfd.revents & POLLIN);
}

START_TEST(test_init_flags_and_close_twice)
{
    rt_notify n;
    ck_assert_int_eq(rt_notify_init(&n), 0);
    ck_assert_int_ge(n.fd, 0);
    ck_assert(fcntl(n.fd, F_GETFD) & FD_CLOEXEC);
    ck_assert(fcntl(n.fd, F_GETFL) & O_NONBLOCK);
    ck_assert_int_eq(atomic_load(&n.pending), 0);
    ck_assert_uint_eq(atomic_load(&n.sent), 0);
    ck_assert_uint_eq(atomic_load(&n.coalesced), 0);
    int fd = n.fd;
    rt_notify_close(&n);
    ck_assert_int_eq(n.fd, -1);
    ck_assert_int_eq(fcntl(fd, F_GETFD), -1); /* really closed */
    rt_notify_close(&n);                       /* and a second close is harmless */
}
END_TEST

START_TEST(test_signal_consume_cycle)
{
    rt_notify n;
    ck_assert_int_eq(rt_notify_init(&n), 0);
    ck_assert_int_eq(rt_notify_consume(&n), 0);
    ck_assert(!readable(&n));
    ck_assert_int_eq(rt_notify_signal(&n), 0);
    ck_assert(readable(&n));
    ck_assert_int_eq(rt_notify_consume(&n), 1);
    ck_assert(!readable(&n));
    ck_assert_int_eq(atomic_load(&n.pending), 0);
    ck_assert_int_eq(rt_notify_consume(&n), 0);
    /* The gate re-opened: the next signal writes again. */
    ck_assert_int_eq(rt_notify_signal(&n), 0);
    ck_assert(readable(&n));
    ck_assert_uint_eq(atomic_load(&n.sent), 2);
    ck_assert_uint_eq(atomic_load(&n.coalesced), 0);
    rt_notify_close(&n);
}
END_TEST

START_TEST(test_coalescing)
{
    rt_notify n;
    ck_assert_int_eq(rt_notify_init(&n), 0);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(rt_notify_signal(&n), 0);
    ck_assert_uint_eq(atomic_load(&n.sent), 1);
    ck_assert_uint_eq(atomic_load(&n.coalesced), 4);
    /* Exactly one write happened, so the eventfd counter is 1. */
    uint64_t v = 0;
    ck_assert_int_eq(read(n.fd, &v, sizeof v), (ssize_t)sizeof v);
    ck_assert_uint_eq(v, 1);
    /* The flag is still set (we read behind consume's back): consume reports the signal. */
    ck_assert_int_eq(rt_notify_consume(&n), 1);
    ck_assert_int_eq(rt_notify_signal(&n), 0);
    ck_assert_uint_eq(atomic_load(&n.sent), 2);
    rt_notify_close(&n);
}
END_TEST

START_TEST(test_failed_write_releases_claim)
{
    rt_notify n;
    ck_assert_int_eq(rt_notify_init(&n), 0);
    int fd = n.fd;
    n.fd = -1; /* a broken fd: the write fails */
    ck_assert_int_eq(rt_notify_signal(&n), -EBADF);
    /* The claim was given back, so a repaired notifier is not stuck coalescing forever. */
    ck_assert_int_eq(atomic_load(&n.pending), 0);
    n.fd = fd;
    ck_assert_int_eq(rt_notify_signal(&n), 0);
    ck_assert(readable(&n));
    rt_notify_close(&n);
}
END_TEST

/* The stress test: producers each publish "work" (a counter bump) and then signal; one
 * consumer sleeps in poll(2) on the eventfd, consumes, and reads the counter. */
/* The race window in a wrong consume is a few instructions wide, so the test gives it many
 * chances: several runs, and producers that yield now and then so the consumer wakes often. */
enum { PRODUCERS = 4, SIGNALS_EACH = 25000, RUNS = 8 };

typedef struct stress {
    rt_notify n;
    _Atomic long produced;
    _Atomic int producers_done;
    _Atomic int signal_errors;
    int lost;      /* the consumer found the fd silent after all signals, with work unseen */
    long seen;
} stress;

/* producer: publish one unit, then signal; relaxed on purpose, so that the only ordering
 * between the bump and the consumer's read is the one rt_notify itself provides. */
static void *producer(void *arg)
{
    stress *s = arg;
    for (int i = 0; i < SIGNALS_EACH; i++) {
        atomic_fetch_add_explicit(&s->produced, 1, memory_order_relaxed);
        if (rt_notify_signal(&s->n) != 0)
            atomic_fetch_add(&s->signal_errors, 1);
        if ((i & 63) == 0)
            sched_yield(); /* let the consumer run often: more consume/signal races per run */
    }
    return NULL;
}

/*
 * consumer: the loop shape every event loop has -- sleep on the fd, consume, look at the work.
 * Once all producers have returned (done is read BEFORE the poll), rt_notify's invariant says
 * that if the consumer has not yet seen all the work, the fd is readable right now: so a poll
 * that then sits 5 s with nothing is a lost wakeup, not slowness.
 */
static void *consumer(void *arg)
{
    stress *s = arg;
    struct pollfd pfd = { .fd = s->n.fd, .events = POLLIN };
    for (;;) {
        int done = atomic_load(&s->producers_done);
        int r = poll(&pfd, 1, done ? 5000 : 50);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            if (done) {
                s->lost = 1;
                return NULL;
            }
            continue;
        }
        if (rt_notify_consume(&s->n) < 0)
            return NULL;
        s->seen = atomic_load_explicit(&s->produced, memory_order_relaxed);
        if (s->seen == (long)PRODUCERS * SIGNALS_EACH)
            return NULL;
    }
}

START_TEST(test_no_lost_wakeup_under_contention)
{
    const long total = (long)PRODUCERS * SIGNALS_EACH;
    uint64_t writes = 0;
    for (int run = 0; run < RUNS; run++) {
        stress *s = calloc(1, sizeof *s);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(rt_notify_init(&s->n), 0);
        pthread_t c, p[PRODUCERS];
        ck_assert_int_eq(pthread_create(&c, NULL, consumer, s), 0);
        for (int i = 0; i < PRODUCERS; i++)
            ck_assert_int_eq(pthread_create(&p[i], NULL, producer, s), 0);
        for (int i = 0; i < PRODUCERS; i++)
            pthread_join(p[i], NULL);
        atomic_store(&s->producers_done, 1);
        pthread_join(c, NULL);
        ck_assert_int_eq(atomic_load(&s->signal_errors), 0);
        ck_assert_msg(!s->lost, "run %d: lost wakeup: consumer saw %ld of %ld units and the fd stayed silent",
                      run, s->seen, total);
        ck_assert_int_eq(s->seen, total);
        uint64_t sent = atomic_load(&s->n.sent), coalesced = atomic_load(&s->n.coalesced);
        ck_assert_uint_eq(sent + coalesced, (uint64_t)total);
        ck_assert_uint_ge(sent, 1);
        writes += sent;
        rt_notify_close(&s->n);
        free(s);
    }
    printf("notify stress: %d runs x %ld signals, %llu writes\n", RUNS, total, (unsigned long long)writes);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_init_flags_and_close_twice);
    tcase_add_test(tc, test_signal_consume_cycle);
    tcase_add_test(tc, test_coalescing);
    tcase_add_test(tc, test_failed_write_releases_claim);
    suite_add_tcase(s, tc);
    TCase *st = tcase_create("stress");
    tcase_set_timeout(st, 30);
    tcase_add_test(st, test_no_lost_wakeup_under_contention);
    suite_add_tcase(s, st);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
