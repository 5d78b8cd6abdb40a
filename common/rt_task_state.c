/* rt_task_state.c: every transition of the task state word, each one compare-and-swap loop. */
#include "rt_task_state.h"

#include <stdio.h>
#include <stdlib.h>

/*
 * Why one word and CAS loops: a wake can come from any thread at any moment -- an IO driver,
 * a timer, another task -- while a worker polls the task and a JoinHandle is dropped
 * somewhere else. If RUNNING, NOTIFIED and the reference count lived in separate words, a wake
 * could see "not running", get preempted, and then queue a task that has meanwhile completed
 * and been freed. With one word, each decision is taken on a snapshot that the CAS proves was
 * still current when the change landed.
 *
 * Orderings: transitions use acq_rel. Release publishes what the thread did before (the
 * future's new state, the stored join waker); acquire makes the next owner see it. A reference
 * increment is relaxed -- the caller already holds a reference, so the task cannot vanish --
 * and a decrement is acq_rel, so the thread that frees the task sees every write made by the
 * threads that dropped their references before it (the same argument as Arc in Rust).
 */

/* rt__corrupt: a state that cannot happen; continuing would risk a use-after-free. */
static _Noreturn void rt__corrupt(const char *what, uint64_t snapshot)
{
    fprintf(stderr, "rt_task_state: %s (state 0x%llx)\n", what, (unsigned long long)snapshot);
    abort();
}

/* rt__cas: try to replace *cur with next; on failure *cur holds the fresh value to retry with. */
static inline bool rt__cas(rt_task_state *s, uint64_t *cur, uint64_t next)
{
    return atomic_compare_exchange_weak_explicit(s, cur, next, memory_order_acq_rel,
                                                 memory_order_acquire);
}

/* rt_task_state_load: a snapshot; acquire so that a COMPLETE seen here means the output is visible. */
uint64_t rt_task_state_load(rt_task_state *s)
{
    return atomic_load_explicit(s, memory_order_acquire);
}

/* rt_task_state_ref_count: the high bits of a snapshot. */
uint64_t rt_task_state_ref_count(uint64_t snapshot)
{
    return snapshot >> RT_TASK_REF_SHIFT;
}

/* rt_task_state_to_running: claim the task for a poll. The caller holds a queue reference. */
rt_to_running rt_task_state_to_running(rt_task_state *s)
{
    uint64_t cur = rt_task_state_load(s);
    for (;;) {
        uint64_t next = cur;
        rt_to_running action;
        if (cur & RT_TASK_LIFECYCLE) {
            /* Running elsewhere, or already finished (e.g. cancelled by a shutdown while it
             * sat in a queue): this queue entry is stale. Drop its reference. */
            if (rt_task_state_ref_count(cur) == 0)
                rt__corrupt("to_running with no references", cur);
            next -= RT_TASK_REF_ONE;
            action = rt_task_state_ref_count(next) == 0 ? RT_TO_RUNNING_DEALLOC
                                                        : RT_TO_RUNNING_FAILED;
        } else {
            next |= RT_TASK_RUNNING;
            next &= ~RT_TASK_NOTIFIED;
            action = (cur & RT_TASK_CANCELLED) ? RT_TO_RUNNING_CANCELLED : RT_TO_RUNNING_SUCCESS;
        }
        if (rt__cas(s, &cur, next))
            return action;
    }
}

/* rt_task_state_to_idle: end a poll that returned pending. The caller holds the reference it ran with. */
rt_to_idle rt_task_state_to_idle(rt_task_state *s)
{
    uint64_t cur = rt_task_state_load(s);
    for (;;) {
        if (!(cur & RT_TASK_RUNNING))
            rt__corrupt("to_idle on a task that is not running", cur);
        /* Aborted while we polled: stay RUNNING (we own it) and let the caller cancel it. */
        if (cur & RT_TASK_CANCELLED)
            return RT_TO_IDLE_CANCELLED;
        uint64_t next = cur & ~RT_TASK_RUNNING;
        rt_to_idle action;
        if (cur & RT_TASK_NOTIFIED) {
            /* A wake arrived during the poll. It could not queue a running task, so it left
             * NOTIFIED for us: our reference becomes the new queue entry's reference. */
            action = RT_TO_IDLE_OK_NOTIFIED;
        } else {
            next -= RT_TASK_REF_ONE;
            action = rt_task_state_ref_count(next) == 0 ? RT_TO_IDLE_OK_DEALLOC : RT_TO_IDLE_OK;
        }
        if (rt__cas(s, &cur, next))
            return action;
    }
}

/* rt_task_state_to_complete: flip RUNNING off and COMPLETE on in one step. */
uint64_t rt_task_state_to_complete(rt_task_state *s)
{
    const uint64_t delta = RT_TASK_RUNNING | RT_TASK_COMPLETE;
    uint64_t prev = atomic_fetch_xor_explicit(s, delta, memory_order_acq_rel);
    if (!(prev & RT_TASK_RUNNING) || (prev & RT_TASK_COMPLETE))
        rt__corrupt("to_complete on a task that is not running", prev);
    return prev ^ delta;
}

/*
 * rt_task_state_notify_by_ref: the by-reference wake. Only an idle task is queued; a running
 * one is marked and its poller re-queues it; a queued or finished one needs nothing. This is
 * where "scheduled exactly once per wake, no wake lost" is decided.
 */
rt_notify_action rt_task_state_notify_by_ref(rt_task_state *s)
{
    uint64_t cur = rt_task_state_load(s);
    for (;;) {
        uint64_t next = cur;
        rt_notify_action action;
        if (cur & (RT_TASK_COMPLETE | RT_TASK_NOTIFIED))
            return RT_NOTIFY_DO_NOTHING;
        if (cur & RT_TASK_RUNNING) {
            next |= RT_TASK_NOTIFIED;
            action = RT_NOTIFY_DO_NOTHING;
        } else {
            next |= RT_TASK_NOTIFIED;
            next += RT_TASK_REF_ONE; /* the queue entry's reference */
            action = RT_NOTIFY_SUBMIT;
        }
        if (rt__cas(s, &cur, next))
            return action;
    }
}

/* rt_task_state_notify_by_val: the consuming wake; the waker's reference is used or dropped. */
rt_notify_action rt_task_state_notify_by_val(rt_task_state *s)
{
    uint64_t cur = rt_task_state_load(s);
    for (;;) {
        uint64_t next = cur;
        rt_notify_action action;
        if (rt_task_state_ref_count(cur) == 0)
            rt__corrupt("wake with no references", cur);
        if (cur & RT_TASK_RUNNING) {
            /* Mark it; the poller re-queues it with its own reference, so ours is dropped.
             * It cannot be the last: the poller still holds one. */
            next |= RT_TASK_NOTIFIED;
            next -= RT_TASK_REF_ONE;
            if (rt_task_state_ref_count(next) == 0)
                rt__corrupt("running task with no poller reference", cur);
            action = RT_NOTIFY_DO_NOTHING;
        } else if (cur & (RT_TASK_COMPLETE | RT_TASK_NOTIFIED)) {
            next -= RT_TASK_REF_ONE;
            action = rt_task_state_ref_count(next) == 0 ? RT_NOTIFY_DEALLOC : RT_NOTIFY_DO_NOTHING;
        } else {
            /* Idle: queue it with a new reference. The waker's own reference is dropped by
             * the caller only after schedule returns (tokio does the same): schedule may
             * still touch the scheduler after the push, and it is this task's reference that
             * keeps the scheduler alive -- once pushed, the queue's reference can be used and
             * dropped by another thread at any moment. */
            next |= RT_TASK_NOTIFIED;
            next += RT_TASK_REF_ONE;
            action = RT_NOTIFY_SUBMIT;
        }
        if (rt__cas(s, &cur, next))
            return action;
    }
}

/* rt_task_state_notify_and_cancel: abort. Cancelling happens on a runtime thread, so an idle
 * task is queued (true: the caller schedules it with the added reference). */
bool rt_task_state_notify_and_cancel(rt_task_state *s)
{
    uint64_t cur = rt_task_state_load(s);
    for (;;) {
        uint64_t next = cur;
        bool submit = false;
        if (cur & (RT_TASK_CANCELLED | RT_TASK_COMPLETE))
            return false;
        if (cur & RT_TASK_RUNNING) {
            /* The poller sees CANCELLED when its poll ends (to_idle) and cancels then. */
            next |= RT_TASK_NOTIFIED | RT_TASK_CANCELLED;
        } else if (cur & RT_TASK_NOTIFIED) {
            /* Already queued: to_running will report CANCELLED. */
            next |= RT_TASK_CANCELLED;
        } else {
            next |= RT_TASK_NOTIFIED | RT_TASK_CANCELLED;
            next += RT_TASK_REF_ONE;
            submit = true;
        }
        if (rt__cas(s, &cur, next))
            return submit;
    }
}

/* rt_task_state_to_shutdown: runtime shutdown. An idle task (queued or not) is claimed by
 * setting RUNNING, so that no worker will ever poll it again; a running one will see
 * CANCELLED when its poll ends. */
bool rt_task_state_to_shutdown(rt_task_state *s)
{
    uint64_t cur = rt_task_state_load(s);
    for (;;) {
        uint64_t next = cur | RT_TASK_CANCELLED;
        bool idle = !(cur & RT_TASK_LIFECYCLE);
        if (idle)
            next |= RT_TASK_RUNNING;
        if (rt__cas(s, &cur, next))
            return idle;
    }
}

/* rt_task_state_unset_join_interest: the JoinHandle goes away. Once COMPLETE is set the output
 * is there and nobody else will drop it, so the handle must (false). */
bool rt_task_state_unset_join_interest(rt_task_state *s)
{
    uint64_t cur = rt_task_state_load(s);
    for (;;) {
        if (!(cur & RT_TASK_JOIN_INTEREST))
            rt__corrupt("join interest dropped twice", cur);
        if (cur & RT_TASK_COMPLETE)
            return false;
        if (rt__cas(s, &cur, cur & ~RT_TASK_JOIN_INTEREST))
            return true;
    }
}

/* rt_task_state_set_join_waker: hand the waker slot to the task. The handle wrote the waker
 * before this release-CAS, so the task's acquire in to_complete sees it. */
bool rt_task_state_set_join_waker(rt_task_state *s)
{
    uint64_t cur = rt_task_state_load(s);
    for (;;) {
        if (!(cur & RT_TASK_JOIN_INTEREST) || (cur & RT_TASK_JOIN_WAKER))
            rt__corrupt("set_join_waker without ownership of the slot", cur);
        if (cur & RT_TASK_COMPLETE)
            return false;
        if (rt__cas(s, &cur, cur | RT_TASK_JOIN_WAKER))
            return true;
    }
}

/* rt_task_state_unset_join_waker: take the slot back (to store a different waker). Fails once
 * COMPLETE is set, because the completing thread may be reading the slot right now. */
bool rt_task_state_unset_join_waker(rt_task_state *s)
{
    uint64_t cur = rt_task_state_load(s);
    for (;;) {
        if (!(cur & RT_TASK_JOIN_INTEREST) || !(cur & RT_TASK_JOIN_WAKER))
            rt__corrupt("unset_join_waker without a stored waker", cur);
        if (cur & RT_TASK_COMPLETE)
            return false;
        if (rt__cas(s, &cur, cur & ~RT_TASK_JOIN_WAKER))
            return true;
    }
}

/* rt_task_state_ref_inc: relaxed is enough -- see the essay at the top. Overflow aborts. */
void rt_task_state_ref_inc(rt_task_state *s)
{
    uint64_t prev = atomic_fetch_add_explicit(s, RT_TASK_REF_ONE, memory_order_relaxed);
    if (rt_task_state_ref_count(prev) >= (UINT64_MAX >> RT_TASK_REF_SHIFT) / 2)
        rt__corrupt("reference count overflow", prev);
}

/* rt_task_state_ref_dec: drop one reference. */
bool rt_task_state_ref_dec(rt_task_state *s)
{
    return rt_task_state_ref_dec_n(s, 1);
}

/* rt_task_state_ref_dec_n: drop n references in one atomic step; true if the count hit zero. */
bool rt_task_state_ref_dec_n(rt_task_state *s, uint64_t n)
{
    uint64_t prev = atomic_fetch_sub_explicit(s, n * RT_TASK_REF_ONE, memory_order_acq_rel);
    if (rt_task_state_ref_count(prev) < n)
        rt__corrupt("reference count underflow", prev);
    return rt_task_state_ref_count(prev) == n;
}
