/* rt_task.h: the task -- one allocation holding a header and the future, and the harness that polls it. */
#ifndef RT_TASK_H
#define RT_TASK_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_future.h"
#include "rt_qnode.h"
#include "rt_task_state.h"

/*
 * A task is what an executor schedules: a future plus the bookkeeping that lets many threads
 * wake, poll, abort and join it safely. Spawning copies the caller's future into the task's
 * single allocation -- that copy is the "move" of a Rust spawn, and the reason a future may
 * not point into itself before its first poll.
 *
 *   +----------------------------+
 *   | state (atomic, see         |  <- every race is settled here
 *   |   rt_task_state.h)         |
 *   | vtable (the flavour's      |  <- schedule: how a wake reaches a run queue
 *   |   schedule hook)           |
 *   | queue node, list links     |  <- intrusive: queues never allocate
 *   | join waker, outcome        |  <- what the JoinHandle reads
 *   +----------------------------+
 *   | the future, copied inline  |  <- its output stays here until the task is freed
 *   +----------------------------+
 */

typedef struct rt_task rt_task;
typedef struct rt_task_list rt_task_list;

/* What each flavour supplies. */
typedef struct rt_task_vtable {
    /* schedule: the task was woken and must be polled again; push it on a run queue. It
     * receives one reference, which rt_task_run later consumes. Called from any thread. */
    void (*schedule)(rt_task *task);
    /* yield_now: the task woke itself during its own poll (a yield): re-queue it behind the
     * others rather than first in line. Optional; NULL means schedule. Same reference rule. */
    void (*yield_now)(rt_task *task);
    /* release: the task is being freed; drop the reference it held on its scheduler. A
     * scheduler whose memory must outlive every task that can still reach it (a late wake
     * calls schedule, which touches the scheduler) counts one reference per task, taken at
     * spawn, and gives it back here -- tokio's tasks hold an Arc of their scheduler for the
     * same reason. Optional. */
    void (*release)(rt_task *task);
} rt_task_vtable;

typedef enum rt_task_outcome {
    RT_OUTCOME_PENDING = 0, /* not finished */
    RT_OUTCOME_OK,          /* the future returned RT_READY; its output is in the future */
    RT_OUTCOME_CANCELLED,   /* aborted or shut down before it finished */
    RT_OUTCOME_PANICKED,    /* rt_panic inside its poll; see panic_message */
} rt_task_outcome;

struct rt_task {
    rt_task_state state;
    const rt_task_vtable *vtable;
    void *scheduler;             /* the flavour's runtime or worker, for its schedule hook */
    rt_qnode queue_node;         /* link in a run queue (a task is in at most one at a time) */
    rt_task *list_prev, *list_next;
    rt_task_list *owner;         /* the list of owned tasks it belongs to, or NULL */
    int in_list;                 /* guarded by the owner's lock */
    uint64_t id;                 /* unique per process, like tokio's task::Id */
    rt_waker join_waker;         /* owned by the JoinHandle until JOIN_WAKER is set */
    rt_task_outcome outcome;     /* written before COMPLETE is published */
    int future_live;             /* the future still needs its drop */
    char *panic_message;
    size_t future_size;
    _Alignas(max_align_t) unsigned char future[];
};

/* rt_task_of: the task that embeds this run-queue node. */
static inline rt_task *rt_task_of(rt_qnode *node)
{
    return rt_container_of(node, rt_task, queue_node);
}

/* rt_task_future: the future inside the task. */
static inline rt_future *rt_task_future(rt_task *task)
{
    return (rt_future *)task->future;
}

/* rt_task_new: copy `future` (size bytes) into a new task; NULL on ENOMEM (the caller still
 * owns the future then and must drop it). The task starts with RT_TASK_INITIAL_STATE. */
rt_task *rt_task_new(const rt_future *future, size_t size, const rt_task_vtable *vtable,
                     void *scheduler);

/* rt_task_run: poll the task once, for an executor holding one queue reference, which this
 * consumes. Catches panics; completes, re-queues or parks the task as the poll decides. */
void rt_task_run(rt_task *task);

/* rt_task_shutdown: cancel a task for runtime shutdown; consumes the caller's reference. A
 * task that is running elsewhere is cancelled by its poller when that poll ends. */
void rt_task_shutdown(rt_task *task);

/* rt_task_drop_ref: release one reference (e.g. a queue entry thrown away at shutdown). */
void rt_task_drop_ref(rt_task *task);

/* rt_task_schedule_new: hand the task's first queue reference to its schedule hook. */
void rt_task_schedule_new(rt_task *task);

/* rt_task_waker: a waker for the task that owns a new reference. */
rt_waker rt_task_waker(rt_task *task);

/* rt_task_current: the task whose future this thread is polling right now, or NULL. */
rt_task *rt_task_current(void);

/* rt_task_id: the task's process-unique id. */
static inline uint64_t rt_task_id(const rt_task *task)
{
    return task->id;
}

/* rt_task_name: the name of the task's future. */
const char *rt_task_name(rt_task *task);

/* rt_task_drop_future: run the future's drop once (the JoinHandle uses it for an unread output). */
void rt_task_drop_future(rt_task *task);

/* Counters for tests and metrics: tasks allocated and freed in this process. */
uint64_t rt_task_count_allocated(void);
uint64_t rt_task_count_freed(void);

#endif
