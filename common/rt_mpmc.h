/* rt_mpmc.h: MPMC queues of pointers -- Vyukov's bounded ring and an unbounded block list. */
#ifndef RT_MPMC_H
#define RT_MPMC_H

#include <stdatomic.h>
#include <stddef.h>

/*
 * The async-std-style executor is modelled on smol's async-executor, which keeps one global
 * unbounded queue plus a small bounded queue per worker, all from the `concurrent-queue`
 * crate, and balances load by moving half of one queue into another. These are those two
 * queues. Unlike the tokio-style ring (rt_local_queue.h), every operation here may be called
 * by any number of threads at once; the price is a CAS on a shared index for every push and
 * every pop.
 *
 * Items are non-NULL `void *`; NULL is the "nothing there" answer of pop. The queues neither
 * own nor free what the pointers point to.
 *
 * The head (consumer) and tail (producer) indices sit 64 bytes apart so that producers and
 * consumers do not bounce one cache line between them. That is done with padding rather than
 * _Alignas, so the structs stay embeddable in memory from plain malloc.
 */
#define RT_MPMC_PAD 64

/* One cell of the bounded ring: the stamp says whose turn it is (see rt_mpmc.c). */
typedef struct rt_mpmc_cell {
    _Atomic size_t stamp;
    void *item;
} rt_mpmc_cell;

/* Dmitry Vyukov's bounded MPMC array queue; capacity is a power of two, at least 2. */
typedef struct rt_mpmc_bounded {
    _Atomic size_t head;  /* next position to pop */
    char pad_head[RT_MPMC_PAD - sizeof(size_t)];
    _Atomic size_t tail;  /* next position to push */
    char pad_tail[RT_MPMC_PAD - sizeof(size_t)];
    size_t mask;          /* capacity - 1 */
    rt_mpmc_cell *cells;
} rt_mpmc_bounded;

/* rt_mpmc_bounded_init: capacity rounded up to a power of two (minimum 2); 0, -EINVAL, -ENOMEM. */
int rt_mpmc_bounded_init(rt_mpmc_bounded *q, size_t capacity);
/* rt_mpmc_bounded_destroy: free the ring; items still in it are the caller's (pop them first). */
void rt_mpmc_bounded_destroy(rt_mpmc_bounded *q);
/* rt_mpmc_bounded_push: append item; 0, -1 when the queue is full, -EINVAL if item is NULL. */
int rt_mpmc_bounded_push(rt_mpmc_bounded *q, void *item);
/* rt_mpmc_bounded_pop: the oldest item, or NULL when the queue is empty. */
void *rt_mpmc_bounded_pop(rt_mpmc_bounded *q);
/* rt_mpmc_bounded_len: items in the queue at one moment during the call. */
size_t rt_mpmc_bounded_len(rt_mpmc_bounded *q);
/* rt_mpmc_bounded_capacity: the rounded-up capacity. */
size_t rt_mpmc_bounded_capacity(const rt_mpmc_bounded *q);

/* The unbounded queue grows by blocks of this many slots (see rt_mpmc_unbounded.c). */
#define RT_MPMC_BLOCK_SLOTS 31

struct rt_mpmc_block;

/* A lock-free linked list of blocks, like crossbeam's SegQueue and concurrent-queue's Unbounded. */
typedef struct rt_mpmc {
    _Atomic size_t head_index;                  /* position << 1 | HAS_NEXT bit */
    struct rt_mpmc_block *_Atomic head_block;
    char pad_head[RT_MPMC_PAD - sizeof(size_t) - sizeof(void *)];
    _Atomic size_t tail_index;                  /* position << 1 */
    struct rt_mpmc_block *_Atomic tail_block;
    char pad_tail[RT_MPMC_PAD - sizeof(size_t) - sizeof(void *)];
} rt_mpmc;

/* rt_mpmc_init: an empty queue; allocates nothing until the first push. Returns 0. */
int rt_mpmc_init(rt_mpmc *q);
/* rt_mpmc_destroy: free every block; items still queued are the caller's (pop them first). */
void rt_mpmc_destroy(rt_mpmc *q);
/* rt_mpmc_push: append item; 0, -EINVAL if item is NULL, or -ENOMEM if a new block was needed
 * and could not be allocated -- then nothing was queued and the queue is unchanged. */
int rt_mpmc_push(rt_mpmc *q, void *item);
/* rt_mpmc_pop: the oldest item, or NULL when the queue is empty. */
void *rt_mpmc_pop(rt_mpmc *q);
/* rt_mpmc_len: items in the queue at one moment during the call. */
size_t rt_mpmc_len(rt_mpmc *q);

/*
 * Steal half, as async-executor's steal(src, dest): move ceil(len(src) / 2) items, but no more
 * than dst has free room, by popping from src and pushing to dst; return how many moved.
 * Precondition, as in async-executor where dst is the caller's own local queue: the caller is
 * dst's only producer while this runs (consumers may pop from dst concurrently). Then the push
 * into dst cannot fail; if the precondition is broken and it does, the process aborts rather
 * than drop an item. Items keep their order. src == dst moves nothing.
 */
/* rt_mpmc_steal_half_into: steal half of the unbounded src into dst, as above. */
size_t rt_mpmc_steal_half_into(rt_mpmc *src, rt_mpmc_bounded *dst);
/* rt_mpmc_bounded_steal_half_into: steal half of the bounded src into dst, as above. */
size_t rt_mpmc_bounded_steal_half_into(rt_mpmc_bounded *src, rt_mpmc_bounded *dst);

/* rt__mpmc_snooze: private to rt_mpmc*.c -- wait politely for another thread to finish a step. */
void rt__mpmc_snooze(unsigned *step);

#endif
