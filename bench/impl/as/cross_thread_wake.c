/* cross_thread_wake.c (rtb-as): K plain threads wake one as task through its waker. */
#include "asb.h"

#include "rtb_wake.h"

/*
 * The anchor's wake.rs: one task publishes its waker on its first poll and opens the start
 * line; every sender thread then, per round, announces the round and calls wake_by_ref on
 * that waker -- as's cross-thread wake: the core's task state word schedules the task unless
 * it is already scheduled (that is the coalescing, as async-task's is), and a schedule from a
 * foreign thread pushes onto the one global queue and wakes a sleeping worker (its futex, or
 * the poller's eventfd when the idle worker is waiting in the reactor). Each poll of the task
 * is one "callback": it answers every new round.
 *
 * The sender side is the shared C code (rtb_wake.c: announce, wake, block on an eventfd until
 * answered), as for every C runtime; the anchor parks its senders with thread::park instead.
 * Only the loop side -- waking a task and polling it -- is as's.
 */

static rtb_wake asb__w;
static rt_waker asb__waker;  /* the task's waker, cloned on its first poll, before the start */

/* asb__wake: the wake primitive the sender threads call. */
static void asb__wake(void *ctx)
{
    (void)ctx;
    rt_waker_wake_by_ref(&asb__waker);
}

typedef struct asb__ctw_task {
    rt_future base;
    int started;
} asb__ctw_task;

/* asb__ctw_poll: first poll publishes the waker and starts the clock; every later poll is a
 * callback that answers what is new, and the one that answers the last round finishes. */
static rt_poll asb__ctw_poll(rt_future *f, rt_context *cx)
{
    asb__ctw_task *t = (asb__ctw_task *)f;
    if (!t->started) {
        t->started = 1;
        /* Published before rtb_wake_go's release store; a sender reads it only after its
         * acquire load of the start line, so it sees the whole waker. */
        asb__waker = rt_waker_clone(cx->waker);
        rtb_wake_go(&asb__w);
        return RT_PENDING;
    }
    return rtb_wake_on_callback(&asb__w) ? RT_READY : RT_PENDING;
}

static const rt_future_vtable asb__ctw_vtable = { asb__ctw_poll, NULL, "cross_thread_wake" };

/* asb_cross_thread_wake: wakes/s and wakes per poll. */
int asb_cross_thread_wake(rtb_args *args)
{
    rtb_wake_params(&asb__w, args);
    rtb_wake_spawn(&asb__w, asb__wake, NULL);
    asb__ctw_task t = { .base = { &asb__ctw_vtable } };
    asb_block_on_task(&t.base, sizeof t);
    /* A sender may still be inside its last wake_by_ref: join before the waker goes. */
    rtb_wake_join(&asb__w);
    rt_waker_drop(&asb__waker);
    rtb_wake_report(&asb__w);
    return 0;
}
