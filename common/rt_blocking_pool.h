/* rt_blocking_pool.h: the thread pool behind spawn_blocking, with tokio and `blocking` policies. */
#ifndef RT_BLOCKING_POOL_H
#define RT_BLOCKING_POOL_H

#include <stddef.h>
#include <stdint.h>

/*
 * An async runtime must never run a blocking call (a file read, getaddrinfo, a long
 * computation) on one of its worker threads: every task queued behind it would stall. Such
 * calls go to a separate pool of plain threads that is allowed to block. The pool starts with
 * no threads, grows when jobs wait, caps its size, and lets threads that stay idle for
 * keep_alive_ms exit, so an application that blocks rarely pays for no threads at all.
 *
 * Both runtime flavours use this one pool with different settings:
 *
 *   tokio style    max_threads 512, keep_alive 10 s, grow_factor 0: a job that finds no idle
 *                  thread gets a new thread at once (until the cap).
 *   async-std      max_threads 500, keep_alive 500 ms, grow_factor 5 (the `blocking` crate):
 *                  threads are added only while the queue holds more than 5 jobs for every
 *                  thread that is free to take them, so a burst of short jobs is absorbed by
 *                  the threads there are instead of starting one thread per job.
 */

typedef struct rt_blocking_pool rt_blocking_pool;

/* A job: run(arg) on a pool thread, or cancel(arg) instead if the pool shuts down first. */
typedef void (*rt_blocking_fn)(void *arg);

typedef struct rt_blocking_config {
    size_t max_threads;      /* cap on live threads; 0 is rejected with EINVAL */
    uint64_t keep_alive_ms;  /* an idle thread exits after this long; UINT64_MAX: never */
    unsigned grow_factor;    /* 0: tokio policy; k > 0: grow while queued > k * available */
    const char *thread_name; /* pthread name (at most 15 chars are kept); NULL: "rt-blocking" */
} rt_blocking_config;

typedef struct rt_blocking_stats {
    size_t threads;          /* live threads (including any left running by a timed-out shutdown) */
    size_t idle;             /* threads waiting for work that no job has claimed yet */
    size_t queued;           /* jobs waiting for a thread */
    size_t max_threads_seen; /* high-water mark of `threads` */
    uint64_t spawned, exited;             /* threads started / finished since creation */
    uint64_t jobs_run, jobs_cancelled;    /* run() completed / cancelled at shutdown */
} rt_blocking_stats;

/* rt_blocking_pool_new: an empty pool (no threads yet); NULL with errno ENOMEM or EINVAL. */
rt_blocking_pool *rt_blocking_pool_new(const rt_blocking_config *cfg);

/*
 * rt_blocking_pool_submit: queue run(arg). Returns 0 once queued; -ENOMEM (nothing queued, the
 * caller still owns arg); -ESHUTDOWN once shutdown began; -EINVAL without run; -EAGAIN (or
 * another pthread_create error) when the pool has no thread and cannot start one. If threads
 * exist but a new one cannot be started, the job is queued for the existing ones. cancel (may be
 * NULL) is called instead of run, on the shutting-down thread, if the job is still queued when
 * shutdown begins, so the submitter can release arg and wake whoever waits for the result.
 */
int rt_blocking_pool_submit(rt_blocking_pool *p, rt_blocking_fn run, rt_blocking_fn cancel,
                            void *arg);

/*
 * rt_blocking_pool_shutdown: refuse new jobs, cancel the queued ones, wait up to timeout_ms
 * (UINT64_MAX: forever) for running jobs to finish, and join every thread that has finished.
 * Threads still inside a job when the timeout passes are detached and left to finish it; they
 * keep the pool's memory alive through a reference count and the last of them frees it. Call it
 * from one thread (the owner); calling it again, or rt_blocking_pool_free after it, does not
 * wait again for the threads a timed-out shutdown left running.
 */
void rt_blocking_pool_shutdown(rt_blocking_pool *p, uint64_t timeout_ms);

/* rt_blocking_pool_free: shutdown (waiting forever for attached threads), then release the pool. */
void rt_blocking_pool_free(rt_blocking_pool *p);

/* rt_blocking_pool_stats: a consistent snapshot of the counters (taken under the pool lock). */
void rt_blocking_pool_stats(rt_blocking_pool *p, rt_blocking_stats *out);

/*
 * The growth policy, separate from the threads so that it can be read and checked on its own:
 * the pool calls these under its lock with its current counts and carries out the plan.
 */
typedef struct rt_blocking_counts {
    size_t threads; /* live threads */
    size_t idle;    /* waiting for work, not yet claimed by a job */
    size_t waking;  /* claimed or newly started, not yet back at the queue */
    size_t queued;  /* jobs in the queue, counting the one just submitted */
} rt_blocking_counts;

typedef struct rt_blocking_plan {
    size_t wake;  /* idle threads to claim and wake */
    size_t spawn; /* new threads to start */
} rt_blocking_plan;

/* rt_blocking_plan_submit: what to do right after a job was queued (c->queued includes it). */
rt_blocking_plan rt_blocking_plan_submit(const rt_blocking_config *cfg,
                                         const rt_blocking_counts *c);

/* rt_blocking_plan_dequeue: what to do after a thread took a job (grow_factor > 0 only). */
rt_blocking_plan rt_blocking_plan_dequeue(const rt_blocking_config *cfg,
                                          const rt_blocking_counts *c);

#endif
