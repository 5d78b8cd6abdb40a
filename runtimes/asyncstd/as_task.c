/* as_task.c: spawning on the global runtime and the task handle -- join, detach, cancel, current, yield. */
#include "as_task.h"

#include <errno.h>

#include "as_internal.h"

/*
 * A thin layer: the core already has the task (rt_task), its state word and the JoinHandle.
 * What this flavour adds is where a task goes -- the global runtime's owned-task list and its
 * schedule hook -- and names shaped like threads.h. The handle is the core's JoinHandle, so
 * its rules are the core's: awaiting it is the join; dropping it detaches; abort cancels the
 * task on a runtime thread, never inside the caller's as_task_cancel.
 */

/* as_spawn: bind to the global task list and schedule on the global queue. */
int as_spawn(const rt_future *future, size_t size, as_task *out)
{
    as__runtime *rt = as__rt();
    if (rt == NULL)
        return as__rt_error();
    if (future == NULL || out == NULL || size < sizeof(rt_future))
        return -EINVAL;
    return rt_task_spawn(&rt->tasks, future, size, &as__task_vtable, rt, &out->handle);
}

/* as_task_join: the handle's own future. */
rt_future *as_task_join(as_task *t)
{
    return &t->handle.base;
}

/* as_task_outcome: valid after the join finished. */
rt_task_outcome as_task_outcome(const as_task *t)
{
    return t->handle.outcome;
}

/* as_task_output: the finished future, while the handle holds the task. */
rt_future *as_task_output(as_task *t)
{
    return rt_join_handle_output(&t->handle);
}

/* as_task_panic_message: the message a panicked task left. */
const char *as_task_panic_message(as_task *t)
{
    return rt_join_handle_panic_message(&t->handle);
}

/* as_task_detach: drop our interest; the task runs on. */
void as_task_detach(as_task *t)
{
    rt_join_handle_detach(&t->handle);
}

/* as_task_cancel: the core's abort; the handle stays usable for the join. */
void as_task_cancel(as_task *t)
{
    rt_join_handle_abort(&t->handle);
}

/* as_task_is_finished: a peek at the state word. */
bool as_task_is_finished(as_task *t)
{
    return rt_join_handle_is_finished(&t->handle);
}

/* as_task_id: the process-unique id. */
uint64_t as_task_id(const as_task *t)
{
    return rt_join_handle_id(&t->handle);
}

/* as_task_current: whatever task this thread polls now -- an as task, a local task, or even a
 * task of the core's rt_block_on: the id space is the core's, shared by all of them. */
as_task_info as_task_current(void)
{
    rt_task *task = rt_task_current();
    if (task == NULL)
        return (as_task_info){ .id = 0, .name = NULL };
    return (as_task_info){ .id = rt_task_id(task), .name = rt_task_name(task) };
}

/* as_yield_now: the core's yield; with this executor it sends the task to the back of the
 * global queue (there is no LIFO slot to jump back into). */
as_yield_fut as_yield_now(void)
{
    return rt_yield_now();
}
