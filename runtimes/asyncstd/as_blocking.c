/* as_blocking.c: as_spawn_blocking -- a job on the blocking pool, and the future that waits for its result. */
#include "as_blocking.h"

#include <errno.h>
#include <pthread.h>

#include "as_internal.h"
#include "rt_alloc.h"

/*
 * The job and the future share one small allocation, reference counted (the pool thread holds
 * one reference, the future the other), because either may finish first: the job may complete
 * before the future is ever polled, and the future may be dropped while the job still runs.
 * A mutex guards the hand-over of the result and the waker -- it is taken twice per job, which
 * costs nothing next to a thread hand-off.
 *
 * The pool follows async-std (the `blocking` crate): 500 threads at most, a thread exits after
 * 500 ms without work, and new threads are added only while the queue holds more than 5 jobs
 * per idle thread (grow_factor 5). See rt_blocking_pool.h for the policy itself.
 */

typedef struct as__blocking_job {
    _Atomic int refs;
    pthread_mutex_t lock;
    as_blocking_fn fn;
    void *arg;
    void (*free_arg)(void *);
    void (*free_result)(void *);
    void *result;
    int err;                /* -ECANCELED if the pool cancelled it */
    int done;               /* under lock */
    int abandoned;          /* under lock: the future is gone; nobody takes the result */
    rt_waker waker;         /* under lock */
} as__blocking_job;

// region: pool
/* as__blocking_pool_new: async-std's settings. */
rt_blocking_pool *as__blocking_pool_new(void)
{
    rt_blocking_config cfg = {
        .max_threads = 500,
        .keep_alive_ms = 500,
        .grow_factor = 5,
        .thread_name = "as-blocking",
    };
    return rt_blocking_pool_new(&cfg);
}
// endregion

/* as__job_unref: the last reference frees the job (and a result nobody took). */
static void as__job_unref(as__blocking_job *job)
{
    if (atomic_fetch_sub_explicit(&job->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (job->abandoned && job->done && job->err == 0 && job->free_result != NULL)
        job->free_result(job->result);
    rt_waker_drop(&job->waker);
    pthread_mutex_destroy(&job->lock);
    rt_free(job);
}

/* as__job_complete: publish the outcome and wake the future, outside the lock. */
static void as__job_complete(as__blocking_job *job, void *result, int err)
{
    if (job->free_arg != NULL)
        job->free_arg(job->arg);
    pthread_mutex_lock(&job->lock);
    job->result = result;
    job->err = err;
    job->done = 1;
    rt_waker w = job->waker;
    job->waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&job->lock);
    rt_waker_wake(&w);
    as__job_unref(job);
}

/* as__job_run: on a pool thread. */
static void as__job_run(void *arg)
{
    as__blocking_job *job = arg;
    as__job_complete(job, job->fn(job->arg), 0);
}

/* as__job_cancel: the pool shut down before the job ran. */
static void as__job_cancel(void *arg)
{
    as__job_complete(arg, NULL, -ECANCELED);
}

/* as__blocking_poll: ready once the job is done. */
static rt_poll as__blocking_poll(rt_future *f, rt_context *cx)
{
    as_blocking_fut *b = (as_blocking_fut *)f;
    as__blocking_job *job = b->job;
    if (job == NULL)
        return RT_READY; /* failed to submit (err says why), or already finished */
    rt_waker old = RT_WAKER_EMPTY;
    pthread_mutex_lock(&job->lock);
    int done = job->done;
    if (done) {
        b->result = job->result;
        b->err = job->err;
    } else if (!rt_waker_will_wake(&job->waker, cx->waker)) {
        old = job->waker;
        job->waker = rt_waker_clone(cx->waker);
    }
    pthread_mutex_unlock(&job->lock);
    rt_waker_drop(&old);
    if (!done)
        return RT_PENDING;
    b->job = NULL;
    as__job_unref(job);
    return RT_READY;
}

/* as__blocking_drop: detach from a job still running (or not yet read). */
static void as__blocking_drop(rt_future *f)
{
    as_blocking_fut *b = (as_blocking_fut *)f;
    as__blocking_job *job = b->job;
    if (job == NULL)
        return;
    b->job = NULL;
    pthread_mutex_lock(&job->lock);
    job->abandoned = 1;
    rt_waker w = job->waker;
    job->waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&job->lock);
    rt_waker_drop(&w);
    as__job_unref(job);
}

static const rt_future_vtable as__blocking_vtable = {
    .poll = as__blocking_poll,
    .drop = as__blocking_drop,
    .name = "as_spawn_blocking",
};

/* as__spawn_blocking_full: allocate, submit now; on failure the future is ready with err (and
 * free_arg has been applied, so a caller never has to clean up after a failed submit). */
as_blocking_fut as__spawn_blocking_full(as_blocking_fn fn, void *arg, void (*free_arg)(void *),
                                        void (*free_result)(void *))
{
    as_blocking_fut b = { .base = { &as__blocking_vtable }, .job = NULL, .result = NULL, .err = 0 };
    as__runtime *rt = as__rt();
    as__blocking_job *job = NULL;
    if (fn == NULL)
        b.err = -EINVAL;
    else if (rt == NULL)
        b.err = as__rt_error();
    else if ((job = rt_calloc(1, sizeof *job)) == NULL)
        b.err = -ENOMEM;
    if (b.err != 0) {
        if (free_arg != NULL)
            free_arg(arg);
        return b;
    }
    atomic_init(&job->refs, 2); /* the pool's and the future's */
    pthread_mutex_init(&job->lock, NULL);
    job->fn = fn;
    job->arg = arg;
    job->free_arg = free_arg;
    job->free_result = free_result;
    job->waker = RT_WAKER_EMPTY;
    int rc = rt_blocking_pool_submit(rt->blocking, as__job_run, as__job_cancel, job);
    if (rc != 0) {
        if (free_arg != NULL)
            free_arg(arg);
        pthread_mutex_destroy(&job->lock);
        rt_free(job);
        b.err = rc;
        return b;
    }
    b.job = job;
    return b;
}

/* as_spawn_blocking: the public form, with nothing to free. */
as_blocking_fut as_spawn_blocking(as_blocking_fn fn, void *arg)
{
    return as__spawn_blocking_full(fn, arg, NULL, NULL);
}

/* as_blocking_stats: the pool's counters; zeros before the runtime started. */
void as_blocking_stats(rt_blocking_stats *out)
{
    as__runtime *rt = as__rt_peek();
    if (rt == NULL) {
        *out = (rt_blocking_stats){ 0 };
        return;
    }
    rt_blocking_pool_stats(rt->blocking, out);
}
