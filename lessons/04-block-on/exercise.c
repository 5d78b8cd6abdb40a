/* exercise.c: lesson 04 -- write block_on: poll, park until the waker unparks you, poll again; refuse to nest. */
#include "exercise.h"

#include "rt_panic.h"
#include "rt_parker.h"

/*
 * Your task (see README.md, "Exercise"). block_on below is lesson 01's run_to_completion: it
 * spins. Make it sleep:
 *
 *   1. Give the future a real waker. Its data is this call's rt_parker; wake and wake_by_ref
 *      unpark it. (Nothing is reference counted here: the parker lives on block_on's stack,
 *      and the futures in this lesson never keep a waker past their last poll.)
 *   2. After every RT_PENDING, park on that parker (count stats->parks). The parker's token
 *      means that a wake which came before the park -- even during the poll -- makes the park
 *      return at once: there is nothing to lose and no flag of your own to keep.
 *   3. A thread already inside block_on must not call block_on again: rt_panic with
 *      BLOCK_ON_NESTED_MSG. Remember it in a _Thread_local, and forget it when you return.
 *
 * Check your work with:  make grade N=04
 */

/* block_on: run f to completion on this thread. */
void block_on(rt_future *f, block_on_stats *stats)
{
    block_on_stats local = { 0, 0 };
    if (!stats)
        stats = &local;
    /* TODO: detect nesting (see 3 above). */
    rt_waker waker = rt_waker_noop(); /* TODO: a waker that unparks this call's parker */
    rt_context cx = { .waker = &waker };
    for (;;) {
        stats->polls++;
        if (rt_future_poll(f, &cx) == RT_READY)
            break;
        /* TODO: sleep until the waker fires, instead of polling again at once. */
    }
}
