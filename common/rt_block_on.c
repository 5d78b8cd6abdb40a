/* rt_block_on.c: a single-threaded executor with wakers, a run queue and a parker; no reactor. */
#include "rt_block_on.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "rt_alloc.h"
#include "rt_inject.h"
#include "rt_panic.h"
#include "rt_parker.h"

/*
 * The executor lives on the heap and is reference counted, because rt_block_on is not the
 * only thing that can reach it: a waker handed to another thread may wake the main future or
 * a task at any moment -- even while rt_block_on is returning. So:
 *
 *   - rt_block_on holds one reference for the duration of the call;
 *   - every clone of the main future's waker holds one;
 *   - every task holds one from spawn until the task is freed (the task vtable's release).
 *
 * A late wake therefore always finds live memory. After shutdown the run queue is closed, so a
 * late schedule just gives the task reference back instead of queueing.
 */
// region: executor
typedef struct rt__executor {
    _Atomic long refs;
    _Atomic int main_woken;     /* the main future asked to be polled again */
    rt_parker parker;
    rt_inject queue;            /* woken tasks; any thread may push, only the owner pops */
    rt_task_list tasks;         /* every live task, for shutdown */
    rt_block_on_stats stats;    /* touched only by the thread inside rt_block_on */
} rt__executor;
// endregion

static _Thread_local rt__executor *rt__current_executor;

/* rt__executor_retain: one more reference (a waker clone, a task). */
static void rt__executor_retain(rt__executor *ex)
{
    atomic_fetch_add_explicit(&ex->refs, 1, memory_order_relaxed);
}

/* rt__executor_release: drop one reference; the last one frees the executor. */
static void rt__executor_release(rt__executor *ex)
{
    if (atomic_fetch_sub_explicit(&ex->refs, 1, memory_order_acq_rel) == 1) {
        rt_task_list_destroy(&ex->tasks);
        rt_inject_destroy(&ex->queue);
        rt_free(ex);
    }
}

/* ---- the main future's waker ------------------------------------------------------------- */

static const rt_waker_vtable rt__main_waker_vtable;

/* rt__main_clone: one more reference to the executor. */
static rt_waker rt__main_clone(const void *data)
{
    rt__executor_retain((rt__executor *)data);
    return (rt_waker){ .vtable = &rt__main_waker_vtable, .data = data };
}

// region: main-wake
/* rt__main_wake_by_ref: set the flag, then unpark. The order matters: the executor checks the
 * flag after every park returns, and unpark's release pairs with park's acquire, so the flag
 * is visible when it wakes. If the executor was not parked, the unpark token makes its next
 * park return at once -- the wake cannot fall between its check and its sleep. */
static void rt__main_wake_by_ref(const void *data)
{
    rt__executor *ex = (rt__executor *)data;
    atomic_store_explicit(&ex->main_woken, 1, memory_order_release);
    rt_parker_unpark(&ex->parker);
}
// endregion

/* rt__main_wake: wake, then give up this waker's reference. */
static void rt__main_wake(const void *data)
{
    rt__main_wake_by_ref(data);
    rt__executor_release((rt__executor *)data);
}

/* rt__main_drop: give up this waker's reference. */
static void rt__main_drop(const void *data)
{
    rt__executor_release((rt__executor *)data);
}

static const rt_waker_vtable rt__main_waker_vtable = {
    .clone = rt__main_clone,
    .wake = rt__main_wake,
    .wake_by_ref = rt__main_wake_by_ref,
    .drop = rt__main_drop,
};

/* ---- tasks ------------------------------------------------------------------------------- */

// region: schedule
/* rt__schedule: a task was woken (from any thread): queue it and make sure we are awake. The
 * task's own reference on the executor keeps `ex` alive here, however late the wake. */
static void rt__schedule(rt_task *task)
{
    rt__executor *ex = task->scheduler;
    if (rt_inject_push(&ex->queue, &task->queue_node) != 0) {
        /* Closed: past shutdown, and the task was cancelled with the rest. */
        rt_task_drop_ref(task);
        return;
    }
    rt_parker_unpark(&ex->parker);
}
// endregion

/* rt__release: a task is being freed; its reference on the executor goes. */
static void rt__release(rt_task *task)
{
    rt__executor_release(task->scheduler);
}

static const rt_task_vtable rt__task_vtable = { .schedule = rt__schedule, .release = rt__release };

/* rt_spawn: bind the task to the innermost rt_block_on of this thread. */
int rt_spawn(const rt_future *future, size_t size, rt_join_handle *out)
{
    rt__executor *ex = rt__current_executor;
    if (!ex)
        rt_panic("rt_spawn called outside rt_block_on: there is no executor on this thread");
    rt__executor_retain(ex); /* the task's reference, returned by rt__release */
    int rc = rt_task_spawn(&ex->tasks, future, size, &rt__task_vtable, ex, out);
    if (rc == 0)
        ex->stats.spawned++;
    else
        rt__executor_release(ex);
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
 * Cancelling may wake other tasks, which queues them again; the drain takes those too, and
 * once the queue is closed a late wake drops its reference instead of queueing. */
static void rt__shutdown(rt__executor *ex)
{
    rt_task_list_close_and_shutdown(&ex->tasks);
    rt_inject_close(&ex->queue);
    rt_qnode *node;
    while ((node = rt_inject_pop(&ex->queue)) != NULL)
        rt_task_run(rt_task_of(node)); /* the task is complete: this just drops the ref */
}

/* rt__executor_new: allocated, one reference (the caller's), the main future due a first poll. */
static rt__executor *rt__executor_new(void)
{
    rt__executor *ex = rt_calloc(1, sizeof *ex);
    if (!ex)
        return NULL;
    if (rt_inject_init(&ex->queue) != 0) {
        rt_free(ex);
        return NULL;
    }
    if (rt_task_list_init(&ex->tasks) != 0) {
        rt_inject_destroy(&ex->queue);
        rt_free(ex);
        return NULL;
    }
    atomic_init(&ex->refs, 1);
    atomic_init(&ex->main_woken, 1);
    rt_parker_init(&ex->parker);
    return ex;
}

/* rt_block_on_stats_run: the executor's whole active life is this call. */
void rt_block_on_stats_run(rt_future *future, rt_block_on_stats *stats)
{
    /* volatile: both are read after a longjmp back into this frame. */
    rt__executor *volatile ex = rt__executor_new();
    if (!ex)
        rt_panic("rt_block_on: out of memory setting up the executor");

    rt__executor *volatile outer = rt__current_executor;
    rt__current_executor = ex;

    rt_waker waker = { .vtable = &rt__main_waker_vtable, .data = ex };
    rt_context cx = { .waker = &waker };
    /* A panic in the main future propagates (as in Rust), but first we put this thread back
     * as we found it, so that a catch frame further out (a task that called us) can go on. */
    rt_panic_frame frame;
    rt_panic_push(&frame);
    if (setjmp(frame.env) != 0) {
        rt__shutdown(ex);
        rt__current_executor = outer;
        rt__executor_release(ex);
        rt__panic_at(frame.file, frame.line, "%s", frame.message);
    }
    // region: loop
    for (;;) {
        if (atomic_exchange_explicit(&ex->main_woken, 0, memory_order_acquire)) {
            ex->stats.main_polls++;
            if (rt_future_poll(future, &cx) == RT_READY)
                break;
        }
        if (rt__run_tasks(ex, 64) > 0)
            continue;
        if (atomic_load_explicit(&ex->main_woken, memory_order_acquire))
            continue;
        ex->stats.parks++;
        rt_parker_park(&ex->parker);
    }
    // endregion

    rt_panic_pop(&frame);
    rt__shutdown(ex);
    rt__current_executor = outer;
    if (stats)
        *stats = ex->stats;
    rt__executor_release(ex);
}

/* rt_block_on: the common case. */
void rt_block_on(rt_future *future)
{
    rt_block_on_stats_run(future, NULL);
}
