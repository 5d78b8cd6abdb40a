/* tk_coop.h: cooperative scheduling -- a budget of 128 polls per task tick, as in tokio. */
#ifndef TK_COOP_H
#define TK_COOP_H

#include <stdbool.h>

#include "rt_future.h"

/*
 * A task that always finds its sockets ready and its channels full never returns pending on
 * its own, and would keep its worker forever. tokio's answer is a budget: each time a worker
 * polls a task it grants 128 units; every tk leaf future (a read, a recv, a sleep, a lock)
 * spends one before doing its work. When the budget is spent, the leaf pretends not to be
 * ready: it wakes its own task and returns RT_PENDING, so the task goes to the back of the
 * queue and everyone else gets a turn. Futures from elsewhere (the core, the as flavour) know
 * nothing of this, which is why the budget lives in thread-local state and not in rt_context.
 *
 * Outside a tk task (no budget set) every call proceeds: the budget is unconstrained.
 */

#define TK_COOP_BUDGET 128

/* tk_coop_proceed: spend one unit; false (after waking the task) when the budget is spent and
 * the caller must return RT_PENDING. Call it first in every tk leaf future's poll. */
bool tk_coop_proceed(rt_context *cx);

/* tk_coop_undo: give back the unit of a tk_coop_proceed whose poll then returned pending
 * (no progress was made, so it should not count -- tokio's RestoreOnPending). */
void tk_coop_undo(void);

/* tk_coop_has_budget: true if a leaf would proceed (unconstrained counts as true). */
bool tk_coop_has_budget(void);

/* Scheduler side: grant a fresh budget before a task poll, clear it after. */
void tk_coop_set(int units);      /* units < 0: unconstrained */
int tk_coop_get(void);            /* what is left, or -1 if unconstrained */
/* tk_coop_forced_yields: this thread's count of budget-forced yields (for metrics). */
unsigned long tk_coop_forced_yields(void);

#endif
