/* tk_sched_ct.c: the current_thread scheduler -- every task runs on the thread inside block_on. */
#include <errno.h>
#include <stdlib.h>

#include "rt_alloc.h"
#include "rt_block_on.h"
#include "rt_panic.h"
#include "rt_parker.h"
#include "tk_coop.h"
#include "tk_internal.h"

/*
 * tokio's CurrentThread: one "core" (a local run queue plus the right to drive IO and
 * timers), held by the thread that calls block_on. Wakes from that thread go straight onto the
 * local queue; wakes from anywhere else go to the inject queue and unpark the driver. The loop
 * below is tokio's, number for number:
 *
 *   - every global_queue_interval (31) ticks, look at the inject queue first, so that remote
 *     wakes cannot be starved by tasks that keep re-waking each other locally;
 *   - after event_interval (61) tasks, poll the driver without blocking, so that IO and
 *     timers are noticed even when there is always another task to run;
 *   - with nothing to run, park in the driver until an event, a timer or an unpark.
 *
 * Tasks spawned while nobody is inside block_on wait in the inject queue for the next call.
 */

/* tk__ct_push_local: append to the core's queue (only the core holder calls this). */
static void tk__ct_push_local(tk_handle *h, rt_task *task)
{
    task->queue_node.next = NULL;
    if (h->ct_tail)
        h->ct_tail->next = &task->queue_node;
    else
        h->ct_head = &task->queue_node;
    h->ct_tail = &task->queue_node;
    h->ct_len++;
}

/* tk__ct_pop_local: take from the front. */
static rt_task *tk__ct_pop_local(tk_handle *h)
{
    rt_qnode *n = h->ct_head;
    if (!n)
        return NULL;
    h->ct_head = n->next;
    if (!h->ct_head)
        h->ct_tail = NULL;
    h->ct_len--;
    return rt_task_of(n);
}

/* tk__ct_schedule: local if we are the core holder of this runtime, else remote. */
static void tk__ct_schedule(rt_task *task)
{
    tk_handle *h = task->scheduler;
    tk__context *ctx = tk__ctx();
    if (ctx->ct_core && ctx->handle == h) {
        rt_metrics_add_owned(&h->workers[0].metrics.local_schedules, 1);
        tk__ct_push_local(h, task);
        return;
    }
    rt_metrics_add(&h->workers[0].metrics.remote_schedules, 1);
    if (!tk__remote_begin(h) || rt_inject_push(&h->inject, &task->queue_node) != 0) {
        rt_task_drop_ref(task); /* shutting down: the task was cancelled with the rest */
    } else {
        tk__driver_unpark(&h->driver);
    }
    tk__remote_end(h);
}

const rt_task_vtable tk__ct_task_vtable = {
    .schedule = tk__ct_schedule,
    .release = tk__task_release,
};

/* tk__ct_init: one pseudo-worker, for metrics. */
int tk__ct_init(tk_handle *h)
{
    h->num_workers = 1;
    h->workers = rt_calloc(1, sizeof *h->workers);
    if (!h->workers)
        return -ENOMEM;
    h->workers[0].handle = h;
    pthread_mutex_init(&h->ct_core_lock, NULL);
    pthread_mutex_init(&h->ct_waiters_lock, NULL);
    atomic_init(&h->ct_main_woken, 0);
    return 0;
}

/* ---- the main future's waker: set the flag, unpark the driver ---------------------------- */

/* A clone holds a reference on the handle, so a waker kept past tk_runtime_free still points
 * at live memory; the remote bracket keeps it away from a destroyed driver. */
static const rt_waker_vtable tk__ct_main_vtable;

/* tk__ct_main_clone: one more reference on the handle. */
static rt_waker tk__ct_main_clone(const void *data)
{
    tk__handle_retain((tk_handle *)data);
    return (rt_waker){ &tk__ct_main_vtable, data };
}

/* tk__ct_main_wake_by_ref: set the flag, then unpark the driver the block_on thread sleeps in. */
static void tk__ct_main_wake_by_ref(const void *data)
{
    tk_handle *h = (tk_handle *)data;
    atomic_store_explicit(&h->ct_main_woken, 1, memory_order_release);
    if (tk__remote_begin(h))
        tk__driver_unpark(&h->driver);
    tk__remote_end(h);
}

/* tk__ct_main_wake: wake, then drop this clone's reference. */
static void tk__ct_main_wake(const void *data)
{
    tk__ct_main_wake_by_ref(data);
    tk__handle_release((tk_handle *)data);
}

/* tk__ct_main_drop: drop this clone's reference. */
static void tk__ct_main_drop(const void *data)
{
    tk__handle_release((tk_handle *)data);
}

static const rt_waker_vtable tk__ct_main_vtable = {
    .clone = tk__ct_main_clone,
    .wake = tk__ct_main_wake,
    .wake_by_ref = tk__ct_main_wake_by_ref,
    .drop = tk__ct_main_drop,
};

// region: next-task
/* tk__ct_next_task: the inject queue first every global_queue_interval ticks, else local first. */
static rt_task *tk__ct_next_task(tk_handle *h)
{
    rt_task *task;
    rt_qnode *n;
    if (h->ct_tick % h->config.global_queue_interval == 0) {
        if ((n = rt_inject_pop(&h->inject)) != NULL)
            return rt_task_of(n);
        return tk__ct_pop_local(h);
    }
    if ((task = tk__ct_pop_local(h)) != NULL)
        return task;
    n = rt_inject_pop(&h->inject);
    return n ? rt_task_of(n) : NULL;
}
// endregion

/* tk__ct_run_task: one poll under a fresh coop budget. */
static void tk__ct_run_task(tk_handle *h, rt_task *task)
{
    rt_worker_metrics *m = &h->workers[0].metrics;
    unsigned long forced = tk_coop_forced_yields();
    tk_coop_set(TK_COOP_BUDGET);
    rt_task_run(task);
    tk_coop_set(-1);
    rt_metrics_add_owned(&m->polls, 1);
    rt_metrics_add_owned(&m->budget_forced_yields, tk_coop_forced_yields() - forced);
}

/* tk__ct_run_core: with the core held, run the loop until the main future is ready. */
static void tk__ct_run_core(tk_handle *h, rt_future *future)
{
    tk__context *ctx = tk__ctx();
    rt_worker_metrics *m = &h->workers[0].metrics;
    ctx->ct_core = true;
    atomic_store_explicit(&h->ct_main_woken, 1, memory_order_relaxed);
    rt_waker waker = { &tk__ct_main_vtable, h };
    rt_context cx = { &waker };

    // region: loop
    for (;;) {
        if (atomic_exchange_explicit(&h->ct_main_woken, 0, memory_order_acquire)) {
            if (rt_future_poll(future, &cx) == RT_READY)
                break;
        }
        bool idle = false;
        for (unsigned i = 0; i < h->config.event_interval; i++) {
            h->ct_tick++;
            rt_task *task = tk__ct_next_task(h);
            if (!task) {
                idle = true;
                break;
            }
            tk__ct_run_task(h, task);
            if (atomic_load_explicit(&h->ct_main_woken, memory_order_relaxed))
                break;
        }
        atomic_store_explicit(&m->local_queue_depth, h->ct_len, memory_order_relaxed);
        if (idle && !atomic_load_explicit(&h->ct_main_woken, memory_order_acquire)) {
            /* Nothing to do: sleep until IO, a timer, or a wake from another thread. */
            rt_metrics_add_owned(&m->parks, 1);
            tk__driver_park(&h->driver, -1);
        } else {
            /* Busy: look at IO and timers without blocking, then carry on. */
            tk__driver_park(&h->driver, 0);
        }
    }
    // endregion
    ctx->ct_core = false;
}

/* ---- waiting for the core ---------------------------------------------------------------- */

/*
 * tokio allows several threads to call block_on on one current_thread runtime. Only one can
 * hold the core; the others do not just sleep: they poll their own future on their own
 * thread (it may not need the core at all -- it may wait on something another thread does),
 * and whenever the core is released they try to take it. A waiter is reference counted
 * because its waker may outlive the block_on call.
 */
typedef struct tk__ct_waiter {
    _Atomic long refs;
    _Atomic int woken;          /* the future asked to be polled again */
    rt_parker parker;
    struct tk__ct_waiter *next; /* in h->ct_waiters, guarded by ct_waiters_lock */
} tk__ct_waiter;

/* tk__ct_waiter_release: the last reference frees it. */
static void tk__ct_waiter_release(tk__ct_waiter *w)
{
    if (atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) == 1)
        rt_free(w);
}

static const rt_waker_vtable tk__ct_waiter_vtable;

/* tk__ct_waiter_clone: a waker clone is a reference. */
static rt_waker tk__ct_waiter_clone(const void *data)
{
    tk__ct_waiter *w = (tk__ct_waiter *)data;
    atomic_fetch_add_explicit(&w->refs, 1, memory_order_relaxed);
    return (rt_waker){ &tk__ct_waiter_vtable, data };
}

/* tk__ct_waiter_wake_by_ref: flag, then unpark (the parker keeps a token if it is awake). */
static void tk__ct_waiter_wake_by_ref(const void *data)
{
    tk__ct_waiter *w = (tk__ct_waiter *)data;
    atomic_store_explicit(&w->woken, 1, memory_order_release);
    rt_parker_unpark(&w->parker);
}

/* tk__ct_waiter_wake: wake and release. */
static void tk__ct_waiter_wake(const void *data)
{
    tk__ct_waiter_wake_by_ref(data);
    tk__ct_waiter_release((tk__ct_waiter *)data);
}

/* tk__ct_waiter_drop: release. */
static void tk__ct_waiter_drop(const void *data)
{
    tk__ct_waiter_release((tk__ct_waiter *)data);
}

static const rt_waker_vtable tk__ct_waiter_vtable = {
    .clone = tk__ct_waiter_clone,
    .wake = tk__ct_waiter_wake,
    .wake_by_ref = tk__ct_waiter_wake_by_ref,
    .drop = tk__ct_waiter_drop,
};

/* tk__ct_waiters_set: add or remove w in the list of threads waiting for the core. */
static void tk__ct_waiters_set(tk_handle *h, tk__ct_waiter *w, bool add)
{
    pthread_mutex_lock(&h->ct_waiters_lock);
    if (add) {
        w->next = h->ct_waiters;
        h->ct_waiters = w;
    } else {
        for (tk__ct_waiter **pp = &h->ct_waiters; *pp; pp = &(*pp)->next) {
            if (*pp == w) {
                *pp = w->next;
                break;
            }
        }
    }
    pthread_mutex_unlock(&h->ct_waiters_lock);
}

/* tk__ct_release_core: unlock, then tell every waiter to try for the core. */
static void tk__ct_release_core(tk_handle *h)
{
    pthread_mutex_unlock(&h->ct_core_lock);
    pthread_mutex_lock(&h->ct_waiters_lock);
    for (tk__ct_waiter *w = h->ct_waiters; w; w = w->next)
        rt_parker_unpark(&w->parker);
    pthread_mutex_unlock(&h->ct_waiters_lock);
}

/* tk__ct_wait_for_core: poll the future here until it finishes (return true) or we get the
 * core (return false, core held). Registering before the last trylock closes the gap in
 * which a release could happen unseen: a release after it unparks us. */
static bool tk__ct_wait_for_core(tk_handle *h, rt_future *future)
{
    tk__ct_waiter *w = rt_malloc(sizeof *w);
    if (!w) {
        pthread_mutex_lock(&h->ct_core_lock); /* out of memory: just wait for the core */
        return false;
    }
    atomic_init(&w->refs, 1);
    atomic_init(&w->woken, 1);
    rt_parker_init(&w->parker);
    rt_waker waker = { &tk__ct_waiter_vtable, w };
    rt_context cx = { &waker };
    bool done = false;
    tk__ct_waiters_set(h, w, true);
    for (;;) {
        if (pthread_mutex_trylock(&h->ct_core_lock) == 0)
            break;
        if (atomic_exchange_explicit(&w->woken, 0, memory_order_acquire) &&
            rt_future_poll(future, &cx) == RT_READY) {
            done = true;
            break;
        }
        rt_parker_park(&w->parker);
    }
    tk__ct_waiters_set(h, w, false);
    tk__ct_waiter_release(w);
    return done;
}

/* tk__ct_block_on: take the core (or poll our future while another thread has it), then run
 * the scheduler loop until the main future is ready. */
void tk__ct_block_on(tk_handle *h, rt_future *future)
{
    if (pthread_mutex_trylock(&h->ct_core_lock) != 0 && tk__ct_wait_for_core(h, future))
        return;
    tk__ct_run_core(h, future);
    tk__ct_release_core(h);
}

/* tk__ct_release_core_after_panic: the main future panicked while this thread held the core. */
void tk__ct_release_core_after_panic(tk_handle *h)
{
    tk__ct_release_core(h);
}

/* tk__ct_shutdown: drop the local queue's references (the tasks are already cancelled). */
void tk__ct_shutdown(tk_handle *h)
{
    rt_task *task;
    while ((task = tk__ct_pop_local(h)) != NULL)
        rt_task_run(task);
    pthread_mutex_destroy(&h->ct_core_lock);
    pthread_mutex_destroy(&h->ct_waiters_lock);
}
