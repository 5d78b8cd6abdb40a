/* tk_coop.c: the per-thread coop budget that makes busy tasks yield. */
#include "tk_coop.h"

/* -1: unconstrained (not inside a tk task poll). Thread-local because a task is polled by
 * one thread at a time, and the budget belongs to that poll. */
static _Thread_local int tk__budget = -1;
static _Thread_local unsigned long tk__forced_yields;

/* tk_coop_proceed: spend a unit, or wake ourselves and report "not now". */
bool tk_coop_proceed(rt_context *cx)
{
    if (tk__budget < 0)
        return true;
    if (tk__budget == 0) {
        /* Wake before returning pending: the task must be polled again, just not now. */
        rt_waker_wake_by_ref(cx->waker);
        tk__forced_yields++;
        return false;
    }
    tk__budget--;
    return true;
}

/* tk_coop_undo: restore one unit; never above the grant, never for an unconstrained poll. */
void tk_coop_undo(void)
{
    if (tk__budget >= 0 && tk__budget < TK_COOP_BUDGET)
        tk__budget++;
}

/* tk_coop_has_budget: would the next leaf proceed? */
bool tk_coop_has_budget(void)
{
    return tk__budget != 0;
}

/* tk_coop_set: the scheduler grants TK_COOP_BUDGET before each poll, -1 after. */
void tk_coop_set(int units)
{
    tk__budget = units < 0 ? -1 : units;
}

/* tk_coop_get: the remaining budget. */
int tk_coop_get(void)
{
    return tk__budget;
}

/* tk_coop_forced_yields: read by the worker after each poll to update its metrics. */
unsigned long tk_coop_forced_yields(void)
{
    return tk__forced_yields;
}
