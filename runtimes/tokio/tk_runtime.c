/* tk_runtime.c: building, entering, spawning onto and freeing a tk runtime. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rt_block_on.h"
#include "rt_panic.h"
#include "tk_internal.h"

/* tk__default_workers: TK_WORKER_THREADS if set (it must be a positive integer), else the
 * number of CPUs, as tokio does with TOKIO_WORKER_THREADS. 0 means the variable is invalid. */
static unsigned tk__default_workers(void)
{
    const char *env = getenv("TK_WORKER_THREADS");
    if (env && *env) {
        char *end;
        long n = strtol(env, &end, 10);
        if (*end != '\0' || n <= 0 || n > 4096) {
            fprintf(stderr, "tk: TK_WORKER_THREADS must be a whole number from 1 to 4096, got '%s'\n",
                    env);
            return 0;
        }
        return (unsigned)n;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? (unsigned)cpus : 1;
}

/* tk__validate: reject settings tokio would panic on, with the reason on stderr. */
static int tk__validate(const tk_builder *b)
{
    if (b->global_queue_interval == 0 || b->event_interval == 0) {
        fprintf(stderr, "tk: global_queue_interval and event_interval must be greater than 0\n");
        return -EINVAL;
    }
    if (b->max_blocking_threads == 0) {
        fprintf(stderr, "tk: max_blocking_threads must be greater than 0\n");
        return -EINVAL;
    }
    if (b->flavor == TK_MULTI_THREAD && b->worker_threads > 4096) {
        fprintf(stderr, "tk: worker_threads must be from 1 to 4096, got %u\n", b->worker_threads);
        return -EINVAL;
    }
    return 0;
}

/* tk_builder_build: driver, owned list, inject queue, blocking pool, then the scheduler (which
 * starts threads last, once everything they touch exists). Unwinds on any failure. */
int tk_builder_build(const tk_builder *b, tk_runtime **out)
{
    int rc = tk__validate(b);
    if (rc)
        return rc;
    tk_runtime *rt = rt_calloc(1, sizeof *rt);
    if (!rt)
        return -ENOMEM;
    tk_handle *h = &rt->handle;
    h->rt = rt;
    h->flavor = b->flavor;
    atomic_init(&h->refs, 1); /* tk_runtime_free's */
    h->config = *b;
    if (h->flavor == TK_MULTI_THREAD && h->config.worker_threads == 0) {
        h->config.worker_threads = tk__default_workers();
        if (h->config.worker_threads == 0) {
            rt_free(rt);
            return -EINVAL;
        }
    }
    if ((rc = tk__driver_init(&h->driver, b->enable_io, b->enable_time)) != 0)
        goto fail_rt;
    if ((rc = rt_task_list_init(&h->owned)) != 0)
        goto fail_driver;
    if ((rc = rt_inject_init(&h->inject)) != 0)
        goto fail_list;
    if ((rc = tk__blocking_init(h)) != 0)
        goto fail_inject;
    rc = h->flavor == TK_CURRENT_THREAD ? tk__ct_init(h) : tk__mt_init(h);
    if (rc)
        goto fail_blocking;
    *out = rt;
    return 0;

fail_blocking:
    tk__blocking_shutdown(h);
fail_inject:
    rt_inject_destroy(&h->inject);
fail_list:
    rt_task_list_destroy(&h->owned);
fail_driver:
    tk__driver_destroy(&h->driver);
fail_rt:
    rt_free(rt);
    return rc;
}

// region: runtime-new
/* tk_runtime_new: Runtime::new().unwrap(). */
tk_runtime *tk_runtime_new(void)
{
    tk_builder b = tk_builder_new_multi_thread();
    tk_builder_enable_all(&b);
    tk_runtime *rt = NULL;
    int rc = tk_builder_build(&b, &rt);
    if (rc)
        rt_panic("failed to build the tk runtime: %s", strerror(-rc));
    return rt;
}
// endregion

// region: block-on
/* tk_runtime_block_on: enter, run the flavour's loop, leave -- also when the future panics,
 * so that a panic caught further out does not leave this thread marked as inside a runtime. */
void tk_runtime_block_on(tk_runtime *rt, rt_future *future)
{
    tk_handle *h = &rt->handle;
    tk__context *ctx = tk__ctx();
    if (ctx->entered)
        rt_panic(TK_MSG_NESTED_RUNTIME);
    tk_handle *saved = ctx->handle;
    ctx->handle = h;
    ctx->entered = true;

    rt_panic_frame frame;
    rt_panic_push(&frame);
    if (setjmp(frame.env) == 0) {
        if (h->flavor == TK_CURRENT_THREAD)
            tk__ct_block_on(h, future);
        else
            rt_block_on(future); /* park this thread until the main future is woken */
        rt_panic_pop(&frame);
        ctx->handle = saved;
        ctx->entered = false;
        return;
    }
    if (ctx->ct_core) {
        ctx->ct_core = false;
        tk__ct_release_core_after_panic(h);
    }
    ctx->handle = saved;
    ctx->entered = false;
    rt__panic_at(frame.file, frame.line, "%s", frame.message);
}
// endregion

/* tk_spawn_on: a task on h, with the flavour's schedule hook. */
int tk_spawn_on(tk_handle *h, const rt_future *future, size_t size, tk_join_handle *out)
{
    const rt_task_vtable *vt =
        h->flavor == TK_CURRENT_THREAD ? &tk__ct_task_vtable : &tk__mt_task_vtable;
    tk__handle_retain(h); /* the task's reference, returned by tk__task_release */
    int rc = rt_task_spawn(&h->owned, future, size, vt, h, out);
    if (rc)
        tk__handle_release(h);
    return rc;
}

/* tk_spawn: tokio::spawn -- the current runtime, or tokio's panic. */
int tk_spawn(const rt_future *future, size_t size, tk_join_handle *out)
{
    return tk_spawn_on(tk_handle_current(), future, size, out);
}

/* tk__handle_retain: a task, or a main-waker clone, keeps the handle's memory alive. */
void tk__handle_retain(tk_handle *h)
{
    atomic_fetch_add_explicit(&h->refs, 1, memory_order_relaxed);
}

/* tk__handle_release: the last reference frees what a late wake could still touch: the inject
 * queue (closed by then), the owned list (empty), the idle state and the workers array. */
void tk__handle_release(tk_handle *h)
{
    if (atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) != 1)
        return;
    rt_task_list_destroy(&h->owned);
    rt_inject_destroy(&h->inject);
    if (h->flavor == TK_MULTI_THREAD) {
        tk__idle_destroy(&h->idle);
        pthread_mutex_destroy(&h->driver_lock);
    }
    rt_free(h->workers);
    rt_free(h->rt);
}

/* tk__task_release: the task vtables' release hook. */
void tk__task_release(rt_task *task)
{
    tk__handle_release(task->scheduler);
}

/* tk_runtime_free: tokio's Runtime drop, in an order where nothing touches freed memory:
 * stop the threads; close the door to foreign threads and wait for those already inside;
 * cancel the tasks (their futures release fds and timers into a driver that still exists);
 * drop queued references; free the driver. The memory itself goes with the last reference. */
void tk_runtime_free(tk_runtime *rt)
{
    if (!rt)
        return;
    tk_handle *h = &rt->handle;
    const char *dump = getenv("TK_METRICS");
    if (dump && strcmp(dump, "1") == 0)
        tk_runtime_metrics_dump(rt, stderr);

    if (h->flavor == TK_MULTI_THREAD)
        tk__mt_shutdown(h);
    atomic_store_explicit(&h->shutdown, 1, memory_order_release);
    atomic_store_explicit(&h->closing, 1, memory_order_seq_cst);
    while (atomic_load_explicit(&h->inflight, memory_order_seq_cst) != 0)
        sched_yield();
    rt_inject_close(&h->inject);
    tk__blocking_shutdown(h);
    rt_task_list_close_and_shutdown(&h->owned);
    if (h->flavor == TK_MULTI_THREAD)
        tk__mt_drain(h);
    else
        tk__ct_shutdown(h);
    rt_qnode *n;
    while ((n = rt_inject_pop(&h->inject)) != NULL)
        rt_task_run(rt_task_of(n));
    tk__driver_destroy(&h->driver);
    tk__handle_release(h);
}

/* tk_runtime_handle: the handle lives inside the runtime. */
tk_handle *tk_runtime_handle(tk_runtime *rt)
{
    return &rt->handle;
}

/* tk_runtime_flavor: current_thread or multi_thread. */
tk_flavor tk_runtime_flavor(const tk_runtime *rt)
{
    return rt->handle.flavor;
}

/* tk_runtime_worker_count: the scheduler's workers (1 for current_thread). */
unsigned tk_runtime_worker_count(const tk_runtime *rt)
{
    return rt->handle.num_workers;
}
