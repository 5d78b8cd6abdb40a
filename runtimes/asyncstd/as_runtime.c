/* as_runtime.c: the global runtime -- started lazily once per process, sized by AS_THREAD_COUNT, torn down at exit. */
#include "as_runtime.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as_internal.h"
#include "as_metrics.h"
#include "rt_alloc.h"
#include "rt_panic.h"

/*
 * async-std has no runtime object: the first spawn or block_on starts one, global to the
 * process, and it lives until the process ends. Three pieces of state say where we are:
 *
 *   as__global   the runtime once started; cleared (atomically) when shutdown begins, so every
 *                later entry point sees "no runtime" and fails cleanly instead of touching
 *                memory that is about to be freed;
 *   as__once     pthread_once makes the start happen exactly once even when threads race to
 *                be first; a failed start is not retried (its error is kept in as__start_err);
 *   as__dead     set when shutdown begins; as__torn set once the reactor's memory is gone, so
 *                that a future dropped after that (by a later atexit handler, say) only
 *                releases its waker.
 *
 * Shutdown runs from an atexit handler, registered at start, so it runs before the sanitizers'
 * own exit checks (atexit handlers run in reverse order of registration) and LeakSanitizer sees
 * a runtime that freed everything. Its order matters:
 *   1. stop the workers (each finishes the poll it is in, then leaves) and join them;
 *   2. stop the blocking pool: queued jobs are cancelled, running ones get 100 ms, then are
 *      left to finish on their own (the pool keeps their memory alive by reference counting,
 *      and we then keep ours: such a job may still wake a task into our queues);
 *   3. stop the as-io thread;
 *   4. cancel every task still alive: with no thread running tasks any more, each is idle, so
 *      rt_task_list_close_and_shutdown drops its future right here, and the futures' drops
 *      release their timers, fds and wait-list places while the reactor still exists;
 *   5. throw away the queue entries (stale references), then free the reactor, the queues, the
 *      pool and the runtime.
 * If exit() is called from inside a task (on a worker thread), the workers cannot be joined
 * from there; we then only stop the threads and free nothing -- better a leak at exit than a
 * use-after-free in a thread that is still running.
 */

static pthread_once_t as__once = PTHREAD_ONCE_INIT;
static as__runtime *_Atomic as__global;
static _Atomic int as__dead;
static _Atomic int as__torn;
static int as__start_err; /* written inside the once routine, read after pthread_once */

static void as__shutdown_at_exit(void);

/* as__note_once: one line on stderr, the first time only (the flag is per message). */
void as__note_once(_Atomic int *flag, const char *fmt, ...)
{
    if (atomic_exchange(flag, 1))
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* as__cpu_count: CPUs this process may run on (what num_cpus gives async-std), at least 1. */
static unsigned as__cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* as__thread_count_from_env: AS_THREAD_COUNT if it is a whole number in 1..AS__MAX_THREADS;
 * otherwise the CPU count, with a one-line warning that names the count used instead. */
static unsigned as__thread_count_from_env(void)
{
    unsigned def = as__cpu_count();
    if (def > AS__MAX_THREADS)
        def = AS__MAX_THREADS;
    const char *v = getenv("AS_THREAD_COUNT");
    if (v == NULL)
        return def;
    /* strtoul accepts leading blanks and a minus sign ("-1" becomes ULONG_MAX), so check the
     * text is digits only before trusting it. */
    int digits_only = v[0] != '\0' && strspn(v, "0123456789") == strlen(v);
    errno = 0;
    unsigned long n = digits_only ? strtoul(v, NULL, 10) : 0;
    if (!digits_only || errno != 0 || n < 1 || n > AS__MAX_THREADS) {
        fprintf(stderr, "as: AS_THREAD_COUNT=\"%s\" is not a thread count (1..%d); using %u\n",
                v, AS__MAX_THREADS, def);
        return def;
    }
    return (unsigned)n;
}

/* as__thread_spawn: start a runtime thread with every signal blocked (so signals go to the
 * application's own threads, as with any library thread) and named `name`. 0 or -errno. */
int as__thread_spawn(pthread_t *t, void *(*fn)(void *), void *arg, const char *name)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return -rc;
    pthread_setname_np(*t, name);
    return 0;
}

/* as__ignore_sigpipe: as Rust's std does at startup, so that writing to a pipe whose reader is
 * gone is an EPIPE result rather than a killed process. A handler the program installed is
 * left alone. (Sockets use MSG_NOSIGNAL as well, which needs no process-wide change.) */
static void as__ignore_sigpipe(void)
{
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
    }
}

/* as__start: the once routine. Each step is undone on failure, so a failed start leaks
 * nothing and leaves as__global NULL with the reason in as__start_err. */
static void as__start(void)
{
    as__runtime *rt = rt_calloc(1, sizeof *rt);
    if (rt == NULL) {
        as__start_err = -ENOMEM;
        return;
    }
    int err = rt_task_list_init(&rt->tasks);
    if (err != 0)
        goto fail_rt;
    if ((err = as__reactor_init(&rt->reactor)) != 0)
        goto fail_tasks;
    if ((err = as__executor_init(rt, as__thread_count_from_env())) != 0)
        goto fail_reactor;
    rt->blocking = as__blocking_pool_new();
    if (rt->blocking == NULL) {
        err = -ENOMEM;
        goto fail_executor;
    }
    as__ignore_sigpipe();
    if ((err = as__reactor_start(&rt->reactor)) != 0)
        goto fail_pool;
    if ((err = as__executor_start(rt)) != 0)
        goto fail_io;
    if (atexit(as__shutdown_at_exit) != 0) {
        err = -ENOMEM;
        as__executor_stop(rt, UINT32_MAX);
        goto fail_io;
    }
    atomic_store_explicit(&as__global, rt, memory_order_release);
    return;

fail_io:
    as__reactor_stop(&rt->reactor);
fail_pool:
    rt_blocking_pool_free(rt->blocking);
fail_executor:
    as__executor_free(rt);
fail_reactor:
    as__reactor_free(&rt->reactor);
fail_tasks:
    rt_task_list_destroy(&rt->tasks);
fail_rt:
    rt_free(rt);
    as__start_err = err < 0 ? err : -err;
    fprintf(stderr, "as: the runtime could not start: %s\n", strerror(-as__start_err));
}

// region: lazy-start
/* as__rt: one acquire load once started; the first callers meet in pthread_once. */
as__runtime *as__rt(void)
{
    as__runtime *rt = atomic_load_explicit(&as__global, memory_order_acquire);
    if (rt != NULL || atomic_load_explicit(&as__dead, memory_order_acquire))
        return rt;
    pthread_once(&as__once, as__start);
    return atomic_load_explicit(&as__global, memory_order_acquire);
}
// endregion

/* as__rt_peek: the runtime if it is running, without starting it. */
as__runtime *as__rt_peek(void)
{
    return atomic_load_explicit(&as__global, memory_order_acquire);
}

/* as__rt_error: why as__rt() gave NULL. */
int as__rt_error(void)
{
    if (atomic_load(&as__dead))
        return -ESHUTDOWN;
    return as__start_err != 0 ? as__start_err : -EAGAIN;
}

/* as__rt_or_panic: for futures, which have no error channel for "there is no runtime". */
as__runtime *as__rt_or_panic(const char *who)
{
    as__runtime *rt = as__rt();
    if (rt == NULL)
        rt_panic("%s: the async-std-style runtime is not available (%s)", who,
                 strerror(-as__rt_error()));
    return rt;
}

/* as__runtime_torn_down: the reactor's memory is gone; late drops must not touch it. */
int as__runtime_torn_down(void)
{
    return atomic_load_explicit(&as__torn, memory_order_acquire);
}

/* as_thread_count: the worker count, starting the runtime if needed. */
unsigned as_thread_count(void)
{
    as__runtime *rt = as__rt();
    return rt ? rt->nworkers : 0;
}

/* as_runtime_is_started: a peek that never starts anything. */
int as_runtime_is_started(void)
{
    return as__rt_peek() != NULL;
}

/* as__shutdown_at_exit: see the comment at the top of the file for the order and why. */
static void as__shutdown_at_exit(void)
{
    as__runtime *rt = atomic_load_explicit(&as__global, memory_order_acquire);
    if (rt == NULL)
        return;
    if (as__current_worker() != NULL) {
        /* exit() inside a task: we cannot join the thread we are on. */
        atomic_store(&as__dead, 1);
        atomic_store(&as__global, NULL);
        return;
    }
    if (as__executor_stop(rt, 2000) != 0) {
        fprintf(stderr, "as: a worker is still inside a task after 2 s; exiting without "
                        "tearing the runtime down\n");
        atomic_store(&as__dead, 1);
        atomic_store(&as__global, NULL);
        return;
    }
    const char *m = getenv("AS_METRICS");
    if (m != NULL && strcmp(m, "1") == 0) {
        rt_runtime_metrics snap;
        as__metrics_fill(rt, &snap);
        rt_metrics_dump(&snap, stderr);
    }
    /* From here on, entry points see no runtime; internal code keeps using `rt`. */
    atomic_store(&as__dead, 1);
    atomic_store(&as__global, NULL);

    rt_blocking_pool_shutdown(rt->blocking, 100);
    rt_blocking_stats bs;
    rt_blocking_pool_stats(rt->blocking, &bs);
    int others_in_block_on = atomic_load(&rt->reactor.block_on_count) > as__block_on_active();
    as__reactor_stop(&rt->reactor);
    rt_task_list_close_and_shutdown(&rt->tasks);
    while (as__executor_drain(rt) > 0)
        ;
    if (others_in_block_on || bs.threads > 0) {
        /* Another thread is inside as_block_on and may be waiting in our poller right now, or
         * a blocking job is still running and may wake a task (and so push onto our queues)
         * when it returns: freeing under them would be a use-after-free. Leave the memory;
         * it stays reachable from those threads. */
        return;
    }
    atomic_store_explicit(&as__torn, 1, memory_order_release);
    rt_blocking_pool_free(rt->blocking);
    as__executor_free(rt);
    as__reactor_free(&rt->reactor);
    rt_task_list_destroy(&rt->tasks);
    rt_free(rt);
}
