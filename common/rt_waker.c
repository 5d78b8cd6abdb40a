/* rt_waker.c: the operations every waker supports, the no-op waker, and will_wake. */
#include "rt_future.h"

/*
 * These are thin on purpose: a waker is a (vtable, data) pair and every operation is one
 * indirect call. What a wake *means* -- push the task on a run queue, unpark a thread --
 * lives in the executor that built the vtable (see rt_task.c and rt_block_on.c).
 */

/* rt_waker_clone: ask the vtable for a new reference; an empty waker clones to empty. */
rt_waker rt_waker_clone(const rt_waker *w)
{
    if (!w->vtable)
        return RT_WAKER_EMPTY;
    return w->vtable->clone(w->data);
}

/* rt_waker_wake: wake and consume; the slot is emptied so a second wake cannot happen by accident. */
void rt_waker_wake(rt_waker *w)
{
    const rt_waker_vtable *vt = w->vtable;
    const void *data = w->data;
    *w = RT_WAKER_EMPTY;
    if (vt)
        vt->wake(data);
}

/* rt_waker_wake_by_ref: wake without giving up the reference. */
void rt_waker_wake_by_ref(const rt_waker *w)
{
    if (w->vtable)
        w->vtable->wake_by_ref(w->data);
}

/* rt_waker_drop: release the reference and empty the slot; idempotent on an empty waker. */
void rt_waker_drop(rt_waker *w)
{
    const rt_waker_vtable *vt = w->vtable;
    const void *data = w->data;
    *w = RT_WAKER_EMPTY;
    if (vt)
        vt->drop(data);
}

/* rt_waker_will_wake: same data and same vtable means the same task, as in Rust. */
bool rt_waker_will_wake(const rt_waker *a, const rt_waker *b)
{
    return a->vtable == b->vtable && a->data == b->data;
}

/* rt_waker_is_empty: no vtable means nothing to wake and nothing owned. */
bool rt_waker_is_empty(const rt_waker *w)
{
    return w->vtable == NULL;
}

/*
 * rt_waker_replace: the idiom every leaf future uses when it goes pending. Polls usually come
 * from the same task, so cloning every time would be a wasted refcount round-trip; Rust's
 * futures do the same check with will_wake.
 */
void rt_waker_replace(rt_waker *slot, const rt_waker *src)
{
    if (slot->vtable && rt_waker_will_wake(slot, src))
        return;
    rt_waker fresh = rt_waker_clone(src);
    rt_waker_drop(slot);
    *slot = fresh;
}

/* The no-op waker's operations: nothing is owned, so nothing to count. */
static rt_waker rt__noop_clone(const void *data);
static void rt__noop_nothing(const void *data);

static const rt_waker_vtable rt__noop_vtable = {
    .clone = rt__noop_clone,
    .wake = rt__noop_nothing,
    .wake_by_ref = rt__noop_nothing,
    .drop = rt__noop_nothing,
};

/* rt__noop_clone: cloning a no-op waker gives the same no-op waker. */
static rt_waker rt__noop_clone(const void *data)
{
    return (rt_waker){ .vtable = &rt__noop_vtable, .data = data };
}

/* rt__noop_nothing: wake, wake_by_ref and drop of the no-op waker. */
static void rt__noop_nothing(const void *data)
{
    (void)data;
}

/* rt_waker_noop: a waker that is safe to hand to any future and never wakes anything. */
rt_waker rt_waker_noop(void)
{
    return (rt_waker){ .vtable = &rt__noop_vtable, .data = NULL };
}
