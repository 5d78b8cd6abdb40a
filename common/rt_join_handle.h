/* rt_join_handle.h: JoinHandle -- await a task's output, detach it (also on drop), or abort it. */
#ifndef RT_JOIN_HANDLE_H
#define RT_JOIN_HANDLE_H

#include <stdbool.h>

#include "rt_task.h"
#include "rt_task_list.h"

/*
 * A JoinHandle is itself a future: awaiting it finishes when the task does. It owns one
 * reference to the task. Dropping it detaches the task, which keeps running (tokio and
 * async-std both work this way); abort asks the runtime to cancel it.
 *
 * After the handle is ready, `outcome` says how the task ended. For RT_OUTCOME_OK the task's
 * future -- with its output in its own fields -- is at rt_join_handle_output() until the
 * handle is dropped; copy out what you need (or take ownership of it) before dropping.
 */
typedef struct rt_join_handle {
    rt_future base;
    rt_task *task;           /* NULL once detached or dropped */
    rt_task_outcome outcome; /* valid after the handle is ready */
} rt_join_handle;

/* rt_task_spawn: create a task, put it on `list` (may be NULL), and schedule it. On success,
 * *out is its JoinHandle and 0 is returned. -ENOMEM: nothing was spawned and the caller still
 * owns `future`. If the list is closed (shutting down), the task is cancelled at once and the
 * handle reports RT_OUTCOME_CANCELLED, as tokio's does. */
int rt_task_spawn(rt_task_list *list, const rt_future *future, size_t size,
                  const rt_task_vtable *vtable, void *scheduler, rt_join_handle *out);

/* rt_join_handle_for: wrap the JoinHandle reference of a task made with rt_task_new. */
rt_join_handle rt_join_handle_for(rt_task *task);

/* rt_join_handle_output: the finished task's future, holding its output; NULL unless RT_OUTCOME_OK. */
rt_future *rt_join_handle_output(rt_join_handle *jh);
/* rt_join_handle_panic_message: the message of a panicked task (valid until the drop), or NULL. */
const char *rt_join_handle_panic_message(rt_join_handle *jh);
/* rt_join_handle_is_finished: true once the task completed, without waiting. */
bool rt_join_handle_is_finished(rt_join_handle *jh);
/* rt_join_handle_id: the task's id (0 after detach). */
uint64_t rt_join_handle_id(const rt_join_handle *jh);
/* rt_join_handle_abort: cancel the task; it is dropped on a runtime thread. Idempotent. */
void rt_join_handle_abort(rt_join_handle *jh);
/* rt_join_handle_detach: let the task run on unobserved; the handle is emptied. Same as drop. */
void rt_join_handle_detach(rt_join_handle *jh);
/* rt_join_outcome_name: "ok", "cancelled", "panicked" or "pending". */
const char *rt_join_outcome_name(rt_task_outcome outcome);

#endif
