/* exercise.c (solution): lesson 04 -- block_on on a futex parker, with a nesting check. */
#include "exercise.h"

#include "rt_panic.h"
#include "rt_parker.h"

static const rt_waker_vtable parker_waker_vtable;

/* parker_clone: the parker outlives every clone in this lesson, so a clone is the same pointer. */
static rt_waker parker_clone(const void *data)
{
    return (rt_waker){ .vtable = &parker_waker_vtable, .data = data };
}

/* parker_wake_by_ref: leave a token. If block_on is asleep it wakes; if it is busy polling, its
 * next park returns at once. The token is the whole "woken" flag. */
static void parker_wake_by_ref(const void *data)
{
    rt_parker_unpark((rt_parker *)data);
}

/* parker_wake: by value; nothing is counted, so the same as by reference. */
static void parker_wake(const void *data)
{
    parker_wake_by_ref(data);
}

/* parker_drop: nothing to release. */
static void parker_drop(const void *data)
{
    (void)data;
}

static const rt_waker_vtable parker_waker_vtable = {
    .clone = parker_clone,
    .wake = parker_wake,
    .wake_by_ref = parker_wake_by_ref,
    .drop = parker_drop,
};

/* 1 while this thread is inside block_on. */
static _Thread_local int block_on_inside;

/* block_on: poll, park, repeat. A park returns only for a token, so every poll after the first
 * follows a wake: polls <= wakes + 1, and a thread waiting for a wake uses no CPU. */
void block_on(rt_future *f, block_on_stats *stats)
{
    block_on_stats local = { 0, 0 };
    if (!stats)
        stats = &local;
    if (block_on_inside)
        rt_panic(BLOCK_ON_NESTED_MSG);
    block_on_inside = 1;

    rt_parker parker;
    rt_parker_init(&parker);
    rt_waker waker = { .vtable = &parker_waker_vtable, .data = &parker };
    rt_context cx = { .waker = &waker };
    for (;;) {
        stats->polls++;
        if (rt_future_poll(f, &cx) == RT_READY)
            break;
        stats->parks++;
        rt_parker_park(&parker);
    }
    block_on_inside = 0;
}
