/* as_executor.c: the executor after smol's async-executor -- one global queue, per-worker queues of 512 filled by stealing half. */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "as_internal.h"
#include "rt_alloc.h"

/*
 * The design, and how it differs from the tokio-style flavour on purpose:
 *
 *   - Every wake-up goes to ONE global MPMC queue (rt_mpmc, unbounded), from any thread. There
 *     is no "push onto my own queue" fast path and no LIFO slot: a task woken by the task now
 *     running waits its turn behind everything already queued. Simple and fair; the price is
 *     a shared CAS per schedule, which the bench shows.
 *   - Each worker owns a bounded queue of 512 (rt_mpmc_bounded). It is filled only by
 *     stealing: when it runs dry, the worker pops one task from the global queue and moves
 *     half of what remains into its own queue, so later pops are local; failing that it
 *     steals half of another worker's queue, starting at a random victim so that thieves
 *     spread out. Because only the owner ever pushes into its queue, a steal can never find
 *     it full (the rt_mpmc steal helpers rely on exactly that).
 *   - Every 64 tasks a worker refills from the global queue even if it has local work, so a
 *     task scheduled from outside is never starved by a worker busy with its own batch.
 *   - Every 200 tasks a worker lets the reactor in: if nobody is driving it, it does one
 *     non-blocking turn (async-executor yields to async-io's block_on at that point).
 *   - No coop budget: a task that keeps waking itself is polled again and again, only
 *     interleaved fairly with the rest of the queue.
 *   - Idle workers are woken one at a time (as_sleepers.c). An idle worker waits in the
 *     reactor's poller if nobody else does, so that the IO it sees wakes tasks it can run
 *     itself; otherwise it sleeps on its futex parker (as__worker_drive).
 *
 * If the global queue cannot grow (out of memory), a wake-up goes to `spill`, an intrusive
 * list that never allocates; a wake is never dropped. (`spilled` counts it with seq_cst
 * operations, so the sleepers' argument covers it as it covers the global queue.)
 */

static _Thread_local as__worker *as__tls_worker;

/* as__current_worker: set for the life of a worker thread. */
as__worker *as__current_worker(void)
{
    return as__tls_worker;
}

/* as__schedule: the task hook. Push to the global queue, then wake a sleeper if none is awake
 * to find it. The push is a seq_cst CAS and `notified` is read seq_cst, which is the order the
 * no-lost-wake argument in as_sleepers.c needs. */
static void as__schedule(rt_task *task)
{
    as__runtime *rt = task->scheduler;
    if (rt_mpmc_push(&rt->global, task) != 0) {
        if (rt_inject_push(&rt->spill, &task->queue_node) != 0) {
            rt_task_drop_ref(task); /* unreachable: spill is never closed while tasks live */
            return;
        }
        atomic_fetch_add_explicit(&rt->spilled, 1, memory_order_seq_cst);
    }
    as__worker *w = as__tls_worker;
    if (w != NULL)
        rt_metrics_add_owned(&w->metrics.local_schedules, 1);
    else
        atomic_fetch_add_explicit(&rt->remote_schedules, 1, memory_order_relaxed);
    as__sleepers_notify(rt);
}

const rt_task_vtable as__task_vtable = { .schedule = as__schedule };

/* as__rand: xorshift64*; each worker has its own state, so no sharing, no lock. */
static uint64_t as__rand(as__worker *w)
{
    uint64_t x = w->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    w->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* as__pop_global: one task from the global queue (or the spill list), or NULL. */
static rt_task *as__pop_global(as__runtime *rt)
{
    rt_task *t = rt_mpmc_pop(&rt->global);
    if (t == NULL && atomic_load_explicit(&rt->spilled, memory_order_seq_cst) > 0) {
        rt_qnode *n = rt_inject_pop(&rt->spill);
        if (n != NULL) {
            atomic_fetch_sub_explicit(&rt->spilled, 1, memory_order_seq_cst);
            t = rt_task_of(n);
        }
    }
    return t;
}

/* as__search: Runner::runnable's search -- local queue, then global (taking a batch), then
 * the other workers' queues from a random start. NULL if everything looked empty. */
static rt_task *as__search(as__runtime *rt, as__worker *w)
{
    rt_task *t = rt_mpmc_bounded_pop(&w->local);
    if (t != NULL)
        return t;
    t = as__pop_global(rt);
    if (t != NULL) {
        rt_mpmc_steal_half_into(&rt->global, &w->local);
        return t;
    }
    unsigned n = rt->nworkers;
    if (n < 2)
        return NULL;
    unsigned start = (unsigned)(as__rand(w) % n);
    for (unsigned i = 0; i < n; i++) {
        as__worker *victim = &rt->workers[(start + i) % n];
        if (victim == w)
            continue;
        size_t moved = rt_mpmc_bounded_steal_half_into(&victim->local, &w->local);
        if (moved > 0) {
            rt_metrics_add_owned(&w->metrics.steal_operations, 1);
            rt_metrics_add_owned(&w->metrics.steal_count, moved);
        }
        t = rt_mpmc_bounded_pop(&w->local);
        if (t != NULL)
            return t;
    }
    return NULL;
}

/* as__run: poll one task, then the periodic duties: the every-64 global refill and the
 * every-200 reactor turn. */
static void as__run(as__runtime *rt, as__worker *w, rt_task *t)
{
    rt_metrics_add_owned(&w->metrics.polls, 1);
    rt_task_run(t);
    if (++w->ticks % AS__GLOBAL_EVERY_TICKS == 0)
        rt_mpmc_steal_half_into(&rt->global, &w->local);
    if (++w->since_reactor >= AS__REACTOR_EVERY_TASKS) {
        w->since_reactor = 0;
        as__reactor_try_turn(&rt->reactor);
    }
}

/* as__worker_run_one: one search-and-run for a nested as_block_on on this worker's thread. */
int as__worker_run_one(as__runtime *rt, as__worker *w)
{
    rt_task *t = as__search(rt, w);
    if (t == NULL)
        return 0;
    as__sleepers_notify(rt);
    as__run(rt, w, t);
    return 1;
}

/* as__worker_drive: an idle worker's alternative to parking: if the reactor is free, wait in
 * the poller ourselves, turn after turn, until we are notified (popped off the sleepers), a
 * turn woke something (likely a task we can run right here), or we have driven 500 us only
 * for others -- then hand the reactor back to the as-io thread and park. 0 if the reactor was
 * taken, so the caller parks instead. See as_sleepers.c for why a notify cannot be missed. */
static int as__worker_drive(as__runtime *rt, as__worker *w)
{
    as__reactor *r = &rt->reactor;
    if (pthread_mutex_trylock(&r->drive_lock) != 0)
        return 0;
    rt_metrics_add_owned(&w->metrics.parks, 1); /* asleep in the poller is asleep too */
    uint64_t start = rt_monotonic_ns();
    int hogging = 0;
    for (;;) {
        atomic_store_explicit(&w->in_reactor, 1, memory_order_seq_cst);
        if (!atomic_load_explicit(&w->waiting, memory_order_seq_cst) ||
            atomic_load_explicit(&rt->stopping, memory_order_acquire))
            break;
        size_t woke = as__reactor_turn(r, 1);
        atomic_store_explicit(&w->in_reactor, 0, memory_order_seq_cst);
        if (woke > 0)
            break;
        if (as__reactor_hogging(start)) {
            hogging = 1;
            break;
        }
    }
    atomic_store_explicit(&w->in_reactor, 0, memory_order_seq_cst);
    pthread_mutex_unlock(&r->drive_lock);
    if (hogging) {
        rt_parker_unpark(&r->io_parker);
        rt_parker_park(&w->parker);
    }
    return 1;
}

/* as__worker_main: run tasks; when none can be found, register as a sleeper, search once more,
 * and then wait -- in the poller if the reactor is free, else parked. A worker that finds a
 * task wakes one more sleeper before running it ("pass the baton"), so a burst of work
 * recruits workers one by one. */
static void *as__worker_main(void *arg)
{
    as__worker *w = arg;
    as__runtime *rt = w->rt;
    as__tls_worker = w;
    while (!atomic_load_explicit(&rt->stopping, memory_order_acquire)) {
        rt_task *t = as__search(rt, w);
        if (t != NULL) {
            as__sleepers_wake(rt, w);
            as__sleepers_notify(rt);
            as__run(rt, w, t);
            continue;
        }
        if (as__sleepers_sleep(rt, w))
            continue;
        if (atomic_load_explicit(&rt->stopping, memory_order_acquire))
            break;
        if (as__worker_drive(rt, w))
            continue;
        rt_metrics_add_owned(&w->metrics.parks, 1);
        rt_parker_park(&w->parker);
    }
    as__tls_worker = NULL;
    return NULL;
}

/* as__executor_init: the queues and the worker records; threads start later. */
int as__executor_init(as__runtime *rt, unsigned nworkers)
{
    int err;
    rt->nworkers = nworkers;
    rt_mpmc_init(&rt->global);
    if ((err = rt_inject_init(&rt->spill)) != 0)
        goto fail_global;
    if ((err = as__sleepers_init(&rt->sleepers, nworkers)) != 0)
        goto fail_spill;
    rt->workers = rt_calloc(nworkers, sizeof *rt->workers);
    rt->metrics_snapshot = rt_calloc(nworkers, sizeof *rt->metrics_snapshot);
    if (rt->workers == NULL || rt->metrics_snapshot == NULL) {
        err = -ENOMEM;
        goto fail_workers;
    }
    uint64_t seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)rt;
    for (unsigned i = 0; i < nworkers; i++) {
        as__worker *w = &rt->workers[i];
        if ((err = rt_mpmc_bounded_init(&w->local, AS__LOCAL_QUEUE_CAP)) != 0) {
            while (i-- > 0)
                rt_mpmc_bounded_destroy(&rt->workers[i].local);
            goto fail_workers;
        }
        w->rt = rt;
        w->index = i;
        w->rng = (seed + 0x9E3779B97F4A7C15ULL * (i + 1)) | 1;
        rt_parker_init(&w->parker);
    }
    return 0;

fail_workers:
    rt_free(rt->metrics_snapshot);
    rt_free(rt->workers);
    as__sleepers_destroy(&rt->sleepers);
fail_spill:
    rt_inject_destroy(&rt->spill);
fail_global:
    rt_mpmc_destroy(&rt->global);
    return err;
}

/* as__executor_start: one thread per worker; on failure the ones started are stopped. */
int as__executor_start(as__runtime *rt)
{
    for (unsigned i = 0; i < rt->nworkers; i++) {
        char name[32]; /* "as-worker-255" at most: within pthread's 15-character limit */
        snprintf(name, sizeof name, "as-worker-%u", i);
        int err = as__thread_spawn(&rt->workers[i].thread, as__worker_main, &rt->workers[i], name);
        if (err != 0) {
            as__executor_stop(rt, UINT32_MAX);
            return err;
        }
        rt->workers[i].started = 1;
    }
    return 0;
}

/* as__executor_stop: raise `stopping`, unpark everyone, join with a deadline. A worker stuck
 * in a task that never returns would hang exit forever; with the deadline we report it. */
int as__executor_stop(as__runtime *rt, unsigned timeout_ms)
{
    atomic_store_explicit(&rt->stopping, 1, memory_order_release);
    for (unsigned i = 0; i < rt->nworkers; i++)
        rt_parker_unpark(&rt->workers[i].parker);
    as__reactor_notify(&rt->reactor); /* a worker may be waiting in the poller */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    for (unsigned i = 0; i < rt->nworkers; i++) {
        as__worker *w = &rt->workers[i];
        if (!w->started)
            continue;
        int err = timeout_ms == UINT32_MAX ? pthread_join(w->thread, NULL)
                                           : pthread_timedjoin_np(w->thread, NULL, &deadline);
        if (err != 0) {
            rc = -err;
            continue;
        }
        w->started = 0;
    }
    return rc;
}

/* as__executor_drain: every task is complete by now, so running an entry only drops its
 * reference (rt_task_run sees COMPLETE and gives the reference back). */
size_t as__executor_drain(as__runtime *rt)
{
    size_t n = 0;
    rt_task *t;
    while ((t = as__pop_global(rt)) != NULL) {
        rt_task_run(t);
        n++;
    }
    for (unsigned i = 0; i < rt->nworkers; i++) {
        while ((t = rt_mpmc_bounded_pop(&rt->workers[i].local)) != NULL) {
            rt_task_run(t);
            n++;
        }
    }
    return n;
}

/* as__executor_free: the queues must be empty (drained). */
void as__executor_free(as__runtime *rt)
{
    for (unsigned i = 0; i < rt->nworkers; i++)
        rt_mpmc_bounded_destroy(&rt->workers[i].local);
    rt_free(rt->workers);
    rt_free(rt->metrics_snapshot);
    as__sleepers_destroy(&rt->sleepers);
    rt_inject_destroy(&rt->spill);
    rt_mpmc_destroy(&rt->global);
}
