/* tk_mutex.c: tokio's async Mutex -- a fair FIFO lock that is a one-permit semaphore. */
#include <errno.h>

#include "rt_panic.h"
#include "tk_sync.h"

/*
 * tokio::sync::Mutex is exactly this: a batch semaphore with one permit. Locking is acquiring
 * the permit, unlocking is releasing it, and everything subtle -- FIFO hand-over, a cancelled
 * lock future giving back a permit it was handed, never losing a wake-up -- is the
 * semaphore's (tk_semaphore.c). Fairness comes with it: unlock hands the permit straight to
 * the oldest waiter, so a task that unlocks and immediately locks again queues behind it and
 * cannot starve the others, which is what a tokio user expects and a plain spinlock-style
 * "whoever grabs it first" lock does not give.
 *
 * The lock future wraps the acquire future only to carry its own name for diagnostics.
 */

static rt_poll tk__lock_poll(rt_future *f, rt_context *cx);
static void tk__lock_drop(rt_future *f);

static const rt_future_vtable tk__lock_vtable = { tk__lock_poll, tk__lock_drop, "tk_mutex_lock" };

/* tk_mutex_init: one permit means unlocked. */
int tk_mutex_init(tk_mutex *m)
{
    return tk_semaphore_init(&m->sem, 1);
}

/* tk_mutex_destroy: the semaphore refuses to go while futures wait on it. */
void tk_mutex_destroy(tk_mutex *m)
{
    tk_semaphore_destroy(&m->sem);
}

/* tk_mutex_lock: a future for the single permit. */
tk_mutex_lock_fut tk_mutex_lock(tk_mutex *m)
{
    tk_mutex_lock_fut l = { .base = { &tk__lock_vtable }, .acquire = tk_semaphore_acquire(&m->sem, 1) };
    return l;
}

/* tk__lock_poll: the acquire does the work (and spends the coop unit); the semaphore of a
 * mutex is never closed, so ready always means locked. */
static rt_poll tk__lock_poll(rt_future *f, rt_context *cx)
{
    tk_mutex_lock_fut *l = (tk_mutex_lock_fut *)f;
    return rt_future_poll(&l->acquire.base, cx);
}

/* tk__lock_drop: cancelling a lock is cancelling the acquire. Once the future was ready, the
 * caller holds the lock and the drop does nothing: unlocking is tk_mutex_unlock's job. */
static void tk__lock_drop(rt_future *f)
{
    tk_mutex_lock_fut *l = (tk_mutex_lock_fut *)f;
    rt_future_drop(&l->acquire.base);
}

/* tk_mutex_try_lock: succeeds only if the permit is free, which implies nobody is queued. */
int tk_mutex_try_lock(tk_mutex *m)
{
    return tk_semaphore_try_acquire(&m->sem, 1) == 0 ? 0 : -EAGAIN;
}

/*
 * tk_mutex_unlock: the misuse check is exact, not a heuristic. While the lock is held the
 * free count is 0, and only the holder can raise it (a permit can only come back from a
 * release, or from a cancelled waiter that was handed one -- by a release). So a non-zero
 * count here means the caller did not hold the lock.
 */
void tk_mutex_unlock(tk_mutex *m)
{
    if (tk_semaphore_available_permits(&m->sem) != 0)
        rt_panic("tk_mutex_unlock: the mutex is not locked");
    tk_semaphore_release(&m->sem, 1);
}
