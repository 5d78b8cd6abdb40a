/* rt_task_state.h: the task's atomic state word, in tokio's bit layout, and its transitions. */
#ifndef RT_TASK_STATE_H
#define RT_TASK_STATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * One 64-bit word holds everything threads race on, so that every transition is a single
 * compare-and-swap and no lock is ever taken to wake a task:
 *
 *   bit 0  RUNNING        a thread is polling the future right now
 *   bit 1  COMPLETE       the future finished (or was cancelled, or panicked)
 *   bit 2  NOTIFIED       the task is queued, or must be re-queued when its poll ends
 *   bit 3  JOIN_INTEREST  a JoinHandle still exists and wants the output
 *   bit 4  JOIN_WAKER     the JoinHandle stored a waker in the task (the handle no longer
 *                         touches it; the task wakes it on completion)
 *   bit 5  CANCELLED      abort or shutdown asked the task to stop
 *   bits 6..63            the reference count (REF_ONE = 1 << 6)
 *
 * References are held by: the runtime's list of owned tasks, each queued "notified" entry,
 * each waker, and the JoinHandle. The last one out frees the task.
 */
#define RT_TASK_RUNNING       ((uint64_t)1 << 0)
#define RT_TASK_COMPLETE      ((uint64_t)1 << 1)
#define RT_TASK_NOTIFIED      ((uint64_t)1 << 2)
#define RT_TASK_JOIN_INTEREST ((uint64_t)1 << 3)
#define RT_TASK_JOIN_WAKER    ((uint64_t)1 << 4)
#define RT_TASK_CANCELLED     ((uint64_t)1 << 5)
#define RT_TASK_LIFECYCLE     (RT_TASK_RUNNING | RT_TASK_COMPLETE)
#define RT_TASK_REF_SHIFT     6
#define RT_TASK_REF_ONE       ((uint64_t)1 << RT_TASK_REF_SHIFT)
#define RT_TASK_FLAGS_MASK    (RT_TASK_REF_ONE - 1)

/* A new task: three references (owned list, the first queue entry, the JoinHandle), queued,
 * and with a JoinHandle that wants the output. */
#define RT_TASK_INITIAL_STATE \
    (3 * RT_TASK_REF_ONE | RT_TASK_NOTIFIED | RT_TASK_JOIN_INTEREST)

typedef _Atomic uint64_t rt_task_state;

typedef enum {
    RT_TO_RUNNING_SUCCESS,   /* we may poll */
    RT_TO_RUNNING_CANCELLED, /* we own the task, but must cancel it instead of polling */
    RT_TO_RUNNING_FAILED,    /* it is running elsewhere or already complete; our ref is gone */
    RT_TO_RUNNING_DEALLOC,   /* as FAILED, and ours was the last reference */
} rt_to_running;

typedef enum {
    RT_TO_IDLE_OK,           /* parked until a wake; our ref is gone */
    RT_TO_IDLE_OK_NOTIFIED,  /* woken during the poll: re-queue it, our ref moves to the queue */
    RT_TO_IDLE_OK_DEALLOC,   /* parked, and ours was the last reference */
    RT_TO_IDLE_CANCELLED,    /* aborted during the poll: cancel it, we still own it */
} rt_to_idle;

typedef enum {
    RT_NOTIFY_DO_NOTHING,    /* already queued, running, or done */
    RT_NOTIFY_SUBMIT,        /* idle: the caller must schedule it, handing over one ref */
    RT_NOTIFY_DEALLOC,       /* (by value only) the waker held the last ref: free the task */
} rt_notify_action;

/* rt_task_state_load: an Acquire snapshot of the word. */
uint64_t rt_task_state_load(rt_task_state *s);
/* rt_task_state_ref_count: the number of references in a snapshot. */
uint64_t rt_task_state_ref_count(uint64_t snapshot);

/* rt_task_state_to_running: NOTIFIED -> RUNNING, consuming the caller's queue reference on failure. */
rt_to_running rt_task_state_to_running(rt_task_state *s);
/* rt_task_state_to_idle: RUNNING -> idle after a pending poll; see rt_to_idle for what follows. */
rt_to_idle rt_task_state_to_idle(rt_task_state *s);
/* rt_task_state_to_complete: RUNNING -> COMPLETE; returns the snapshot after the change. */
uint64_t rt_task_state_to_complete(rt_task_state *s);
/* rt_task_state_notify_by_ref: a wake that keeps the waker. */
rt_notify_action rt_task_state_notify_by_ref(rt_task_state *s);
/* rt_task_state_notify_by_val: a wake that consumes the waker's reference. On SUBMIT a queue
 * reference was added and the caller drops the waker's after scheduling. */
rt_notify_action rt_task_state_notify_by_val(rt_task_state *s);
/* rt_task_state_notify_and_cancel: abort; true if the caller must schedule it (ref added). */
bool rt_task_state_notify_and_cancel(rt_task_state *s);
/* rt_task_state_to_shutdown: set CANCELLED; true if the task was idle and the caller now owns it. */
bool rt_task_state_to_shutdown(rt_task_state *s);
/* rt_task_state_unset_join_interest: false if the task already completed (the caller must drop the output). */
bool rt_task_state_unset_join_interest(rt_task_state *s);
/* rt_task_state_set_join_waker: publish the stored join waker; false if the task completed first. */
bool rt_task_state_set_join_waker(rt_task_state *s);
/* rt_task_state_unset_join_waker: take the join waker back to replace it; false if the task completed. */
bool rt_task_state_unset_join_waker(rt_task_state *s);
/* rt_task_state_ref_inc: add a reference (a clone of a waker, say). */
void rt_task_state_ref_inc(rt_task_state *s);
/* rt_task_state_ref_dec: drop one reference; true if it was the last. */
bool rt_task_state_ref_dec(rt_task_state *s);
/* rt_task_state_ref_dec_n: drop n references at once; true if they were the last. */
bool rt_task_state_ref_dec_n(rt_task_state *s, uint64_t n);

#endif
