/* rt_blocking_pool.c: a capped, self-shrinking pool of named threads for blocking jobs. */
#include "rt_blocking_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "rt_alloc.h"
#include "rt_qnode.h"

/*
 * Shape. One mutex guards everything: the FIFO of jobs, the counters, the list of threads.
 * Idle threads sleep on one condition variable (work_cv) with a keep-alive deadline; the owner
 * sleeps on another (exit_cv) while shutdown waits for threads to leave. A blocking pool sees
 * at most thousands of jobs a second, each of which blocks for far longer than the lock is
 * held, so a single lock is the simple and sufficient choice (tokio's pool is built the same
 * way).
 *
 * Counting idle threads exactly (as tokio does). A thread waiting for work is `idle`. A
 * submitter that hands a job to an idle thread moves one count from `idle` to `notified` and
 * signals work_cv, all under the lock. A waking thread that finds notified > 0 takes one and
 * serves the queue; one that finds notified == 0 woke spuriously and sleeps again. Because
 * the submitter, not the woken thread, decrements idle, a burst of submissions never counts
 * the same sleeping thread twice, and spurious wake-ups cannot skew the counts. Whichever
 * idle thread happens to consume a notification serves the queue; the totals stay right.
 *
 * Why a job cannot be stranded by a thread timing out. Suppose an idle thread's keep-alive
 * runs out at the very moment a job arrives. The submitter holds the lock while it pushes the
 * job and claims an idle thread; the timed-out thread must take the same lock before it may
 * decide to exit. If it gets the lock first, it leaves `idle` (under the lock) before the
 * submitter looks, so the submitter does not count on it and starts a thread if the policy
 * says nobody else can take the job. If
 * the submitter gets the lock first, the thread then sees notified > 0 and serves the job
 * instead of exiting, even though its wait reported ETIMEDOUT. Both decisions are made under
 * one mutex, so there is no third interleaving.
 *
 * Ownership and lifetime. The pool is reference counted: one reference for the owner and one
 * per live thread, dropped as the very last thing each party does, after its final unlock. So
 * the mutex is destroyed only once nobody can still be inside it.
 *   - Normal case: shutdown joins every thread, then rt_blocking_pool_free drops the owner's
 *     reference, which is the last, and frees everything.
 *   - Keep-alive exits: a thread cannot join itself, so an exiting thread parks its own handle
 *     in last_exiting and joins the handle that was there before (tokio's trick). At most one
 *     exited thread is ever unjoined, and shutdown joins it.
 *   - Shutdown timeout: threads still inside a job are marked detached and pthread_detach'ed.
 *     When their job returns they see the flag, free their own record, drop their reference,
 *     and the last one out frees the pool. Until then the pool's memory stays allocated; if the
 *     process exits first, that memory is still referenced from those threads' stacks.
 */

/* A queued job: intrusive node plus callbacks; rt_malloc'ed by submit, freed by the taker. */
typedef struct rt__job {
    rt_qnode link;
    rt_blocking_fn run, cancel;
    void *arg;
} rt__job;

/* A thread's record: what shutdown or a later-exiting thread needs to join it. */
typedef struct rt__worker {
    rt_qnode link;          /* on pool->workers while shutdown is responsible for joining it */
    pthread_t tid;
    rt_blocking_pool *pool;
    int done;               /* under lock: finished with the pool, only returning now */
    int detached;           /* under lock: a timed-out shutdown let go; the thread frees this */
} rt__worker;

struct rt_blocking_pool {
    pthread_mutex_t lock;
    pthread_cond_t work_cv;   /* idle threads wait here (CLOCK_MONOTONIC deadlines) */
    pthread_cond_t exit_cv;   /* shutdown waits here for threads to leave */
    rt_qnode *head, **tail;   /* FIFO of rt__job */
    rt_qnode *workers;        /* live threads shutdown must join */
    rt__worker *last_exiting; /* the latest keep-alive exit, not yet joined */
    size_t threads, idle, notified, starting, queued, detached, max_seen;
    uint64_t spawned, exited, jobs_run, jobs_cancelled;
    int shutdown;
    _Atomic unsigned refs;    /* owner + one per live thread */
    rt_blocking_config cfg;   /* cfg.thread_name points at name */
    char name[16];
};

/* rt__shortfall: threads to add so the available ones face at most k queued jobs each. */
static size_t rt__shortfall(unsigned k, const rt_blocking_counts *c, size_t room)
{
    if (c->queued == 0)
        return 0;
    /*
     * The blocking crate spawns in a loop, `while queued > k * available { spawn }`, each new
     * thread counting as available. That stops at the first n with queued <= k * (have + n),
     * i.e. it tops the available threads up to ceil(queued / k).
     */
    size_t want = (c->queued - 1) / k + 1;
    size_t have = c->idle + c->waking;
    size_t n = want > have ? want - have : 0;
    return n < room ? n : room;
}

/* rt__top_up: the blocking crate's growth step: start the shortfall, and then wake all sleepers. */
static rt_blocking_plan rt__top_up(const rt_blocking_config *cfg, const rt_blocking_counts *c,
                                   size_t wake)
{
    size_t room = c->threads < cfg->max_threads ? cfg->max_threads - c->threads : 0;
    rt_blocking_plan plan = { wake, rt__shortfall(cfg->grow_factor, c, room) };
    if (plan.spawn > 0)
        plan.wake = c->idle; /* the crate's notify_all: "we need to hurry up" */
    return plan;
}

// region: plan-submit
/* rt_blocking_plan_submit: tokio: wake one idle thread, else start one; blocking: top up. */
rt_blocking_plan rt_blocking_plan_submit(const rt_blocking_config *cfg,
                                         const rt_blocking_counts *c)
{
    /* Both policies hand the job to a sleeping thread if there is one. */
    size_t wake = c->idle > 0 ? 1 : 0;
    if (cfg->grow_factor == 0) {
        /* tokio: a job that found nobody idle gets its own thread, whatever the queue holds. */
        rt_blocking_plan plan = { wake, c->idle == 0 && c->threads < cfg->max_threads };
        return plan;
    }
    /*
     * blocking crate: threads that were just woken or started still count as available, since
     * each is about to drain the queue, so a burst grows the pool by one thread per k jobs.
     */
    return rt__top_up(cfg, c, wake);
}
// endregion

/* rt_blocking_plan_dequeue: blocking crate only: a thread taking a job re-checks the shortfall. */
rt_blocking_plan rt_blocking_plan_dequeue(const rt_blocking_config *cfg,
                                          const rt_blocking_counts *c)
{
    if (cfg->grow_factor == 0) {
        rt_blocking_plan none = { 0, 0 }; /* tokio decided at submit: one thread per job */
        return none;
    }
    /*
     * This is what keeps the lazy policy live: the thread taking a job is about to be busy,
     * possibly forever, so it no longer counts as available. If the jobs behind it now exceed
     * what the rest can absorb, grow. Without it, a job waiting for a later job in the queue
     * would deadlock a pool that is far below its cap.
     */
    return rt__top_up(cfg, c, 0);
}

/* rt__counts: the policy's view of the pool (caller holds the lock). */
static rt_blocking_counts rt__counts(const rt_blocking_pool *p)
{
    rt_blocking_counts c = { .threads = p->threads, .idle = p->idle,
                             .waking = p->notified + p->starting, .queued = p->queued };
    return c;
}

/* rt__deadline_after: *ts = now + ms on CLOCK_MONOTONIC; 0 means "no deadline" (wait forever). */
static int rt__deadline_after(uint64_t ms, struct timespec *ts)
{
    if (ms == UINT64_MAX || ms / 1000 > ((uint64_t)1 << 40))
        return 0; /* beyond any horizon that matters: treat as forever, and never overflow */
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
    return 1;
}

/* rt__reached: whether CLOCK_MONOTONIC has reached *ts (so a timeout is never taken early). */
static int rt__reached(const struct timespec *ts)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > ts->tv_sec || (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

/* rt__queue_push: append a job (caller holds the lock). */
static void rt__queue_push(rt_blocking_pool *p, rt__job *job)
{
    job->link.next = NULL;
    *p->tail = &job->link;
    p->tail = &job->link.next;
    p->queued++;
}

/* rt__queue_pop: the oldest job, or NULL (caller holds the lock). */
static rt__job *rt__queue_pop(rt_blocking_pool *p)
{
    rt_qnode *n = p->head;
    if (n == NULL)
        return NULL;
    p->head = n->next;
    if (p->head == NULL)
        p->tail = &p->head;
    p->queued--;
    return rt_container_of(n, rt__job, link);
}

/* rt__destroy: release the pool itself; only once every reference is gone. */
static void rt__destroy(rt_blocking_pool *p)
{
    pthread_cond_destroy(&p->exit_cv);
    pthread_cond_destroy(&p->work_cv);
    pthread_mutex_destroy(&p->lock);
    rt_free(p);
}

/* rt__unref: drop one reference; the last one frees the pool. */
static void rt__unref(rt_blocking_pool *p)
{
    /*
     * acq_rel: the release publishes this party's last accesses (all under the lock, already
     * unlocked); the acquire in the last party makes all of them happen-before the destroy.
     */
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
        rt__destroy(p);
}

static void *rt__worker_main(void *arg);

/* rt__spawn_locked: start one thread (caller holds the lock); 0 or a negative errno. */
static int rt__spawn_locked(rt_blocking_pool *p)
{
    if (p->shutdown)
        return -ESHUTDOWN;
    rt__worker *w = rt_malloc(sizeof *w);
    if (w == NULL)
        return -ENOMEM;
    w->link.next = NULL;
    w->pool = p;
    w->done = 0;
    w->detached = 0;
    /* Relaxed is enough: the caller holds a reference, so the count cannot reach zero now. */
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    /*
     * Created under the lock, so the thread's record goes on the list and the counts change
     * in the same critical section; the new thread simply blocks on the lock until we are done.
     */
    int rc = pthread_create(&w->tid, NULL, rt__worker_main, w);
    if (rc != 0) {
        atomic_fetch_sub_explicit(&p->refs, 1, memory_order_relaxed);
        rt_free(w);
        return -rc;
    }
    w->link.next = p->workers;
    p->workers = &w->link;
    p->threads++;
    p->starting++;
    p->spawned++;
    if (p->threads > p->max_seen)
        p->max_seen = p->threads;
    return 0;
}

/* rt__carry_out: claim and wake plan.wake idle threads, start plan.spawn; first error or 0. */
static int rt__carry_out(rt_blocking_pool *p, rt_blocking_plan plan)
{
    if (plan.wake > 0) {
        p->idle -= plan.wake;
        p->notified += plan.wake;
        if (plan.wake == 1)
            pthread_cond_signal(&p->work_cv);
        else
            pthread_cond_broadcast(&p->work_cv);
    }
    for (size_t i = 0; i < plan.spawn; i++) {
        int rc = rt__spawn_locked(p);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* rt__idle_wait: sleep while idle (lock held); 1: go serve or shut down, 0: keep-alive ran out. */
static int rt__idle_wait(rt_blocking_pool *p)
{
    struct timespec deadline;
    int timed = rt__deadline_after(p->cfg.keep_alive_ms, &deadline);
    p->idle++;
    for (;;) {
        int rc = timed ? pthread_cond_timedwait(&p->work_cv, &p->lock, &deadline)
                       : pthread_cond_wait(&p->work_cv, &p->lock);
        if (p->notified > 0) {
            p->notified--; /* a legitimate claim; the claimer already took us off `idle` */
            return 1;
        }
        if (p->shutdown) {
            p->idle--;
            return 1;
        }
        /*
         * Nobody claimed us. Exit only if the keep-alive really ran out (re-read the clock: a
         * timeout is never taken early) and nothing waits in the queue. Every push claims an
         * idle thread, so a non-empty queue here should not happen; if it ever did, serving it
         * is the safe choice, because leaving would strand it.
         */
        if (p->queued > 0) {
            p->idle--;
            return 1;
        }
        if (rc == ETIMEDOUT && rt__reached(&deadline)) {
            p->idle--;
            return 0;
        }
    }
}

/* rt__list_remove: unlink node from a singly linked list (the list is short: at most the cap). */
static void rt__list_remove(rt_qnode **head, rt_qnode *node)
{
    for (rt_qnode **pp = head; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == node) {
            *pp = node->next;
            return;
        }
    }
}

/* rt__worker_main: serve the queue until shutdown or keep-alive; then leave, joining or freeing. */
static void *rt__worker_main(void *arg)
{
    rt__worker *w = arg;
    rt_blocking_pool *p = w->pool;
    pthread_setname_np(pthread_self(), p->name);

    pthread_mutex_lock(&p->lock);
    p->starting--;
    int keep_alive_exit = 0;
    for (;;) {
        rt__job *job;
        while ((job = rt__queue_pop(p)) != NULL) {
            rt_blocking_counts c = rt__counts(p);
            (void)rt__carry_out(p, rt_blocking_plan_dequeue(&p->cfg, &c));
            pthread_mutex_unlock(&p->lock);
            rt_blocking_fn run = job->run;
            void *job_arg = job->arg;
            rt_free(job); /* before running: a job may block for minutes */
            run(job_arg);
            pthread_mutex_lock(&p->lock);
            p->jobs_run++;
        }
        if (p->shutdown)
            break;
        if (!rt__idle_wait(p)) {
            keep_alive_exit = 1;
            break;
        }
    }

    /* Leaving, still under the lock. */
    rt__worker *to_join = NULL;
    int free_self = 0;
    p->threads--;
    p->exited++;
    if (keep_alive_exit) {
        /* Not shutting down (checked under this lock), so shutdown cannot be reaping now. */
        rt__list_remove(&p->workers, &w->link);
        to_join = p->last_exiting;
        p->last_exiting = w;
    } else {
        w->done = 1;
        if (w->detached) {
            p->detached--;
            free_self = 1;
        }
        pthread_cond_broadcast(&p->exit_cv);
    }
    pthread_mutex_unlock(&p->lock);

    /* From here on this thread touches no pool field: only its references below. */
    if (to_join != NULL) {
        pthread_join(to_join->tid, NULL); /* it has left too; this only reaps it */
        rt_free(to_join);
    }
    if (free_self)
        rt_free(w);
    rt__unref(p);
    return NULL;
}

/* rt_blocking_pool_new: validate, copy the config, set up the lock and condvars. */
rt_blocking_pool *rt_blocking_pool_new(const rt_blocking_config *cfg)
{
    if (cfg == NULL || cfg->max_threads == 0) {
        errno = EINVAL;
        return NULL;
    }
    rt_blocking_pool *p = rt_calloc(1, sizeof *p);
    if (p == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    pthread_condattr_t ca;
    int rc = pthread_condattr_init(&ca);
    if (rc == 0) {
        /* Monotonic, so a wall-clock jump cannot stretch or cut a keep-alive. */
        rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        if (rc == 0)
            rc = pthread_mutex_init(&p->lock, NULL);
        if (rc == 0 && (rc = pthread_cond_init(&p->work_cv, &ca)) != 0)
            pthread_mutex_destroy(&p->lock);
        if (rc == 0 && (rc = pthread_cond_init(&p->exit_cv, &ca)) != 0) {
            pthread_cond_destroy(&p->work_cv);
            pthread_mutex_destroy(&p->lock);
        }
        pthread_condattr_destroy(&ca);
    }
    if (rc != 0) {
        rt_free(p);
        errno = rc;
        return NULL;
    }
    const char *name = cfg->thread_name != NULL ? cfg->thread_name : "rt-blocking";
    size_t len = strlen(name);
    if (len > sizeof p->name - 1)
        len = sizeof p->name - 1; /* the kernel keeps 15 bytes; cut here, not fail later */
    memcpy(p->name, name, len);
    p->name[len] = '\0';
    p->cfg = *cfg;
    p->cfg.thread_name = p->name;
    p->tail = &p->head;
    atomic_init(&p->refs, 1);
    return p;
}

/* rt_blocking_pool_submit: queue the job and let the policy wake or start threads for it. */
int rt_blocking_pool_submit(rt_blocking_pool *p, rt_blocking_fn run, rt_blocking_fn cancel,
                            void *arg)
{
    if (p == NULL || run == NULL)
        return -EINVAL;
    rt__job *job = rt_malloc(sizeof *job);
    if (job == NULL)
        return -ENOMEM;
    job->run = run;
    job->cancel = cancel;
    job->arg = arg;

    pthread_mutex_lock(&p->lock);
    int rc = 0;
    if (p->shutdown) {
        rc = -ESHUTDOWN;
    } else if (p->threads == 0) {
        /*
         * No thread at all, so the queue is empty too (threads only leave an empty queue).
         * Both policies would start exactly one thread for this job; start it before queueing
         * so that if it fails the job is refused rather than queued with nobody to run it.
         */
        rc = rt__spawn_locked(p);
        if (rc == 0)
            rt__queue_push(p, job);
    } else {
        rt__queue_push(p, job);
        rt_blocking_counts c = rt__counts(p);
        /* Threads exist, so a failure to add one only delays the job: queue it anyway. */
        (void)rt__carry_out(p, rt_blocking_plan_submit(&p->cfg, &c));
    }
    pthread_mutex_unlock(&p->lock);
    if (rc != 0)
        rt_free(job);
    return rc;
}

/* rt_blocking_pool_shutdown: cancel the queue, wait (bounded) for threads, join or detach them. */
void rt_blocking_pool_shutdown(rt_blocking_pool *p, uint64_t timeout_ms)
{
    if (p == NULL)
        return;
    struct timespec deadline;
    int timed = rt__deadline_after(timeout_ms, &deadline);

    pthread_mutex_lock(&p->lock);
    p->shutdown = 1;
    rt_qnode *jobs = p->head;
    p->head = NULL;
    p->tail = &p->head;
    p->jobs_cancelled += p->queued;
    p->queued = 0;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->lock);

    /* Cancel outside the lock: a cancel callback may take its own locks or wake a waiter. */
    while (jobs != NULL) {
        rt__job *job = rt_container_of(jobs, rt__job, link);
        jobs = jobs->next;
        if (job->cancel != NULL)
            job->cancel(job->arg);
        rt_free(job);
    }

    pthread_mutex_lock(&p->lock);
    while (p->threads > p->detached) {
        int rc = timed ? pthread_cond_timedwait(&p->exit_cv, &p->lock, &deadline)
                       : pthread_cond_wait(&p->exit_cv, &p->lock);
        if (rc == ETIMEDOUT && rt__reached(&deadline))
            break;
    }
    /*
     * Reap. A thread marked done has left the pool and is only returning: join it. Any other
     * one is inside a job past the deadline: let go of it. The flag is read and written under
     * the lock, so each thread sees exactly one of the two fates.
     */
    rt_qnode *list = p->workers, *joinable = NULL;
    p->workers = NULL;
    rt__worker *last = p->last_exiting;
    p->last_exiting = NULL;
    while (list != NULL) {
        rt_qnode *next = list->next;
        rt__worker *w = rt_container_of(list, rt__worker, link);
        if (w->done) {
            list->next = joinable;
            joinable = list;
        } else {
            w->detached = 1;
            p->detached++;
            pthread_detach(w->tid);
        }
        list = next;
    }
    pthread_mutex_unlock(&p->lock);

    if (last != NULL) {
        pthread_join(last->tid, NULL);
        rt_free(last);
    }
    while (joinable != NULL) {
        rt__worker *w = rt_container_of(joinable, rt__worker, link);
        joinable = joinable->next;
        pthread_join(w->tid, NULL);
        rt_free(w);
    }
}

/* rt_blocking_pool_free: shut down (no time limit), then drop the owner's reference. */
void rt_blocking_pool_free(rt_blocking_pool *p)
{
    if (p == NULL)
        return;
    rt_blocking_pool_shutdown(p, UINT64_MAX);
    rt__unref(p);
}

/* rt_blocking_pool_stats: copy the counters under the lock. */
void rt_blocking_pool_stats(rt_blocking_pool *p, rt_blocking_stats *out)
{
    pthread_mutex_lock(&p->lock);
    out->threads = p->threads;
    out->idle = p->idle;
    out->queued = p->queued;
    out->max_threads_seen = p->max_seen;
    out->spawned = p->spawned;
    out->exited = p->exited;
    out->jobs_run = p->jobs_run;
    out->jobs_cancelled = p->jobs_cancelled;
    pthread_mutex_unlock(&p->lock);
}
