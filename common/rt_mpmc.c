/* rt_mpmc.c: Vyukov's bounded MPMC array queue, the steal-half helpers, and the shared backoff. */
#include "rt_mpmc.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt_alloc.h"

/*
 * The bounded queue is Dmitry Vyukov's array queue, in the form crossbeam's ArrayQueue gives
 * it. Positions are free-running counters (a 64-bit size_t never wraps in practice, and the
 * comparisons below are wrap-safe anyway); a position's cell is position & mask.
 *
 * Producers race on `tail`, consumers on `head`: a CAS on the index claims a position. The
 * claim alone does not move the data, so each cell carries a stamp saying what the cell is
 * waiting for, relative to the position p that maps to it on the current lap:
 *
 *   stamp == p        empty, waiting for the producer of position p;
 *   stamp == p + 1    holding the item of position p, waiting for its consumer;
 *   stamp == p + cap  consumed; now waiting for the producer of position p + cap.
 *
 * A producer that has claimed p writes the item and then stores stamp = p + 1 with Release; a
 * consumer that sees p + 1 with Acquire may read the item. The consumer then stores p + cap
 * with Release, and the next lap's producer, which Acquires it, may overwrite the cell. So
 * stamps, not the indices, carry the item from thread to thread, and an index CAS could be
 * Relaxed as far as the data goes.
 *
 * The indices matter for the two answers "full" and "empty". When a producer finds its cell
 * still occupied, that is either a full queue or a consumer that has claimed the cell and is
 * still reading; it tells them apart by loading head. Vyukov's original just says "full" and
 * lets the caller retry; we follow crossbeam and report full/empty only when the queue really
 * was full/empty at that moment, waiting out the half-finished neighbour otherwise. Tests and
 * schedulers can then trust a NULL. For that reasoning to be simple the index operations are
 * seq_cst: they form one total order, so "head == tail at my load of tail" is a real instant.
 * On x86 a seq_cst load is a plain load and every CAS is a full barrier anyway, so this costs
 * nothing there.
 *
 * The trade-off of any array queue: a producer preempted between its CAS and its stamp store
 * holds up consumers of that one cell. The queue is therefore not lock-free in the strict
 * sense, which is accepted by crossbeam and async-executor alike for its speed.
 */

/* rt__mpmc_cpu_relax: a hint to the CPU that we are spinning. */
static inline void rt__mpmc_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* rt__mpmc_snooze: spin briefly, growing, then yield the CPU; call with *step = 0 at first. */
void rt__mpmc_snooze(unsigned *step)
{
    /*
     * The thread we wait for is one step from done, so spinning a little is usually fastest.
     * But on a machine with fewer cores than threads it may be descheduled, and then only
     * giving up the CPU lets it run: after a few doublings we yield every time.
     */
    if (*step < 6) {
        for (unsigned i = 0; i < (1u << *step); i++)
            rt__mpmc_cpu_relax();
        (*step)++;
    } else {
        sched_yield();
    }
}

/* rt_mpmc_bounded_init: allocate a ring of capacity rounded up to a power of two, minimum 2. */
int rt_mpmc_bounded_init(rt_mpmc_bounded *q, size_t capacity)
{
    if (capacity == 0)
        return -EINVAL;
    /*
     * At least 2: with one cell, "consumed, waiting for p + cap" and "full, holding p" would
     * both read stamp == p + 1, and the protocol could not tell them apart.
     */
    size_t cap = 2;
    while (cap < capacity) {
        if (cap > SIZE_MAX / 2 / sizeof(rt_mpmc_cell))
            return -ENOMEM; /* the ring could never be allocated */
        cap <<= 1;
    }
    rt_mpmc_cell *cells = rt_malloc(cap * sizeof *cells);
    if (cells == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < cap; i++) {
        atomic_init(&cells[i].stamp, i);
        cells[i].item = NULL;
    }
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    q->mask = cap - 1;
    q->cells = cells;
    return 0;
}

/* rt_mpmc_bounded_destroy: free the ring; items left in it are the caller's. */
void rt_mpmc_bounded_destroy(rt_mpmc_bounded *q)
{
    rt_free(q->cells);
    q->cells = NULL;
}

/* rt_mpmc_bounded_capacity: the rounded-up capacity. */
size_t rt_mpmc_bounded_capacity(const rt_mpmc_bounded *q)
{
    return q->mask + 1;
}

/* rt_mpmc_bounded_push: claim a position by CAS on tail, then fill its cell; -1 if full. */
int rt_mpmc_bounded_push(rt_mpmc_bounded *q, void *item)
{
    if (item == NULL)
        return -EINVAL;
    const size_t cap = q->mask + 1;
    unsigned step = 0;
    size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    for (;;) {
        rt_mpmc_cell *c = &q->cells[tail & q->mask];
        /* Acquire: the consumer of the previous lap read the item before releasing this stamp. */
        size_t stamp = atomic_load_explicit(&c->stamp, memory_order_acquire);
        ptrdiff_t dif = (ptrdiff_t)(stamp - tail);
        if (dif == 0) {
            /* The cell waits for position tail; try to become its producer. */
            if (atomic_compare_exchange_weak_explicit(&q->tail, &tail, tail + 1,
                                                      memory_order_seq_cst,
                                                      memory_order_relaxed)) {
                c->item = item;
                /* Release: the consumer that Acquires p + 1 sees the item. */
                atomic_store_explicit(&c->stamp, tail + 1, memory_order_release);
                return 0;
            }
            /* Lost the race; the CAS reloaded tail. */
        } else if (dif < 0) {
            /*
             * The cell still holds position tail - cap. If nobody has claimed that position
             * for popping, the queue holds cap items: full. Otherwise its consumer is mid-read
             * and the cell is about to free up, so wait and retry.
             */
            size_t head = atomic_load_explicit(&q->head, memory_order_seq_cst);
            if (head + cap == tail)
                return -1;
            size_t now = atomic_load_explicit(&q->tail, memory_order_relaxed);
            if (now == tail)
                rt__mpmc_snooze(&step); /* not just a stale tail: a consumer is mid-read */
            tail = now;
        } else {
            /* Another producer already filled this position: our tail is stale. */
            tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
        }
    }
}

/* rt_mpmc_bounded_pop: claim a position by CAS on head, then empty its cell; NULL if empty. */
void *rt_mpmc_bounded_pop(rt_mpmc_bounded *q)
{
    const size_t cap = q->mask + 1;
    unsigned step = 0;
    size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
    for (;;) {
        rt_mpmc_cell *c = &q->cells[head & q->mask];
        /* Acquire pairs with the producer's Release of p + 1: the item is visible. */
        size_t stamp = atomic_load_explicit(&c->stamp, memory_order_acquire);
        ptrdiff_t dif = (ptrdiff_t)(stamp - (head + 1));
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&q->head, &head, head + 1,
                                                      memory_order_seq_cst,
                                                      memory_order_relaxed)) {
                void *item = c->item;
                /* Release: our read of the item happens-before the next lap's write. */
                atomic_store_explicit(&c->stamp, head + cap, memory_order_release);
                return item;
            }
        } else if (dif < 0) {
            /*
             * The item of position head is not there yet. If no producer has claimed the
             * position, the queue is empty; otherwise a producer is between its CAS and its
             * stamp store, and the item is a moment away.
             */
            size_t tail = atomic_load_explicit(&q->tail, memory_order_seq_cst);
            if (tail == head)
                return NULL;
            size_t now = atomic_load_explicit(&q->head, memory_order_relaxed);
            if (now == head)
                rt__mpmc_snooze(&step); /* not just a stale head: a producer is mid-write */
            head = now;
        } else {
            /* Another consumer took this position: our head is stale. */
            head = atomic_load_explicit(&q->head, memory_order_relaxed);
        }
    }
}

/* rt_mpmc_bounded_len: tail - head from a pair of loads taken while tail did not move. */
size_t rt_mpmc_bounded_len(rt_mpmc_bounded *q)
{
    for (;;) {
        size_t tail = atomic_load_explicit(&q->tail, memory_order_seq_cst);
        size_t head = atomic_load_explicit(&q->head, memory_order_seq_cst);
        /*
         * If tail is unchanged across the head load, both values held at the instant head was
         * read, so 0 <= tail - head <= capacity. Otherwise a push slipped in; try again.
         */
        if (atomic_load_explicit(&q->tail, memory_order_seq_cst) == tail)
            return tail - head;
    }
}

/* rt__mpmc_steal_violation: dst refused an item although only we push to it; stop loudly. */
static void rt__mpmc_steal_violation(void)
{
    fprintf(stderr, "rt_mpmc steal: destination queue was full although the caller is its only "
                    "producer; refusing to drop an item\n");
    abort();
}

/* rt__mpmc_steal_count: ceil(src_len / 2), capped by dst's free room. */
static size_t rt__mpmc_steal_count(size_t src_len, rt_mpmc_bounded *dst)
{
    size_t count = src_len / 2 + src_len % 2;
    /*
     * dst's length can only shrink under us (we are its only producer), so the room we see
     * now is a lower bound of the room we will have at every push below.
     */
    size_t room = rt_mpmc_bounded_capacity(dst) - rt_mpmc_bounded_len(dst);
    return count < room ? count : room;
}

/* rt_mpmc_steal_half_into: move half of the unbounded src into dst by pop + push. */
size_t rt_mpmc_steal_half_into(rt_mpmc *src, rt_mpmc_bounded *dst)
{
    size_t count = rt__mpmc_steal_count(rt_mpmc_len(src), dst);
    size_t moved = 0;
    while (moved < count) {
        void *item = rt_mpmc_pop(src); /* others may drain src meanwhile: stop when empty */
        if (item == NULL)
            break;
        if (rt_mpmc_bounded_push(dst, item) != 0)
            rt__mpmc_steal_violation();
        moved++;
    }
    return moved;
}

/* rt_mpmc_bounded_steal_half_into: move half of the bounded src into dst by pop + push. */
size_t rt_mpmc_bounded_steal_half_into(rt_mpmc_bounded *src, rt_mpmc_bounded *dst)
{
    if (src == dst)
        return 0;
    size_t count = rt__mpmc_steal_count(rt_mpmc_bounded_len(src), dst);
    size_t moved = 0;
    while (moved < count) {
        void *item = rt_mpmc_bounded_pop(src);
        if (item == NULL)
            break;
        if (rt_mpmc_bounded_push(dst, item) != 0)
            rt__mpmc_steal_violation();
        moved++;
    }
    return moved;
}
