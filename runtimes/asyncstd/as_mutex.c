/* as_mutex.c: the async mutex -- a semaphore with one permit, with pthread's names and checks. */
#include "as_mutex.h"

#include <errno.h>

/*
 * Nothing new is needed beyond the semaphore: locking is acquiring its single permit, and
 * unlocking releases it, handing the lock straight to the oldest waiter. What the mutex adds
 * is the error check an error-checking pthread mutex makes: unlocking a mutex that is not
 * locked is refused (-EPERM) instead of minting a second permit. Unlike pthread, it cannot
 * tell which task holds it (a task may move between threads, and it is not tracked): any
 * task may unlock, as with async-lock's MutexGuard sent to another task.
 */

/* as_mutex_init: one permit. */
int as_mutex_init(as_mutex *m)
{
    return as_semaphore_init(&m->sem, 1);
}

/* as_mutex_destroy: see as_semaphore_destroy. */
void as_mutex_destroy(as_mutex *m)
{
    as_semaphore_destroy(&m->sem);
}

/* as_mutex_try_lock: -EBUSY instead of the semaphore's -EAGAIN, as pthread says it. */
int as_mutex_try_lock(as_mutex *m)
{
    return as_semaphore_try_acquire(&m->sem) == 0 ? 0 : -EBUSY;
}

/* as_mutex_unlock: refused when the permit is already free; otherwise the semaphore's release
 * (hand to the oldest waiter, or free the permit), checked and done under one lock hold. */
int as_mutex_unlock(as_mutex *m)
{
    as_semaphore *s = &m->sem;
    rt_waker w = RT_WAKER_EMPTY;
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    if (s->permits > 0)
        rc = -EPERM;
    else if (!as__waitlist_pop(&s->waiters, &w))
        s->permits = 1;
    pthread_mutex_unlock(&s->lock);
    rt_waker_wake(&w);
    return rc;
}

/* as__lock_poll: acquire the permit. */
static rt_poll as__lock_poll(rt_future *f, rt_context *cx)
{
    return rt_future_poll(&((as_lock_fut *)f)->acquire.base, cx);
}

/* as__lock_drop: as the acquire's drop (a lock handed to us but never taken is passed on). */
static void as__lock_drop(rt_future *f)
{
    rt_future_drop(&((as_lock_fut *)f)->acquire.base);
}

static const rt_future_vtable as__lock_vtable = {
    .poll = as__lock_poll,
    .drop = as__lock_drop,
    .name = "as_mutex_lock",
};

/* as_mutex_lock: constructor. */
as_lock_fut as_mutex_lock(as_mutex *m)
{
    return (as_lock_fut){ .base = { &as__lock_vtable }, .acquire = as_semaphore_acquire(&m->sem) };
}
