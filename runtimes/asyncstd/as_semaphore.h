/* as_semaphore.h: an async counting semaphore with fair (FIFO) hand-off of permits. */
#ifndef AS_SEMAPHORE_H
#define AS_SEMAPHORE_H

#include <pthread.h>
#include <stddef.h>

#include "as_waitlist.h"
#include "rt_future.h"

/*
 * async-lock's Semaphore, the one async-std re-exports: acquire waits (as a future, never
 * blocking the thread) until a permit is free; release gives it back. Permits are handed to
 * waiters in arrival order: a release with someone waiting passes its permit straight to the
 * oldest waiter instead of putting it back for anybody to grab, so a waiter is never starved
 * by newcomers. The struct is embeddable, like pthread_mutex_t: init it, destroy it when no
 * future uses it any more.
 */
typedef struct as_semaphore {
    pthread_mutex_t lock;
    size_t permits;       /* free permits */
    as__waitlist waiters; /* acquirers waiting, oldest first */
} as_semaphore;

/* as_semaphore_init: `permits` free permits; 0 or -errno from the mutex. */
int as_semaphore_init(as_semaphore *s, size_t permits);
/* as_semaphore_destroy: release the mutex; no future may still wait on it. */
void as_semaphore_destroy(as_semaphore *s);
/* as_semaphore_try_acquire: take a permit now; 0 or -EAGAIN. */
int as_semaphore_try_acquire(as_semaphore *s);
/* as_semaphore_release: give one permit back (to the oldest waiter, if any). */
void as_semaphore_release(as_semaphore *s);
/* as_semaphore_available: free permits right now. */
size_t as_semaphore_available(as_semaphore *s);

/* as_semaphore_acquire(s): ready holding one permit. Dropped while pending, it gives back a
 * permit it had already been handed, so a cancelled waiter never swallows one. */
typedef struct as_acquire_fut {
    rt_future base;
    as_semaphore *sem;
    int acquired;        /* output: 1 once the permit is ours */
    as__waiter waiter;   /* private */
} as_acquire_fut;
/* as_semaphore_acquire: a future that acquires one permit. */
as_acquire_fut as_semaphore_acquire(as_semaphore *s);

#endif
