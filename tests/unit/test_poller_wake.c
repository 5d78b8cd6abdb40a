/* test_poller_wake.c: rt_poller_notify on every backend x mode -- prompt cross-thread wake, early notify, no lost wake under 4 notifiers. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt_poller.h"

enum { NCOMBOS = 9, GUARD_MS = 5000, WATCHDOG_TOKEN = 0xD06 };

static char label[64];

/* mode_name: for messages. */
static const char *mode_name(rt_poll_mode m)
{
    return m == RT_MODE_LEVEL ? "level" : m == RT_MODE_EDGE ? "edge" : "oneshot";
}

/* open_combo: a poller for loop index i, or NULL (skipped) when the combination is unsupported. */
static rt_poller *open_combo(int i)
{
    rt_poller_backend b = (rt_poller_backend)(i / 3);
    rt_poll_mode m = (rt_poll_mode)(i % 3);
    snprintf(label, sizeof label, "%s/%s", rt_poller_backend_name(b), mode_name(m));
    rt_poller *p = rt_poller_new(b, m);
    if (p != NULL)
        return p;
    int err = errno;
    if (b == RT_POLLER_POLL && m == RT_MODE_EDGE && err == ENOTSUP)
        return NULL;
    if (b == RT_POLLER_URING && (err == ENOSYS || (err == ENOTSUP && m == RT_MODE_EDGE))) {
        printf("SKIP %s: %s on this kernel\n", label, strerror(err));
        return NULL;
    }
    ck_abort_msg("%s: rt_poller_new failed: %s", label, strerror(err));
    return NULL;
}

/* now_ns: CLOCK_MONOTONIC in nanoseconds. */
static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The watchdog turns "wait(-1) hangs" into a clean failure. It first joins the threads it was
 * given (so its clock starts when the last notify has been sent), then sleeps in GUARD_MS
 * slices; a slice in which *progress (if given) did not move makes it set `fired` and write to
 * a pipe registered in the poller, so the stuck wait returns and the test reports the lost
 * wake instead of being killed by Check's timeout.
 */
typedef struct watchdog {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    _Atomic int fired;
    int pipe[2];
    pthread_t *join;
    int njoin;
    _Atomic long *progress;
} watchdog;

/* watchdog_main: join the given threads, then sleep slice by slice until stopped or stalled. */
static void *watchdog_main(void *arg)
{
    watchdog *w = arg;
    for (int k = 0; k < w->njoin; k++)
        pthread_join(w->join[k], NULL);
    long last = w->progress ? atomic_load(w->progress) : 0;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        struct timespec dl;
        clock_gettime(CLOCK_MONOTONIC, &dl);
        dl.tv_sec += GUARD_MS / 1000;
        while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &dl) != ETIMEDOUT)
            ;
        if (w->stop)
            break;
        long now = w->progress ? atomic_load(w->progress) : 0;
        if (w->progress == NULL || now == last) {
            atomic_store(&w->fired, 1);
            ssize_t wr = write(w->pipe[1], "w", 1);
            (void)wr; /* a full pipe is still readable, which is all that matters */
            break;
        }
        last = now;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* watchdog_start: register the watchdog's pipe in p and start its thread. */
static void watchdog_start(watchdog *w, rt_poller *p, pthread_t *join, int njoin, _Atomic long *progress)
{
    memset(w, 0, sizeof *w);
    w->join = join;
    w->njoin = njoin;
    w->progress = progress;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    ck_assert_int_eq(pipe2(w->pipe, O_NONBLOCK | O_CLOEXEC), 0);
    ck_assert_int_eq(rt_poller_add(p, w->pipe[0], RT_READABLE, WATCHDOG_TOKEN), 0);
    ck_assert_int_eq(pthread_create(&w->thread, NULL, watchdog_main, w), 0);
}

/* watchdog_stop: stop and join it; returns whether it fired. */
static int watchdog_stop(watchdog *w, rt_poller *p)
{
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    ck_assert_int_eq(rt_poller_del(p, w->pipe[0]), 0);
    close(w->pipe[0]), close(w->pipe[1]);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    return atomic_load(&w->fired);
}

/* check_events: nothing but the watchdog may be reported here; never the notify token. */
static void check_events(const rt_poll_event *ev, int n)
{
    ck_assert_msg(n >= 0, "%s: wait failed: %s", label, strerror(-n));
    for (int k = 0; k < n; k++)
        ck_assert_msg(ev[k].token == WATCHDOG_TOKEN, "%s: unexpected token %llu", label,
                      (unsigned long long)ev[k].token);
}

typedef struct waker {
    rt_poller *p;
    _Atomic int sent;
} waker;

/* late_notifier: give the main thread time to block, then notify once. */
static void *late_notifier(void *arg)
{
    waker *k = arg;
    struct timespec d = { .tv_nsec = 20 * 1000 * 1000 };
    nanosleep(&d, NULL);
    atomic_store(&k->sent, 1);
    if (rt_poller_notify(k->p) != 0)
        atomic_store(&k->sent, 2);
    return NULL;
}

START_TEST(test_notify_wakes_blocked_wait)
{
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    watchdog w;
    watchdog_start(&w, p, NULL, 0, NULL);
    waker k = { .p = p };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, late_notifier, &k), 0);
    rt_poll_event ev[8];
    int n = rt_poller_wait(p, ev, 8, -1);
    int fired = watchdog_stop(&w, p);
    pthread_join(t, NULL);
    ck_assert_msg(!fired, "%s: wait(-1) not woken by a notify within %d ms", label, GUARD_MS);
    check_events(ev, n);
    ck_assert_int_eq(n, 0); /* the notify itself is swallowed */
    ck_assert_int_eq(atomic_load(&k.sent), 1);
    rt_poller_free(p);
}
END_TEST

START_TEST(test_notify_before_wait)
{
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    watchdog w;
    watchdog_start(&w, p, NULL, 0, NULL);
    ck_assert_int_eq(rt_poller_notify(p), 0);
    ck_assert_int_eq(rt_poller_notify(p), 0); /* coalesces onto the first */
    uint64_t sent, coalesced;
    rt_poller_notify_stats(p, &sent, &coalesced);
    ck_assert_uint_eq(sent, 1);
    ck_assert_uint_eq(coalesced, 1);
    rt_poll_event ev[8];
    int n = rt_poller_wait(p, ev, 8, -1);
    ck_assert_msg(!atomic_load(&w.fired), "%s: an early notify did not make wait(-1) return", label);
    check_events(ev, n);
    ck_assert_int_eq(n, 0);
    /* The wake was drained: a timed wait now runs its full course (never earlier). */
    int64_t t0 = now_ns();
    n = rt_poller_wait(p, ev, 8, 40);
    int64_t took_ms = (now_ns() - t0) / 1000000;
    check_events(ev, n);
    ck_assert_msg(n == 0 && took_ms >= 39, "%s: wait(40) returned %d after %lld ms", label, n,
                  (long long)took_ms);
    /* And the gate is open again: the next notify writes. */
    ck_assert_int_eq(rt_poller_notify(p), 0);
    rt_poller_notify_stats(p, &sent, NULL);
    ck_assert_uint_eq(sent, 2);
    n = rt_poller_wait(p, ev, 8, -1);
    ck_assert(!watchdog_stop(&w, p));
    check_events(ev, n);
    rt_poller_free(p);
}
END_TEST

/* Ping-pong: each round needs a fresh wake (in ONESHOT, the notify fd must be re-armed each
 * time). The main thread waits for round r; the helper announces r and notifies. */
typedef struct pingpong {
    rt_poller *p;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int acked;
    _Atomic int announced;
    _Atomic long progress;  /* rounds completed, for the watchdog */
} pingpong;

enum { ROUNDS = 300 };

/* pong: announce round r, notify, wait for the main thread to acknowledge r. */
static void *pong(void *arg)
{
    pingpong *pp = arg;
    for (int r = 1; r <= ROUNDS; r++) {
        atomic_store(&pp->announced, r);
        rt_poller_notify(pp->p);
        pthread_mutex_lock(&pp->mu);
        while (pp->acked < r)
            pthread_cond_wait(&pp->cv, &pp->mu);
        pthread_mutex_unlock(&pp->mu);
    }
    return NULL;
}

START_TEST(test_notify_rounds)
{
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    pingpong pp = { .p = p };
    pthread_mutex_init(&pp.mu, NULL);
    pthread_cond_init(&pp.cv, NULL);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, pong, &pp), 0);
    watchdog w;
    watchdog_start(&w, p, NULL, 0, &pp.progress); /* fires after GUARD_MS without a round */
    rt_poll_event ev[8];
    int r = 1;
    for (; r <= ROUNDS && !atomic_load(&w.fired); r++) {
        while (atomic_load(&pp.announced) < r && !atomic_load(&w.fired))
            check_events(ev, rt_poller_wait(p, ev, 8, -1));
        pthread_mutex_lock(&pp.mu);
        pp.acked = r;
        pthread_cond_signal(&pp.cv);
        pthread_mutex_unlock(&pp.mu);
        atomic_store(&pp.progress, r);
    }
    /* If the watchdog fired, the helper may be blocked on an ack: release it before joining. */
    pthread_mutex_lock(&pp.mu);
    pp.acked = ROUNDS;
    pthread_cond_signal(&pp.cv);
    pthread_mutex_unlock(&pp.mu);
    pthread_join(t, NULL);
    int fired = watchdog_stop(&w, p);
    ck_assert_msg(!fired, "%s: round %d never woke the loop", label, r);
    pthread_cond_destroy(&pp.cv);
    pthread_mutex_destroy(&pp.mu);
    rt_poller_free(p);
}
END_TEST

/* Stress: 4 threads x N notifies, each after publishing a unit of "work"; the loop waits with
 * wait(-1) and checks the work after each return. Once the last notify is out, the loop must
 * be woken until it has seen everything: the watchdog (armed only after the notifiers have
 * exited) reports a loop stuck in wait(-1) with work unseen, i.e. a lost wake. */
enum { NOTIFIERS = 4, NOTIFIES_EACH = 100000 };

typedef struct storm {
    rt_poller *p;
    _Atomic long produced;
    _Atomic int errors;
} storm;

/* notifier: publish, then notify, NOTIFIES_EACH times. */
static void *notifier(void *arg)
{
    storm *s = arg;
    for (int i = 0; i < NOTIFIES_EACH; i++) {
        atomic_fetch_add_explicit(&s->produced, 1, memory_order_relaxed);
        if (rt_poller_notify(s->p) != 0)
            atomic_fetch_add(&s->errors, 1);
    }
    return NULL;
}

START_TEST(test_notify_storm_never_loses_final_wake)
{
    rt_poller *p = open_combo(_i);
    if (p == NULL)
        return;
    storm s = { .p = p };
    pthread_t t[NOTIFIERS];
    for (int k = 0; k < NOTIFIERS; k++)
        ck_assert_int_eq(pthread_create(&t[k], NULL, notifier, &s), 0);
    watchdog w;
    watchdog_start(&w, p, t, NOTIFIERS, NULL);
    const long total = (long)NOTIFIERS * NOTIFIES_EACH;
    long seen = 0;
    long wakes = 0;
    while (!atomic_load(&w.fired)) {
        seen = atomic_load_explicit(&s.produced, memory_order_relaxed);
        if (seen == total)
            break;
        rt_poll_event ev[8];
        check_events(ev, rt_poller_wait(p, ev, 8, -1));
        wakes++;
    }
    int fired = watchdog_stop(&w, p);
    ck_assert_msg(!fired, "%s: lost wake: loop saw %ld of %ld units, then slept %d ms", label,
                  seen, total, GUARD_MS);
    ck_assert_int_eq(atomic_load(&s.errors), 0);
    uint64_t sent, coalesced;
    rt_poller_notify_stats(p, &sent, &coalesced);
    ck_assert_uint_eq(sent + coalesced, (uint64_t)total);
    printf("%s: %ld notifies, %llu writes, %llu coalesced, %ld wakes\n", label, total,
           (unsigned long long)sent, (unsigned long long)coalesced, wakes);
    rt_poller_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("poller_wake");
    TCase *tc = tcase_create("notify");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_notify_wakes_blocked_wait, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_notify_before_wait, 0, NCOMBOS);
    tcase_add_loop_test(tc, test_notify_rounds, 0, NCOMBOS);
    suite_add_tcase(s, tc);
    TCase *st = tcase_create("storm");
    tcase_set_timeout(st, 60);
    tcase_add_loop_test(st, test_notify_storm_never_loses_final_wake, 0, NCOMBOS);
    suite_add_tcase(s, st);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
