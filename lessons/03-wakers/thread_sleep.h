/* thread_sleep.h: lesson 03's stand-in for a timer -- a sleep future whose wake comes from a helper thread. */
#ifndef LESSON03_THREAD_SLEEP_H
#define LESSON03_THREAD_SLEEP_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "rt_future.h"
#include "rt_panic.h"

/*
 * A real runtime's sleep puts an entry in a timer wheel, and the runtime's own thread wakes the
 * task when the deadline passes (lesson 06). Until then, this is the simplest thing that has
 * the same shape: on its first poll the future hands a clone of its waker to a new thread,
 * which sleeps and then calls rt_waker_wake. That is exactly the contract of every leaf future:
 * "I return RT_PENDING, and I have arranged for somebody to wake you".
 *
 * The thread keeps a pointer to the future, so the future must not move after its first poll
 * -- the pinning rule of lesson 02, for a reason you can see.
 */
typedef struct thread_sleep_fut {
    rt_future base;
    unsigned ms;
    int started;         /* the helper thread exists */
    int joined;
    _Atomic int fired;   /* set by the helper thread just before it wakes the waker */
    pthread_t thread;
    rt_waker waker;      /* the clone the helper thread owns and consumes */
    int polls;           /* how often this future was polled: the lesson's measuring stick */
} thread_sleep_fut;

/* thread_sleep__main: the helper thread -- sleep, mark fired, then wake the task (consuming the clone). */
static inline void *thread_sleep__main(void *arg)
{
    thread_sleep_fut *self = arg;
    struct timespec ts = { .tv_sec = self->ms / 1000, .tv_nsec = (long)(self->ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ; /* EINTR: sleep for what is left */
    atomic_store_explicit(&self->fired, 1, memory_order_release);
    rt_waker_wake(&self->waker);
    return NULL;
}

/* thread_sleep__join: wait for the helper thread once; after it, no wake can still arrive. */
static inline void thread_sleep__join(thread_sleep_fut *self)
{
    if (self->started && !self->joined) {
        pthread_join(self->thread, NULL);
        self->joined = 1;
    }
}

/* thread_sleep_poll: start the helper at the first poll; ready once it has fired. */
static inline rt_poll thread_sleep_poll(rt_future *f, rt_context *cx)
{
    thread_sleep_fut *self = (thread_sleep_fut *)f;
    self->polls++;
    if (!self->started) {
        self->waker = rt_waker_clone(cx->waker);
        if (pthread_create(&self->thread, NULL, thread_sleep__main, self) != 0) {
            rt_waker_drop(&self->waker);
            rt_panic("thread_sleep: cannot start the helper thread");
        }
        self->started = 1;
        return RT_PENDING;
    }
    if (!atomic_load_explicit(&self->fired, memory_order_acquire))
        return RT_PENDING; /* polled before the wake: nothing to do, the thread has the waker */
    thread_sleep__join(self); /* the wake call may still be running: let it finish */
    return RT_READY;
}

/* thread_sleep_drop: a helper thread cannot be cancelled, so wait it out: after drop, no wake. */
static inline void thread_sleep_drop(rt_future *f)
{
    thread_sleep__join((thread_sleep_fut *)f);
}

/* thread_sleep: a future that is ready `ms` milliseconds after its first poll. */
static inline thread_sleep_fut thread_sleep(unsigned ms)
{
    static const rt_future_vtable vtable = { .poll = thread_sleep_poll,
                                             .drop = thread_sleep_drop,
                                             .name = "thread_sleep" };
    return (thread_sleep_fut){ .base = { &vtable }, .ms = ms };
}

/* thread_cpu_ms: CPU time this thread has used so far, in milliseconds. */
static inline double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* wall_ms: the monotonic clock, in milliseconds. */
static inline double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

#endif
