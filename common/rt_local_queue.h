/* rt_local_queue.h: a worker's bounded run queue; the owner pushes and pops, others steal half. */
#ifndef RT_LOCAL_QUEUE_H
#define RT_LOCAL_QUEUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_inject.h"
#include "rt_qnode.h"

// region: ring
/*
 * This is tokio's multi-thread worker queue (runtime/scheduler/multi_thread/queue.rs), in C.
 * Each worker owns one ring of 256 task pointers. The owner is the only thread that pushes,
 * and it pops from the front (FIFO). Idle workers steal from it, always half of what is there,
 * so that one steal rebalances a lot of work for the price of one atomic claim.
 *
 * The ring is indexed by free-running 32-bit counters that wrap; an index becomes a slot by
 * masking with CAPACITY - 1. Two words describe the state:
 *
 *   tail  the next position the owner will write. Only the owner stores it.
 *   head  one 64-bit atomic holding two 32-bit positions, packed as (steal << 32) | real:
 *         real   the next position to take. Pops and steals move it forward.
 *         steal  the first position a stealer is still copying out. Equal to real when no
 *                steal is in progress. While they differ, the slots [steal, real) have been
 *                claimed by a stealer but not yet read, so the owner must not overwrite them,
 *                and no second stealer may start.
 *
 * Packing both into one word is the trick: a single compare-and-swap both claims a batch (it
 * moves real) and announces that the batch is being copied (it leaves steal behind), so the
 * owner, which reads head before every push, can see an unfinished steal without any lock.
 *
 * The struct is meant to be embedded in a worker; it allocates nothing. The layout of `head`
 * is documented above because the unit tests build an in-progress steal by hand.
 */
#define RT_LOCAL_QUEUE_CAPACITY 256

typedef struct rt_local_queue {
    _Atomic uint64_t head;  /* (steal << 32) | real */
    _Atomic uint32_t tail;  /* written by the owner only */
    rt_qnode *buffer[RT_LOCAL_QUEUE_CAPACITY];
} rt_local_queue;
// endregion

/* rt_local_queue_init: an empty ring; no allocation, cannot fail. */
void rt_local_queue_init(rt_local_queue *q);

/*
 * rt_local_queue_push_back: owner only. Append n; if the ring is full, spill to `overflow`:
 *   - if a steal is in progress, room is about to appear, so only n goes to overflow;
 *   - otherwise half the ring (the 128 oldest nodes) and then n go to overflow as one batch,
 *     under one lock, in FIFO order ("overflow-half"), leaving the 128 newest in the ring.
 * Returns the number of nodes that could not be placed anywhere: 0 normally. It is non-zero
 * only when overflow was needed and `overflow` is closed; then *rejected receives those nodes
 * as a NULL-terminated chain in FIFO order (just n, or the 128 spilled nodes followed by n)
 * and they belong to the caller again. *rejected is set to NULL when nothing was rejected.
 */
size_t rt_local_queue_push_back(rt_local_queue *q, rt_qnode *n, rt_inject *overflow,
                                rt_qnode **rejected);

/* rt_local_queue_pop: owner only; the oldest node, or NULL if the ring is empty. */
rt_qnode *rt_local_queue_pop(rt_local_queue *q);

/*
 * rt_local_queue_steal_into: called by dst's owner, from any thread. Claims half of victim's
 * nodes (rounding up, so a single node can be stolen), returns the oldest of them for the
 * caller to run at once and appends the rest to dst in order. Returns NULL, moving nothing,
 * if victim is empty, another steal from victim is in progress, or dst has more than half its
 * capacity in use (a batch might not fit). stolen_count, if not NULL, receives the number of
 * nodes taken from victim, the returned one included (0 when NULL is returned).
 */
rt_qnode *rt_local_queue_steal_into(rt_local_queue *victim, rt_local_queue *dst,
                                    size_t *stolen_count);

/* rt_local_queue_len: nodes available to take; exact for the owner, a snapshot for others. */
size_t rt_local_queue_len(const rt_local_queue *q);
/* rt_local_queue_remaining_slots: pushes that fit before overflow; exact for the owner. */
size_t rt_local_queue_remaining_slots(const rt_local_queue *q);
/* rt_local_queue_is_empty: rt_local_queue_len(q) == 0. */
int rt_local_queue_is_empty(const rt_local_queue *q);
/* rt_local_queue_has_steal_in_progress: whether a stealer is copying out right now (snapshot). */
int rt_local_queue_has_steal_in_progress(const rt_local_queue *q);

#endif
