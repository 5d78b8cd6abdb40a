/* as_semaphore.c: the async semaphore -- FIFO waiters and direct hand-off of released permits. */
#include "as_semaphore.h"

#include <errno.h>

/*
 * Hand-off is what keeps this simple and fair. A release with waiters present does not add a
 * permit to the pool; it pops the oldest waiter, marks it `notified` (the permit is now its),
 * and wakes it. The woken future finds `notified` set and is done -- it cannot lose the permit
 * to a newcomer, and no newcomer can take a permit while anyone waits (try_acquire and a first
 * poll both refuse when the wait list is not empty).
 *
 * The one subtle case: a waiter that was handed a permit is dropped (its task cancelled, or a
 * timeout around it fired) before it polled again. The permit is then in a future that will
 * never use it; its drop releases it, which hands it on to the next waiter. No permit leaks and
 * no wake is lost with the cancelled future.
 */

/* as_semaphore_init: permits free, nobody waiting. */
int as_semaphore_init(as_semaphore *s, size_t permits)
{
    s->permits = permits;
    as__waitlist_init(&s->waiters);
    return -pthread_mutex_init(&s->lock, NULL);
}

/* as_semaphore_destroy: the mutex; waiters must be gone. */
void as_semaphore_destroy(as_semaphore *s)
{
    pthread_mutex_destroy(&s->lock);
}

/* as_semaphore_try_acquire: only when a permit is free and nobody queues for one. */
int as_semaphore_try_acquire(as_semaphore *s)
{
    int rc = -EAGAIN;
    pthread_mutex_lock(&s->lock);
    if (s->permits > 0 && as__waitlist_is_empty(&s->waiters)) {
        s->permits--;
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* as_semaphore_release: hand to the oldest waiter, or back to the pool. */
void as_semaphore_release(as_semaphore *s)
{
    rt_waker w = RT_WAKER_EMPTY;
    pthread_mutex_lock(&s->lock);
    if (!as__waitlist_pop(&s->waiters, &w))
        s->permits++;
    pthread_mutex_unlock(&s->lock);
    rt_waker_wake(&w);
}

/* as_semaphore_available: a snapshot. */
size_t as_semaphore_available(as_semaphore *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->permits;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* as__acquire_poll: handed a permit, or a free one with nobody ahead of us, or wait. */
static rt_poll as__acquire_poll(rt_future *f, rt_context *cx)
{
    as_acquire_fut *a = (as_acquire_fut *)f;
    if (a->acquired)
        return RT_READY;
    as_semaphore *s = a->sem;
    pthread_mutex_lock(&s->lock);
    if (a->waiter.notified) {
        a->waiter.notified = 0;
        a->acquired = 1;
    } else if (!a->waiter.linked && s->permits > 0 && as__waitlist_is_empty(&s->waiters)) {
        s->permits--;
        a->acquired = 1;
    } else {
        as__waitlist_park(&s->waiters, &a->waiter, cx->waker);
    }
    pthread_mutex_unlock(&s->lock);
    return a->acquired ? RT_READY : RT_PENDING;
}

/* as__acquire_drop: leave the queue; pass on a permit we were handed but never used. A permit
 * we did acquire is the caller's to release (it was the output). */
static void as__acquire_drop(rt_future *f)
{
    as_acquire_fut *a = (as_acquire_fut *)f;
    if (a->acquired)
        return;
    as_semaphore *s = a->sem;
    rt_waker mine;
    pthread_mutex_lock(&s->lock);
    as__waitlist_unlink(&s->waiters, &a->waiter, &mine);
    int handed = a->waiter.notified;
    a->waiter.notified = 0;
    pthread_mutex_unlock(&s->lock);
    rt_waker_drop(&mine);
    if (handed)
        as_semaphore_release(s);
}

static const rt_future_vtable as__acquire_vtable = {
    .poll = as__acquire_poll,
    .drop = as__acquire_drop,
    .name = "as_semaphore_acquire",
};

/* as_semaphore_acquire: constructor. */
as_acquire_fut as_semaphore_acquire(as_semaphore *s)
{
    return (as_acquire_fut){ .base = { &as__acquire_vtable }, .sem = s,
                             .waiter = AS__WAITER_INIT };
}
