/* rt_timer.c: the timers' front door: argument checks, seq numbers, counts, backend dispatch. */
#include "rt_timer.h"

#include <errno.h>

#include "rt_timer_impl.h"

/*
 * Everything that must behave identically for the wheel and the heap lives here, once: the seq
 * numbering that breaks deadline ties, the armed flag that makes cancel idempotent and double
 * insert an error, the count, and the rule that time never runs backwards. The backends are
 * then pure ordering machines, and a benchmark comparing them compares only that.
 */

/* rt_timers_new: a set of the given kind; NULL on ENOMEM or an unknown kind. */
rt_timers *rt_timers_new(rt_timers_kind kind, uint64_t now_ms)
{
    rt_timers *t;
    switch (kind) {
    case RT_TIMERS_WHEEL:
        t = rt__wheel_new(now_ms);
        break;
    case RT_TIMERS_HEAP:
        t = rt__heap_new(now_ms);
        break;
    default:
        return NULL;
    }
    if (t == NULL)
        return NULL;
    t->kind = kind;
    t->now = now_ms;
    t->next_seq = 0;
    t->count = 0;
    return t;
}

/* rt_timers_free: releases the set; armed entries are the caller's memory and are not touched. */
void rt_timers_free(rt_timers *t)
{
    if (t != NULL)
        t->ops->destroy(t);
}

/* rt_timer_entry_init: an unarmed entry carrying data. */
void rt_timer_entry_init(rt_timer_entry *e, void *data)
{
    e->deadline = 0;
    e->seq = 0;
    e->data = data;
    e->link.next = e->link.prev = NULL;
    e->level = e->slot = 0;
    e->armed = 0;
}

/* rt_timers_insert: arms e; on failure neither e nor the set has changed. */
int rt_timers_insert(rt_timers *t, rt_timer_entry *e, uint64_t deadline_ms)
{
    if (e->armed)
        return -EINVAL;
    /* Reserve first, then write: the only fallible step (heap growth) happens before e or the
     * set is touched, so -ENOMEM really means "nothing happened". */
    int rc = t->ops->reserve(t);
    if (rc != 0)
        return rc;
    e->deadline = deadline_ms;
    e->seq = t->next_seq++;
    t->ops->insert(t, e);
    e->armed = 1;
    t->count++;
    return 0;
}

/* rt_timers_cancel: disarms e if armed; otherwise does nothing. */
void rt_timers_cancel(rt_timers *t, rt_timer_entry *e)
{
    /* Idempotent because a runtime races nothing here but still cancels in two places: a
     * future dropped after its timer already fired must be able to cancel blindly. */
    if (!e->armed)
        return;
    t->ops->cancel(t, e);
    e->armed = 0;
    t->count--;
}

/* rt_timer_entry_is_armed: 1 while e waits in some set. */
int rt_timer_entry_is_armed(const rt_timer_entry *e)
{
    return e->armed != 0;
}

/* rt_timers_next_deadline: never later than the earliest armed deadline; UINT64_MAX if empty. */
uint64_t rt_timers_next_deadline(const rt_timers *t)
{
    if (t->count == 0)
        return UINT64_MAX;
    return t->ops->next_deadline(t);
}

/* rt_timers_pop_expired: the earliest due entry, disarmed, or NULL; now is made monotonic here. */
rt_timer_entry *rt_timers_pop_expired(rt_timers *t, uint64_t now_ms)
{
    /* A caller whose clock source hiccups backwards must not un-expire anything, and the wheel
     * cannot turn backwards at all, so a smaller now means "no time has passed". */
    if (now_ms < t->now)
        now_ms = t->now;
    t->now = now_ms;
    rt_timer_entry *e = t->ops->pop_expired(t, now_ms);
    if (e != NULL) {
        e->armed = 0;
        t->count--;
    }
    return e;
}

/* rt_timers_count: number of armed entries. */
size_t rt_timers_count(const rt_timers *t)
{
    return t->count;
}

/* rt_timers_kind_of: the kind given to rt_timers_new. */
rt_timers_kind rt_timers_kind_of(const rt_timers *t)
{
    return t->kind;
}

/* rt_timers_kind_name: a short printable name of a kind. */
const char *rt_timers_kind_name(rt_timers_kind k)
{
    switch (k) {
    case RT_TIMERS_WHEEL:
        return "wheel";
    case RT_TIMERS_HEAP:
        return "heap";
    }
    return "?";
}
