/* test_parker.c: the futex parker: tokens, timed park, lost wake-ups, spurious wake-ups. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "rt_parker.h"

#define MS 1000000ull

/* now_ns: CLOCK_MONOTONIC, the clock the parker's timeouts are measured against. */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* sleep_ns: nanosleep for d nanoseconds, resuming after signals. */
static void sleep_ns(uint64_t d)
{
    struct timespec ts = { .tv_sec = (time_t)(d / 1000000000ull),
                           .tv_nsec = (long)(d % 1000000000ull) };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* A token set before park is consumed by it: park returns at once. */
START_TEST(test_unpark_before_park_returns_at_once)
{
    rt_parker p;
    rt_parker_init(&p);
    rt_parker_unpark(&p);
    rt_parker_park(&p); /* hangs (and the tcase times out) if the early token were lost */
    rt_parker_unpark(&p);
    ck_assert_int_eq(rt_parker_park_timeout(&p, 0), 1);
    ck_assert_int_eq(rt_parker_park_timeout(&p, 0), 0);
}
END_TEST

/* Two unparks leave one token: the second park times out. */
START_TEST(test_tokens_do_not_accumulate)
{
    rt_parker p;
    rt_parker_init(&p);
    rt_parker_unpark(&p);
    rt_parker_unpark(&p);
    rt_parker_park(&p);
    uint64_t t0 = now_ns();
    ck_assert_int_eq(rt_parker_park_timeout(&p, 10 * MS), 0);
    ck_assert_uint_ge(now_ns() - t0, 10 * MS);
}
END_TEST

/* A timed park with no unpark returns 0, never before its timeout. */
START_TEST(test_timed_park_times_out_not_early)
{
    rt_parker p;
    rt_parker_init(&p);
    for (int i = 0; i < 5; i++) {
        uint64_t t0 = now_ns();
        ck_assert_int_eq(rt_parker_park_timeout(&p, 20 * MS), 0);
        ck_assert_uint_ge(now_ns() - t0, 20 * MS);
    }
    /* A timeout must leave the parker usable: EMPTY again, not stuck in PARKED. */
    rt_parker_unpark(&p);
    ck_assert_int_eq(rt_parker_park_timeout(&p, 0), 1);
}
END_TEST

/* What the unparking thread hands over: a plain (non-atomic) payload published by unpark. */
struct handoff {
    rt_parker *p;
    uint64_t delay_ns;
    long payload;
};

/* unpark_later: sleep, write the payload with a plain store, then unpark the owner. */
static void *unpark_later(void *arg)
{
    struct handoff *h = arg;
    sleep_ns(h->delay_ns);
    h->payload = 4242; /* visible to the owner after park only through unpark's release */
    rt_parker_unpark(h->p);
    return NULL;
}

/* A timed park unparked midway returns 1 and sees the unparker's writes. */
START_TEST(test_timed_park_unparked_midway)
{
    rt_parker p;
    rt_parker_init(&p);
    struct handoff h = { .p = &p, .delay_ns = 20 * MS, .payload = 0 };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, unpark_later, &h), 0);
    /* 10 s is only a guard against hangs; the unpark comes after about 20 ms. */
    ck_assert_int_eq(rt_parker_park_timeout(&p, 10000 * MS), 1);
    ck_assert_int_eq(h.payload, 4242);
    pthread_join(t, NULL);
}
END_TEST

/* An untimed park is ended by another thread's unpark, payload visible. */
START_TEST(test_park_wakes_on_cross_thread_unpark)
{
    rt_parker p;
    rt_parker_init(&p);
    struct handoff h = { .p = &p, .delay_ns = 5 * MS, .payload = 0 };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, unpark_later, &h), 0);
    rt_parker_park(&p);
    ck_assert_int_eq(h.payload, 4242);
    pthread_join(t, NULL);
}
END_TEST

/*
 * Ping-pong: two threads, each with its own parker, take strict turns incrementing a plain
 * counter. A sends a token to B, then parks; B parks, increments, sends a token back. At most
 * one token is ever outstanding per parker, so every park must be answered by exactly one
 * unpark: a single lost wake-up leaves both threads asleep and the tcase times out. The
 * counter is not atomic on purpose: under ThreadSanitizer it also proves that unpark/park
 * order the plain memory accesses around them.
 *
 * The 1M-round run pins both threads to one CPU. Then every park really goes to sleep in the
 * kernel and every unpark really has to wake a sleeper (the partner cannot be running at the
 * same time), so all million rounds go through the futex path, with preemption supplying the
 * interleavings; it also avoids cross-CPU wake-ups, which cost tens of microseconds each on a
 * virtual machine. A second run on two CPUs adds truly parallel interleavings.
 */
struct pingpong {
    rt_parker pa, pb;
    long rounds;
    int polls;       /* > 0: try park_timeout(0) this many times before a real park */
    long counter;    /* plain: protected only by the parkers' happens-before */
    long bad_parity; /* turns that saw the counter out of step, written by each side */
    long bad_b;
};

/* take_turn: wait for this side's token: poll `polls` times without sleeping, then park. */
static void take_turn(rt_parker *p, int polls)
{
    for (int i = 0; i < polls; i++)
        if (rt_parker_park_timeout(p, 0))
            return;
    rt_parker_park(p);
}

/* pong_main: B's side: wait for A's token, check parity, increment, hand the turn back. */
static void *pong_main(void *arg)
{
    struct pingpong *pp = arg;
    for (long r = 0; r < pp->rounds; r++) {
        take_turn(&pp->pb, pp->polls);
        if (pp->counter != 2 * r + 1)
            pp->bad_b++;
        pp->counter++;
        rt_parker_unpark(&pp->pa);
    }
    return NULL;
}

/* ping_pong: run `rounds` strict turns between this thread and a new one; check the count. */
static void ping_pong(long rounds, int polls)
{
    static struct pingpong shared;
    struct pingpong *pp = &shared;
    pp->rounds = rounds;
    pp->polls = polls;
    pp->counter = pp->bad_parity = pp->bad_b = 0;
    rt_parker_init(&pp->pa);
    rt_parker_init(&pp->pb);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, pong_main, pp), 0);
    for (long r = 0; r < rounds; r++) {
        if (pp->counter != 2 * r)
            pp->bad_parity++;
        pp->counter++;
        rt_parker_unpark(&pp->pb);
        take_turn(&pp->pa, pp->polls);
    }
    pthread_join(t, NULL);
    ck_assert_int_eq(pp->counter, 2 * rounds);
    ck_assert_int_eq(pp->bad_parity, 0);
    ck_assert_int_eq(pp->bad_b, 0);
}

/* pin_to_one_cpu: restrict this thread (and threads it creates) to the first CPU it may use. */
static void pin_to_one_cpu(void)
{
    cpu_set_t allowed, one;
    ck_assert_int_eq(sched_getaffinity(0, sizeof allowed, &allowed), 0);
    CPU_ZERO(&one);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, &allowed)) {
            CPU_SET(cpu, &one);
            break;
        }
    }
    ck_assert_int_eq(pthread_setaffinity_np(pthread_self(), sizeof one, &one), 0);
}

/* 1M strict turns on one CPU end with the exact count: no lost wake-up, no turn taken twice. */
START_TEST(test_ping_pong_one_cpu)
{
    pin_to_one_cpu();
    ping_pong(1000000L, 0);
}
END_TEST

/*
 * Two CPUs, both sides polling briefly before they park: the partner is usually awake, so its
 * unpark tends to land right while this side is between "no token yet" and "asleep", the
 * window that a parker without an atomic check-and-announce would lose a wake-up in.
 */
START_TEST(test_ping_pong_racing)
{
    ping_pong(300000L, 20);
}
END_TEST

/*
 * Spurious wake-ups: a signal whose handler is installed without SA_RESTART makes FUTEX_WAIT
 * return EINTR. The parker must absorb those and keep sleeping until the real unpark.
 */
/* on_sigusr1: do nothing; the point is only to interrupt the futex wait. */
static void on_sigusr1(int sig)
{
    (void)sig;
}

struct sleeper {
    rt_parker p;
    uint64_t timeout_ns; /* 0: untimed park */
    _Atomic int returned;
    int result;
    uint64_t elapsed_ns;
};

/* sleeper_main: park (timed or not), then record the result and how long it took. */
static void *sleeper_main(void *arg)
{
    struct sleeper *s = arg;
    uint64_t t0 = now_ns();
    if (s->timeout_ns == 0) {
        rt_parker_park(&s->p);
        s->result = 1;
    } else {
        s->result = rt_parker_park_timeout(&s->p, s->timeout_ns);
    }
    s->elapsed_ns = now_ns() - t0;
    atomic_store(&s->returned, 1);
    return NULL;
}

/* install_sigusr1: a no-op SIGUSR1 handler without SA_RESTART, so sleeps see EINTR. */
static void install_sigusr1(void)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
}

/* EINTR from signals is absorbed: park returns only for the real unpark. */
START_TEST(test_signals_do_not_end_park)
{
    install_sigusr1();
    struct sleeper s = { .timeout_ns = 0 };
    rt_parker_init(&s.p);
    atomic_init(&s.returned, 0);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, sleeper_main, &s), 0);
    for (int i = 0; i < 20; i++) {
        sleep_ns(2 * MS);
        pthread_kill(t, SIGUSR1);
    }
    sleep_ns(5 * MS);
    int returned_early = atomic_load(&s.returned);
    ck_assert_int_eq(returned_early, 0); /* a spurious wake must not end park */
    rt_parker_unpark(&s.p);
    pthread_join(t, NULL);
    ck_assert_int_eq(s.result, 1);
}
END_TEST

/* EINTR from signals does not make a timed park return early. */
START_TEST(test_signals_do_not_shorten_timed_park)
{
    install_sigusr1();
    struct sleeper s = { .timeout_ns = 60 * MS };
    rt_parker_init(&s.p);
    atomic_init(&s.returned, 0);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, sleeper_main, &s), 0);
    for (int i = 0; i < 20 && !atomic_load(&s.returned); i++) {
        sleep_ns(2 * MS);
        pthread_kill(t, SIGUSR1);
    }
    pthread_join(t, NULL);
    ck_assert_int_eq(s.result, 0);
    ck_assert_uint_ge(s.elapsed_ns, 60 * MS);
}
END_TEST

/* main: the parker suite; non-zero exit when any test fails. */
int main(void)
{
    Suite *s = suite_create("parker");
    TCase *tc = tcase_create("tokens");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_unpark_before_park_returns_at_once);
    tcase_add_test(tc, test_tokens_do_not_accumulate);
    tcase_add_test(tc, test_timed_park_times_out_not_early);
    tcase_add_test(tc, test_timed_park_unparked_midway);
    tcase_add_test(tc, test_park_wakes_on_cross_thread_unpark);
    suite_add_tcase(s, tc);

    TCase *spur = tcase_create("spurious");
    tcase_set_timeout(spur, 10);
    tcase_add_test(spur, test_signals_do_not_end_park);
    tcase_add_test(spur, test_signals_do_not_shorten_timed_park);
    suite_add_tcase(s, spur);

    TCase *stress = tcase_create("stress");
    tcase_set_timeout(stress, 30);
    tcase_add_test(stress, test_ping_pong_one_cpu);
    tcase_add_test(stress, test_ping_pong_racing);
    suite_add_tcase(s, stress);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
