/* as_task.h: tasks -- spawn, join, detach, cancel, the current task, yield, local tasks. */
#ifndef AS_TASK_H
#define AS_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_combinators.h"
#include "rt_join_handle.h"

/*
 * The names follow C11's threads.h (thrd_create / thrd_join / thrd_detach) the way async-std
 * follows std::thread: as_spawn starts a task on the global runtime's worker threads and gives
 * back a handle; awaiting as_task_join(&t) waits for it; as_task_detach lets it run on alone.
 * Dropping the handle (rt_future_drop(as_task_join(&t))) detaches too, as in async-std.
 *
 * Spawning copies the future into the task (the C spelling of a move): build it, spawn it,
 * and forget your copy. After the join, the task's future -- with its output in its own
 * fields -- is at as_task_output(&t) until you detach or drop the handle.
 */
typedef struct as_task {
    rt_join_handle handle; /* first member: the handle is the join future */
} as_task;

/* as_spawn: run a copy of `future` (size bytes) as a task on the global runtime (started on
 * first use). 0 and *out, or -ENOMEM (the future was not taken: drop it yourself), or
 * -ESHUTDOWN after the runtime shut down at exit, or the errno that kept it from starting. */
int as_spawn(const rt_future *future, size_t size, as_task *out);
/* AS_SPAWN(fut, out): as_spawn for a future struct `fut` whose first member is `base`. */
#define AS_SPAWN(fut, out) as_spawn(&(fut).base, sizeof(fut), (out))

/* as_spawn_local: run a copy of `future` as a task on THIS thread, polled by the innermost
 * as_block_on running here (async-std's task::spawn_local). Its future need not be thread-safe.
 * Tasks still alive when the outermost as_block_on of the thread returns are cancelled. Outside
 * as_block_on it panics, as async-std's does outside a runtime thread. 0 or -ENOMEM. */
int as_spawn_local(const rt_future *future, size_t size, as_task *out);

/* as_task_join: the future to await for the task's end (the handle itself). */
rt_future *as_task_join(as_task *t);
/* as_task_outcome: after the join: RT_OUTCOME_OK, _CANCELLED or _PANICKED. */
rt_task_outcome as_task_outcome(const as_task *t);
/* as_task_output: after an OK join, the task's finished future (its output is in it); else NULL. */
rt_future *as_task_output(as_task *t);
/* as_task_panic_message: after a PANICKED join, the message; else NULL. */
const char *as_task_panic_message(as_task *t);
/* as_task_detach: let the task run on unobserved; the handle becomes empty. Idempotent. */
void as_task_detach(as_task *t);
/* as_task_cancel: ask the task to stop. Its future is dropped on a runtime thread at its next
 * turn (never inside this call); the join then reports RT_OUTCOME_CANCELLED, unless the task
 * had already finished. Idempotent; the handle stays valid for the join. */
void as_task_cancel(as_task *t);
/* as_task_is_finished: true once the task ended, without waiting. */
bool as_task_is_finished(as_task *t);
/* as_task_id: the task's process-unique id (0 for an empty handle). */
uint64_t as_task_id(const as_task *t);

/* as_task_current: who is running (async-std's task::current): the task's id and name (the
 * name of its future's type). Outside any task, id is 0 and name NULL. */
typedef struct as_task_info {
    uint64_t id;
    const char *name;
} as_task_info;
/* as_task_current: the task this thread is polling now. */
as_task_info as_task_current(void);

/* as_yield_now: give the executor a turn (pending once, after waking itself). */
typedef rt_yield_fut as_yield_fut;
/* as_yield_now: a future that yields exactly once. */
as_yield_fut as_yield_now(void);

#endif
