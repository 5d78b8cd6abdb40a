/* rt_future.h: the core contracts -- rt_poll, rt_waker, rt_context, rt_future -- mirroring Rust's core::task. */
#ifndef RT_FUTURE_H
#define RT_FUTURE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Rust's async story in four types, and this file is their C spelling:
 *
 *   Poll<T>        ->  rt_poll      (the T lives in the future's own struct, read after RT_READY)
 *   Waker          ->  rt_waker     (a data pointer plus a vtable, exactly RawWaker's shape)
 *   Context<'_>    ->  rt_context   (what poll receives: today, just the waker)
 *   dyn Future     ->  rt_future    (a struct whose first member points at { poll, drop, name })
 *
 * A future does nothing until something polls it. poll either finishes (RT_READY) or
 * arranges for cx->waker to be woken when it can make progress, and returns RT_PENDING. The
 * executor then forgets about it until the wake. That single rule -- "pending implies a wake
 * will come" -- is the whole contract between futures and executors; a future that returns
 * RT_PENDING without having stored the waker somewhere is a bug that hangs the program.
 */

// region: poll
typedef enum rt_poll {
    RT_PENDING = 0,
    RT_READY = 1,
} rt_poll;
// endregion

/* ---------------------------------------------------------------------------------------- */
/* Wakers                                                                                   */
/* ---------------------------------------------------------------------------------------- */

typedef struct rt_waker rt_waker;

/*
 * The four operations of RawWakerVTable. `data` is whatever the executor needs to find the
 * task again -- in both flavours it is the task itself, and the waker owns one reference to it.
 *   clone        make a second waker (a new reference);
 *   wake         schedule the task and CONSUME this waker (its reference moves into the queue);
 *   wake_by_ref  schedule the task, keep the waker;
 *   drop         release this waker without waking.
 */
// region: waker
typedef struct rt_waker_vtable {
    rt_waker (*clone)(const void *data);
    void (*wake)(const void *data);
    void (*wake_by_ref)(const void *data);
    void (*drop)(const void *data);
} rt_waker_vtable;

struct rt_waker {
    const rt_waker_vtable *vtable;
    const void *data;
};
// endregion

/* rt_waker_clone: a new waker for the same task; the caller must eventually wake or drop it. */
rt_waker rt_waker_clone(const rt_waker *w);
/* rt_waker_wake: wake the task and consume *w (it is left empty). */
void rt_waker_wake(rt_waker *w);
/* rt_waker_wake_by_ref: wake the task; *w stays valid. */
void rt_waker_wake_by_ref(const rt_waker *w);
/* rt_waker_drop: release *w without waking; dropping an empty waker is a no-op. */
void rt_waker_drop(rt_waker *w);
/* rt_waker_will_wake: true if a and b would wake the same task (same data and vtable). */
bool rt_waker_will_wake(const rt_waker *a, const rt_waker *b);
/* rt_waker_is_empty: true for a waker that was never set, or was consumed/dropped. */
bool rt_waker_is_empty(const rt_waker *w);
/* rt_waker_noop: a waker whose every operation does nothing (for tests and manual polling). */
rt_waker rt_waker_noop(void);
/* rt_waker_replace: store a clone of `src` in *slot unless it already wakes the same task. */
void rt_waker_replace(rt_waker *slot, const rt_waker *src);

/* An empty waker, for initialising fields: no vtable, nothing owned. */
#define RT_WAKER_EMPTY ((rt_waker){ .vtable = NULL, .data = NULL })

/* ---------------------------------------------------------------------------------------- */
/* Context and futures                                                                      */
/* ---------------------------------------------------------------------------------------- */

/* What every poll receives. Rust's Context holds only &Waker too. */
typedef struct rt_context {
    const rt_waker *waker;
} rt_context;

typedef struct rt_future rt_future;

/*
 * poll  advance the state machine; RT_READY means the output is in the struct.
 * drop  release everything the future still owns, whatever its state: the child future it is
 *       awaiting, a timer entry, an IO registration, an output that nobody took. It is called
 *       exactly once -- by whoever owns the future -- and this is the cancellation path: a task
 *       that is aborted simply has its future dropped. May be NULL when there is nothing to do.
 * name  a human-readable name for metrics, panics and the deadlock watchdog.
 */
// region: future
typedef struct rt_future_vtable {
    rt_poll (*poll)(rt_future *self, rt_context *cx);
    void (*drop)(rt_future *self);
    const char *name;
} rt_future_vtable;

/*
 * Every concrete future starts with this member, so a pointer to it is a pointer to the future:
 *
 *     typedef struct { rt_future base; int resume; ... hoisted locals, child futures ... } my_fut;
 *
 * Pinning, the C way: a future may be copied (moved) freely until its first poll -- spawn does
 * exactly that, copying it into the task. From the first poll on it never moves, so only then
 * may it hold pointers into itself (an awaited child, a waker slot a reactor points at).
 */
struct rt_future {
    const rt_future_vtable *vtable;
};
// endregion

/* rt_future_poll: poll any future through its vtable. */
static inline rt_poll rt_future_poll(rt_future *f, rt_context *cx)
{
    return f->vtable->poll(f, cx);
}

/* rt_future_drop: run the future's drop, if it has one. Call exactly once per future. */
static inline void rt_future_drop(rt_future *f)
{
    if (f->vtable->drop)
        f->vtable->drop(f);
}

/* rt_future_name: the vtable's name, or "<future>" when it has none. */
static inline const char *rt_future_name(const rt_future *f)
{
    return f->vtable->name ? f->vtable->name : "<future>";
}

#endif
