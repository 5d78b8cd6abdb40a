/* test_local_queue.c: the stealing ring -- FIFO, overflow-half, steal-half, 10M-op stress. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt_alloc.h"
#include "rt_inject.h"
#include "rt_local_queue.h"
#include "rt_qnode.h"

#define CAP RT_LOCAL_QUEUE_CAPACITY
#define HALF (RT_LOCAL_QUEUE_CAPACITY / 2)

typedef struct tnode {
    rt_qnode link;
    size_t id;
} tnode;

static tnode nodes[3 * CAP];

/* setup_nodes: number the static test nodes 0..3*CAP-1 before each test. */
static void setup_nodes(void)
{
    for (size_t i = 0; i < 3 * CAP; i++) {
        nodes[i].id = i;
        nodes[i].link.next = NULL;
    }
}

/* id_of: the id of the test node behind a queue node. */
static size_t id_of(rt_qnode *n)
{
    return rt_container_of(n, tnode, link)->id;
}

/* push_ok: push node i, asserting nothing was rejected. */
static void push_ok(rt_local_queue *q, size_t i, rt_inject *inj)
{
    rt_qnode *rej = &nodes[0].link;
    ck_assert_uint_eq(rt_local_queue_push_back(q, &nodes[i].link, inj, &rej), 0);
    ck_assert_ptr_null(rej);
}

/* expect_pops: pop ids from..to-1 from q in order, then expect it empty. */
static void expect_pops(rt_local_queue *q, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        rt_qnode *n = rt_local_queue_pop(q);
        ck_assert_ptr_nonnull(n);
        ck_assert_uint_eq(id_of(n), i);
    }
    ck_assert_ptr_null(rt_local_queue_pop(q));
}

/* forge_head: set head to (steal, real) -- the documented layout -- to stage an open steal. */
static void forge_head(rt_local_queue *q, uint32_t steal, uint32_t real)
{
    atomic_store(&q->head, ((uint64_t)steal << 32) | real);
}

START_TEST(test_fifo)
{
    rt_local_queue q;
    rt_inject inj;
    setup_nodes();
    rt_local_queue_init(&q);
    ck_assert_int_eq(rt_inject_init(&inj), 0);
    ck_assert(rt_local_queue_is_empty(&q));
    ck_assert_ptr_null(rt_local_queue_pop(&q));
    for (size_t i = 0; i < 10; i++)
        push_ok(&q, i, &inj);
    ck_assert_uint_eq(rt_local_queue_len(&q), 10);
    ck_assert_uint_eq(rt_local_queue_remaining_slots(&q), CAP - 10);
    ck_assert(!rt_local_queue_has_steal_in_progress(&q));
    expect_pops(&q, 0, 10);
    ck_assert_uint_eq(rt_local_queue_len(&q), 0);
    ck_assert_uint_eq(rt_local_queue_remaining_slots(&q), CAP);
    ck_assert_uint_eq(rt_inject_len(&inj), 0);
    rt_inject_destroy(&inj);
}
END_TEST

START_TEST(test_capacity_and_wrap)
{
    rt_local_queue q;
    rt_inject inj;
    setup_nodes();
    rt_local_queue_init(&q);
    ck_assert_int_eq(rt_inject_init(&inj), 0);
    for (size_t i = 0; i < CAP; i++)
        push_ok(&q, i, &inj);
    ck_assert_uint_eq(rt_local_queue_len(&q), CAP);
    ck_assert_uint_eq(rt_local_queue_remaining_slots(&q), 0);
    ck_assert_uint_eq(rt_inject_len(&inj), 0); /* exactly full: nothing spilled */
    /* Free 100 slots and refill them: positions now wrap around the buffer. */
    for (size_t i = 0; i < 100; i++)
        ck_assert_uint_eq(id_of(rt_local_queue_pop(&q)), i);
    for (size_t i = CAP; i < CAP + 100; i++)
        push_ok(&q, i, &inj);
    ck_assert_uint_eq(rt_inject_len(&inj), 0);
    expect_pops(&q, 100, CAP + 100);
    rt_inject_destroy(&inj);
}
END_TEST

START_TEST(test_u32_index_wrap)
{
    rt_local_queue q;
    rt_inject inj;
    setup_nodes();
    rt_local_queue_init(&q);
    ck_assert_int_eq(rt_inject_init(&inj), 0);
    /* Start an empty ring just below 2^32 so every path crosses the u32 wrap. */
    uint32_t start = UINT32_MAX - 40;
    forge_head(&q, start, start);
    atomic_store(&q.tail, start);
    for (size_t i = 0; i <= CAP; i++) /* one past full: overflow-half across the wrap */
        push_ok(&q, i, &inj);
    ck_assert_uint_eq(rt_inject_len(&inj), HALF + 1);
    ck_assert_uint_eq(rt_local_queue_len(&q), HALF);
    rt_local_queue dst;
    rt_local_queue_init(&dst);
    size_t stolen = 0;
    rt_qnode *got = rt_local_queue_steal_into(&q, &dst, &stolen);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(stolen, HALF / 2);
    ck_assert_uint_eq(id_of(got), HALF);
    expect_pops(&dst, HALF + 1, HALF + HALF / 2);
    expect_pops(&q, HALF + HALF / 2, CAP);
    for (size_t i = 0; i < HALF; i++)
        ck_assert_uint_eq(id_of(rt_inject_pop(&inj)), i);
    ck_assert_uint_eq(id_of(rt_inject_pop(&inj)), CAP);
    rt_inject_destroy(&inj);
}
END_TEST

START_TEST(test_overflow_half)
{
    rt_local_queue q;
    rt_inject inj;
    setup_nodes();
    rt_local_queue_init(&q);
    ck_assert_int_eq(rt_inject_init(&inj), 0);
    for (size_t i = 0; i < CAP; i++)
        push_ok(&q, i, &inj);
    push_ok(&q, CAP, &inj); /* the 257th */
    /* The 128 oldest and then the new node moved out in one batch, in FIFO order. */
    ck_assert_uint_eq(rt_inject_len(&inj), HALF + 1);
    ck_assert_uint_eq(rt_local_queue_len(&q), HALF);
    ck_assert_uint_eq(rt_local_queue_remaining_slots(&q), CAP - HALF);
    for (size_t i = 0; i < HALF; i++) {
        rt_qnode *n = rt_inject_pop(&inj);
        ck_assert_ptr_nonnull(n);
        ck_assert_uint_eq(id_of(n), i);
    }
    rt_qnode *last = rt_inject_pop(&inj);
    ck_assert_ptr_nonnull(last);
    ck_assert_uint_eq(id_of(last), CAP);
    ck_assert_ptr_null(rt_inject_pop(&inj));
    expect_pops(&q, HALF, CAP);
    rt_inject_destroy(&inj);
}
END_TEST

START_TEST(test_overflow_into_closed_inject)
{
    rt_local_queue q;
    rt_inject inj;
    setup_nodes();
    rt_local_queue_init(&q);
    ck_assert_int_eq(rt_inject_init(&inj), 0);
    for (size_t i = 0; i < CAP; i++)
        push_ok(&q, i, &inj);
    rt_inject_close(&inj);
    rt_qnode *rej = NULL;
    ck_assert_uint_eq(rt_local_queue_push_back(&q, &nodes[CAP].link, &inj, &rej), HALF + 1);
    /* The rejected chain: 0..127 then the new node, NULL-terminated; nothing lost. */
    size_t count = 0;
    for (rt_qnode *n = rej; n != NULL; n = n->next, count++)
        ck_assert_uint_eq(id_of(n), count < HALF ? count : CAP);
    ck_assert_uint_eq(count, HALF + 1);
    ck_assert_uint_eq(rt_inject_len(&inj), 0);
    expect_pops(&q, HALF, CAP);
    rt_inject_destroy(&inj);
}
END_TEST

START_TEST(test_full_during_steal_spills_one)
{
    rt_local_queue q;
    rt_inject inj;
    setup_nodes();
    rt_local_queue_init(&q);
    ck_assert_int_eq(rt_inject_init(&inj), 0);
    for (size_t i = 0; i < CAP; i++)
        push_ok(&q, i, &inj);
    /* Stage a stealer that has claimed [0, 128) and is still copying. */
    forge_head(&q, 0, HALF);
    ck_assert(rt_local_queue_has_steal_in_progress(&q));
    ck_assert_uint_eq(rt_local_queue_len(&q), HALF);
    ck_assert_uint_eq(rt_local_queue_remaining_slots(&q), 0); /* claimed slots are not free */
    /* A second stealer is turned away while the steal is open. */
    rt_local_queue dst;
    rt_local_queue_init(&dst);
    size_t stolen = 99;
    ck_assert_ptr_null(rt_local_queue_steal_into(&q, &dst, &stolen));
    ck_assert_uint_eq(stolen, 0);
    /* Full and a steal in progress: only the new node spills. */
    push_ok(&q, CAP, &inj);
    ck_assert_uint_eq(rt_inject_len(&inj), 1);
    ck_assert_uint_eq(id_of(rt_inject_pop(&inj)), CAP);
    /* The owner may pop during the steal; it moves real only. */
    ck_assert_uint_eq(id_of(rt_local_queue_pop(&q)), HALF);
    ck_assert(rt_local_queue_has_steal_in_progress(&q));
    /* Same situation with the inject queue closed: the node comes back to the caller. */
    rt_inject_close(&inj);
    rt_qnode *rej = NULL;
    ck_assert_uint_eq(rt_local_queue_push_back(&q, &nodes[CAP + 1].link, &inj, &rej), 1);
    ck_assert_ptr_eq(rej, &nodes[CAP + 1].link);
    ck_assert_ptr_null(rej->next);
    /* The stealer finishes: steal catches up with real, and the room reappears. */
    forge_head(&q, HALF + 1, HALF + 1);
    ck_assert(!rt_local_queue_has_steal_in_progress(&q));
    ck_assert_uint_eq(rt_local_queue_remaining_slots(&q), HALF + 1);
    expect_pops(&q, HALF + 1, CAP);
    rt_inject_destroy(&inj);
}
END_TEST

/* steal_case: victim holds `have` nodes; check the steal takes ceil(have/2), oldest returned. */
static void steal_case(size_t have)
{
    rt_local_queue victim, dst;
    rt_inject inj;
    setup_nodes();
    rt_local_queue_init(&victim);
    rt_local_queue_init(&dst);
    ck_assert_int_eq(rt_inject_init(&inj), 0);
    for (size_t i = 0; i < have; i++)
        push_ok(&victim, i, &inj);
    size_t want = have - have / 2;
    size_t stolen = 12345;
    rt_qnode *got = rt_local_queue_steal_into(&victim, &dst, &stolen);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(id_of(got), 0);
    ck_assert_uint_eq(stolen, want);
    ck_assert_uint_eq(rt_local_queue_len(&dst), want - 1);
    ck_assert_uint_eq(rt_local_queue_len(&victim), have - want);
    ck_assert(!rt_local_queue_has_steal_in_progress(&victim));
    expect_pops(&dst, 1, want);
    expect_pops(&victim, want, have);
    ck_assert_uint_eq(rt_inject_len(&inj), 0);
    rt_inject_destroy(&inj);
}

START_TEST(test_steal_half_counts)
{
    steal_case(1);
    steal_case(2);
    steal_case(7);
    steal_case(10);
    steal_case(CAP - 1);
    steal_case(CAP);
}
END_TEST

START_TEST(test_steal_from_empty_and_self)
{
    rt_local_queue victim, dst;
    rt_inject inj;
    setup_nodes();
    rt_local_queue_init(&victim);
    rt_local_queue_init(&dst);
    ck_assert_int_eq(rt_inject_init(&inj), 0);
    size_t stolen = 7;
    ck_assert_ptr_null(rt_local_queue_steal_into(&victim, &dst, &stolen));
    ck_assert_uint_eq(stolen, 0);
    ck_assert_ptr_null(rt_local_queue_steal_into(&victim, &dst, NULL));
    /* Emptied by pops: still nothing to steal. */
    push_ok(&victim, 0, &inj);
    expect_pops(&victim, 0, 1);
    ck_assert_ptr_null(rt_local_queue_steal_into(&victim, &dst, &stolen));
    /* Stealing from oneself is refused. */
    push_ok(&victim, 1, &inj);
    ck_assert_ptr_null(rt_local_queue_steal_into(&victim, &victim, &stolen));
    ck_assert_uint_eq(stolen, 0);
    expect_pops(&victim, 1, 2);
    ck_assert_uint_eq(rt_local_queue_len(&dst), 0);
    rt_inject_destroy(&inj);
}
END_TEST

START_TEST(test_steal_dst_too_full)
{
    rt_local_queue victim, dst;
    rt_inject inj;
    setup_nodes();
    rt_local_queue_init(&victim);
    rt_local_queue_init(&dst);
    ck_assert_int_eq(rt_inject_init(&inj), 0);
    for (size_t i = 0; i < CAP; i++)
        push_ok(&victim, i, &inj);
    for (size_t i = CAP; i < CAP + HALF + 1; i++)
        push_ok(&dst, i, &inj);
    /* dst has 129 in use: a batch of up to 128 might not fit, so nothing moves. */
    size_t stolen = 5;
    ck_assert_ptr_null(rt_local_queue_steal_into(&victim, &dst, &stolen));
    ck_assert_uint_eq(stolen, 0);
    ck_assert_uint_eq(rt_local_queue_len(&victim), CAP);
    ck_assert_uint_eq(rt_local_queue_len(&dst), HALF + 1);
    /* At exactly half in use a full batch fits: 128 taken, 127 land in dst. */
    ck_assert_uint_eq(id_of(rt_local_queue_pop(&dst)), CAP);
    rt_qnode *got = rt_local_queue_steal_into(&victim, &dst, &stolen);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(id_of(got), 0);
    ck_assert_uint_eq(stolen, HALF);
    ck_assert_uint_eq(rt_local_queue_len(&dst), HALF + HALF - 1);
    /* dst: its own 257..384 first, then the stolen 1..127 behind them. */
    for (size_t i = CAP + 1; i < CAP + HALF + 1; i++)
        ck_assert_uint_eq(id_of(rt_local_queue_pop(&dst)), i);
    expect_pops(&dst, 1, HALF);
    expect_pops(&victim, HALF, CAP);
    rt_inject_destroy(&inj);
}
END_TEST

START_TEST(test_steal_dst_counts_open_steal)
{
    rt_local_queue victim, dst;
    rt_inject inj;
    setup_nodes();
    rt_local_queue_init(&victim);
    rt_local_queue_init(&dst);
    ck_assert_int_eq(rt_inject_init(&inj), 0);
    for (size_t i = 0; i < 10; i++)
        push_ok(&victim, i, &inj);
    for (size_t i = CAP; i < CAP + HALF + 1; i++)
        push_ok(&dst, i, &inj);
    /* dst looks almost empty, but a thief of dst is still copying 128 of its slots. */
    forge_head(&dst, 0, HALF);
    ck_assert_uint_eq(rt_local_queue_len(&dst), 1);
    size_t stolen = 5;
    ck_assert_ptr_null(rt_local_queue_steal_into(&victim, &dst, &stolen));
    ck_assert_uint_eq(rt_local_queue_len(&victim), 10);
    rt_inject_destroy(&inj);
}
END_TEST

/* ---- concurrent stress: one owner pushes/pops/overflows, stealers steal and drain ---- */

/*
 * The node count sets the work: every node is pushed once and taken once, so 5M nodes are at
 * least 10M queue operations (steal claims come on top). The same count runs in every build:
 * on the 2-core test machine the whole test took about 0.2 s normally and 1-2 s under TSan,
 * far inside the 60 s budget, so no sanitizer scaling is needed.
 */
#define LQ_NODES 5000000u
#define LQ_STEALERS 3u

typedef struct lq_stress {
    rt_local_queue owner_q;
    rt_inject inj;
    rt_local_queue thief_q[LQ_STEALERS];
    rt_qnode *nodes;                 /* a node's id is its index in this array */
    _Atomic unsigned char *seen;
    _Atomic size_t consumed;
    _Atomic size_t ops;              /* successful pushes, pops and steals */
    _Atomic size_t errors;           /* rejected pushes and duplicate sightings */
    _Atomic size_t stolen_nodes, overflow_pops;
} lq_stress;

typedef struct lq_arg {
    lq_stress *st;
    uint32_t id;
} lq_arg;

/* lq_consume: record one sighting of node n; a second sighting is an error. */
static void lq_consume(lq_stress *st, rt_qnode *n)
{
    size_t id = (size_t)(n - st->nodes);
    if (id >= LQ_NODES ||
        atomic_fetch_add_explicit(&st->seen[id], 1, memory_order_relaxed) != 0)
        atomic_fetch_add(&st->errors, 1);
    atomic_fetch_add_explicit(&st->consumed, 1, memory_order_relaxed);
}

/* lq_rand: a small deterministic xorshift generator. */
static uint32_t lq_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 16);
}

/* lq_owner: push every node in bursts (overflowing into inject), pop some, drain some inject. */
static void *lq_owner(void *argp)
{
    lq_stress *st = ((lq_arg *)argp)->st;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    size_t next = 0, ops = 0, from_inj = 0;
    while (next < LQ_NODES) {
        /* Bursts of up to 384 exceed the ring, so overflow-half happens often. */
        uint32_t burst = 1 + lq_rand(&rng) % 384;
        for (uint32_t i = 0; i < burst && next < LQ_NODES; i++) {
            rt_qnode *rej;
            if (rt_local_queue_push_back(&st->owner_q, &st->nodes[next++], &st->inj, &rej) != 0)
                atomic_fetch_add(&st->errors, 1);
            ops++;
        }
        uint32_t pops = lq_rand(&rng) % 256;
        for (uint32_t i = 0; i < pops; i++) {
            rt_qnode *n = rt_local_queue_pop(&st->owner_q);
            if (n == NULL)
                break;
            lq_consume(st, n);
            ops++;
        }
        uint32_t inj_pops = lq_rand(&rng) % 128;
        for (uint32_t i = 0; i < inj_pops; i++) {
            rt_qnode *n = rt_inject_pop(&st->inj);
            if (n == NULL)
                break;
            lq_consume(st, n);
            ops++, from_inj++;
        }
    }
    /* Drain: our ring and the inject queue; thieves drain their own rings. */
    while (atomic_load_explicit(&st->consumed, memory_order_relaxed) < LQ_NODES) {
        rt_qnode *n = rt_local_queue_pop(&st->owner_q);
        if (n == NULL && (n = rt_inject_pop(&st->inj)) != NULL)
            from_inj++;
        if (n == NULL) {
            sched_yield();
            continue;
        }
        lq_consume(st, n);
        ops++;
    }
    atomic_fetch_add(&st->ops, ops);
    atomic_fetch_add(&st->overflow_pops, from_inj);
    return NULL;
}

/* lq_thief: steal from the owner (and sometimes from another thief), and drain its own ring. */
static void *lq_thief(void *argp)
{
    lq_arg *arg = argp;
    lq_stress *st = arg->st;
    rt_local_queue *mine = &st->thief_q[arg->id];
    size_t ops = 0, stolen_total = 0;
    unsigned misses = 0, round = 0;
    while (atomic_load_explicit(&st->consumed, memory_order_relaxed) < LQ_NODES) {
        rt_qnode *n = rt_local_queue_pop(mine);
        if (n != NULL) {
            lq_consume(st, n);
            ops++;
            continue;
        }
        /* Thieves also rob each other, so rings are popped and stolen from at once. */
        rt_local_queue *victim = &st->owner_q;
        if (++round % 4 == 0)
            victim = &st->thief_q[(arg->id + 1) % LQ_STEALERS];
        size_t stolen = 0;
        n = rt_local_queue_steal_into(victim, mine, &stolen);
        if (n != NULL) {
            lq_consume(st, n);
            ops++;
            stolen_total += stolen;
            misses = 0;
            continue;
        }
        if (++misses % 8 == 0)
            sched_yield(); /* four threads on two cores: let the owner push */
    }
    atomic_fetch_add(&st->ops, ops);
    atomic_fetch_add(&st->stolen_nodes, stolen_total);
    return NULL;
}

START_TEST(test_concurrent_exactly_once)
{
    lq_stress *st = rt_calloc(1, sizeof *st);
    ck_assert_ptr_nonnull(st);
    st->nodes = rt_calloc(LQ_NODES, sizeof *st->nodes);
    st->seen = rt_calloc(LQ_NODES, sizeof *st->seen);
    ck_assert_ptr_nonnull(st->nodes);
    ck_assert_ptr_nonnull(st->seen);
    rt_local_queue_init(&st->owner_q);
    for (uint32_t i = 0; i < LQ_STEALERS; i++)
        rt_local_queue_init(&st->thief_q[i]);
    ck_assert_int_eq(rt_inject_init(&st->inj), 0);

    pthread_t th[1 + LQ_STEALERS];
    lq_arg args[1 + LQ_STEALERS];
    for (uint32_t i = 0; i < 1 + LQ_STEALERS; i++) {
        args[i].st = st;
        args[i].id = i == 0 ? 0 : i - 1;
        ck_assert_int_eq(pthread_create(&th[i], NULL, i == 0 ? lq_owner : lq_thief, &args[i]), 0);
    }
    for (uint32_t i = 0; i < 1 + LQ_STEALERS; i++)
        pthread_join(th[i], NULL);

    size_t errors = atomic_load(&st->errors);
    ck_assert_uint_eq(errors, 0);
    size_t consumed = atomic_load(&st->consumed);
    ck_assert_uint_eq(consumed, LQ_NODES);
    for (size_t i = 0; i < LQ_NODES; i++)
        if (atomic_load_explicit(&st->seen[i], memory_order_relaxed) != 1)
            ck_abort_msg("node %zu seen %u times", i, (unsigned)atomic_load(&st->seen[i]));
    /* Every node is pushed once and taken once: at least 2 * LQ_NODES = 10M operations. */
    size_t ops = atomic_load(&st->ops);
    ck_assert_uint_ge(ops, 2 * (size_t)LQ_NODES);
    ck_assert(rt_local_queue_is_empty(&st->owner_q));
    for (uint32_t i = 0; i < LQ_STEALERS; i++)
        ck_assert(rt_local_queue_is_empty(&st->thief_q[i]));
    ck_assert(rt_inject_is_empty(&st->inj));
    fprintf(stderr, "local queue stress: %zu ops, %zu nodes moved by steals, %zu via overflow\n",
            atomic_load(&st->ops), atomic_load(&st->stolen_nodes),
            atomic_load(&st->overflow_pops));
    rt_inject_destroy(&st->inj);
    rt_free(st->nodes);
    rt_free((void *)st->seen);
    rt_free(st);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("local_queue");
    TCase *tc = tcase_create("basic");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_fifo);
    tcase_add_test(tc, test_capacity_and_wrap);
    tcase_add_test(tc, test_u32_index_wrap);
    tcase_add_test(tc, test_overflow_half);
    tcase_add_test(tc, test_overflow_into_closed_inject);
    tcase_add_test(tc, test_full_during_steal_spills_one);
    tcase_add_test(tc, test_steal_half_counts);
    tcase_add_test(tc, test_steal_from_empty_and_self);
    tcase_add_test(tc, test_steal_dst_too_full);
    tcase_add_test(tc, test_steal_dst_counts_open_steal);
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
