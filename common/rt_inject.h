/* rt_inject.h: the global inject queue -- a locked intrusive FIFO with a lock-free empty check. */
#ifndef RT_INJECT_H
#define RT_INJECT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "rt_qnode.h"

/*
 * tokio's multi-thread scheduler has one of these per runtime. Three kinds of push land here:
 * spawns and wake-ups from threads that are not workers, and the overflow of a worker's local
 * ring (rt_local_queue.h) when it is full. Workers pop from it now and then, so that a task
 * that arrived from outside is not starved by the local work.
 *
 * It is a plain linked list under a mutex. That is deliberate: the hot path of the scheduler
 * is the local ring, and the inject queue is touched rarely enough that a lock costs little,
 * while a lock-free unbounded intrusive list is hard to get right. What must be cheap is the
 * question workers ask all the time -- "is there anything in there?" -- and that is answered
 * by `len`, an atomic that is written under the lock but read without it.
 *
 * Nodes are intrusive (an rt_qnode embedded in the task): the queue never allocates, so a push
 * cannot fail for lack of memory. It can fail only because the queue was closed, at shutdown,
 * and then the caller keeps the node and must dispose of it.
 */
typedef struct rt_inject {
    pthread_mutex_t lock;
    rt_qnode *head, *tail;  /* guarded by lock; tail->next is always NULL */
    _Atomic size_t len;     /* changed only under lock; read anywhere */
    int closed;             /* guarded by lock */
} rt_inject;

/* rt_inject_init: an empty, open queue; 0 or -errno from the mutex. */
int rt_inject_init(rt_inject *q);
/* rt_inject_destroy: release the lock; nodes still queued belong to the caller (drain first). */
void rt_inject_destroy(rt_inject *q);
/* rt_inject_push: append n; 0, or -1 if closed (then n was not queued and stays the caller's). */
int rt_inject_push(rt_inject *q, rt_qnode *n);
/* rt_inject_push_batch: append the chain first..last of count nodes under one lock; last->next is
 * set to NULL whatever the outcome. 0, or -1 if closed (the chain is untouched otherwise and
 * stays the caller's). count == 0 queues nothing. */
int rt_inject_push_batch(rt_inject *q, rt_qnode *first, rt_qnode *last, size_t count);
/* rt_inject_pop: the oldest node, or NULL if empty (empty costs one atomic load, no lock). */
rt_qnode *rt_inject_pop(rt_inject *q);
/* rt_inject_len: nodes queued; exact under the lock, a snapshot when read from outside it. */
size_t rt_inject_len(const rt_inject *q);
/* rt_inject_is_empty: rt_inject_len(q) == 0, with the same snapshot caveat. */
int rt_inject_is_empty(const rt_inject *q);
/* rt_inject_close: refuse every later push; pops still drain what is queued. Idempotent. */
void rt_inject_close(rt_inject *q);
/* rt_inject_is_closed: whether rt_inject_close has been called. */
int rt_inject_is_closed(rt_inject *q);

#endif
