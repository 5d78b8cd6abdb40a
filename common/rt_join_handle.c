/* rt_join_handle.c: awaiting, detaching and aborting a task through its JoinHandle. */
#include "rt_join_handle.h"

#include <errno.h>

#include "rt_panic.h"

static rt_poll rt__join_poll(rt_future *self, rt_context *cx);
static void rt__join_drop(rt_future *self);

static const rt_future_vtable rt__join_vtable = {
    .poll = rt__join_poll,
    .drop = rt__join_drop,
    .name = "JoinHandle",
};

/* rt_join_handle_for: the handle adopts the reference RT_TASK_INITIAL_STATE reserved for it. */
rt_join_handle rt_join_handle_for(rt_task *task)
{
    return (rt_join_handle){ .base = { &rt__join_vtable }, .task = task,
                             .outcome = RT_OUTCOME_PENDING };
}

/* rt_task_spawn: allocate, bind to the owned list, schedule. */
int rt_task_spawn(rt_task_list *list, const rt_future *future, size_t size,
                  const rt_task_vtable *vtable, void *scheduler, rt_join_handle *out)
{
    rt_task *task = rt_task_new(future, size, vtable, scheduler);
    if (!task)
        return -ENOMEM;
    *out = rt_join_handle_for(task);
    if (!list || rt_task_list_bind(list, task) != 0) {
        /* No list, or a closed one: the list's reference is not needed. It cannot be the
         * last -- the queue entry and the handle still hold theirs. */
        rt_task_state_ref_dec(&task->state);
        if (list) {
            /* Shutting down: cancel with the queue reference instead of scheduling. */
            rt_task_shutdown(task);
            return 0;
        }
    }
    rt_task_schedule_new(task);
    return 0;
}

/* rt__read_outcome: the task is COMPLETE (acquire-loaded), so its outcome is visible. */
static rt_poll rt__read_outcome(rt_join_handle *jh)
{
    jh->outcome = jh->task->outcome;
    return RT_READY;
}

/*
 * rt__join_poll: ready once COMPLETE is set; otherwise leave a waker in the task. The slot
 * protocol (tokio's): the handle may write task->join_waker only while JOIN_WAKER is clear;
 * setting the bit hands the slot to the task, which reads it once it sets COMPLETE. To change
 * the waker the handle must first win the bit back, which fails if COMPLETE got there first --
 * then the output is ready and no waker is needed.
 */
static rt_poll rt__join_poll(rt_future *self, rt_context *cx)
{
    rt_join_handle *jh = (rt_join_handle *)self;
    rt_task *task = jh->task;
    if (!task)
        rt_panic("JoinHandle polled after it was detached or dropped");
    if (jh->outcome != RT_OUTCOME_PENDING)
        return RT_READY;

    uint64_t snapshot = rt_task_state_load(&task->state);
    if (snapshot & RT_TASK_COMPLETE)
        return rt__read_outcome(jh);

    if (snapshot & RT_TASK_JOIN_WAKER) {
        if (rt_waker_will_wake(&task->join_waker, cx->waker))
            return RT_PENDING; /* the stored waker already wakes us */
        if (!rt_task_state_unset_join_waker(&task->state))
            return rt__read_outcome(jh);
    }
    /* We own the slot now. */
    rt_waker_drop(&task->join_waker);
    task->join_waker = rt_waker_clone(cx->waker);
    if (!rt_task_state_set_join_waker(&task->state)) {
        /* Completed meanwhile: the task never saw our waker; take it back. */
        rt_waker_drop(&task->join_waker);
        return rt__read_outcome(jh);
    }
    return RT_PENDING;
}

/* rt__join_drop: dropping the handle detaches the task. */
static void rt__join_drop(rt_future *self)
{
    rt_join_handle_detach((rt_join_handle *)self);
}

/* rt_join_handle_detach: give up interest in the output, then our reference. If the task has
 * already completed, the output is ours and we drop it here; otherwise the task drops it when
 * it completes. The state word makes sure exactly one side does. */
void rt_join_handle_detach(rt_join_handle *jh)
{
    rt_task *task = jh->task;
    if (!task)
        return;
    jh->task = NULL;
    if (!rt_task_state_unset_join_interest(&task->state))
        rt_task_drop_future(task);
    rt_task_drop_ref(task);
}

/* rt_join_handle_output: the finished future, where the output lives. */
rt_future *rt_join_handle_output(rt_join_handle *jh)
{
    if (!jh->task || jh->outcome != RT_OUTCOME_OK)
        return NULL;
    return rt_task_future(jh->task);
}

/* rt_join_handle_panic_message: NULL if the message could not be stored (out of memory). */
const char *rt_join_handle_panic_message(rt_join_handle *jh)
{
    if (!jh->task || jh->outcome != RT_OUTCOME_PANICKED)
        return NULL;
    return jh->task->panic_message ? jh->task->panic_message
                                   : "(panic message lost: out of memory)";
}

/* rt_join_handle_is_finished: a peek at COMPLETE. */
bool rt_join_handle_is_finished(rt_join_handle *jh)
{
    return jh->task && (rt_task_state_load(&jh->task->state) & RT_TASK_COMPLETE);
}

/* rt_join_handle_id: the task id, for logs and as_task_current. */
uint64_t rt_join_handle_id(const rt_join_handle *jh)
{
    return jh->task ? jh->task->id : 0;
}

/* rt_join_handle_abort: mark CANCELLED; an idle task is queued so a runtime thread drops it. */
void rt_join_handle_abort(rt_join_handle *jh)
{
    rt_task *task = jh->task;
    if (task && rt_task_state_notify_and_cancel(&task->state))
        task->vtable->schedule(task);
}

/* rt_join_outcome_name: for messages and tests. */
const char *rt_join_outcome_name(rt_task_outcome outcome)
{
    switch (outcome) {
    case RT_OUTCOME_OK:
        return "ok";
    case RT_OUTCOME_CANCELLED:
        return "cancelled";
    case RT_OUTCOME_PANICKED:
        return "panicked";
    case RT_OUTCOME_PENDING:
        break;
    }
    return "pending";
}
