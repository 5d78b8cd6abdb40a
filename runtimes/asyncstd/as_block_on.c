/* as_block_on.c: as_block_on -- run a future on the calling thread, with its local tasks, driving the reactor while idle. */
#include "as_runtime.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "as_internal.h"
#include "as_task.h"
#include "rt_alloc.h"
#include "rt_panic.h"

/*
 * async-std's task::block_on is async-io's block_on running a thread-local executor. This is
 * that, in three parts:
 *
 *   the thread context   one per thread that ever calls as_block_on, kept for the life of the
 *                        thread: its parker, its local run queue (as_spawn_local) and the list
 *                        of its local tasks. It is reference counted: the thread holds one
 *                        reference, each level below one, and each local task one until the
 *                        task is freed (the task vtable's release hook). A wake decided just
 *                        before a local task was cancelled may still push that finished task
 *                        onto the queue later, even after the thread has exited; the task's
 *                        reference keeps the queue alive for it, and a drain (or the last
 *                        release) throws the stale entry away.
 *   the level            one per as_block_on call: the main future's "woken" flag. Its waker
 *                        points here, reference counted, since a waker may outlive the call.
 *   the loop             poll the main future when woken; run local tasks; when there is
 *                        nothing to do, take the reactor if it is free and wait in the poller
 *                        ourselves -- or park if someone else is driving it.
 *
 * The wake that must not be lost. When this thread waits in the poller instead of on its
 * parker, an unpark would not reach it; a waker must poke the poller instead. So the thread
 * announces `in_reactor = 1` and then checks its flags one last time, while a waker sets its
 * flag (`woken` for the main future, `tasks_woken` for a local task) and then reads
 * `in_reactor`. All of these are seq_cst, so at least one side sees the other's store
 * (Dekker's argument): either the thread sees the flag and does not wait, or the waker sees
 * in_reactor and notifies the poller (an eventfd write, which a wait that has not begun yet
 * also sees). The parker is unparked either way, so a thread about to park instead keeps the
 * token.
 *
 * Nesting. An as_block_on inside a task or inside another as_block_on blocks the thread until
 * the inner future is done, as in async-std. Local tasks are shared by all levels of a thread
 * (the inner loop runs them too), so they keep making progress. On a worker thread the nested
 * loop also runs global tasks and parks only briefly at a time, since with one worker nobody
 * else would. The first nested call in a process prints a one-line note on stderr.
 */

typedef struct as__thread_ctx {
    _Atomic long refs;       /* the thread's own, one per live level, one per local task */
    rt_parker parker;
    _Atomic int in_reactor;  /* this thread is (about to be) waiting in the poller */
    _Atomic int tasks_woken; /* a local task was queued since the loop last looked */
    rt_inject queue;         /* woken local tasks; any thread pushes, this thread pops */
    rt_task_list tasks;      /* live local tasks, cancelled when the outermost call returns */
    as__reactor *reactor;
    unsigned depth;          /* nesting of as_block_on on this thread (this thread only) */
} as__thread_ctx;

typedef struct as__level {
    _Atomic long refs;
    _Atomic int woken;       /* the main future asked to be polled */
    as__thread_ctx *ctx;     /* a reference */
} as__level;

static _Thread_local as__thread_ctx *as__tls_ctx;
static pthread_key_t as__ctx_key;
static pthread_once_t as__ctx_key_once = PTHREAD_ONCE_INIT;
static _Atomic int as__nested_noted;

/* as__ctx_release: drop a reference; the last one frees the context. By then no local task
 * exists (each held a reference), so the queue is empty: a queue entry holds a task. */
static void as__ctx_release(as__thread_ctx *ctx)
{
    if (atomic_fetch_sub_explicit(&ctx->refs, 1, memory_order_acq_rel) != 1)
        return;
    rt_task_list_destroy(&ctx->tasks);
    rt_inject_destroy(&ctx->queue);
    rt_free(ctx);
}

/* as__ctx_drain: run every queued local entry once (all are finished tasks at the points we
 * call this, so this only gives their references back). */
static void as__ctx_drain(as__thread_ctx *ctx)
{
    rt_qnode *n;
    while ((n = rt_inject_pop(&ctx->queue)) != NULL)
        rt_task_run(rt_task_of(n));
}

/* as__ctx_thread_exit: the key's destructor, at the exit of a thread that used as_block_on. */
static void as__ctx_thread_exit(void *arg)
{
    as__thread_ctx *ctx = arg;
    as__ctx_drain(ctx);
    as__tls_ctx = NULL;
    as__ctx_release(ctx);
}

/* as__ctx_make_key: once per process. */
static void as__ctx_make_key(void)
{
    pthread_key_create(&as__ctx_key, as__ctx_thread_exit);
}

/* as__ctx_get: this thread's context, created on first use; panics when out of memory (a
 * block_on cannot run without it, and there is nobody to return an error to). */
static as__thread_ctx *as__ctx_get(as__runtime *rt)
{
    if (as__tls_ctx != NULL)
        return as__tls_ctx;
    pthread_once(&as__ctx_key_once, as__ctx_make_key);
    as__thread_ctx *ctx = rt_calloc(1, sizeof *ctx);
    if (ctx == NULL || rt_inject_init(&ctx->queue) != 0) {
        rt_free(ctx);
        rt_panic("as_block_on: out of memory setting up the thread's executor");
    }
    if (rt_task_list_init(&ctx->tasks) != 0) {
        rt_inject_destroy(&ctx->queue);
        rt_free(ctx);
        rt_panic("as_block_on: cannot set up the thread's task list");
    }
    atomic_init(&ctx->refs, 1);
    atomic_init(&ctx->in_reactor, 0);
    atomic_init(&ctx->tasks_woken, 0);
    rt_parker_init(&ctx->parker);
    ctx->reactor = &rt->reactor;
    pthread_setspecific(as__ctx_key, ctx);
    as__tls_ctx = ctx;
    return ctx;
}

/* as__ctx_kick: after a flag was set for this context's thread, make sure it looks at it:
 * poke the poller if it may be waiting there, and unpark it in case it parks instead. */
static void as__ctx_kick(as__thread_ctx *ctx)
{
    if (atomic_load_explicit(&ctx->in_reactor, memory_order_seq_cst) && as__tls_ctx != ctx)
        as__reactor_notify(ctx->reactor);
    rt_parker_unpark(&ctx->parker);
}

/* ---- the main future's waker ------------------------------------------------------------- */

static const rt_waker_vtable as__level_waker_vtable;

/* as__level_release: drop a reference to a level (and, with the last, its context reference). */
static void as__level_release(as__level *lv)
{
    if (atomic_fetch_sub_explicit(&lv->refs, 1, memory_order_acq_rel) != 1)
        return;
    as__ctx_release(lv->ctx);
    rt_free(lv);
}

/* as__level_clone: one more reference. */
static rt_waker as__level_clone(const void *data)
{
    as__level *lv = (as__level *)data;
    atomic_fetch_add_explicit(&lv->refs, 1, memory_order_relaxed);
    return (rt_waker){ .vtable = &as__level_waker_vtable, .data = lv };
}

/* as__level_wake_by_ref: set the flag first, then kick (the order the Dekker check needs). */
static void as__level_wake_by_ref(const void *data)
{
    as__level *lv = (as__level *)data;
    atomic_store_explicit(&lv->woken, 1, memory_order_seq_cst);
    as__ctx_kick(lv->ctx);
}

/* as__level_wake: wake, then give up this waker's reference. */
static void as__level_wake(const void *data)
{
    as__level_wake_by_ref(data);
    as__level_release((as__level *)data);
}

/* as__level_drop: give up this waker's reference. */
static void as__level_drop(const void *data)
{
    as__level_release((as__level *)data);
}

static const rt_waker_vtable as__level_waker_vtable = {
    .clone = as__level_clone,
    .wake = as__level_wake,
    .wake_by_ref = as__level_wake_by_ref,
    .drop = as__level_drop,
};

/* ---- local tasks ------------------------------------------------------------------------- */

/* as__local_schedule: queue on the owning thread's context and kick it. */
static void as__local_schedule(rt_task *task)
{
    as__thread_ctx *ctx = task->scheduler;
    if (rt_inject_push(&ctx->queue, &task->queue_node) != 0) {
        rt_task_drop_ref(task);
        return;
    }
    atomic_store_explicit(&ctx->tasks_woken, 1, memory_order_seq_cst);
    as__ctx_kick(ctx);
}

/* as__local_release: a local task is being freed: give back its reference on the context. */
static void as__local_release(rt_task *task)
{
    as__ctx_release(task->scheduler);
}

static const rt_task_vtable as__local_vtable = {
    .schedule = as__local_schedule,
    .release = as__local_release,
};

/* as_spawn_local: only inside as_block_on, which is what polls local tasks. */
int as_spawn_local(const rt_future *future, size_t size, as_task *out)
{
    as__thread_ctx *ctx = as__tls_ctx;
    if (ctx == NULL || ctx->depth == 0)
        rt_panic("as_spawn_local called outside as_block_on: no executor runs local tasks on "
                 "this thread");
    if (future == NULL || out == NULL || size < sizeof(rt_future))
        return -EINVAL;
    atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed); /* the task's */
    int rc = rt_task_spawn(&ctx->tasks, future, size, &as__local_vtable, ctx, &out->handle);
    if (rc != 0)
        as__ctx_release(ctx); /* no task was made, so no release hook will run */
    return rc;
}

/* as__run_local: up to `budget` local tasks; how many ran. The budget keeps the main future
 * from starving behind a local task that keeps waking itself. */
static unsigned as__run_local(as__thread_ctx *ctx, unsigned budget)
{
    /* Clear the hint before popping: a push after this sets it again, and one before it is
     * visible to our pops (the exchange read its seq_cst store). */
    atomic_exchange_explicit(&ctx->tasks_woken, 0, memory_order_seq_cst);
    unsigned ran = 0;
    while (ran < budget) {
        rt_qnode *n = rt_inject_pop(&ctx->queue);
        if (n == NULL)
            break;
        rt_task_run(rt_task_of(n));
        ran++;
    }
    return ran;
}

/* as__block_on_active: inside as_block_on on this thread. */
int as__block_on_active(void)
{
    return as__tls_ctx != NULL && as__tls_ctx->depth > 0;
}

/* as__idle: nothing to do. Drive the reactor if nobody else does, turn after turn until our
 * own future or a local task is woken -- async-io's block_on -- and hand it back to the as-io
 * thread after 500 us spent only on others' events; else park. On a worker thread (a nested
 * call), only nap: a global task for us would wake some other sleeper, never this parker. */
static void as__idle(as__reactor *r, as__thread_ctx *ctx, as__level *lv, int on_worker)
{
    if (on_worker) {
        rt_parker_park_timeout(&ctx->parker, 1000000);
        return;
    }
    if (pthread_mutex_trylock(&r->drive_lock) != 0) {
        rt_parker_park(&ctx->parker);
        return;
    }
    uint64_t start = rt_monotonic_ns();
    int hogging = 0;
    for (;;) {
        atomic_store_explicit(&ctx->in_reactor, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&lv->woken, memory_order_seq_cst) ||
            atomic_load_explicit(&ctx->tasks_woken, memory_order_seq_cst))
            break;
        as__reactor_turn(r, 1);
        if (as__reactor_hogging(start)) {
            hogging = 1;
            break;
        }
    }
    atomic_store_explicit(&ctx->in_reactor, 0, memory_order_seq_cst);
    pthread_mutex_unlock(&r->drive_lock);
    if (hogging) {
        rt_parker_unpark(&r->io_parker);
        if (!atomic_load_explicit(&lv->woken, memory_order_seq_cst) &&
            !atomic_load_explicit(&ctx->tasks_woken, memory_order_seq_cst))
            rt_parker_park(&ctx->parker);
    }
}

/* as__note_nesting: the one-time note for a nested call. */
static void as__note_nesting(const char *where)
{
    char name[32];
    rt_thread_name(name, sizeof name);
    as__note_once(&as__nested_noted,
                  "as: note: as_block_on called %s on thread '%s'; the thread is blocked until "
                  "the inner future finishes (this note is shown once)",
                  where, name);
}

/* as__block_on_leave: undo what as_block_on set up for one level: the reactor's count, the
 * depth (the outermost level also cancels the thread's local tasks), the level record. */
static void as__block_on_leave(as__runtime *rt, as__thread_ctx *ctx, as__level *lv)
{
    atomic_fetch_sub_explicit(&rt->reactor.block_on_count, 1, memory_order_acq_rel);
    rt_parker_unpark(&rt->reactor.io_parker);

    if (--ctx->depth == 0) {
        /* The outermost call is over: local tasks do not outlive it (async-std keeps them for
         * the next block_on on this thread; we cancel them, so that nothing runs unseen). */
        rt_task_list_close_and_shutdown(&ctx->tasks);
        as__ctx_drain(ctx);
        rt_task_list_destroy(&ctx->tasks);
        if (rt_task_list_init(&ctx->tasks) != 0)
            rt_panic("as_block_on: cannot reset the thread's task list");
    }
    as__level_release(lv);
}

/* as_block_on: see the top of the file. */
void as_block_on(rt_future *future)
{
    as__runtime *rt = as__rt_or_panic("as_block_on");
    /* volatile: read after a longjmp back into this frame (see the catch frame below). */
    as__thread_ctx *volatile ctx = as__ctx_get(rt);
    as__worker *worker = as__current_worker();
    if (ctx->depth > 0)
        as__note_nesting("inside another as_block_on");
    else if (worker != NULL)
        as__note_nesting("inside a task on a runtime worker");
    else if (rt_task_current() != NULL)
        as__note_nesting("inside a task of another executor");

    as__level *lv = rt_malloc(sizeof *lv);
    if (lv == NULL)
        rt_panic("as_block_on: out of memory");
    atomic_init(&lv->refs, 1);
    atomic_init(&lv->woken, 1); /* poll once to start */
    atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
    lv->ctx = ctx;

    ctx->depth++;
    atomic_fetch_add_explicit(&rt->reactor.block_on_count, 1, memory_order_acq_rel);
    rt_waker waker = { .vtable = &as__level_waker_vtable, .data = lv };
    rt_context cx = { .waker = &waker };
    /* A panic in the main future goes on to our caller, as in Rust -- but first this level is
     * left as a return would leave it. Without that, lv leaked and the thread stayed "inside"
     * a block_on for good: the next call took itself for a nested one and never cancelled its
     * local tasks, and the reactor went on counting a block_on that was gone. (Tasks cannot
     * get here: each poll of theirs has its own catch frame in the task harness.) */
    rt_panic_frame frame;
    rt_panic_push(&frame);
    if (setjmp(frame.env) != 0) {
        as__block_on_leave(rt, ctx, lv);
        rt__panic_at(frame.file, frame.line, "%s", frame.message);
    }
    for (;;) {
        if (atomic_exchange_explicit(&lv->woken, 0, memory_order_acq_rel) &&
            rt_future_poll(future, &cx) == RT_READY)
            break;
        unsigned ran = as__run_local(ctx, 64);
        if (worker != NULL)
            ran += (unsigned)as__worker_run_one(rt, worker);
        if (ran > 0 || atomic_load_explicit(&lv->woken, memory_order_acquire))
            continue;
        as__idle(&rt->reactor, ctx, lv, worker != NULL);
    }
    rt_panic_pop(&frame);
    as__block_on_leave(rt, ctx, lv);
}
