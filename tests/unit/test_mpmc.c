/* test_mpmc.c: bounded and unbounded MPMC -- FIFO, full/empty, ENOMEM, steal-half, stress. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "rt_alloc.h"
#include "rt_mpmc.h"

/* Items are pointers into this array, so they are never NULL and carry their own index. */
static int slots[4096];

/* item: the i-th test item. */
static void *item(size_t i)
{
    return &slots[i];
}

/* idx: the index of a test item. */
static size_t idx(void *p)
{
    return (size_t)((int *)p - slots);
}

/* ---- bounded ---- */

START_TEST(test_bounded_rounding)
{
    static const size_t asked[] = {1, 2, 3, 5, 8, 9, 1000, 1024};
    static const size_t got[] = {2, 2, 4, 8, 8, 16, 1024, 1024};
    for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
        rt_mpmc_bounded q;
        ck_assert_int_eq(rt_mpmc_bounded_init(&q, asked[i]), 0);
        ck_assert_uint_eq(rt_mpmc_bounded_capacity(&q), got[i]);
        /* The rounded capacity is the real one: exactly that many pushes fit. */
        for (size_t k = 0; k < got[i]; k++)
            ck_assert_int_eq(rt_mpmc_bounded_push(&q, item(k)), 0);
        ck_assert_int_eq(rt_mpmc_bounded_push(&q, item(0)), -1);
        rt_mpmc_bounded_destroy(&q);
    }
    rt_mpmc_bounded q;
    ck_assert_int_eq(rt_mpmc_bounded_init(&q, 0), -EINVAL);
    ck_assert_int_eq(rt_mpmc_bounded_init(&q, SIZE_MAX), -ENOMEM);
    rt_alloc_fail_after(1);
    ck_assert_int_eq(rt_mpmc_bounded_init(&q, 16), -ENOMEM);
    rt_alloc_fail_after(0);
}
END_TEST

START_TEST(test_bounded_fifo_full_empty)
{
    rt_mpmc_bounded q;
    ck_assert_int_eq(rt_mpmc_bounded_init(&q, 8), 0);
    ck_assert_ptr_null(rt_mpmc_bounded_pop(&q));
    ck_assert_uint_eq(rt_mpmc_bounded_len(&q), 0);
    ck_assert_int_eq(rt_mpmc_bounded_push(&q, NULL), -EINVAL);
    for (size_t i = 0; i < 8; i++) {
        ck_assert_int_eq(rt_mpmc_bounded_push(&q, item(i)), 0);
        ck_assert_uint_eq(rt_mpmc_bounded_len(&q), i + 1);
    }
    ck_assert_int_eq(rt_mpmc_bounded_push(&q, item(99)), -1);
    ck_assert_uint_eq(rt_mpmc_bounded_len(&q), 8);
    for (size_t i = 0; i < 8; i++)
        ck_assert_uint_eq(idx(rt_mpmc_bounded_pop(&q)), i);
    ck_assert_ptr_null(rt_mpmc_bounded_pop(&q));
    /* Many laps of interleaved pushes and pops keep the order and the stamps right. */
    size_t next_in = 100, next_out = 100;
    for (size_t round = 0; round < 1000; round++) {
        size_t k = 1 + round % 8;
        for (size_t i = 0; i < k; i++)
            ck_assert_int_eq(rt_mpmc_bounded_push(&q, item(next_in++ % 4096)), 0);
        if (k == 8)
            ck_assert_int_eq(rt_mpmc_bounded_push(&q, item(0)), -1);
        ck_assert_uint_eq(rt_mpmc_bounded_len(&q), k);
        for (size_t i = 0; i < k; i++)
            ck_assert_uint_eq(idx(rt_mpmc_bounded_pop(&q)), next_out++ % 4096);
        ck_assert_ptr_null(rt_mpmc_bounded_pop(&q));
    }
    rt_mpmc_bounded_destroy(&q);
}
END_TEST

START_TEST(test_bounded_steal_half)
{
    rt_mpmc_bounded src, dst;
    ck_assert_int_eq(rt_mpmc_bounded_init(&src, 16), 0);
    ck_assert_int_eq(rt_mpmc_bounded_init(&dst, 8), 0);
    ck_assert_uint_eq(rt_mpmc_bounded_steal_half_into(&src, &dst), 0); /* empty src */
    for (size_t i = 0; i < 7; i++)
        ck_assert_int_eq(rt_mpmc_bounded_push(&src, item(i)), 0);
    ck_assert_uint_eq(rt_mpmc_bounded_steal_half_into(&src, &dst), 4); /* ceil(7/2) */
    ck_assert_uint_eq(rt_mpmc_bounded_len(&src), 3);
    ck_assert_uint_eq(rt_mpmc_bounded_len(&dst), 4);
    ck_assert_uint_eq(rt_mpmc_bounded_steal_half_into(&src, &src), 0);
    /* Room-limited: dst has 4 + 2 = 6 of 8, src 3 + 10 = 13 -> ceil(13/2) = 7, capped at 2. */
    ck_assert_int_eq(rt_mpmc_bounded_push(&dst, item(100)), 0);
    ck_assert_int_eq(rt_mpmc_bounded_push(&dst, item(101)), 0);
    for (size_t i = 7; i < 17; i++)
        ck_assert_int_eq(rt_mpmc_bounded_push(&src, item(i)), 0);
    ck_assert_uint_eq(rt_mpmc_bounded_steal_half_into(&src, &dst), 2);
    ck_assert_uint_eq(rt_mpmc_bounded_len(&dst), 8);
    ck_assert_uint_eq(rt_mpmc_bounded_steal_half_into(&src, &dst), 0); /* dst full */
    /* Order: dst holds 0..3, 100, 101, then 4, 5; src keeps 6..16. */
    static const size_t want_dst[] = {0, 1, 2, 3, 100, 101, 4, 5};
    for (size_t i = 0; i < 8; i++)
        ck_assert_uint_eq(idx(rt_mpmc_bounded_pop(&dst)), want_dst[i]);
    for (size_t i = 6; i < 17; i++)
        ck_assert_uint_eq(idx(rt_mpmc_bounded_pop(&src)), i);
    ck_assert_ptr_null(rt_mpmc_bounded_pop(&src));
    ck_assert_ptr_null(rt_mpmc_bounded_pop(&dst));
    rt_mpmc_bounded_destroy(&src);
    rt_mpmc_bounded_destroy(&dst);
}
END_TEST

/* ---- unbounded ---- */

START_TEST(test_unbounded_fifo_and_len)
{
    rt_mpmc q;
    ck_assert_int_eq(rt_mpmc_init(&q), 0);
    ck_assert_ptr_null(rt_mpmc_pop(&q));
    ck_assert_uint_eq(rt_mpmc_len(&q), 0);
    ck_assert_int_eq(rt_mpmc_push(&q, NULL), -EINVAL);
    /* Enough to span many blocks; len must skip the block ends exactly. */
    for (size_t i = 0; i < 1000; i++) {
        ck_assert_int_eq(rt_mpmc_push(&q, item(i)), 0);
        ck_assert_uint_eq(rt_mpmc_len(&q), i + 1);
    }
    for (size_t i = 0; i < 1000; i++) {
        ck_assert_uint_eq(idx(rt_mpmc_pop(&q)), i);
        ck_assert_uint_eq(rt_mpmc_len(&q), 999 - i);
    }
    ck_assert_ptr_null(rt_mpmc_pop(&q));
    /* Interleaved, so head and tail share blocks and cross block ends together. */
    size_t in = 0, out = 0;
    for (size_t round = 0; round < 500; round++) {
        for (size_t i = 0; i < 1 + round % 45; i++)
            ck_assert_int_eq(rt_mpmc_push(&q, item(in++ % 4096)), 0);
        ck_assert_uint_eq(rt_mpmc_len(&q), in - out);
        for (size_t i = 0; i < 1 + round % 37 && out < in; i++)
            ck_assert_uint_eq(idx(rt_mpmc_pop(&q)), out++ % 4096);
        ck_assert_uint_eq(rt_mpmc_len(&q), in - out);
    }
    /* Leave items in it: destroy frees every block (ASan's leak check watches this). */
    ck_assert_uint_gt(in - out, RT_MPMC_BLOCK_SLOTS);
    rt_mpmc_destroy(&q);
    /* A queue that never allocated destroys fine too. */
    ck_assert_int_eq(rt_mpmc_init(&q), 0);
    rt_mpmc_destroy(&q);
}
END_TEST

START_TEST(test_unbounded_enomem_loses_nothing)
{
    rt_mpmc q;
    ck_assert_int_eq(rt_mpmc_init(&q), 0);
    long before = rt_alloc_injected_failures();
    /* The first push allocates the first block. */
    rt_alloc_fail_after(1);
    ck_assert_int_eq(rt_mpmc_push(&q, item(0)), -ENOMEM);
    ck_assert_uint_eq(rt_mpmc_len(&q), 0);
    ck_assert_ptr_null(rt_mpmc_pop(&q));
    /* Fill to the last slot of the block: that push must allocate the next block first. */
    for (size_t i = 0; i < RT_MPMC_BLOCK_SLOTS - 1; i++)
        ck_assert_int_eq(rt_mpmc_push(&q, item(i)), 0);
    rt_alloc_fail_after(1);
    ck_assert_int_eq(rt_mpmc_push(&q, item(RT_MPMC_BLOCK_SLOTS - 1)), -ENOMEM);
    ck_assert_uint_eq(rt_mpmc_len(&q), RT_MPMC_BLOCK_SLOTS - 1);
    ck_assert_int_eq(rt_mpmc_push(&q, item(RT_MPMC_BLOCK_SLOTS - 1)), 0);
    ck_assert_int_eq(rt_mpmc_push(&q, item(RT_MPMC_BLOCK_SLOTS)), 0);
    for (size_t i = 0; i <= RT_MPMC_BLOCK_SLOTS; i++)
        ck_assert_uint_eq(idx(rt_mpmc_pop(&q)), i);
    ck_assert_ptr_null(rt_mpmc_pop(&q));
    ck_assert_int_eq(rt_alloc_injected_failures(), before + 2);

    /* Failures sprinkled over a long run: every refused item is retried, order is intact. */
    size_t in = 0, out = 0, refused = 0;
    for (size_t round = 0; round < 2000; round++) {
        rt_alloc_fail_after(1 + round % 3);
        for (size_t i = 0; i < 3; i++) {
            int rc;
            while ((rc = rt_mpmc_push(&q, item(in % 4096))) == -ENOMEM)
                refused++;
            ck_assert_int_eq(rc, 0);
            in++;
        }
        if (round % 2 == 0)
            ck_assert_uint_eq(idx(rt_mpmc_pop(&q)), out++ % 4096);
    }
    rt_alloc_fail_after(0);
    ck_assert_uint_gt(refused, 0);
    ck_assert_uint_eq(rt_mpmc_len(&q), in - out);
    while (out < in)
        ck_assert_uint_eq(idx(rt_mpmc_pop(&q)), out++ % 4096);
    ck_assert_ptr_null(rt_mpmc_pop(&q));
    rt_mpmc_destroy(&q);
}
END_TEST

START_TEST(test_unbounded_steal_half)
{
    rt_mpmc src;
    rt_mpmc_bounded dst;
    ck_assert_int_eq(rt_mpmc_init(&src), 0);
    ck_assert_int_eq(rt_mpmc_bounded_init(&dst, 64), 0);
    ck_assert_uint_eq(rt_mpmc_steal_half_into(&src, &dst), 0);
    for (size_t i = 0; i < 9; i++)
        ck_assert_int_eq(rt_mpmc_push(&src, item(i)), 0);
    ck_assert_uint_eq(rt_mpmc_steal_half_into(&src, &dst), 5);
    ck_assert_uint_eq(rt_mpmc_len(&src), 4);
    ck_assert_uint_eq(rt_mpmc_bounded_len(&dst), 5);
    /* 4 + 200 = 204 in src: ceil(204/2) = 102, capped by dst's room of 59. */
    for (size_t i = 9; i < 209; i++)
        ck_assert_int_eq(rt_mpmc_push(&src, item(i)), 0);
    ck_assert_uint_eq(rt_mpmc_steal_half_into(&src, &dst), 59);
    ck_assert_uint_eq(rt_mpmc_bounded_len(&dst), 64);
    ck_assert_uint_eq(rt_mpmc_len(&src), 204 - 59);
    for (size_t i = 0; i < 64; i++)
        ck_assert_uint_eq(idx(rt_mpmc_bounded_pop(&dst)), i);
    for (size_t i = 64; i < 209; i++)
        ck_assert_uint_eq(idx(rt_mpmc_pop(&src)), i);
    ck_assert_ptr_null(rt_mpmc_pop(&src));
    rt_mpmc_destroy(&src);
    rt_mpmc_bounded_destroy(&dst);
}
END_TEST

/* ---- concurrent stress: 4 producers x 4 consumers; exactly once, per-producer FIFO ---- */

#define MQ_PER_PRODUCER 500000u /* 2M items per queue, in every build, TSan included */
#define MQ_PRODUCERS 4u
#define MQ_CONSUMERS 4u
#define MQ_TOTAL (MQ_PRODUCERS * MQ_PER_PRODUCER)

typedef struct mq_item {
    uint32_t producer;
    uint32_t seq;
} mq_item;

typedef struct mq_stress {
    int bounded;                 /* which queue this run uses */
    rt_mpmc_bounded bq;
    rt_mpmc uq;
    mq_item *items;              /* producer p owns items[p * PER .. (p + 1) * PER) */
    _Atomic unsigned char *seen;
    _Atomic size_t consumed;
    _Atomic size_t errors;
} mq_stress;

typedef struct mq_arg {
    mq_stress *st;
    uint32_t id;
} mq_arg;

/* mq_producer: push this producer's items in sequence order, retrying while the queue is full. */
static void *mq_producer(void *argp)
{
    mq_arg *arg = argp;
    mq_stress *st = arg->st;
    mq_item *mine = st->items + (size_t)arg->id * MQ_PER_PRODUCER;
    for (uint32_t i = 0; i < MQ_PER_PRODUCER; i++) {
        int rc;
        if (st->bounded) {
            while ((rc = rt_mpmc_bounded_push(&st->bq, &mine[i])) == -1)
                sched_yield();
        } else {
            rc = rt_mpmc_push(&st->uq, &mine[i]);
        }
        if (rc != 0)
            atomic_fetch_add(&st->errors, 1);
    }
    return NULL;
}

/* mq_consumer: pop until all items are consumed; check exactly-once and per-producer order. */
static void *mq_consumer(void *argp)
{
    mq_stress *st = ((mq_arg *)argp)->st;
    int64_t last[MQ_PRODUCERS];
    for (uint32_t p = 0; p < MQ_PRODUCERS; p++)
        last[p] = -1;
    while (atomic_load_explicit(&st->consumed, memory_order_relaxed) < MQ_TOTAL) {
        mq_item *it = st->bounded ? rt_mpmc_bounded_pop(&st->bq) : rt_mpmc_pop(&st->uq);
        if (it == NULL) {
            sched_yield();
            continue;
        }
        size_t i = (size_t)(it - st->items);
        if (i >= MQ_TOTAL || atomic_fetch_add_explicit(&st->seen[i], 1, memory_order_relaxed) != 0)
            atomic_fetch_add(&st->errors, 1);
        /* One consumer's pops are ordered, so each producer's items reach it in order. */
        if ((int64_t)it->seq <= last[it->producer])
            atomic_fetch_add(&st->errors, 1);
        last[it->producer] = it->seq;
        atomic_fetch_add_explicit(&st->consumed, 1, memory_order_relaxed);
    }
    return NULL;
}

/* mq_run_stress: run the 4x4 stress on the bounded (cap 64) or the unbounded queue. */
static void mq_run_stress(int bounded)
{
    mq_stress *st = rt_calloc(1, sizeof *st);
    ck_assert_ptr_nonnull(st);
    st->bounded = bounded;
    st->items = rt_calloc(MQ_TOTAL, sizeof *st->items);
    st->seen = rt_calloc(MQ_TOTAL, sizeof *st->seen);
    ck_assert_ptr_nonnull(st->items);
    ck_assert_ptr_nonnull(st->seen);
    for (uint32_t p = 0; p < MQ_PRODUCERS; p++)
        for (uint32_t i = 0; i < MQ_PER_PRODUCER; i++)
            st->items[(size_t)p * MQ_PER_PRODUCER + i] = (mq_item){p, i};
    /* A small ring keeps producers hitting "full" and consumers hitting "empty". */
    if (bounded)
        ck_assert_int_eq(rt_mpmc_bounded_init(&st->bq, 64), 0);
    else
        ck_assert_int_eq(rt_mpmc_init(&st->uq), 0);

    pthread_t th[MQ_PRODUCERS + MQ_CONSUMERS];
    mq_arg args[MQ_PRODUCERS + MQ_CONSUMERS];
    for (uint32_t i = 0; i < MQ_PRODUCERS + MQ_CONSUMERS; i++) {
        args[i].st = st;
        args[i].id = i < MQ_PRODUCERS ? i : i - MQ_PRODUCERS;
        ck_assert_int_eq(pthread_create(&th[i], NULL,
                                        i < MQ_PRODUCERS ? mq_producer : mq_consumer, &args[i]),
                         0);
    }
    for (uint32_t i = 0; i < MQ_PRODUCERS + MQ_CONSUMERS; i++)
        pthread_join(th[i], NULL);

    size_t errors = atomic_load(&st->errors);
    ck_assert_uint_eq(errors, 0);
    size_t consumed = atomic_load(&st->consumed);
    ck_assert_uint_eq(consumed, MQ_TOTAL);
    for (size_t i = 0; i < MQ_TOTAL; i++)
        if (atomic_load_explicit(&st->seen[i], memory_order_relaxed) != 1)
            ck_abort_msg("item %zu seen %u times", i, (unsigned)atomic_load(&st->seen[i]));
    if (bounded) {
        ck_assert_ptr_null(rt_mpmc_bounded_pop(&st->bq));
        ck_assert_uint_eq(rt_mpmc_bounded_len(&st->bq), 0);
        rt_mpmc_bounded_destroy(&st->bq);
    } else {
        ck_assert_ptr_null(rt_mpmc_pop(&st->uq));
        ck_assert_uint_eq(rt_mpmc_len(&st->uq), 0);
        rt_mpmc_destroy(&st->uq);
    }
    rt_free(st->items);
    rt_free((void *)st->seen);
    rt_free(st);
}

START_TEST(test_bounded_stress)
{
    mq_run_stress(1);
}
END_TEST

START_TEST(test_unbounded_stress)
{
    mq_run_stress(0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mpmc");
    TCase *tc = tcase_create("basic");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_bounded_rounding);
    tcase_add_test(tc, test_bounded_fifo_full_empty);
    tcase_add_test(tc, test_bounded_steal_half);
    tcase_add_test(tc, test_unbounded_fifo_and_len);
    tcase_add_test(tc, test_unbounded_enomem_loses_nothing);
    tcase_add_test(tc, test_unbounded_steal_half);
    suite_add_tcase(s, tc);
    TCase *stress = tcase_create("stress");
    tcase_set_timeout(stress, 30);
    tcase_add_test(stress, test_bounded_stress);
    tcase_add_test(stress, test_unbounded_stress);
    suite_add_tcase(s, stress);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
