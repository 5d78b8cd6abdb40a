/* rt_block_on.c: a single-threaded executor with wakers, a run queue and a parker; no reactor. */
#include "rt_block_on.h"

#include <stdatomic.h>
#include <string.h>

#include "rt_alloc.h"
#include "rt_inject.h"
#include "rt_panic.h"
#include "rt_parker.h"

/*
 * The signal is what the main future's waker points at. It is reference counted and allocated
 * on its own because a waker may outlive rt_block_on: a future can hand its waker to another
 * thread, which may call wake after we returned. That late wake must find live memory.
 */
typedef struct rt__signal {
    _Atomic long refs;
    _Atomic int main_woken; /* the main future asked to be polled again */
    rt_parker parker;
} rt__signal;

typedef struct rt__executor {
    rt__signal *signal;
    rt_inject queue;        /* woken tasks; any thread may push, only we pop */
    rt_task_list tasks;     /* every live task, for shutdown */
    rt_block_on_stats stats;
} rt__executor;

static _Thread_local rt__executor *rt__current_executor;

/* rt__signal_release: drop one reference; the last frees it. */
static void rt__signal_release(rt__signal *sig)
{
    if (atomic_fetch_sub_explicit(&sig->refs, 1, memory_order_acq_rel) == 1)
        rt_free(sig);
}

/* ---- the main future's waker ------------------------------------------------------------- */

static const rt_waker_vtable rt__main_waker_vtable;

/* rt__main_clone: one more reference to the signal. */
static rt_waker rt__main_clone(const void *data)
{
    rt__signal *sig = (rt__signal *)data;
    atomic_fetch_add_explicit(&sig->refs, 1, memory_order_relaxed);
    return (rt_waker){ .vtable = &rt__main_waker_vtable, .data = sig };
}

/* rt__main_wake_by_ref: set the flag, then unpark. The order matters: the executor checks the
 * flag after every park returns, and unpark's release pairs with park's acquire, so the flag
 * is visible when it wakes. If the executor was not parked, the unpark token makes its next
 * park return at once -- the wake cannot fall between its check and its sleep. */
static void rt__main_wake_by_ref(const void *data)
{
    rt__signal *sig = (rt__signal *)data;
    atomic_store_explicit(&sig->main_woken, 1, memory_order_release);
    rt_parker_unpark(&sig->parker);
}

/* rt__main_wake: wake, then give up this waker's reference. */
static void rt__main_wake(const void *data)
{
    rt__main_wake_by_ref(data);
    rt__signal_release((rt__signal *)data);
}

/* rt__main_drop: give up this waker's reference. */
static void rt__main_drop(const void *data)
{
    rt__signal_release((rt__signal *)data);
}

static const rt_waker_vtable rt__main_waker_vtable = {
    .clone = rt__main_clone,
    .wake = rt__main_wake,
    .wake_by_ref = rt__main_wake_by_ref,
    .drop = rt__main_drop,
};

/* ---- tasks ------------------------------------------------------------------------------- */

/* rt__schedule: a task was woken (from any thread): queue it and make sure we are awake.
 * The executor outlives its tasks' wakes: shutdown completes every task before it frees the
 * queue, and a wake of a completed task never reaches schedule. */
static void rt__schedule(rt_task *task)
{
    rt__executor *ex = task->scheduler;
    if (rt_inject_push(&ex->queue, &task->queue_node) != 0) {
        /* Closed: we are past shutdown, and the task was cancelled with the rest. */
        rt_task_drop_ref(task);
        return;
    }
    rt_parker_unpark(&ex->signal->parker);
}

static const rt_task_vtable rt__task_vtable = { .schedule = rt__schedule };

/* rt_spawn: bind the task to the innermost rt_block_on of this thread. */
int rt_spawn(const rt_future *future, size_t size, rt_join_handle *out)
{
    rt__executor *ex = rt__current_executor;
    if (!ex)
        rt_panic("rt_spawn called outside rt_block_on: there is no executor on this thread");
    int rc = rt_task_spawn(&ex->tasks, future, size, &rt__task_vtable, ex, out);
    if (rc == 0)
        ex->stats.spawned++;
    return rc;
}

/* ---- the loop ---------------------------------------------------------------------------- */

/* rt__run_tasks: run at most `budget` queued tasks; how many ran. The budget keeps the main
 * future from starving behind a task that keeps re-waking itself. */
static unsigned rt__run_tasks(rt__executor *ex, unsigned budget)
{
    unsigned ran = 0;
    while (ran < budget) {
        rt_qnode *node = rt_inject_pop(&ex->queue);
        if (!node)
            break;
        rt_task_run(rt_task_of(node));
        ran++;
    }
    ex->stats.task_polls += ran;
    return ran;
}

/* rt__shutdown: cancel what is left, then throw away queue entries (each holds a reference).
 * Cancelling may wake other tasks, which queues them again; loop until both are empty. */
static void rt__shutdown(rt__executor *ex)
{
    rt_task_list_close_and_shutdown(&ex->tasks);
    rt_inject_close(&ex->queue);
    rt_qnode *node;
    while ((node = rt_inject_pop(&ex->queue)) != NULL)
        rt_task_run(rt_task_of(node)); /* the task is complete: this just drops the ref */
}

/* rt_block_on_stats_run: the executor's whole life is this call. */
void rt_block_on_stats_run(rt_future *future, rt_block_on_stats *stats)
{
    rt__executor ex;
    memset(&ex, 0, sizeof ex);
    ex.signal = rt_malloc(sizeof *ex.signal);
    if (!ex.signal || rt_inject_init(&ex.queue) != 0 || rt_task_list_init(&ex.tasks) != 0)
        rt_panic("rt_block_on: out of memory setting up the executor");
    atomic_init(&ex.signal->refs, 1);
    atomic_init(&ex.signal->main_woken, 1); /* poll the main future once to start it */
    rt_parker_init(&ex.signal->parker);

    rt__executor *outer = rt__current_executor;
    rt__current_executor = &ex;

    rt_waker waker = { .vtable = &rt__main_waker_vtable, .data = ex.signal };
    rt_context cx = { .waker = &waker };
    for (;;) {
        if (atomic_exchange_explicit(&ex.signal->main_woken, 0, memory_order_acquire)) {
            ex.stats.main_polls++;
            if (rt_future_poll(future, &cx) == RT_READY)
                break;
        }
        if (rt__run_tasks(&ex, 64) > 0)
            continue;
        if (atomic_load_explicit(&ex.signal->main_woken, memory_order_acquire))
            continue;
        ex.stats.parks++;
        rt_parker_park(&ex.signal->parker);
    }

    rt__shutdown(&ex);
    rt__current_executor = outer;
    rt_task_list_destroy(&ex.tasks);
    rt_inject_destroy(&ex.queue);
    rt__signal_release(ex.signal);
    if (stats)
        *stats = ex.stats;
}

/* rt_block_on: the common case. */
void rt_block_on(rt_future *future)
{
    rt_block_on_stats_run(future, NULL);
}
