/* test_as_sync.c: as channels (bounded/unbounded MPMC, close semantics), Mutex and Semaphore, under contention and cancellation. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as.h"
#include "rt_alloc.h"
#include "rt_testkit.h"

#define ITEM(n) ((void *)(uintptr_t)(n))
#define NUM(p) ((long)(uintptr_t)(p))

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
}

/* ---- channels ---------------------------------------------------------------------------- */

START_TEST(test_try_ops_and_close_semantics)
{
    as_sender tx;
    as_receiver rx;
    void *item;
    ck_assert_int_eq(as_channel_bounded(0, &tx, &rx), -EINVAL);
    ck_assert_int_eq(as_channel_bounded(2, &tx, &rx), 0);
    ck_assert_int_eq(as_try_recv(&rx, &item), -EAGAIN);
    ck_assert_int_eq(as_try_send(&tx, ITEM(1)), 0);
    ck_assert_int_eq(as_try_send(&tx, ITEM(2)), 0);
    ck_assert_int_eq(as_try_send(&tx, ITEM(3)), -EAGAIN); /* full */
    ck_assert_uint_eq(as_channel_len(&rx), 2);
    ck_assert_int_eq(as_sender_close(&tx), 1);
    ck_assert_int_eq(as_receiver_close(&rx), 0); /* already */
    ck_assert(as_channel_is_closed(&rx));
    ck_assert_int_eq(as_try_send(&tx, ITEM(4)), -EPIPE);
    ck_assert_int_eq(as_try_recv(&rx, &item), 0); /* still drains */
    ck_assert_int_eq(NUM(item), 1);
    ck_assert_int_eq(as_try_recv(&rx, &item), 0);
    ck_assert_int_eq(NUM(item), 2);
    ck_assert_int_eq(as_try_recv(&rx, &item), -EPIPE);
    as_sender_drop(&tx);
    as_sender_drop(&tx); /* emptied: a no-op */
    as_receiver_drop(&rx);
}
END_TEST

START_TEST(test_last_sender_or_receiver_closes)
{
    as_sender tx, tx2;
    as_receiver rx, rx2;
    void *item;
    ck_assert_int_eq(as_channel_unbounded(&tx, &rx), 0);
    tx2 = as_sender_clone(&tx);
    as_sender_drop(&tx);
    ck_assert(!as_channel_is_closed(&rx));
    ck_assert_int_eq(as_try_send(&tx2, ITEM(9)), 0);
    as_sender_drop(&tx2); /* the last sender: closed, but the message stays receivable */
    ck_assert(as_channel_is_closed(&rx));
    ck_assert_int_eq(as_try_recv(&rx, &item), 0);
    ck_assert_int_eq(as_try_recv(&rx, &item), -EPIPE);
    as_receiver_drop(&rx);

    ck_assert_int_eq(as_channel_unbounded(&tx, &rx), 0);
    rx2 = as_receiver_clone(&rx);
    as_receiver_drop(&rx);
    ck_assert_int_eq(as_try_send(&tx, ITEM(1)), 0);
    as_receiver_drop(&rx2); /* the last receiver: sends fail */
    ck_assert_int_eq(as_try_send(&tx, ITEM(2)), -EPIPE);
    as_sender_drop(&tx);
}
END_TEST

static _Atomic int dropped_items;

static void count_drop(void *item)
{
    free(item);
    atomic_fetch_add(&dropped_items, 1);
}

START_TEST(test_queued_messages_dropped_with_channel)
{
    as_sender tx;
    as_receiver rx;
    ck_assert_int_eq(as_channel_new(0, count_drop, &tx, &rx), 0);
    for (int i = 0; i < 100; i++) /* grows the unbounded ring several times */
        ck_assert_int_eq(as_try_send(&tx, malloc(16)), 0);
    void *item;
    ck_assert_int_eq(as_try_recv(&rx, &item), 0);
    free(item);
    as_receiver_drop(&rx);
    as_sender_drop(&tx);
    ck_assert_int_eq(atomic_load(&dropped_items), 99); /* and LeakSanitizer agrees */
}
END_TEST

START_TEST(test_unbounded_growth_out_of_memory)
{
    as_sender tx;
    as_receiver rx;
    ck_assert_int_eq(as_channel_unbounded(&tx, &rx), 0);
    for (int i = 0; i < 16; i++)
        ck_assert_int_eq(as_try_send(&tx, ITEM(i + 1)), 0);
    rt_alloc_fail_after(1);
    ck_assert_int_eq(as_try_send(&tx, ITEM(99)), -ENOMEM); /* the ring could not grow */
    rt_alloc_fail_after(0);
    ck_assert_int_eq(as_try_send(&tx, ITEM(17)), 0);
    ck_assert_uint_eq(as_channel_len(&rx), 17);
    as_sender_drop(&tx);
    as_receiver_drop(&rx);
}
END_TEST

/* producer: sends [base, base + n) then drops its sender. */
typedef struct producer {
    rt_future base;
    rt_async co;
    as_sender tx;
    long first, n, i;
    as_send_fut s;
} producer;

static rt_poll producer_poll(rt_future *f, rt_context *cx)
{
    producer *self = (producer *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < self->n; self->i++) {
        self->s = as_send(&self->tx, ITEM(self->first + self->i + 1));
        RT_AWAIT(&self->co, &self->s, cx);
        ck_assert_int_eq(self->s.err, 0);
    }
    as_sender_drop(&self->tx);
    RT_END(&self->co);
}

static void producer_drop(rt_future *f)
{
    producer *self = (producer *)f;
    rt_async_drop(&self->co);
    as_sender_drop(&self->tx);
}

static const rt_future_vtable producer_vtable = { producer_poll, producer_drop, "producer" };

/* consumer: receives until closed; sums what it got. */
typedef struct consumer {
    rt_future base;
    rt_async co;
    as_receiver rx;
    as_recv_fut r;
    long sum, count;
} consumer;

static rt_poll consumer_poll(rt_future *f, rt_context *cx)
{
    consumer *self = (consumer *)f;
    RT_BEGIN(&self->co);
    for (;;) {
        self->r = as_recv(&self->rx);
        RT_AWAIT(&self->co, &self->r, cx);
        if (self->r.err == -EPIPE)
            break;
        ck_assert_int_eq(self->r.err, 0);
        self->sum += NUM(self->r.item);
        self->count++;
    }
    as_receiver_drop(&self->rx);
    RT_END(&self->co);
}

static void consumer_drop(rt_future *f)
{
    consumer *self = (consumer *)f;
    rt_async_drop(&self->co);
    as_receiver_drop(&self->rx);
}

static const rt_future_vtable consumer_vtable = { consumer_poll, consumer_drop, "consumer" };

/* mpmc: P producers x N messages into a channel of capacity cap, C consumers. */
static void mpmc(size_t cap, int P, int C, long N)
{
    as_sender tx;
    as_receiver rx;
    ck_assert_int_eq(as_channel_new(cap, NULL, &tx, &rx), 0);
    as_task ts[16];
    for (int p = 0; p < P; p++) {
        producer pr = { .base = { &producer_vtable }, .tx = as_sender_clone(&tx),
                        .first = p * N, .n = N };
        ck_assert_int_eq(AS_SPAWN(pr, &ts[p]), 0);
    }
    for (int c = 0; c < C; c++) {
        consumer co = { .base = { &consumer_vtable }, .rx = as_receiver_clone(&rx) };
        ck_assert_int_eq(AS_SPAWN(co, &ts[P + c]), 0);
    }
    as_sender_drop(&tx);
    as_receiver_drop(&rx);
    join_all_tasks(ts, P + C);
    long total = P * N, sum = 0, count = 0;
    for (int c = 0; c < C; c++) {
        consumer *co = (consumer *)as_task_output(&ts[P + c]);
        sum += co->sum;
        count += co->count;
    }
    for (int i = 0; i < P + C; i++) {
        ck_assert_int_eq(as_task_outcome(&ts[i]), RT_OUTCOME_OK);
        as_task_detach(&ts[i]);
    }
    ck_assert_int_eq(count, total);           /* every message received once ... */
    ck_assert_int_eq(sum, total * (total + 1) / 2); /* ... and exactly those */
}

START_TEST(test_mpmc_bounded_1)
{
    mpmc(1, 4, 4, 5000);
}
END_TEST

START_TEST(test_mpmc_bounded_16)
{
    mpmc(16, 4, 3, 20000);
}
END_TEST

START_TEST(test_mpmc_unbounded)
{
    mpmc(0, 3, 4, 20000);
}
END_TEST

/* one_recv: a single receive, for cancellation tests. */
typedef struct one_recv {
    rt_future base;
    rt_async co;
    as_receiver rx;
    as_recv_fut r;
    _Atomic int *parked;
} one_recv;

static rt_poll one_recv_poll(rt_future *f, rt_context *cx)
{
    one_recv *self = (one_recv *)f;
    RT_BEGIN(&self->co);
    self->r = as_recv(&self->rx);
    if (rt_future_poll(&self->r.base, cx) == RT_PENDING) {
        atomic_fetch_add(self->parked, 1);
        RT_AWAIT(&self->co, &self->r, cx);
    }
    RT_END(&self->co);
}

static void one_recv_drop(rt_future *f)
{
    rt_async_drop(&((one_recv *)f)->co);
}

static const rt_future_vtable one_recv_vtable = { one_recv_poll, one_recv_drop, "one_recv" };

START_TEST(test_cancelled_receiver_does_not_swallow_a_message)
{
    /* Two receivers wait; the first is cancelled; the message must reach the second. */
    setenv("AS_THREAD_COUNT", "2", 1);
    as_sender tx;
    as_receiver rx;
    ck_assert_int_eq(as_channel_bounded(4, &tx, &rx), 0);
    _Atomic int parked = 0;
    as_task t1, t2;
    one_recv a = { .base = { &one_recv_vtable }, .rx = rx, .parked = &parked };
    ck_assert_int_eq(AS_SPAWN(a, &t1), 0);
    for (int i = 0; i < 5000 && atomic_load(&parked) < 1; i++)
        usleep(1000);
    ck_assert_int_eq(AS_SPAWN(a, &t2), 0);
    for (int i = 0; i < 5000 && atomic_load(&parked) < 2; i++)
        usleep(1000);
    ck_assert_int_eq(atomic_load(&parked), 2);
    as_task_cancel(&t1);
    join_all_tasks(&t1, 1);
    ck_assert_int_eq(as_task_outcome(&t1), RT_OUTCOME_CANCELLED);
    ck_assert_int_eq(as_try_send(&tx, ITEM(5)), 0);
    join_all_tasks(&t2, 1);
    ck_assert_int_eq(NUM(((one_recv *)as_task_output(&t2))->r.item), 5);
    as_task_detach(&t1);
    as_task_detach(&t2);
    as_sender_drop(&tx);
    as_receiver_drop(&rx);
}
END_TEST

START_TEST(test_send_future_failure_returns_item)
{
    as_sender tx;
    as_receiver rx;
    ck_assert_int_eq(as_channel_bounded(1, &tx, &rx), 0);
    as_receiver_drop(&rx);
    as_send_fut s = as_send(&tx, ITEM(42));
    as_block_on(&s.base);
    ck_assert_int_eq(s.err, -EPIPE);
    ck_assert_int_eq(NUM(s.item), 42); /* still ours */
    as_sender_drop(&tx);
}
END_TEST

/* ---- semaphore and mutex ----------------------------------------------------------------- */

/* guarded: acquire, check the concurrency bound, yield inside, release; `rounds` times. */
typedef struct guarded {
    rt_future base;
    rt_async co;
    as_semaphore *sem;
    as_mutex *mtx;
    int rounds, i, j;
    _Atomic int *inside, *max_inside;
    long *plain_counter; /* touched only under the mutex: TSan checks it really is exclusive */
    as_acquire_fut acq;
    as_lock_fut lk;
    as_yield_fut y;
} guarded;

static rt_poll guarded_poll(rt_future *f, rt_context *cx)
{
    guarded *self = (guarded *)f;
    RT_BEGIN(&self->co);
    for (self->i = 0; self->i < self->rounds; self->i++) {
        if (self->mtx) {
            self->lk = as_mutex_lock(self->mtx);
            RT_AWAIT(&self->co, &self->lk, cx);
        } else {
            self->acq = as_semaphore_acquire(self->sem);
            RT_AWAIT(&self->co, &self->acq, cx);
        }
        {
            int now = atomic_fetch_add(self->inside, 1) + 1;
            int seen = atomic_load(self->max_inside);
            while (now > seen && !atomic_compare_exchange_weak(self->max_inside, &seen, now))
                ;
        }
        if (self->plain_counter)
            (*self->plain_counter)++;
        for (self->j = 0; self->j < 2; self->j++) {
            self->y = as_yield_now(); /* hold it across awaits: the point of an async lock */
            RT_AWAIT(&self->co, &self->y, cx);
        }
        atomic_fetch_sub(self->inside, 1);
        if (self->mtx)
            ck_assert_int_eq(as_mutex_unlock(self->mtx), 0);
        else
            as_semaphore_release(self->sem);
    }
    RT_END(&self->co);
}

static const rt_future_vtable guarded_vtable = { guarded_poll, NULL, "guarded" };

START_TEST(test_semaphore_bounds_concurrency)
{
    enum { T = 16, ROUNDS = 300, PERMITS = 3 };
    as_semaphore sem;
    ck_assert_int_eq(as_semaphore_init(&sem, PERMITS), 0);
    _Atomic int inside = 0, max_inside = 0;
    as_task ts[T];
    for (int i = 0; i < T; i++) {
        guarded g = { .base = { &guarded_vtable }, .sem = &sem, .rounds = ROUNDS,
                      .inside = &inside, .max_inside = &max_inside };
        ck_assert_int_eq(AS_SPAWN(g, &ts[i]), 0);
    }
    join_all_tasks(ts, T);
    for (int i = 0; i < T; i++)
        as_task_detach(&ts[i]);
    ck_assert_int_le(atomic_load(&max_inside), PERMITS);
    ck_assert_int_ge(atomic_load(&max_inside), 1);
    ck_assert_uint_eq(as_semaphore_available(&sem), PERMITS);
    ck_assert_int_eq(as_semaphore_try_acquire(&sem), 0);
    as_semaphore_release(&sem);
    as_semaphore_destroy(&sem);
}
END_TEST

START_TEST(test_mutex_is_exclusive)
{
    enum { T = 12, ROUNDS = 500 };
    as_mutex m;
    ck_assert_int_eq(as_mutex_init(&m), 0);
    _Atomic int inside = 0, max_inside = 0;
    long counter = 0;
    as_task ts[T];
    for (int i = 0; i < T; i++) {
        guarded g = { .base = { &guarded_vtable }, .mtx = &m, .rounds = ROUNDS,
                      .inside = &inside, .max_inside = &max_inside, .plain_counter = &counter };
        ck_assert_int_eq(AS_SPAWN(g, &ts[i]), 0);
    }
    join_all_tasks(ts, T);
    for (int i = 0; i < T; i++)
        as_task_detach(&ts[i]);
    ck_assert_int_eq(atomic_load(&max_inside), 1);
    ck_assert_int_eq(counter, T * ROUNDS);
    ck_assert_int_eq(as_mutex_try_lock(&m), 0);
    ck_assert_int_eq(as_mutex_try_lock(&m), -EBUSY);
    ck_assert_int_eq(as_mutex_unlock(&m), 0);
    ck_assert_int_eq(as_mutex_unlock(&m), -EPERM); /* not locked */
    as_mutex_destroy(&m);
}
END_TEST

/* lock_waiter: waits for the mutex, signalling when it is parked. */
typedef struct lock_waiter {
    rt_future base;
    rt_async co;
    as_mutex *m;
    as_lock_fut lk;
    _Atomic int *parked;
} lock_waiter;

static rt_poll lock_waiter_poll(rt_future *f, rt_context *cx)
{
    lock_waiter *self = (lock_waiter *)f;
    RT_BEGIN(&self->co);
    self->lk = as_mutex_lock(self->m);
    if (rt_future_poll(&self->lk.base, cx) == RT_PENDING) {
        atomic_fetch_add(self->parked, 1);
        RT_AWAIT(&self->co, &self->lk, cx);
    }
    ck_assert_int_eq(as_mutex_unlock(self->m), 0);
    RT_END(&self->co);
}

static void lock_waiter_drop(rt_future *f)
{
    rt_async_drop(&((lock_waiter *)f)->co);
}

static const rt_future_vtable lock_waiter_vtable = { lock_waiter_poll, lock_waiter_drop,
                                                     "lock_waiter" };

START_TEST(test_cancelled_lock_waiter_passes_the_lock_on)
{
    /* Hold the lock; two waiters queue; hand the lock to the first by unlocking and cancel
     * it in the same breath; the second must still get the lock. Repeated to hit both
     * orders of "cancel before / after the hand-off". */
    for (int round = 0; round < 50; round++) {
        as_mutex m;
        ck_assert_int_eq(as_mutex_init(&m), 0);
        ck_assert_int_eq(as_mutex_try_lock(&m), 0);
        _Atomic int parked = 0;
        as_task t1, t2;
        lock_waiter w = { .base = { &lock_waiter_vtable }, .m = &m, .parked = &parked };
        ck_assert_int_eq(AS_SPAWN(w, &t1), 0);
        for (int i = 0; i < 5000 && atomic_load(&parked) < 1; i++)
            usleep(200);
        ck_assert_int_eq(AS_SPAWN(w, &t2), 0);
        for (int i = 0; i < 5000 && atomic_load(&parked) < 2; i++)
            usleep(200);
        ck_assert_int_eq(atomic_load(&parked), 2);
        if (round % 2)
            as_task_cancel(&t1);
        ck_assert_int_eq(as_mutex_unlock(&m), 0);
        if (round % 2 == 0)
            as_task_cancel(&t1);
        join_all_tasks(&t1, 1);
        join_all_tasks(&t2, 1);
        ck_assert_int_eq(as_task_outcome(&t2), RT_OUTCOME_OK);
        as_task_detach(&t1);
        as_task_detach(&t2);
        ck_assert_int_eq(as_mutex_try_lock(&m), 0); /* free again: nothing leaked a permit */
        ck_assert_int_eq(as_mutex_unlock(&m), 0);
        as_mutex_destroy(&m);
    }
}
END_TEST

static Suite *as_sync_suite(void)
{
    Suite *s = suite_create("as_sync");
    TCase *tc = tcase_create("sync");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_try_ops_and_close_semantics);
    tcase_add_test(tc, test_last_sender_or_receiver_closes);
    tcase_add_test(tc, test_queued_messages_dropped_with_channel);
    tcase_add_test(tc, test_unbounded_growth_out_of_memory);
    tcase_add_test(tc, test_mpmc_bounded_1);
    tcase_add_test(tc, test_mpmc_bounded_16);
    tcase_add_test(tc, test_mpmc_unbounded);
    tcase_add_test(tc, test_cancelled_receiver_does_not_swallow_a_message);
    tcase_add_test(tc, test_send_future_failure_returns_item);
    tcase_add_test(tc, test_semaphore_bounds_concurrency);
    tcase_add_test(tc, test_mutex_is_exclusive);
    tcase_add_test(tc, test_cancelled_lock_waiter_passes_the_lock_on);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_suite_run(as_sync_suite());
}
