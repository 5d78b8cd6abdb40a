/* st.h: lesson 07's single-threaded runtime, all but its scheduling loop -- tasks, two run queues, a time driver, sleep. */
#ifndef LESSON07_ST_H
#define LESSON07_ST_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "rt_clock.h"
#include "rt_inject.h"
#include "rt_join_handle.h"
#include "rt_panic.h"
#include "rt_parker.h"
#include "rt_task_list.h"
#include "rt_timer.h"

/*
 * A small tokio current_thread, built from the core's pieces, with the loop left out for you
 * (exercise.c). What it has, and why:
 *
 *   tasks        rt_task from the core: spawn copies the future into one allocation; a wake
 *                calls this runtime's schedule hook (st__schedule below).
 *   local queue  a plain linked FIFO for wakes that happen on the runtime's own thread, while
 *                it runs: no lock needed, because nobody else touches it.
 *   inject queue rt_inject, a locked FIFO, for wakes from any other thread (and for spawns made
 *                before st_run starts). Such a wake also unparks the runtime.
 *   driver       a timer set (the wheel), a cached clock and a parker. st_driver_poll fires the
 *                timers that are due; with block = 1 it first sleeps until the next deadline
 *                or an unpark. No IO here: lesson 05's reactor would sit in the same place.
 *
 * Everything except st__schedule's inject path and rt_parker_unpark runs on the thread inside
 * st_run: the timers, the local queue and the counters need no atomics.
 */

/* tokio's numbers for current_thread: look at the inject queue first every 31 ticks; poll the
 * driver, without blocking, after every 61 tasks. */
#define ST_GLOBAL_QUEUE_INTERVAL 31
#define ST_EVENT_INTERVAL 61

typedef struct st_runtime {
    rt_qnode *local_head, *local_tail; /* the local FIFO: the owner thread only */
    rt_inject inject;                  /* the remote FIFO: any thread pushes */
    rt_task_list tasks;                /* every live task, for "are we done?" and shutdown */
    rt_timers *timers;                 /* the driver's timers, owner thread only */
    rt_clock clock;
    rt_parker parker;                  /* the driver sleeps here; remote wakes unpark it */
    pthread_t owner;                   /* the thread inside st_run ... */
    _Atomic int running;               /* ... while this is 1 */
    unsigned long tick;                /* tasks taken from the queues so far (st_run counts) */
    /* counters, for the grader and for curiosity */
    long local_pops, inject_pops;      /* where st_next_task found its tasks */
    long driver_polls;                 /* st_driver_poll(s, 0): a look at the timers while busy */
    long parks;                        /* st_driver_poll(s, 1): a sleep while idle */
} st_runtime;

/* st__push_local: append to the local FIFO (owner thread, while running). */
static inline void st__push_local(st_runtime *s, rt_task *task)
{
    task->queue_node.next = NULL;
    if (s->local_tail)
        s->local_tail->next = &task->queue_node;
    else
        s->local_head = &task->queue_node;
    s->local_tail = &task->queue_node;
}

/* st_pop_local: the oldest task of the local FIFO, or NULL. */
static inline rt_task *st_pop_local(st_runtime *s)
{
    rt_qnode *n = s->local_head;
    if (!n)
        return NULL;
    s->local_head = n->next;
    if (!s->local_head)
        s->local_tail = NULL;
    s->local_pops++;
    return rt_task_of(n);
}

/* st_pop_inject: the oldest task of the inject queue, or NULL (an empty check takes no lock). */
static inline rt_task *st_pop_inject(st_runtime *s)
{
    rt_qnode *n = rt_inject_pop(&s->inject);
    if (!n)
        return NULL;
    s->inject_pops++;
    return rt_task_of(n);
}

/* st__on_owner: true on the thread inside st_run (the only one that may touch the local FIFO). */
static inline int st__on_owner(st_runtime *s)
{
    return atomic_load_explicit(&s->running, memory_order_acquire) &&
           pthread_equal(pthread_self(), s->owner);
}

// region: schedule
/* st__schedule: a task was woken. On the runtime's own thread: the local FIFO. Anywhere else:
 * the inject queue, then unpark the driver in case it sleeps. (After shutdown closed the inject
 * queue, the task was cancelled already: give its reference back.) */
static inline void st__schedule(rt_task *task)
{
    st_runtime *s = task->scheduler;
    if (st__on_owner(s)) {
        st__push_local(s, task);
        return;
    }
    if (rt_inject_push(&s->inject, &task->queue_node) != 0) {
        rt_task_drop_ref(task);
        return;
    }
    rt_parker_unpark(&s->parker);
}
// endregion

/* st__vtable: the hook every task of this runtime carries. */
static inline const rt_task_vtable *st__vtable(void)
{
    static const rt_task_vtable vtable = { .schedule = st__schedule };
    return &vtable;
}

/* st_init: an empty runtime; 0 or -errno. */
static inline int st_init(st_runtime *s)
{
    *s = (st_runtime){ .local_head = NULL };
    if (rt_inject_init(&s->inject) != 0)
        return -ENOMEM;
    if (rt_task_list_init(&s->tasks) != 0) {
        rt_inject_destroy(&s->inject);
        return -ENOMEM;
    }
    rt_clock_init(&s->clock);
    s->timers = rt_timers_new(RT_TIMERS_WHEEL, rt_clock_now_ms(&s->clock));
    if (!s->timers) {
        rt_task_list_destroy(&s->tasks);
        rt_inject_destroy(&s->inject);
        return -ENOMEM;
    }
    rt_parker_init(&s->parker);
    atomic_init(&s->running, 0);
    return 0;
}

/* st_spawn: spawn a copy of `fut` (size bytes); 0 or -ENOMEM (then the caller still owns fut). */
static inline int st_spawn(st_runtime *s, const rt_future *fut, size_t size, rt_join_handle *jh)
{
    return rt_task_spawn(&s->tasks, fut, size, st__vtable(), s, jh);
}

/* st_enter / st_leave: mark this thread as the runtime's own, for the length of st_run. */
static inline void st_enter(st_runtime *s)
{
    s->owner = pthread_self();
    atomic_store_explicit(&s->running, 1, memory_order_release);
}

/* st_leave: tasks woken from now on go to the inject queue. */
static inline void st_leave(st_runtime *s)
{
    atomic_store_explicit(&s->running, 0, memory_order_release);
}

/* st_live_tasks: tasks spawned and not yet complete. */
static inline size_t st_live_tasks(st_runtime *s)
{
    return rt_task_list_len(&s->tasks);
}

// region: driver
/* st_driver_poll: fire the timers that are due, waking their tasks. With block = 1 (nothing to
 * run), first sleep until the next deadline, or until a remote wake unparks us. */
static inline void st_driver_poll(st_runtime *s, int block)
{
    uint64_t now = rt_clock_update(&s->clock);
    if (block) {
        uint64_t next = rt_timers_next_deadline(s->timers);
        s->parks++;
        if (next == UINT64_MAX)
            rt_parker_park(&s->parker);
        else if (next > now)
            rt_parker_park_timeout(&s->parker, (next - now) * 1000000ull);
        now = rt_clock_update(&s->clock);
    } else {
        s->driver_polls++;
    }
    rt_timer_entry *e;
    while ((e = rt_timers_pop_expired(s->timers, now)) != NULL) {
        rt_waker *w = e->data;
        rt_waker_wake(w);
    }
}
// endregion

/* st_free: cancel what is left, drain both queues, release everything. Call it after st_run,
 * once no other thread can wake a task of this runtime. */
static inline void st_free(st_runtime *s)
{
    rt_task_list_close_and_shutdown(&s->tasks);
    rt_inject_close(&s->inject);
    rt_task *t;
    while ((t = st_pop_local(s)) != NULL || (t = st_pop_inject(s)) != NULL)
        rt_task_run(t); /* cancelled: this only drops the queue's reference */
    rt_timers_free(s->timers);
    rt_task_list_destroy(&s->tasks);
    rt_inject_destroy(&s->inject);
}

/*
 * st_sleep(s, ms): tokio::time::sleep on this runtime -- lesson 06's sleep future, with the
 * timer's waker kept in the entry itself (entry.data points at `waker`).
 */
typedef struct st_sleep_fut {
    rt_future base;
    st_runtime *s;
    uint64_t deadline_ms;
    int armed;
    rt_timer_entry entry;
    rt_waker waker;
} st_sleep_fut;

/* st__sleep_poll: ready once due; else armed once, with this poll's waker. */
static inline rt_poll st__sleep_poll(rt_future *f, rt_context *cx)
{
    st_sleep_fut *self = (st_sleep_fut *)f;
    if (rt_clock_now_ms(&self->s->clock) >= self->deadline_ms ||
        (self->armed && !rt_timer_entry_is_armed(&self->entry)))
        return RT_READY;
    if (!self->armed) {
        rt_timer_entry_init(&self->entry, &self->waker);
        if (rt_timers_insert(self->s->timers, &self->entry, self->deadline_ms) != 0)
            rt_panic("st_sleep: out of memory arming a timer");
        self->armed = 1;
    }
    rt_waker_replace(&self->waker, cx->waker);
    return RT_PENDING;
}

/* st__sleep_drop: an armed timer leaves the set; the stored waker goes. */
static inline void st__sleep_drop(rt_future *f)
{
    st_sleep_fut *self = (st_sleep_fut *)f;
    if (self->armed)
        rt_timers_cancel(self->s->timers, &self->entry);
    rt_waker_drop(&self->waker);
}

/* st_sleep: the future; the deadline is fixed now, on the runtime's clock. */
static inline st_sleep_fut st_sleep(st_runtime *s, uint64_t ms)
{
    static const rt_future_vtable vtable = { st__sleep_poll, st__sleep_drop, "st_sleep" };
    rt_clock_update(&s->clock);
    return (st_sleep_fut){ .base = { &vtable }, .s = s,
                           .deadline_ms = rt_clock_deadline_after_ms(&s->clock, ms),
                           .waker = RT_WAKER_EMPTY };
}

#endif
