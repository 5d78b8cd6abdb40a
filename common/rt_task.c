/* rt_task.c: task allocation, the poll harness (with panic catching), completion, and the task waker. */
#include "rt_task.h"

#include <string.h>

#include "rt_alloc.h"
#include "rt_panic.h"
#include "rt_task_list.h"

static _Atomic uint64_t rt__next_id = 1;
static _Atomic uint64_t rt__allocated, rt__freed;
static _Thread_local rt_task *rt__current;

static const rt_waker_vtable rt__task_waker_vtable;

/* rt_task_new: one allocation: header, then the future copied in (the spawn-time move). */
rt_task *rt_task_new(const rt_future *future, size_t size, const rt_task_vtable *vtable,
                     void *scheduler)
{
    if (size < sizeof(rt_future))
        size = sizeof(rt_future);
    rt_task *task = rt_malloc(offsetof(rt_task, future) + size);
    if (!task)
        return NULL;
    memset(task, 0, offsetof(rt_task, future));
    atomic_init(&task->state, RT_TASK_INITIAL_STATE);
    task->vtable = vtable;
    task->scheduler = scheduler;
    task->id = atomic_fetch_add_explicit(&rt__next_id, 1, memory_order_relaxed);
    task->join_waker = RT_WAKER_EMPTY;
    task->future_live = 1;
    task->future_size = size;
    memcpy(task->future, future, size);
    atomic_fetch_add_explicit(&rt__allocated, 1, memory_order_relaxed);
    return task;
}

/* rt__dealloc: the last reference is gone; nobody else can see the task. */
static void rt__dealloc(rt_task *task)
{
    rt_task_drop_future(task);
    rt_waker_drop(&task->join_waker);
    rt_free(task->panic_message);
    const rt_task_vtable *vt = task->vtable;
    if (vt->release)
        vt->release(task);
    rt_free(task);
    atomic_fetch_add_explicit(&rt__freed, 1, memory_order_relaxed);
}

/* rt_task_drop_future: the future's drop runs at most once, whoever asks first. Callers are
 * serialised by the state word: the poller before COMPLETE, the JoinHandle or the last
 * reference after it. */
void rt_task_drop_future(rt_task *task)
{
    if (task->future_live) {
        task->future_live = 0;
        rt_future_drop(rt_task_future(task));
    }
}

/* rt_task_drop_ref: release one reference; free on the last. */
void rt_task_drop_ref(rt_task *task)
{
    if (rt_task_state_ref_dec(&task->state))
        rt__dealloc(task);
}

/* rt__cancel: cancellation is dropping the future; that is how its timers and fds go away. */
static void rt__cancel(rt_task *task)
{
    rt_task_drop_future(task);
    task->outcome = RT_OUTCOME_CANCELLED;
}

/* rt__complete: publish the outcome, wake the joiner, leave the owned list, drop our refs. */
static void rt__complete(rt_task *task)
{
    uint64_t snapshot = rt_task_state_to_complete(&task->state);
    if (!(snapshot & RT_TASK_JOIN_INTEREST)) {
        /* No JoinHandle will ever read the output: release it now rather than at free. */
        rt_task_drop_future(task);
    } else if (snapshot & RT_TASK_JOIN_WAKER) {
        /* The handle can no longer touch the slot (unset_join_waker fails once COMPLETE is
         * set), so reading it here races with nothing. */
        rt_waker_wake_by_ref(&task->join_waker);
    }
    uint64_t refs = 1; /* the reference this poll (or shutdown) held */
    if (task->owner && rt_task_list_remove(task->owner, task))
        refs++;        /* and the owned list's, if the list still had us */
    if (rt_task_state_ref_dec_n(&task->state, refs))
        rt__dealloc(task);
}

/* rt__store_panic: keep the message for the JoinHandle; out of memory keeps a fixed one. */
static void rt__store_panic(rt_task *task, const rt_panic_frame *frame)
{
    size_t len = strlen(frame->message);
    task->panic_message = rt_malloc(len + 1);
    if (task->panic_message)
        memcpy(task->panic_message, frame->message, len + 1);
    task->outcome = RT_OUTCOME_PANICKED;
}

/* rt__poll_future: one poll inside a catch frame. A panic counts as finishing: the future is
 * dropped so its resources go, and the outcome says why. */
static rt_poll rt__poll_future(rt_task *task)
{
    rt_task *saved = rt__current;
    /* A borrowed waker, like Rust's waker_ref: no reference of its own. A future that keeps
     * it clones it, which takes a reference. */
    rt_waker waker = { .vtable = &rt__task_waker_vtable, .data = task };
    rt_context cx = { .waker = &waker };
    rt_panic_frame frame;

    rt__current = task;
    rt_panic_push(&frame);
    if (setjmp(frame.env) == 0) {
        rt_poll res = rt_future_poll(rt_task_future(task), &cx);
        rt_panic_pop(&frame);
        rt__current = saved;
        if (res == RT_READY)
            task->outcome = RT_OUTCOME_OK;
        return res;
    }
    /* Panicked: rt_panic already popped the frame. `task` and `saved` were not modified
     * after setjmp, so their values are reliable here. */
    rt__current = saved;
    rt__store_panic(task, &frame);
    rt_task_drop_future(task);
    return RT_READY;
}

/* rt_task_run: the harness. Every path consumes exactly the one reference the caller held. */
void rt_task_run(rt_task *task)
{
    switch (rt_task_state_to_running(&task->state)) {
    case RT_TO_RUNNING_FAILED:
        return;
    case RT_TO_RUNNING_DEALLOC:
        rt__dealloc(task);
        return;
    case RT_TO_RUNNING_CANCELLED:
        rt__cancel(task);
        rt__complete(task);
        return;
    case RT_TO_RUNNING_SUCCESS:
        break;
    }

    if (rt__poll_future(task) == RT_READY) {
        rt__complete(task);
        return;
    }

    switch (rt_task_state_to_idle(&task->state)) {
    case RT_TO_IDLE_OK:
        return;
    case RT_TO_IDLE_OK_DEALLOC:
        rt__dealloc(task);
        return;
    case RT_TO_IDLE_OK_NOTIFIED:
        /* Woken while it ran: our reference goes with it back to the queue. A scheduler
         * that distinguishes this case (tokio puts a yielding task at the back, never in the
         * LIFO slot) supplies yield_now. */
        if (task->vtable->yield_now)
            task->vtable->yield_now(task);
        else
            task->vtable->schedule(task);
        return;
    case RT_TO_IDLE_CANCELLED:
        rt__cancel(task);
        rt__complete(task);
        return;
    }
}

/* rt_task_shutdown: claim an idle task and cancel it now; otherwise its poller will. */
void rt_task_shutdown(rt_task *task)
{
    if (!rt_task_state_to_shutdown(&task->state)) {
        rt_task_drop_ref(task);
        return;
    }
    rt__cancel(task);
    rt__complete(task);
}

/* rt_task_schedule_new: a fresh task is NOTIFIED with a queue reference; hand both over. */
void rt_task_schedule_new(rt_task *task)
{
    task->vtable->schedule(task);
}

/* rt_task_current: set only while rt__poll_future runs on this thread. */
rt_task *rt_task_current(void)
{
    return rt__current;
}

/* rt_task_name: the future's vtable name. */
const char *rt_task_name(rt_task *task)
{
    return rt_future_name(rt_task_future(task));
}

/* rt_task_count_allocated: tasks created so far in this process. */
uint64_t rt_task_count_allocated(void)
{
    return atomic_load_explicit(&rt__allocated, memory_order_relaxed);
}

/* rt_task_count_freed: tasks freed so far; equal to allocated when nothing leaks. */
uint64_t rt_task_count_freed(void)
{
    return atomic_load_explicit(&rt__freed, memory_order_relaxed);
}

/* ---- the task waker: data is the task, and each waker owns one reference ---------------- */

/* rt__waker_clone: a new waker is a new reference. */
static rt_waker rt__waker_clone(const void *data)
{
    rt_task *task = (rt_task *)data;
    rt_task_state_ref_inc(&task->state);
    return (rt_waker){ .vtable = &rt__task_waker_vtable, .data = task };
}

/* rt__waker_wake: consume the waker's reference -- after schedule returns, never before. */
static void rt__waker_wake(const void *data)
{
    rt_task *task = (rt_task *)data;
    switch (rt_task_state_notify_by_val(&task->state)) {
    case RT_NOTIFY_SUBMIT:
        task->vtable->schedule(task); /* hands over the reference the transition added */
        rt_task_drop_ref(task);       /* the waker's */
        break;
    case RT_NOTIFY_DEALLOC:
        rt__dealloc(task);
        break;
    case RT_NOTIFY_DO_NOTHING:
        break;
    }
}

/* rt__waker_wake_by_ref: queue an idle task with a fresh reference; the waker keeps its own. */
static void rt__waker_wake_by_ref(const void *data)
{
    rt_task *task = (rt_task *)data;
    if (rt_task_state_notify_by_ref(&task->state) == RT_NOTIFY_SUBMIT)
        task->vtable->schedule(task);
}

/* rt__waker_drop: give the reference back. */
static void rt__waker_drop(const void *data)
{
    rt_task_drop_ref((rt_task *)data);
}

static const rt_waker_vtable rt__task_waker_vtable = {
    .clone = rt__waker_clone,
    .wake = rt__waker_wake,
    .wake_by_ref = rt__waker_wake_by_ref,
    .drop = rt__waker_drop,
};

/* rt_task_waker: an owning waker, for code outside a poll that needs to wake the task. */
rt_waker rt_task_waker(rt_task *task)
{
    return rt__waker_clone(task);
}
