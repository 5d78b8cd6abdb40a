/* cross_thread_wake.c (rtb-tk): K plain threads wake one tk task through its waker. */
#include "tkb.h"

#include "rtb_wake.h"

/*
 * The anchor's wake.rs: one task publishes its waker on its first poll and opens the start
 * line; every sender thread then, per round, announces the round and calls wake_by_ref on
 * that waker -- tk's cross-thread wake: the task is scheduled unless it already is (that is
 * the coalescing), which from a foreign thread means the inject queue plus an unpark of the
 * runtime (the driver's eventfd on current_thread, a sleeping worker on multi_thread). Each
 * poll of the task is one "callback": it answers every new round.
 *
 * The sender side is the shared C code (rtb_wake.c: announce, wake, block on an eventfd until
 * answered), as for every C runtime; the anchor parks its senders with thread::park instead.
 * Only the loop side -- waking a task and polling it -- is tk's.
 */

static rtb_wake tkb__w;
static rt_waker tkb__waker;  /* the task's waker, cloned on its first poll, before the start */

/* tkb__wake: the wake primitive the sender threads call. */
static void tkb__wake(void *ctx)
{
    (void)ctx;
    rt_waker_wake_by_ref(&tkb__waker);
}

typedef struct tkb__ctw_task {
    rt_future base;
    int started;
} tkb__ctw_task;

/* tkb__ctw_poll: first poll publishes the waker and starts the clock; every later poll is a
 * callback that answers what is new, and the one that answers the last round finishes. */
static rt_poll tkb__ctw_poll(rt_future *f, rt_context *cx)
{
    tkb__ctw_task *t = (tkb__ctw_task *)f;
    if (!t->started) {
        t->started = 1;
        /* Published before rtb_wake_go's release store; a sender reads it only after its
         * acquire load of the start line, so it sees the whole waker. */
        tkb__waker = rt_waker_clone(cx->waker);
        rtb_wake_go(&tkb__w);
        return RT_PENDING;
    }
    return rtb_wake_on_callback(&tkb__w) ? RT_READY : RT_PENDING;
}

static const rt_future_vtable tkb__ctw_vtable = { tkb__ctw_poll, NULL, "cross_thread_wake" };

/* tkb_cross_thread_wake: wakes/s and wakes per poll. */
int tkb_cross_thread_wake(rtb_args *args)
{
    rtb_wake_params(&tkb__w, args);
    tk_runtime *rt = tkb_runtime_new();
    rtb_wake_spawn(&tkb__w, tkb__wake, NULL);
    tkb__ctw_task t = { .base = { &tkb__ctw_vtable } };
    tkb_block_on_task(rt, &t.base, sizeof t);
    /* A sender may still be inside its last wake_by_ref: join before the waker goes. */
    rtb_wake_join(&tkb__w);
    rt_waker_drop(&tkb__waker);
    tk_runtime_free(rt);
    rtb_wake_report(&tkb__w);
    return 0;
}
