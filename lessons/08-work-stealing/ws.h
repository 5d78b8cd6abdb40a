/* ws.h: lesson 08's work-stealing pool, all but the stealing -- locked per-worker queues, jobs, worker threads. */
#ifndef LESSON08_WS_H
#define LESSON08_WS_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>

/*
 * The idea of a work-stealing scheduler without the lock-free cleverness: every worker owns a
 * FIFO of jobs (here an int each) guarded by its own mutex; a worker takes from its own queue,
 * and when that is empty it steals half of another worker's. Because each worker mostly uses
 * its own queue, the locks are rarely contended -- unlike one global queue, which every worker
 * would hit for every job. tokio's ring (common/rt_local_queue.c) does the same with atomics
 * instead of a mutex; the policy is identical.
 */
#define WS_CAP 4096
#define WS_MAX_WORKERS 8

typedef struct ws_queue {
    pthread_mutex_t lock;
    int items[WS_CAP];   /* a ring: the i-th oldest is items[(head + i) % WS_CAP], i < len */
    size_t head, len;
} ws_queue;

/* ws_queue_init: an empty queue. */
static inline void ws_queue_init(ws_queue *q)
{
    pthread_mutex_init(&q->lock, NULL);
    q->head = 0;
    q->len = 0;
}

/* ws_queue_destroy: release the mutex. */
static inline void ws_queue_destroy(ws_queue *q)
{
    pthread_mutex_destroy(&q->lock);
}

/* ws_queue_push: append `item` (the newest); 0, or -1 if full. */
static inline int ws_queue_push(ws_queue *q, int item)
{
    pthread_mutex_lock(&q->lock);
    int rc = -1;
    if (q->len < WS_CAP) {
        q->items[(q->head + q->len) % WS_CAP] = item;
        q->len++;
        rc = 0;
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

/* ws_queue_pop: take the oldest item into *item; 1, or 0 if empty. */
static inline int ws_queue_pop(ws_queue *q, int *item)
{
    pthread_mutex_lock(&q->lock);
    int got = 0;
    if (q->len > 0) {
        *item = q->items[q->head];
        q->head = (q->head + 1) % WS_CAP;
        q->len--;
        got = 1;
    }
    pthread_mutex_unlock(&q->lock);
    return got;
}

/* ws_queue_len: items queued (a snapshot if other threads use the queue). */
static inline size_t ws_queue_len(ws_queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->len;
    pthread_mutex_unlock(&q->lock);
    return n;
}

/* The pool: one queue per worker, a job count, and what running a job means. */
typedef struct ws_pool ws_pool;
struct ws_pool {
    ws_queue queues[WS_MAX_WORKERS];
    int workers;
    _Atomic long remaining;                     /* jobs not yet run: the workers stop at 0 */
    void (*run)(ws_pool *p, int worker, int job);
    void *ctx;                                  /* for run */
    /* per worker, each written only by its own worker */
    long ran[WS_MAX_WORKERS];                   /* jobs run */
    long steals[WS_MAX_WORKERS];                /* successful steals */
    long stolen[WS_MAX_WORKERS];                /* jobs moved by them */
};

/* ws_find_work (exercise.c): a job for worker `self` to run next; 1 and *job, or 0. */
int ws_find_work(ws_pool *p, int self, int *job);

/* ws_pool_init: `workers` empty queues (1..WS_MAX_WORKERS), jobs run by `run`. */
static inline void ws_pool_init(ws_pool *p, int workers, void (*run)(ws_pool *, int, int), void *ctx)
{
    *p = (ws_pool){ .workers = workers, .run = run, .ctx = ctx };
    for (int i = 0; i < workers; i++)
        ws_queue_init(&p->queues[i]);
    atomic_init(&p->remaining, 0);
}

/* ws_pool_add: queue `job` on worker w's queue (before ws_pool_run); 0 or -1 if full. */
static inline int ws_pool_add(ws_pool *p, int w, int job)
{
    if (ws_queue_push(&p->queues[w], job) != 0)
        return -1;
    atomic_fetch_add(&p->remaining, 1);
    return 0;
}

typedef struct ws__worker_arg {
    ws_pool *p;
    int self;
} ws__worker_arg;

/* ws__worker_main: find work, run it, until no job is left anywhere. An idle worker just
 * yields its CPU and looks again; a real runtime would park (lessons 04 and 07). */
static inline void *ws__worker_main(void *arg)
{
    ws__worker_arg *a = arg;
    ws_pool *p = a->p;
    while (atomic_load(&p->remaining) > 0) {
        int job;
        if (ws_find_work(p, a->self, &job)) {
            p->run(p, a->self, job);
            p->ran[a->self]++;
            atomic_fetch_sub(&p->remaining, 1);
        } else {
            sched_yield();
        }
    }
    return NULL;
}

/* ws_pool_run: run every queued job on p->workers threads; 0, or -1 if a thread would not start. */
static inline int ws_pool_run(ws_pool *p)
{
    pthread_t threads[WS_MAX_WORKERS];
    ws__worker_arg args[WS_MAX_WORKERS];
    int started = 0;
    for (int i = 0; i < p->workers; i++) {
        args[i] = (ws__worker_arg){ p, i };
        if (pthread_create(&threads[i], NULL, ws__worker_main, &args[i]) != 0)
            break;
        started++;
    }
    if (started < p->workers)
        ws__worker_main(&args[started]); /* run the missing worker's share here */
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    return started == p->workers ? 0 : -1;
}

/* ws_pool_destroy: release the queues. */
static inline void ws_pool_destroy(ws_pool *p)
{
    for (int i = 0; i < p->workers; i++)
        ws_queue_destroy(&p->queues[i]);
}

#endif
