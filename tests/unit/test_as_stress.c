/* test_as_stress.c: cross-thread wake storms, timer wake bursts, spawn storms from foreign threads, task ping-pong. */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "as.h"
#include "rt_testkit.h"

/*
 * The executor's promise under load: every wake is delivered (a task woken N times by other
 * threads gets to run after each), none is lost when it races a worker going to sleep, and the
 * sleepers list wakes workers one at a time without ever leaving work unclaimed. A lost wake
 * shows up as a hang, which Check's timeout reports.
 */

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

static void join_all_tasks(as_task *ts, int n)
{
    joiner j = { .base = { &joiner_vtable }, .ts = ts, .n = n };
    as_block_on(&j.base);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(as_task_outcome(&ts[i]), RT_OUTCOME_OK);
        as_task_detach(&ts[i]);
    }
}

/* ---- wake storm from plain threads ------------------------------------------------------- */

enum { STORM_TASKS = 64, STORM_WAKES = 1500, STORM_THREADS = 4 };

typedef struct slot {
    pthread_mutex_t lock;
    rt_waker waker;          /* the parked task's waker, or empty */
    _Atomic long tokens;     /* wakes delivered to this slot */
} slot;

static slot slots[STORM_TASKS];
static _Atomic int storm_done;

/* storm_task: wait until `want` tokens arrived, parking its waker in the slot each time. */
typedef struct storm_task {
    rt_future base;
    int idx;
    long seen, want, polls;
} storm_task;

static rt_poll storm_poll(rt_future *f, rt_context *cx)
{
    storm_task *t = (storm_task *)f;
    slot *s = &slots[t->idx];
    t->polls++;
    for (;;) {
        long now = atomic_load(&s->tokens);
        if (now >= t->want) {
            atomic_fetch_add(&storm_done, 1);
            return RT_READY;
        }
        if (now > t->seen) {
            t->seen = now;
            continue;
        }
        pthread_mutex_lock(&s->lock);
        rt_waker_replace(&s->waker, cx->waker);
        pthread_mutex_unlock(&s->lock);
        /* A token that arrived before the waker was stored found no waker: look again. */
        if (atomic_load(&s->tokens) == now)
            return RT_PENDING;
    }
}

static const rt_future_vtable storm_vtable = { storm_poll, NULL, "storm" };

/* waker_thread: deliver tokens to random slots until every task is done. */
static void *waker_thread(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    while (atomic_load(&storm_done) < STORM_TASKS) {
        slot *s = &slots[rand_r(&seed) % STORM_TASKS];
        pthread_mutex_lock(&s->lock);
        atomic_fetch_add(&s->tokens, 1);
        rt_waker w = s->waker;
        s->waker = RT_WAKER_EMPTY;
        pthread_mutex_unlock(&s->lock);
        rt_waker_wake(&w);
    }
    return NULL;
}

START_TEST(test_cross_thread_wake_storm)
{
    static as_task ts[STORM_TASKS];
    for (int i = 0; i < STORM_TASKS; i++) {
        pthread_mutex_init(&slots[i].lock, NULL);
        slots[i].waker = RT_WAKER_EMPTY;
        storm_task t = { .base = { &storm_vtable }, .idx = i, .want = STORM_WAKES };
        ck_assert_int_eq(AS_SPAWN(t, &ts[i]), 0);
    }
    pthread_t th[STORM_THREADS];
    for (int i = 0; i < STORM_THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, waker_thread, (void *)(uintptr_t)(i + 1)), 0);
    for (int i = 0; i < STORM_THREADS; i++)
        pthread_join(th[i], NULL);
    long polls = 0;
    joiner j = { .base = { &joiner_vtable }, .ts = ts, .n = STORM_TASKS };
    as_block_on(&j.base);
    for (int i = 0; i < STORM_TASKS; i++) {
        polls += ((storm_task *)as_task_output(&ts[i]))->polls;
        as_task_detach(&ts[i]);
        pthread_mutex_lock(&slots[i].lock);
        rt_waker_drop(&slots[i].waker);
        pthread_mutex_unlock(&slots[i].lock);
    }
    ck_assert_int_eq(atomic_load(&storm_done), STORM_TASKS);
    ck_assert_int_ge(polls, STORM_TASKS); /* and (coalesced) wakes led to polls */
    rt_runtime_metrics m;
    ck_assert_int_eq(as_metrics(&m), 0);
    ck_assert_uint_gt(m.per_worker[0].remote_schedules, 0); /* they came from outside */
}
END_TEST

/* ---- a burst of timer wakes: thousands of tasks due at the same millisecond -------------- */

typedef struct due_task {
    rt_future base;
    rt_async co;
    uint64_t when;
    as_sleep_fut s;
    _Atomic long *woke;
} due_task;

static rt_poll due_poll(rt_future *f, rt_context *cx)
{
    due_task *self = (due_task *)f;
    RT_BEGIN(&self->co);
    self->s = as_sleep_until(self->when);
    RT_AWAIT(&self->co, &self->s, cx);
    atomic_fetch_add(self->woke, 1);
    RT_END(&self->co);
}

static const rt_future_vtable due_vtable = { due_poll, NULL, "due" };

START_TEST(test_timer_wake_burst)
{
    enum { N = 20000 };
    static as_task ts[N];
    _Atomic long woke = 0;
    uint64_t when = as_now_ns() + 200 * 1000000ull;
    for (int i = 0; i < N; i++) {
        due_task d = { .base = { &due_vtable }, .when = when, .woke = &woke };
        ck_assert_int_eq(AS_SPAWN(d, &ts[i]), 0);
    }
    join_all_tasks(ts, N);
    ck_assert_int_eq(atomic_load(&woke), N);
    ck_assert_uint_ge(as_now_ns(), when);
    ck_assert_uint_eq(as_timer_count(), 0);
}
END_TEST

/* ---- spawn storms from threads that are not the runtime's ------------------------------- */

typedef struct inc_fut {
    rt_future base;
    _Atomic long *counter;
} inc_fut;

static rt_poll inc_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    atomic_fetch_add(((inc_fut *)f)->counter, 1);
    return RT_READY;
}

static const rt_future_vtable inc_vtable = { inc_poll, NULL, "inc" };

enum { SPAWNERS = 4, PER_SPAWNER = 25000 };
static _Atomic long spawned_count;

static void *spawner_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER_SPAWNER; i++) {
        inc_fut f = { .base = { &inc_vtable }, .counter = &spawned_count };
        as_task t;
        if (AS_SPAWN(f, &t) != 0)
            abort();
        as_task_detach(&t);
        if (i % 1000 == 0)
            usleep(100); /* let workers fall asleep now and then: wakes race their parking */
    }
    return NULL;
}

START_TEST(test_spawn_storm_from_foreign_threads)
{
    pthread_t th[SPAWNERS];
    for (int i = 0; i < SPAWNERS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, spawner_thread, NULL), 0);
    for (int i = 0; i < SPAWNERS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 20000 && atomic_load(&spawned_count) < SPAWNERS * PER_SPAWNER; i++)
        usleep(1000);
    ck_assert_int_eq(atomic_load(&spawned_count), SPAWNERS * PER_SPAWNER);
}
END_TEST

/* ---- task ping-pong over bounded channels of one ---------------------------------------- */

typedef struct ponger {
    rt_future base;
    rt_async co;
    as_sender tx;
    as_receiver rx;
    int rounds, i, serve;
    as_send_fut s;
    as_recv_fut r;
} ponger;

static rt_poll ponger_poll(rt_future *f, rt_context *cx)
{
    ponger *self = (ponger *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < self->rounds; self->i++) {
        if (self->serve) {
            self->s = as_send(&self->tx, (void *)(uintptr_t)(self->i + 1));
            RT_AWAIT(&self->co, &self->s, cx);
            ck_assert_int_eq(self->s.err, 0);
        }
        self->r = as_recv(&self->rx);
        RT_AWAIT(&self->co, &self->r, cx);
        ck_assert_int_eq(self->r.err, 0);
        ck_assert_int_eq((int)(uintptr_t)self->r.item, self->i + 1);
        if (!self->serve) {
            self->s = as_send(&self->tx, self->r.item);
            RT_AWAIT(&self->co, &self->s, cx);
            ck_assert_int_eq(self->s.err, 0);
        }
    }
    as_sender_drop(&self->tx);
    as_receiver_drop(&self->rx);
    RT_END(&self->co);
}

static const rt_future_vtable ponger_vtable = { ponger_poll, NULL, "ponger" };

START_TEST(test_task_ping_pong)
{
    enum { PAIRS = 200, ROUNDS = 100 };
    static as_task ts[2 * PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        as_sender ab_tx, ba_tx;
        as_receiver ab_rx, ba_rx;
        ck_assert_int_eq(as_channel_bounded(1, &ab_tx, &ab_rx), 0);
        ck_assert_int_eq(as_channel_bounded(1, &ba_tx, &ba_rx), 0);
        ponger a = { .base = { &ponger_vtable }, .tx = ab_tx, .rx = ba_rx, .rounds = ROUNDS, .serve = 1 };
        ponger b = { .base = { &ponger_vtable }, .tx = ba_tx, .rx = ab_rx, .rounds = ROUNDS };
        ck_assert_int_eq(AS_SPAWN(a, &ts[2 * i]), 0);
        ck_assert_int_eq(AS_SPAWN(b, &ts[2 * i + 1]), 0);
    }
    join_all_tasks(ts, 2 * PAIRS);
}
END_TEST

static Suite *as_stress_suite(void)
{
    Suite *s = suite_create("as_stress");
    TCase *tc = tcase_create("stress");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_cross_thread_wake_storm);
    tcase_add_test(tc, test_timer_wake_burst);
    tcase_add_test(tc, test_spawn_storm_from_foreign_threads);
    tcase_add_test(tc, test_task_ping_pong);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_suite_run(as_stress_suite());
}
