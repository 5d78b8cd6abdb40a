/* tk_blocking.c: spawn_blocking -- run a blocking function on the pool, await it like a task. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rt_alloc.h"
#include "tk_blocking.h"
#include "tk_internal.h"

/*
 * A blocking call inside a task stops the worker, and every task queued behind it waits (the
 * tk_blocking example shows it). tokio's cure is spawn_blocking: the function runs on a
 * separate pool of threads -- up to 512, each leaving after 10 s idle -- and the caller gets
 * an ordinary JoinHandle to await.
 *
 * The trick that keeps this small: a blocking job *is* a task. Its future's poll simply calls
 * the function, and its schedule hook submits "run this task" to the pool instead of pushing
 * it on a run queue. So abort, JoinHandle, panics and shutdown all work as for any task.
 */

/* tk__blocking_poll: run the function to completion; a blocking task is polled once. */
static rt_poll tk__blocking_poll(rt_future *f, rt_context *cx)
{
    tk_blocking_fut *b = (tk_blocking_fut *)f;
    (void)cx;
    b->result = b->fn(b->arg);
    return RT_READY;
}

static const rt_future_vtable tk__blocking_fut_vtable = {
    .poll = tk__blocking_poll, .drop = NULL, .name = "spawn_blocking",
};

/* tk__blocking_run: a pool thread runs the task, inside the runtime's context (so that the
 * function may spawn tasks, as in tokio). */
static void tk__blocking_run(void *arg)
{
    rt_task *task = arg;
    tk__context *ctx = tk__ctx();
    tk_handle *saved = ctx->handle;
    ctx->handle = task->scheduler;
    rt_task_run(task);
    ctx->handle = saved;
}

/* tk__blocking_cancel: the pool is shutting down and never ran it: cancel the task. */
static void tk__blocking_cancel(void *arg)
{
    rt_task_shutdown((rt_task *)arg);
}

// region: schedule
/* tk__blocking_schedule: "schedule" means "hand to the pool". If the pool refuses (shutdown,
 * out of memory, no thread could be started) the task is cancelled, and its JoinHandle says so. */
static void tk__blocking_schedule(rt_task *task)
{
    tk_handle *h = task->scheduler;
    int rc = rt_blocking_pool_submit(h->blocking, tk__blocking_run, tk__blocking_cancel, task);
    if (rc != 0) {
        /* The hook has no way to return the error, and "cancelled" alone would not say why
         * the function never ran: say it here. Shutdown refusals are expected and stay quiet. */
        if (rc != -ESHUTDOWN)
            fprintf(stderr, "tk: spawn_blocking: the blocking pool refused the job (%s); "
                            "the task is cancelled\n", strerror(-rc));
        rt_task_shutdown(task);
    }
}
// endregion

static const rt_task_vtable tk__blocking_task_vtable = {
    .schedule = tk__blocking_schedule,
    .release = tk__task_release,
};

// region: init
/* tk__blocking_init: tokio's settings -- cap 512, 10 s keep-alive, a thread per job when none
 * is idle. */
int tk__blocking_init(tk_handle *h)
{
    rt_blocking_config cfg = {
        .max_threads = h->config.max_blocking_threads,
        .keep_alive_ms = h->config.blocking_keep_alive_ms,
        .grow_factor = 0,
        .thread_name = "tk-blocking",
    };
    h->blocking = rt_blocking_pool_new(&cfg);
    return h->blocking ? 0 : -ENOMEM;
}
// endregion

/* tk__blocking_shutdown: wait for running jobs (as tokio's Runtime drop does), cancel queued ones. */
void tk__blocking_shutdown(tk_handle *h)
{
    if (h->blocking) {
        rt_blocking_pool_free(h->blocking);
        h->blocking = NULL;
    }
}

/* tk_blocking: the future to spawn; see tk_spawn_blocking. */
tk_blocking_fut tk_blocking(tk_blocking_fn fn, void *arg)
{
    return (tk_blocking_fut){ .base = { &tk__blocking_fut_vtable }, .fn = fn, .arg = arg };
}

/* tk_spawn_blocking_on: the task goes on the owned list like any other, so shutdown and
 * abort treat it the same way. */
int tk_spawn_blocking_on(tk_handle *h, tk_blocking_fn fn, void *arg, tk_join_handle *out)
{
    tk_blocking_fut fut = tk_blocking(fn, arg);
    tk__handle_retain(h); /* the task's reference, returned by tk__task_release */
    int rc = rt_task_spawn(&h->owned, &fut.base, sizeof fut, &tk__blocking_task_vtable, h, out);
    if (rc)
        tk__handle_release(h);
    return rc;
}

/* tk_spawn_blocking: on the current runtime. */
int tk_spawn_blocking(tk_blocking_fn fn, void *arg, tk_join_handle *out)
{
    return tk_spawn_blocking_on(tk_handle_current(), fn, arg, out);
}

/* tk_blocking_result: the function's return value, after the handle reported RT_OUTCOME_OK. */
void *tk_blocking_result(tk_join_handle *jh)
{
    tk_blocking_fut *b = (tk_blocking_fut *)rt_join_handle_output(jh);
    return b ? b->result : NULL;
}

/* tk_blocking_pool_stats: for metrics. */
void tk__blocking_stats(tk_handle *h, rt_blocking_stats *out)
{
    rt_blocking_pool_stats(h->blocking, out);
}
