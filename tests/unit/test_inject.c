/* test_inject.c: the inject queue -- FIFO, batches, close, concurrent exactly-once stress. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "rt_alloc.h"
#include "rt_inject.h"
#include "rt_qnode.h"

typedef struct tnode {
    rt_qnode link;
    uint32_t producer;
    uint32_t seq;
} tnode;

/* tn: the test node a queue node belongs to. */
static tnode *tn(rt_qnode *n)
{
    return rt_container_of(n, tnode, link);
}

START_TEST(test_fifo_and_len)
{
    rt_inject q;
    tnode nodes[10];
    ck_assert_int_eq(rt_inject_init(&q), 0);
    ck_assert(rt_inject_is_empty(&q));
    ck_assert_ptr_null(rt_inject_pop(&q));
    for (uint32_t i = 0; i < 10; i++) {
        nodes[i].seq = i;
        ck_assert_int_eq(rt_inject_push(&q, &nodes[i].link), 0);
        ck_assert_uint_eq(rt_inject_len(&q), i + 1);
    }
    ck_assert(!rt_inject_is_empty(&q));
    for (uint32_t i = 0; i < 10; i++) {
        rt_qnode *n = rt_inject_pop(&q);
        ck_assert_ptr_nonnull(n);
        ck_assert_uint_eq(tn(n)->seq, i);
        ck_assert_ptr_null(n->next);
        ck_assert_uint_eq(rt_inject_len(&q), 9 - i);
    }
    ck_assert_ptr_null(rt_inject_pop(&q));
    /* Reusable after running empty: tail must have been reset. */
    ck_assert_int_eq(rt_inject_push(&q, &nodes[3].link), 0);
    ck_assert_ptr_eq(rt_inject_pop(&q), &nodes[3].link);
    ck_assert_ptr_null(rt_inject_pop(&q));
    rt_inject_destroy(&q);
}
END_TEST

START_TEST(test_batch_push)
{
    rt_inject q;
    tnode nodes[8];
    ck_assert_int_eq(rt_inject_init(&q), 0);
    for (uint32_t i = 0; i < 8; i++)
        nodes[i].seq = i;
    ck_assert_int_eq(rt_inject_push(&q, &nodes[0].link), 0);
    /* A chain 1..5 whose last link points somewhere bogus: the queue must overwrite it. */
    for (int i = 1; i < 5; i++)
        nodes[i].link.next = &nodes[i + 1].link;
    nodes[5].link.next = &nodes[0].link;
    ck_assert_int_eq(rt_inject_push_batch(&q, &nodes[1].link, &nodes[5].link, 5), 0);
    ck_assert_uint_eq(rt_inject_len(&q), 6);
    ck_assert_int_eq(rt_inject_push(&q, &nodes[6].link), 0);
    ck_assert_int_eq(rt_inject_push_batch(&q, NULL, NULL, 0), 0);
    ck_assert_uint_eq(rt_inject_len(&q), 7);
    /* A batch into an empty queue, too. */
    for (uint32_t i = 0; i < 7; i++) {
        rt_qnode *n = rt_inject_pop(&q);
        ck_assert_ptr_nonnull(n);
        ck_assert_uint_eq(tn(n)->seq, i);
    }
    ck_assert_ptr_null(rt_inject_pop(&q));
    nodes[6].link.next = &nodes[7].link;
    ck_assert_int_eq(rt_inject_push_batch(&q, &nodes[6].link, &nodes[7].link, 2), 0);
    ck_assert_ptr_eq(rt_inject_pop(&q), &nodes[6].link);
    ck_assert_ptr_eq(rt_inject_pop(&q), &nodes[7].link);
    ck_assert_ptr_null(rt_inject_pop(&q));
    ck_assert_uint_eq(rt_inject_len(&q), 0);
    rt_inject_destroy(&q);
}
END_TEST

START_TEST(test_close)
{
    rt_inject q;
    tnode nodes[6];
    ck_assert_int_eq(rt_inject_init(&q), 0);
    ck_assert(!rt_inject_is_closed(&q));
    for (uint32_t i = 0; i < 3; i++) {
        nodes[i].seq = i;
        ck_assert_int_eq(rt_inject_push(&q, &nodes[i].link), 0);
    }
    rt_inject_close(&q);
    ck_assert(rt_inject_is_closed(&q));
    rt_inject_close(&q); /* idempotent */
    ck_assert(rt_inject_is_closed(&q));
    /* Refused pushes leave the queue untouched and the nodes with the caller. */
    ck_assert_int_eq(rt_inject_push(&q, &nodes[3].link), -1);
    nodes[4].link.next = &nodes[5].link;
    nodes[5].link.next = &nodes[0].link;
    ck_assert_int_eq(rt_inject_push_batch(&q, &nodes[4].link, &nodes[5].link, 2), -1);
    ck_assert_ptr_eq(nodes[4].link.next, &nodes[5].link);
    ck_assert_ptr_null(nodes[5].link.next); /* handed back NULL-terminated */
    ck_assert_uint_eq(rt_inject_len(&q), 3);
    /* Pops still drain what was queued before the close. */
    for (uint32_t i = 0; i < 3; i++) {
        rt_qnode *n = rt_inject_pop(&q);
        ck_assert_ptr_nonnull(n);
        ck_assert_uint_eq(tn(n)->seq, i);
    }
    ck_assert_ptr_null(rt_inject_pop(&q));
    ck_assert_int_eq(rt_inject_push(&q, &nodes[3].link), -1);
    rt_inject_destroy(&q);
}
END_TEST

/* ---- concurrent stress: producers push singles and batches, consumers pop; exactly once ---- */

#define INJ_PER_PRODUCER 500000u /* the same in every build: TSan takes about a second */
#define INJ_PRODUCERS 2u
#define INJ_CONSUMERS 2u
#define INJ_TOTAL (INJ_PRODUCERS * INJ_PER_PRODUCER)

typedef struct inj_stress {
    rt_inject q;
    tnode *nodes;               /* producer p owns nodes[p * PER .. (p + 1) * PER) */
    _Atomic unsigned char *seen;
    _Atomic size_t consumed;
    _Atomic size_t errors;      /* duplicates and order violations, checked by the main thread */
} inj_stress;

typedef struct inj_arg {
    inj_stress *st;
    uint32_t id;
} inj_arg;

/* inj_producer: push this producer's nodes in order, alternating singles and small batches. */
static void *inj_producer(void *argp)
{
    inj_arg *arg = argp;
    inj_stress *st = arg->st;
    tnode *mine = st->nodes + (size_t)arg->id * INJ_PER_PRODUCER;
    uint32_t i = 0, round = 0;
    while (i < INJ_PER_PRODUCER) {
        uint32_t k = 1 + round++ % 8;
        if (k > INJ_PER_PRODUCER - i)
            k = INJ_PER_PRODUCER - i;
        int rc;
        if (k == 1) {
            rc = rt_inject_push(&st->q, &mine[i].link);
        } else {
            for (uint32_t j = 0; j + 1 < k; j++)
                mine[i + j].link.next = &mine[i + j + 1].link;
            rc = rt_inject_push_batch(&st->q, &mine[i].link, &mine[i + k - 1].link, k);
        }
        if (rc != 0)
            atomic_fetch_add(&st->errors, 1);
        i += k;
    }
    return NULL;
}

/* inj_consumer: pop until everything is consumed; count each node and check per-producer order. */
static void *inj_consumer(void *argp)
{
    inj_arg *arg = argp;
    inj_stress *st = arg->st;
    int64_t last[INJ_PRODUCERS];
    for (uint32_t p = 0; p < INJ_PRODUCERS; p++)
        last[p] = -1;
    while (atomic_load_explicit(&st->consumed, memory_order_relaxed) < INJ_TOTAL) {
        rt_qnode *n = rt_inject_pop(&st->q);
        if (n == NULL) {
            sched_yield(); /* two cores, four threads: let a producer run */
            continue;
        }
        tnode *t = tn(n);
        size_t idx = (size_t)(t - st->nodes);
        if (atomic_fetch_add_explicit(&st->seen[idx], 1, memory_order_relaxed) != 0)
            atomic_fetch_add(&st->errors, 1);
        /* A FIFO hands each producer's nodes to any one consumer in increasing order. */
        if ((int64_t)t->seq <= last[t->producer])
            atomic_fetch_add(&st->errors, 1);
        last[t->producer] = t->seq;
        atomic_fetch_add_explicit(&st->consumed, 1, memory_order_relaxed);
    }
    return NULL;
}

START_TEST(test_concurrent_exactly_once)
{
    inj_stress st;
    ck_assert_int_eq(rt_inject_init(&st.q), 0);
    st.nodes = rt_calloc(INJ_TOTAL, sizeof *st.nodes);
    st.seen = rt_calloc(INJ_TOTAL, sizeof *st.seen);
    ck_assert_ptr_nonnull(st.nodes);
    ck_assert_ptr_nonnull(st.seen);
    atomic_init(&st.consumed, 0);
    atomic_init(&st.errors, 0);
    for (uint32_t p = 0; p < INJ_PRODUCERS; p++)
        for (uint32_t i = 0; i < INJ_PER_PRODUCER; i++) {
            st.nodes[(size_t)p * INJ_PER_PRODUCER + i].producer = p;
            st.nodes[(size_t)p * INJ_PER_PRODUCER + i].seq = i;
        }

    pthread_t th[INJ_PRODUCERS + INJ_CONSUMERS];
    inj_arg args[INJ_PRODUCERS + INJ_CONSUMERS];
    for (uint32_t i = 0; i < INJ_PRODUCERS + INJ_CONSUMERS; i++) {
        args[i].st = &st;
        args[i].id = i < INJ_PRODUCERS ? i : i - INJ_PRODUCERS;
        ck_assert_int_eq(pthread_create(&th[i], NULL,
                                        i < INJ_PRODUCERS ? inj_producer : inj_consumer,
                                        &args[i]), 0);
    }
    for (uint32_t i = 0; i < INJ_PRODUCERS + INJ_CONSUMERS; i++)
        pthread_join(th[i], NULL);

    size_t errors = atomic_load(&st.errors);
    ck_assert_uint_eq(errors, 0);
    size_t consumed = atomic_load(&st.consumed);
    ck_assert_uint_eq(consumed, INJ_TOTAL);
    for (size_t i = 0; i < INJ_TOTAL; i++)
        if (atomic_load_explicit(&st.seen[i], memory_order_relaxed) != 1)
            ck_abort_msg("node %zu seen %u times", i, (unsigned)atomic_load(&st.seen[i]));
    ck_assert(rt_inject_is_empty(&st.q));
    ck_assert_ptr_null(rt_inject_pop(&st.q));
    rt_inject_destroy(&st.q);
    rt_free(st.nodes);
    rt_free((void *)st.seen);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("inject");
    TCase *tc = tcase_create("basic");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_fifo_and_len);
    tcase_add_test(tc, test_batch_push);
    tcase_add_test(tc, test_close);
    suite_add_tcase(s, tc);
    TCase *stress = tcase_create("stress");
    tcase_set_timeout(stress, 30);
    tcase_add_test(stress, test_concurrent_exactly_once);
    suite_add_tcase(s, stress);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
