/* fuzz_local_queue.c: libFuzzer target: two work-stealing rings and their overflow queue against a deque model. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_inject.h"
#include "rt_local_queue.h"

/*
 * The input is a program of operations on two rings (rt_local_queue) that share one overflow
 * queue (rt_inject), run on one thread against a model made of plain deques. What a single
 * thread cannot produce by itself -- a stealer that has claimed a batch but not yet copied it
 * out -- is staged by hand through the documented layout of `head` ((steal << 32) | real), just
 * as the unit tests do: "begin a steal" claims half like rt__lq_claim_steal would and remembers
 * which nodes it claimed; "finish a steal" reads the claimed slots (they must still hold exactly
 * those nodes: the owner may not have overwritten them meanwhile) and closes the steal. Between
 * the two, pushes, pops and real steals see an open steal, which is where the ring's subtle
 * rules live (room counted from steal, overflow of a single node, no second stealer).
 *
 * The model predicts every return value: what pop and steal_into return and how many nodes a
 * steal took, where a push goes (ring, overflow of one, overflow of half plus one) and what a
 * closed overflow queue hands back, and len / remaining_slots / is_empty /
 * has_steal_in_progress after every step. Every node is tracked: each is in exactly one place,
 * comes out exactly once per time it went in, and at the end everything is drained and accounted
 * for. The counters can start just below the 2^32 wrap so that wrapping is exercised too.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NODES 1024
#define CAP RT_LOCAL_QUEUE_CAPACITY
#define HALF (CAP / 2)
#define MAX_OPS 2048

enum { LOC_FREE, LOC_RING0, LOC_RING1, LOC_INJECT, LOC_FLIGHT0, LOC_FLIGHT1 };

typedef struct fnode {
    rt_qnode q;
    uint32_t id;
} fnode;

/* A FIFO of node ids, big enough for every node at once. */
typedef struct deque {
    uint32_t v[NODES];
    size_t head, len;
} deque;

typedef struct prog {
    const uint8_t *p;
    size_t n, at;
} prog;

typedef struct world {
    rt_local_queue ring[2];
    rt_inject inject;
    fnode node[NODES];
    uint8_t loc[NODES];
    uint32_t free_ids[NODES];
    size_t nfree;
    deque m_ring[2], m_inject;
    deque flight[2];          /* nodes claimed by a staged, unfinished steal */
    uint32_t flight_first[2]; /* the ring position of the first claimed node */
    size_t dead[2];           /* slots popped while a steal was open: free only once it closes */
    int closed;
    uint64_t ins, outs;       /* nodes that entered / left the structures */
    size_t step;
} world;

/* fail: report a broken invariant at the current step and abort. */
static _Noreturn void fail(const world *w, const char *what, uint64_t got, uint64_t want)
{
    fprintf(stderr, "fuzz_local_queue: step %zu: %s (got %llu, want %llu)\n", w->step, what,
            (unsigned long long)got, (unsigned long long)want);
    abort();
}

/* next_byte: the next program byte, 0 once it has run out. */
static uint8_t next_byte(prog *g)
{
    return g->at < g->n ? g->p[g->at++] : 0;
}

/* dq_push: append id. */
static void dq_push(deque *d, uint32_t id)
{
    d->v[(d->head + d->len++) % NODES] = id;
}

/* dq_at: the k-th oldest id. */
static uint32_t dq_at(const deque *d, size_t k)
{
    return d->v[(d->head + k) % NODES];
}

/* dq_pop: remove and return the oldest id (the deque is not empty). */
static uint32_t dq_pop(deque *d)
{
    uint32_t id = d->v[d->head];
    d->head = (d->head + 1) % NODES;
    d->len--;
    return id;
}

/* id_of: the id of a node handed back by the code under test, checked to be one of ours. */
static uint32_t id_of(const world *w, const rt_qnode *q)
{
    const fnode *f = (const fnode *)q;
    if (f < w->node || f >= w->node + NODES || f != &w->node[f->id])
        fail(w, "a node that is not one of ours came back", (uint64_t)(uintptr_t)q, 0);
    return f->id;
}

/* take_out: the model says node id leaves location `from`; it must have been there. */
static void take_out(world *w, uint32_t id, int from)
{
    if (w->loc[id] != from)
        fail(w, "node came out of the wrong place", w->loc[id], (uint64_t)from);
    w->loc[id] = LOC_FREE;
    w->free_ids[w->nfree++] = id;
    w->outs++;
}

/* expect_node: q must be the node the model says comes out next, from `from`. */
static void expect_node(world *w, const rt_qnode *q, uint32_t want, int from, const char *what)
{
    if (q == NULL)
        fail(w, what, UINT32_MAX, want);
    uint32_t id = id_of(w, q);
    if (id != want)
        fail(w, what, id, want);
    take_out(w, id, from);
}

/* ring_used: slots in use counted from steal, as push sees them: queued, in flight, and popped
 * during the open steal (a pop then moves only real, so steal still fences those slots off). */
static size_t ring_used(const world *w, int r)
{
    return w->m_ring[r].len + w->flight[r].len + w->dead[r];
}

/* check_views: every observer of both rings and of the overflow queue matches the model. */
static void check_views(const world *w)
{
    for (int r = 0; r < 2; r++) {
        const rt_local_queue *q = &w->ring[r];
        if (rt_local_queue_len(q) != w->m_ring[r].len)
            fail(w, "len", rt_local_queue_len(q), w->m_ring[r].len);
        if (rt_local_queue_remaining_slots(q) != CAP - ring_used(w, r))
            fail(w, "remaining_slots", rt_local_queue_remaining_slots(q), CAP - ring_used(w, r));
        if (rt_local_queue_is_empty(q) != (w->m_ring[r].len == 0))
            fail(w, "is_empty", (uint64_t)rt_local_queue_is_empty(q), w->m_ring[r].len == 0);
        if (rt_local_queue_has_steal_in_progress(q) != (w->flight[r].len != 0))
            fail(w, "has_steal_in_progress", (uint64_t)rt_local_queue_has_steal_in_progress(q),
                 w->flight[r].len != 0);
    }
    if (rt_inject_len(&w->inject) != w->m_inject.len)
        fail(w, "inject len", rt_inject_len(&w->inject), w->m_inject.len);
}

/* expect_chain: the rejected chain is exactly `want` ids, in order, NULL-terminated. */
static void expect_chain(world *w, rt_qnode *chain, const uint32_t *want, size_t n)
{
    rt_qnode *q = chain;
    for (size_t k = 0; k < n; k++) {
        rt_qnode *next = q ? q->next : NULL;
        expect_node(w, q, want[k], LOC_INJECT, "rejected chain out of order");
        q = next;
    }
    if (q != NULL)
        fail(w, "rejected chain longer than expected", id_of(w, q), n);
}

/* op_push: one push_back of a fresh node to ring r, with the model's prediction of where it goes. */
static void op_push(world *w, int r)
{
    if (w->nfree == 0)
        return;
    uint32_t id = w->free_ids[--w->nfree];
    w->ins++;
    rt_qnode *rejected = (rt_qnode *)0x1;
    size_t rc = rt_local_queue_push_back(&w->ring[r], &w->node[id].q, &w->inject, &rejected);

    if (ring_used(w, r) < CAP) {           /* room: it goes in the ring */
        if (rc != 0 || rejected != NULL)
            fail(w, "a push with room was not a plain push", rc, 0);
        w->loc[id] = (uint8_t)(LOC_RING0 + r);
        dq_push(&w->m_ring[r], id);
        return;
    }
    uint32_t moved[HALF + 1];
    size_t n = 0;
    if (w->flight[r].len == 0) {           /* full and quiet: the oldest half goes along */
        for (; n < HALF; n++) {
            moved[n] = dq_pop(&w->m_ring[r]);
            w->loc[moved[n]] = LOC_INJECT;
        }
    }
    moved[n++] = id;                       /* full during a steal: only the new node moves */
    w->loc[id] = LOC_INJECT;
    if (!w->closed) {
        if (rc != 0 || rejected != NULL)
            fail(w, "an overflow into an open queue was refused", rc, 0);
        for (size_t k = 0; k < n; k++)
            dq_push(&w->m_inject, moved[k]);
        return;
    }
    if (rc != n)
        fail(w, "a closed overflow queue handed back the wrong number", rc, n);
    expect_chain(w, rejected, moved, n);
}

/* op_pop: the owner's pop of ring r. */
static void op_pop(world *w, int r)
{
    rt_qnode *q = rt_local_queue_pop(&w->ring[r]);
    if (w->m_ring[r].len == 0) {
        if (q != NULL)
            fail(w, "pop of an empty ring returned a node", id_of(w, q), UINT32_MAX);
        return;
    }
    expect_node(w, q, dq_pop(&w->m_ring[r]), LOC_RING0 + r, "pop returned the wrong node");
    if (w->flight[r].len != 0)
        w->dead[r]++;
}

/* op_steal: dst's owner steals from victim through the real API. */
static void op_steal(world *w, int v, int d)
{
    size_t count = 12345;
    rt_qnode *q = rt_local_queue_steal_into(&w->ring[v], &w->ring[d], &count);
    size_t avail = w->m_ring[v].len;
    size_t n = avail - avail / 2;
    if (v == d || ring_used(w, d) > HALF || w->flight[v].len != 0 || n == 0) {
        if (q != NULL || count != 0)
            fail(w, "a steal that must fail took something", count, 0);
        return;
    }
    if (count != n)
        fail(w, "steal took the wrong number", count, n);
    expect_node(w, q, dq_pop(&w->m_ring[v]), LOC_RING0 + v, "steal returned the wrong node");
    for (size_t k = 1; k < n; k++) {
        uint32_t id = dq_pop(&w->m_ring[v]);
        w->loc[id] = (uint8_t)(LOC_RING0 + d);
        dq_push(&w->m_ring[d], id);
    }
}

/* op_begin_steal: stage a stealer of ring r that claimed half and has not copied it out yet. */
static void op_begin_steal(world *w, int r)
{
    rt_local_queue *q = &w->ring[r];
    size_t avail = w->m_ring[r].len;
    size_t n = avail - avail / 2;
    if (w->flight[r].len != 0 || n == 0)
        return;
    uint64_t head = atomic_load(&q->head);
    uint32_t real = (uint32_t)head;
    if ((uint32_t)(head >> 32) != real)
        fail(w, "head shows a steal the model does not know of", head >> 32, real);
    /* Exactly rt__lq_claim_steal's claim: real moves past the batch, steal stays behind. */
    atomic_store(&q->head, ((uint64_t)real << 32) | (uint32_t)(real + n));
    w->flight_first[r] = real;
    for (size_t k = 0; k < n; k++) {
        uint32_t id = dq_pop(&w->m_ring[r]);
        w->loc[id] = (uint8_t)(LOC_FLIGHT0 + r);
        dq_push(&w->flight[r], id);
    }
}

/* op_finish_steal: the staged stealer reads its slots (they must be intact) and closes. */
static void op_finish_steal(world *w, int r)
{
    rt_local_queue *q = &w->ring[r];
    if (w->flight[r].len == 0)
        return;
    for (size_t k = 0; k < w->flight[r].len; k++) {
        rt_qnode *slot = q->buffer[(w->flight_first[r] + k) & (CAP - 1)];
        if (slot == NULL || id_of(w, slot) != dq_at(&w->flight[r], k))
            fail(w, "a slot claimed by a stealer was overwritten", k, dq_at(&w->flight[r], k));
    }
    while (w->flight[r].len > 0)
        take_out(w, dq_pop(&w->flight[r]), LOC_FLIGHT0 + r);
    w->dead[r] = 0;
    /* rt__lq_finish_steal: steal catches up with wherever real is now. */
    uint32_t real = (uint32_t)atomic_load(&q->head);
    atomic_store(&q->head, ((uint64_t)real << 32) | real);
}

/* op_inject_pop: a worker takes from the overflow queue. */
static void op_inject_pop(world *w)
{
    rt_qnode *q = rt_inject_pop(&w->inject);
    if (w->m_inject.len == 0) {
        if (q != NULL)
            fail(w, "pop of an empty inject returned a node", id_of(w, q), UINT32_MAX);
        return;
    }
    expect_node(w, q, dq_pop(&w->m_inject), LOC_INJECT, "inject pop returned the wrong node");
}

/* repeat_count: how many times to repeat an op: 1-8 mostly, sometimes a ring's worth. */
static size_t repeat_count(prog *g)
{
    uint8_t b = next_byte(g);
    if (b >= 0xf0)
        return (size_t)HALF + (b & 0x0f);
    if (b >= 0xe0)
        return (size_t)CAP + (b & 0x0f);
    return 1 + (b & 0x07);
}

/* run: decode and execute the program, checking every view after every op. */
static void run(world *w, prog *g)
{
    while (g->at < g->n && w->step < MAX_OPS) {
        w->step++;
        uint8_t op = next_byte(g);
        int r = op >> 7;
        switch (op % 10) {
        case 0:
        case 1: {
            size_t k = repeat_count(g);
            for (size_t i = 0; i < k; i++) {
                op_push(w, r);
                check_views(w);
            }
            break;
        }
        case 2: {
            size_t k = repeat_count(g);
            for (size_t i = 0; i < k; i++)
                op_pop(w, r);
            break;
        }
        case 3:
        case 4:
            op_steal(w, r, !r);
            break;
        case 5:
            op_begin_steal(w, r);
            break;
        case 6:
            op_finish_steal(w, r);
            break;
        case 7: {
            size_t k = repeat_count(g);
            for (size_t i = 0; i < k; i++)
                op_inject_pop(w);
            break;
        }
        case 8:
            op_steal(w, r, r);   /* stealing from oneself is refused */
            break;
        default:
            /* Close the overflow queue (shutdown), rarely: most programs should keep it open. */
            if (next_byte(g) == 0x5a) {
                rt_inject_close(&w->inject);
                w->closed = 1;
            }
            break;
        }
        check_views(w);
    }
}

/* drain: finish staged steals and empty everything; every node must be back, each exactly once. */
static void drain(world *w)
{
    for (int r = 0; r < 2; r++) {
        op_finish_steal(w, r);
        while (w->m_ring[r].len > 0)
            op_pop(w, r);
        if (rt_local_queue_pop(&w->ring[r]) != NULL)
            fail(w, "a drained ring still had a node", 0, 0);
    }
    while (w->m_inject.len > 0)
        op_inject_pop(w);
    if (rt_inject_pop(&w->inject) != NULL)
        fail(w, "a drained inject still had a node", 0, 0);
    check_views(w);
    if (w->nfree != NODES || w->ins != w->outs)
        fail(w, "nodes unaccounted for", w->outs, w->ins);
    for (uint32_t i = 0; i < NODES; i++)
        if (w->loc[i] != LOC_FREE)
            fail(w, "a node is still somewhere after the drain", i, w->loc[i]);
}

static const uint32_t starts[8] = {
    0, 1, UINT32_MAX, UINT32_MAX - 5, UINT32_MAX - HALF, UINT32_MAX - CAP - 3,
    UINT32_C(0x80000000) - 7, 12345,
};

/* LLVMFuzzerTestOneInput: set up two rings at a chosen counter value, run, drain, account. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prog g = { .p = data, .n = size, .at = 0 };
    world *w = calloc(1, sizeof *w);
    if (w == NULL || rt_inject_init(&w->inject) != 0)
        abort();
    uint8_t b = next_byte(&g);
    for (int r = 0; r < 2; r++) {
        rt_local_queue_init(&w->ring[r]);
        /* The counters are free-running; starting them anywhere is a state a long-lived
         * worker reaches, and near 2^32 every index computation must wrap correctly. */
        uint32_t start = starts[(b >> (3 * r)) & 7];
        atomic_store(&w->ring[r].head, ((uint64_t)start << 32) | start);
        atomic_store(&w->ring[r].tail, start);
    }
    for (uint32_t i = 0; i < NODES; i++) {
        w->node[i].id = i;
        w->free_ids[i] = NODES - 1 - i;
    }
    w->nfree = NODES;
    check_views(w);
    run(w, &g);
    drain(w);
    rt_inject_destroy(&w->inject);
    free(w);
    return 0;
}
