/* tk_testkit.c: helpers shared by the tk suites -- build a runtime, a one-shot signal, the timer wheel's size. */
#include "tk_testkit.h"

#include <check.h>

#include "rt_timer.h"
#include "tk_internal.h"

/* build: a runtime of the given flavour with IO and time enabled. */
tk_runtime *build(tk_flavor flavor, unsigned workers)
{
    return build_with(flavor, workers, 1, 1);
}

/* build_with: a runtime with only the drivers asked for; the build must succeed. */
tk_runtime *build_with(tk_flavor flavor, unsigned workers, int io, int time)
{
    tk_builder b = flavor == TK_CURRENT_THREAD ? tk_builder_new_current_thread()
                                               : tk_builder_new_multi_thread();
    if (io)
        tk_builder_enable_io(&b);
    if (time)
        tk_builder_enable_time(&b);
    if (workers)
        tk_builder_worker_threads(&b, workers);
    tk_runtime *rt = NULL;
    ck_assert_int_eq(tk_builder_build(&b, &rt), 0);
    return rt;
}

/* slot_init: not fired, nobody waiting. */
void slot_init(slot *s)
{
    pthread_mutex_init(&s->lock, NULL);
    s->waker = RT_WAKER_EMPTY;
    s->flag = 0;
}

/* slot_fire: set the flag, then wake the waiter outside the lock (a wake may run code). */
void slot_fire(slot *s)
{
    pthread_mutex_lock(&s->lock);
    s->flag = 1;
    rt_waker w = s->waker;
    s->waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&s->lock);
    rt_waker_wake(&w);
}

/* slot_wait_poll: consume the flag, or leave our waker for the firer. */
static rt_poll slot_wait_poll(rt_future *f, rt_context *cx)
{
    slot *s = ((slot_wait *)f)->s;
    pthread_mutex_lock(&s->lock);
    if (s->flag) {
        s->flag = 0;
        pthread_mutex_unlock(&s->lock);
        return RT_READY;
    }
    rt_waker_replace(&s->waker, cx->waker);
    pthread_mutex_unlock(&s->lock);
    return RT_PENDING;
}

/* slot_wait_drop: a cancelled waiter takes its waker back, as a channel's receiver would. */
static void slot_wait_drop(rt_future *f)
{
    slot *s = ((slot_wait *)f)->s;
    pthread_mutex_lock(&s->lock);
    rt_waker w = s->waker;
    s->waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&s->lock);
    rt_waker_drop(&w);
}

static const rt_future_vtable slot_wait_vtable = { slot_wait_poll, slot_wait_drop, "slot_wait" };

/* slot_wait_new: a future that completes when the slot is fired. */
slot_wait slot_wait_new(slot *s)
{
    return (slot_wait){ .base = { &slot_wait_vtable }, .s = s };
}

/* wheel_count: the driver's lock, because a worker may be arming or firing timers meanwhile. */
size_t wheel_count(tk_runtime *rt)
{
    tk__driver *d = &tk_runtime_handle(rt)->driver;
    pthread_mutex_lock(&d->time_lock);
    size_t n = rt_timers_count(d->wheel);
    pthread_mutex_unlock(&d->time_lock);
    return n;
}
