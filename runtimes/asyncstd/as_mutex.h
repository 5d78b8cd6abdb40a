/* as_mutex.h: an async mutex -- lock is a future, unlock a call, like pthread_mutex_lock/unlock. */
#ifndef AS_MUTEX_H
#define AS_MUTEX_H

#include "as_semaphore.h"

/*
 * Why an async mutex at all: holding a pthread mutex across an await would block the worker
 * thread for as long as the holder is suspended, and a second task on the same thread trying
 * to take it would deadlock the worker. An async mutex makes the waiting task pending instead.
 * Built on the semaphore with one permit, it inherits its fairness: unlock hands the lock to
 * the oldest waiter. It guards whatever data you decide it guards; C has no MutexGuard.
 */
typedef struct as_mutex {
    as_semaphore sem;
} as_mutex;

/* as_mutex_init: an unlocked mutex; 0 or -errno. */
int as_mutex_init(as_mutex *m);
/* as_mutex_destroy: release it; it must be unlocked and nobody waiting. */
void as_mutex_destroy(as_mutex *m);
/* as_mutex_try_lock: 0 if we now hold it, -EBUSY if someone does. */
int as_mutex_try_lock(as_mutex *m);
/* as_mutex_unlock: release the lock (to the oldest waiter, if any); 0, or -EPERM if it was not
 * locked (as an error-checking pthread mutex says). */
int as_mutex_unlock(as_mutex *m);

/* as_mutex_lock(m): ready once we hold the lock. */
typedef struct as_lock_fut {
    rt_future base;
    as_acquire_fut acquire; /* private */
} as_lock_fut;
/* as_mutex_lock: a future that takes the lock. */
as_lock_fut as_mutex_lock(as_mutex *m);

#endif
