/* rt_inject.c: the global inject queue -- a linked FIFO under a mutex, with a lock-free length. */
#include "rt_inject.h"

/*
 * Memory ordering of `len`. Every change to `len` happens under the lock, so the lock alone
 * orders the changes among themselves and with the list links. Readers outside the lock use
 * a relaxed load, and that is enough, because nobody ever dereferences anything on the
 * strength of that load: a non-zero length only invites the reader to take the lock, which
 * then gives it the real, synchronised answer. A stale zero is the one thing to worry about,
 * and it cannot hide a push that happened-before the read (read-write coherence: a load that
 * happens after a store sees that store or a later one). A push that races with the read may
 * be missed; the scheduler copes with that the way tokio does -- whoever pushes from outside
 * also wakes a worker, so a worker that just missed the push will be told about it.
 */

/* rt_inject_init: an empty, open queue; 0 or -errno from the mutex. */
int rt_inject_init(rt_inject *q)
{
    int rc = pthread_mutex_init(&q->lock, NULL);
    if (rc != 0)
        return -rc;
    q->head = q->tail = NULL;
    atomic_init(&q->len, 0);
    q->closed = 0;
    return 0;
}

/* rt_inject_destroy: release the lock; nodes still queued belong to the caller. */
void rt_inject_destroy(rt_inject *q)
{
    pthread_mutex_destroy(&q->lock);
    q->head = q->tail = NULL;
}

/* rt_inject_push: append one node; 0, or -1 if closed (then the node stays the caller's). */
int rt_inject_push(rt_inject *q, rt_qnode *n)
{
    return rt_inject_push_batch(q, n, n, 1);
}

/* rt_inject_push_batch: append a pre-linked chain of count nodes in one critical section. */
int rt_inject_push_batch(rt_inject *q, rt_qnode *first, rt_qnode *last, size_t count)
{
    /*
     * Terminate the chain before taking the lock: the queue's invariant is tail->next == NULL,
     * and doing it here also hands the caller a well-formed NULL-terminated chain back when
     * the push is refused, which is what rt_local_queue relies on to report rejected nodes.
     */
    if (count > 0)
        last->next = NULL;

    pthread_mutex_lock(&q->lock);
    if (q->closed) {
        pthread_mutex_unlock(&q->lock);
        return -1;
    }
    if (count > 0) {
        if (q->tail != NULL)
            q->tail->next = first;
        else
            q->head = first;
        q->tail = last;
        /* Under the lock, so a relaxed add is enough (see the note at the top). */
        atomic_fetch_add_explicit(&q->len, count, memory_order_relaxed);
    }
    pthread_mutex_unlock(&q->lock);
    return 0;
}

/* rt_inject_pop: the oldest node, or NULL if empty; the empty case takes no lock. */
rt_qnode *rt_inject_pop(rt_inject *q)
{
    /*
     * The fast path: most of the time a worker polls this queue it is empty, and taking a
     * contended mutex just to learn that would serialise every idle worker on it.
     */
    if (atomic_load_explicit(&q->len, memory_order_relaxed) == 0)
        return NULL;

    pthread_mutex_lock(&q->lock);
    rt_qnode *n = q->head;
    if (n != NULL) {
        q->head = n->next;
        if (q->head == NULL)
            q->tail = NULL;
        n->next = NULL;
        atomic_fetch_sub_explicit(&q->len, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&q->lock);
    return n;
}

/* rt_inject_len: nodes queued, as a lock-free snapshot. */
size_t rt_inject_len(const rt_inject *q)
{
    return atomic_load_explicit(&q->len, memory_order_relaxed);
}

/* rt_inject_is_empty: whether the snapshot length is zero. */
int rt_inject_is_empty(const rt_inject *q)
{
    return rt_inject_len(q) == 0;
}

/* rt_inject_close: refuse later pushes; what is queued can still be popped. */
void rt_inject_close(rt_inject *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_mutex_unlock(&q->lock);
}

/* rt_inject_is_closed: whether the queue has been closed (read under the lock). */
int rt_inject_is_closed(rt_inject *q)
{
    pthread_mutex_lock(&q->lock);
    int closed = q->closed;
    pthread_mutex_unlock(&q->lock);
    return closed;
}
