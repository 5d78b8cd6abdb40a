/* tk_sched_mt.c: the multi_thread scheduler -- per-worker rings, a LIFO slot, work stealing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rt_alloc.h"
#include "tk_coop.h"
#include "tk_internal.h"

/*
 * Each worker owns a ring of 256 tasks (rt_local_queue) and a one-task LIFO slot. A worker's
 * turn, tokio's numbers:
 *
 *   1. every event_interval (61) ticks: poll the driver without blocking (maintenance);
 *   2. next task: the global (inject) queue first every global_queue_interval (61) ticks,
 *      otherwise the LIFO slot, then the ring, then the global queue;
 *   3. none? steal: become a "searcher" (at most half the workers search at once), pick a
 *      random victim and take half its ring; then try the global queue;
 *   4. still none? park: in the driver if nobody holds it, else on the futex.
 *
 * The LIFO slot is for message passing: when task A wakes task B and then waits, B should run
 * next, on this worker, while A's data is still in cache. So a wake from a worker puts the
 * woken task in the slot (bumping the previous occupant to the ring). It is also unfair, which
 * is why a worker takes at most 3 tasks from it in a row and why it spends the same coop
 * budget as the task that filled it. A task that yields goes to the back of the ring instead.
 */

#define TK__MAX_LIFO_POLLS 3

static void tk__mt_notify_parked(tk_handle *h);

/* tk__rand: xorshift32 for picking victims; per worker, so no shared state. */
static uint32_t tk__rand(tk__worker *w)
{
    uint32_t x = w->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return w->rng = x;
}

/* tk__mt_push_local: onto our ring; an overflow sends half the ring to the inject queue.
 * Nodes the inject queue refuses (shutdown) lose their reference here. */
static void tk__mt_push_local(tk__worker *w, rt_task *task)
{
    tk_handle *h = w->handle;
    rt_qnode *rejected = NULL;
    if (rt_local_queue_remaining_slots(&w->queue) == 0)
        rt_metrics_add_owned(&w->metrics.overflows, 1);
    if (rt_local_queue_push_back(&w->queue, &task->queue_node, &h->inject, &rejected) != 0) {
        while (rejected) {
            rt_qnode *next = rejected->next;
            rt_task_drop_ref(rt_task_of(rejected));
            rejected = next;
        }
    }
}

/* tk__mt_schedule_local: the wake came from one of our own workers. */
static void tk__mt_schedule_local(tk__worker *w, rt_task *task, bool is_yield)
{
    rt_metrics_add_owned(&w->metrics.local_schedules, 1);
    bool should_notify;
    if (is_yield) {
        tk__mt_push_local(w, task);
        should_notify = true;
    } else {
        rt_task *prev = w->lifo;
        w->lifo = task;
        if (prev)
            tk__mt_push_local(w, prev);
        should_notify = prev != NULL;
    }
    /* While the worker sits in the driver, wakes come in batches; it notifies once it is
     * out (see tk__mt_park), instead of once per event. */
    if (should_notify && !w->in_driver)
        tk__mt_notify_parked(w->handle);
}

/* tk__mt_schedule_remote: from any other thread: the inject queue, then wake a sleeper. */
static void tk__mt_schedule_remote(tk_handle *h, rt_task *task)
{
    if (!tk__remote_begin(h) || rt_inject_push(&h->inject, &task->queue_node) != 0)
        rt_task_drop_ref(task); /* shutting down: the task was cancelled with the rest */
    else
        tk__mt_notify_parked(h);
    tk__remote_end(h);
}

/* tk__mt_worker_of: our worker record if this thread is one of h's workers. */
static tk__worker *tk__mt_worker_of(tk_handle *h)
{
    tk__context *ctx = tk__ctx();
    return (ctx->worker && ctx->worker->handle == h) ? ctx->worker : NULL;
}

/* tk__mt_schedule: the task vtable's hook. */
static void tk__mt_schedule(rt_task *task)
{
    tk_handle *h = task->scheduler;
    tk__worker *w = tk__mt_worker_of(h);
    if (w) {
        tk__mt_schedule_local(w, task, false);
    } else {
        rt_metrics_add(&h->workers[0].metrics.remote_schedules, 1);
        tk__mt_schedule_remote(h, task);
    }
}

/*
 * tk__mt_yield_now: a task that woke itself is deferred, as tokio's yield_now defers its
 * waker: it waits on this worker's list until the next driver turn (maintenance, or the run
 * queue running dry), and only then goes to the back of the ring. Two reasons, both tokio's:
 * a yield is meant to let IO and timers in, so the yielder must not run again before the
 * driver has; and a yield costs no look at the shared idle word -- scheduling it at once
 * asked "should a sleeper be woken?" (an RMW on a line every worker writes) per yield, and
 * with two workers yielding that line bounced between cores on every poll. The deferred
 * tasks are rescheduled in one batch with at most one notify.
 *
 * The list is the worker's own (only its thread touches it), and a yielded task is in no
 * other queue: the harness calls this hook after the poll, holding the one reference a
 * queued task holds, which the list now holds instead.
 */
static void tk__mt_yield_now(rt_task *task)
{
    tk_handle *h = task->scheduler;
    tk__worker *w = tk__mt_worker_of(h);
    if (!w) {
        tk__mt_schedule_remote(h, task);
        return;
    }
    rt_metrics_add_owned(&w->metrics.local_schedules, 1);
    task->queue_node.next = NULL;
    if (w->deferred_tail)
        w->deferred_tail->next = &task->queue_node;
    else
        w->deferred_head = &task->queue_node;
    w->deferred_tail = &task->queue_node;
}

/* tk__mt_wake_deferred: the yielded tasks go to the back of the ring, in yield order (the
 * caller decides on the one notify). */
static void tk__mt_wake_deferred(tk__worker *w)
{
    rt_qnode *n = w->deferred_head;
    w->deferred_head = w->deferred_tail = NULL;
    while (n) {
        rt_qnode *next = n->next;
        tk__mt_push_local(w, rt_task_of(n));
        n = next;
    }
}

const rt_task_vtable tk__mt_task_vtable = {
    .schedule = tk__mt_schedule,
    .yield_now = tk__mt_yield_now,
    .release = tk__task_release,
};

/* tk__mt_notify_parked: wake one sleeping worker if that helps (see tk_idle.c). */
static void tk__mt_notify_parked(tk_handle *h)
{
    int idx = tk__idle_worker_to_notify(&h->idle);
    if (idx >= 0)
        tk__park_unpark(&h->workers[idx].park, h);
}

/* tk__mt_work_pending: is there anything a woken worker could take? */
static bool tk__mt_work_pending(tk_handle *h)
{
    if (!rt_inject_is_empty(&h->inject))
        return true;
    for (unsigned i = 0; i < h->num_workers; i++)
        if (!rt_local_queue_is_empty(&h->workers[i].queue))
            return true;
    return false;
}

/* tk__mt_next_task: tokio's order, with the periodic look at the global queue first. */
static rt_task *tk__mt_next_task(tk__worker *w)
{
    tk_handle *h = w->handle;
    rt_qnode *n;
    if (w->tick % h->config.global_queue_interval == 0) {
        if ((n = rt_inject_pop(&h->inject)) != NULL)
            return rt_task_of(n);
    }
    if (w->lifo) {
        rt_task *t = w->lifo;
        w->lifo = NULL;
        return t;
    }
    if ((n = rt_local_queue_pop(&w->queue)) != NULL)
        return rt_task_of(n);
    n = rt_inject_pop(&h->inject);
    return n ? rt_task_of(n) : NULL;
}

// region: steal
/* tk__mt_steal: as a searcher, take half of a random victim's ring, then try the global queue. */
static rt_task *tk__mt_steal(tk__worker *w)
{
    tk_handle *h = w->handle;
    if (!w->is_searching) {
        if (!tk__idle_transition_to_searching(&h->idle))
            return NULL;
        w->is_searching = true;
    }
    unsigned n = h->num_workers;
    unsigned start = tk__rand(w) % n;
    for (unsigned i = 0; i < n; i++) {
        tk__worker *victim = &h->workers[(start + i) % n];
        if (victim == w)
            continue;
        size_t count = 0;
        rt_qnode *got = rt_local_queue_steal_into(&victim->queue, &w->queue, &count);
        if (got) {
            rt_metrics_add_owned(&w->metrics.steal_operations, 1);
            rt_metrics_add_owned(&w->metrics.steal_count, count);
            return rt_task_of(got);
        }
    }
    rt_qnode *g = rt_inject_pop(&h->inject);
    return g ? rt_task_of(g) : NULL;
}
// endregion

/* tk__mt_run_task: leave the searching state (waking a successor if we were the last
 * searcher), then poll the task and whatever it put in the LIFO slot, under one budget. */
static void tk__mt_run_task(tk__worker *w, rt_task *task)
{
    tk_handle *h = w->handle;
    if (w->is_searching) {
        w->is_searching = false;
        if (tk__idle_transition_from_searching(&h->idle))
            tk__mt_notify_parked(h);
    }
    unsigned long forced = tk_coop_forced_yields();
    tk_coop_set(TK_COOP_BUDGET);
    rt_task_run(task);
    rt_metrics_add_owned(&w->metrics.polls, 1);
    for (unsigned lifo_polls = 0; w->lifo; lifo_polls++) {
        if (lifo_polls >= TK__MAX_LIFO_POLLS || !tk_coop_has_budget()) {
            /* Enough favouritism: the slot's task goes to the back of the ring. No other
             * worker is woken for it (tokio does not either): this worker takes it on its
             * next tick, and waking a sleeper per ping-pong cost a context switch each. */
            rt_task *t = w->lifo;
            w->lifo = NULL;
            tk__mt_push_local(w, t);
            break;
        }
        rt_task *t = w->lifo;
        w->lifo = NULL;
        rt_metrics_add_owned(&w->metrics.lifo_hits, 1);
        rt_task_run(t);
        rt_metrics_add_owned(&w->metrics.polls, 1);
    }
    tk_coop_set(-1);
    rt_metrics_add_owned(&w->metrics.budget_forced_yields, tk_coop_forced_yields() - forced);
}

/* tk__mt_maintenance: every event_interval ticks, poll IO and timers without blocking. */
static void tk__mt_maintenance(tk__worker *w)
{
    tk_handle *h = w->handle;
    if (pthread_mutex_trylock(&h->driver_lock) == 0) {
        w->in_driver = true;
        tk__driver_park(&h->driver, 0);
        w->in_driver = false;
        pthread_mutex_unlock(&h->driver_lock);
    }
    /* After the driver's turn (ours, or the one a parked worker is taking): the yielders'. */
    tk__mt_wake_deferred(w);
    /* One notify for everything the turn and the yielders put here, if nobody is searching
     * already (tokio's park_timeout ends the same way). */
    if (!w->is_searching && (w->lifo || !rt_local_queue_is_empty(&w->queue)))
        tk__mt_notify_parked(h);
    atomic_store_explicit(&w->metrics.local_queue_depth, rt_local_queue_len(&w->queue),
                          memory_order_relaxed);
}

/* tk__mt_park: tokio's park: register as a sleeper (the last searcher re-checks all queues
 * first), sleep until chosen by a notify, then come back as a searcher. */
static void tk__mt_park(tk__worker *w)
{
    tk_handle *h = w->handle;
    if (w->lifo || w->deferred_head || !rt_local_queue_is_empty(&w->queue))
        return;
    bool last = tk__idle_transition_to_parked(&h->idle, w->index, w->is_searching);
    w->is_searching = false;
    if (last && tk__mt_work_pending(h))
        tk__mt_notify_parked(h);
    rt_metrics_add_owned(&w->metrics.parks, 1);
    while (!atomic_load_explicit(&h->shutdown, memory_order_acquire)) {
        tk__park_wait(&w->park, h, w, -1);
        if (w->lifo || !rt_local_queue_is_empty(&w->queue)) {
            /* The driver woke tasks onto this worker while it held the driver. */
            tk__idle_unpark_worker_by_id(&h->idle, w->index);
            w->is_searching = true;
            tk__mt_notify_parked(h);
            return;
        }
        if (!tk__idle_is_parked(&h->idle, w->index)) {
            w->is_searching = true; /* chosen by a notify: we wake up searching */
            return;
        }
    }
}

/* tk__mt_worker_main: a worker thread's whole life. */
static void *tk__mt_worker_main(void *arg)
{
    tk__worker *w = arg;
    tk_handle *h = w->handle;
    tk__context *ctx = tk__ctx();
    ctx->handle = h;
    ctx->worker = w;
    ctx->entered = true;
    char name[16];
    snprintf(name, sizeof name, "%s", h->config.thread_name);
    pthread_setname_np(pthread_self(), name);

    // region: worker-loop
    while (!atomic_load_explicit(&h->shutdown, memory_order_acquire)) {
        w->tick++;
        if (w->tick % h->config.event_interval == 0)
            tk__mt_maintenance(w);
        rt_task *task = tk__mt_next_task(w);
        if (!task)
            task = tk__mt_steal(w);
        if (task) {
            tk__mt_run_task(w, task);
            continue;
        }
        if (w->deferred_head) {
            /* Only yielders are left: a driver turn without sleeping, then they run. */
            tk__mt_maintenance(w);
            continue;
        }
        tk__mt_park(w);
    }
    // endregion
    ctx->handle = NULL;
    ctx->worker = NULL;
    ctx->entered = false;
    return NULL;
}

/* tk__mt_init: allocate the workers and start their threads. */
int tk__mt_init(tk_handle *h)
{
    unsigned n = h->config.worker_threads;
    h->num_workers = n;
    h->workers = rt_calloc(n, sizeof *h->workers);
    if (!h->workers)
        return -ENOMEM;
    if (tk__idle_init(&h->idle, n) != 0) {
        rt_free(h->workers);
        h->workers = NULL;
        return -ENOMEM;
    }
    pthread_mutex_init(&h->driver_lock, NULL);
    for (unsigned i = 0; i < n; i++) {
        tk__worker *w = &h->workers[i];
        w->handle = h;
        w->index = i;
        w->rng = 0x9e3779b9u * (i + 1);
        rt_local_queue_init(&w->queue);
        tk__park_init(&w->park);
    }
    for (unsigned i = 0; i < n; i++) {
        int rc = pthread_create(&h->workers[i].thread, NULL, tk__mt_worker_main, &h->workers[i]);
        if (rc) {
            /* Join the workers already started (they saw no task: the runtime is not
             * handed out yet), then undo the rest of this function; tk_builder_build
             * unwinds what came before it. */
            tk__mt_shutdown(h);
            tk__idle_destroy(&h->idle);
            pthread_mutex_destroy(&h->driver_lock);
            rt_free(h->workers);
            h->workers = NULL;
            h->num_workers = 0;
            return -rc;
        }
        h->workers[i].started = 1;
    }
    return 0;
}

/* tk__mt_shutdown: stop and join the workers, then drop their queued references (the tasks
 * themselves are cancelled by the caller through the owned list). */
void tk__mt_shutdown(tk_handle *h)
{
    if (!h->workers)
        return;
    atomic_store_explicit(&h->shutdown, 1, memory_order_release);
    for (unsigned i = 0; i < h->num_workers; i++)
        tk__park_unpark(&h->workers[i].park, h);
    for (unsigned i = 0; i < h->num_workers; i++)
        if (h->workers[i].started)
            pthread_join(h->workers[i].thread, NULL);
}

/* tk__mt_drain: after the owned list is shut down, queued entries only hold references. */
void tk__mt_drain(tk_handle *h)
{
    for (unsigned i = 0; i < h->num_workers; i++) {
        tk__worker *w = &h->workers[i];
        rt_qnode *n;
        if (w->lifo) {
            rt_task_run(w->lifo);
            w->lifo = NULL;
        }
        /* The yielders hold references like queued entries do (not pushed: the ring might
         * overflow into the inject queue, which is closed by now). */
        rt_qnode *d = w->deferred_head;
        w->deferred_head = w->deferred_tail = NULL;
        while (d) {
            rt_qnode *next = d->next;
            rt_task_run(rt_task_of(d));
            d = next;
        }
        while ((n = rt_local_queue_pop(&w->queue)) != NULL)
            rt_task_run(rt_task_of(n));
    }
}
