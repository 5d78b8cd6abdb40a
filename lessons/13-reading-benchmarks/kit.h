/* kit.h: lessons 13-14's measuring kit -- one workload, any flavour, each repetition in a fresh process, median/min/max. */
#ifndef LESSON13_KIT_H
#define LESSON13_KIT_H

/*
 * The bench (bench/, `rtbench`) measures every workload as a separate executable per runtime.
 * The lessons need the same measurements inside one small program, so this header carries a
 * miniature of it:
 *
 *   - three flavours behind one switch: tk current_thread, tk multi_thread (2 workers) and
 *     as, the async-std-style global runtime. A workload is written once, with the core's
 *     futures (rt_future, RT_AWAIT, rt_yield_now), and spawned with kit_spawn: the same
 *     future runs on either flavour, which is the point of Rust's runtime-agnostic futures;
 *   - three of the bench's task workloads (bench/WORKLOADS.md): spawn_many, yield_many and
 *     idle_task_memory, at sizes small enough for a classroom;
 *   - kit_fork_measure: one repetition in a fresh child process, as rtbench runs each
 *     repetition as a fresh process. It matters here for two reasons: the as runtime is
 *     global and starts once per process (and cannot be stopped), and a memory figure read
 *     from RSS is only honest in a process whose heap has not been grown by earlier work;
 *   - kit_summary: median, min and max (the harness's rb_stats_compute, in miniature).
 *
 * A workload measures only its own work (spawning, polling, waiting), never building the
 * runtime or forking: the clock starts inside the main task and stops there.
 */

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "as.h"
#include "rt_alloc.h"
#include "rt_async.h"
#include "rt_clock.h"
#include "rt_combinators.h"
#include "rt_join_handle.h"
#include "rt_panic.h"
#include "tk_runtime.h"

/* ---- flavours ------------------------------------------------------------------------------ */

typedef enum kit_flavour {
    KIT_TK_CT, /* tk, current_thread: everything on the thread in block_on */
    KIT_TK_MT, /* tk, multi_thread with 2 workers: rings, LIFO slot, stealing */
    KIT_AS,    /* as: the global runtime, one shared queue, a reactor thread */
} kit_flavour;

/* kit_flavour_name: the bench's name for a flavour (rtbench --runtime uses the same). */
static inline const char *kit_flavour_name(kit_flavour fl)
{
    return fl == KIT_TK_CT ? "tk-ct" : fl == KIT_TK_MT ? "tk-mt" : "as";
}

/* kit_spawn: tokio::spawn or async_std::task::spawn, from inside a task of flavour fl. The
 * handle is the core's JoinHandle in both (as_task only wraps it). Out of memory ends the run. */
static inline void kit_spawn(kit_flavour fl, const rt_future *f, size_t size, rt_join_handle *jh)
{
    int rc;
    if (fl == KIT_AS) {
        as_task t;
        rc = as_spawn(f, size, &t);
        if (rc == 0)
            *jh = t.handle; /* a handle not yet polled may move, like any future */
    } else {
        rc = tk_spawn(f, size, jh);
    }
    if (rc != 0)
        rt_panic("kit: cannot spawn a task (%s)", strerror(-rc));
}

/* kit_spawn_detached: spawn and drop the handle (`tokio::spawn(...);`). */
static inline void kit_spawn_detached(kit_flavour fl, const rt_future *f, size_t size)
{
    rt_join_handle jh;
    kit_spawn(fl, f, size, &jh);
    rt_join_handle_detach(&jh);
}

/*
 * kit_run_main: start the flavour's runtime, run `fut` (size bytes) as a TASK and wait for it
 * from block_on, then copy the finished future back over *fut so the caller can read its
 * output fields (tokio's `rt.block_on(async { tokio::spawn(main()).await.unwrap() })`). Why a
 * task and not the block_on future itself: on tk multi_thread the block_on thread is not a
 * worker, so spawns from it would all go through the global queue and the workload would
 * measure the wrong path. A main task that panics ends the run with a message.
 */
static inline void kit_run_main(kit_flavour fl, rt_future *fut, size_t size)
{
    as_task t;             /* the as spawn's handle: as_task only wraps the core's */
    rt_join_handle *jh = &t.handle;
    tk_runtime *rt = NULL;
    if (fl == KIT_AS) {
        if (as_spawn(fut, size, &t) != 0)
            rt_panic("kit: cannot start the as runtime or spawn the main task");
        as_block_on(as_task_join(&t));
    } else {
        tk_builder b = fl == KIT_TK_CT ? tk_builder_new_current_thread()
                                       : tk_builder_new_multi_thread();
        if (fl == KIT_TK_MT)
            tk_builder_worker_threads(&b, 2);
        tk_builder_enable_all(&b);
        if (tk_builder_build(&b, &rt) != 0)
            rt_panic("kit: cannot build the tk runtime");
        if (tk_spawn_on(tk_runtime_handle(rt), fut, size, jh) != 0)
            rt_panic("kit: cannot spawn the main task");
        tk_runtime_block_on(rt, &jh->base);
    }
    rt_future *done = rt_join_handle_output(jh);
    if (done == NULL)
        rt_panic("kit: the main task did not finish (%s)", rt_join_outcome_name(jh->outcome));
    memcpy(fut, done, size);
    rt_join_handle_detach(jh); /* the task drops its own copy; ours is a plain snapshot */
    if (rt != NULL)
        tk_runtime_free(rt);
}

/* ---- background load: what another user of a shared machine does to your run ----------------- */

/*
 * Spinning PROCESSES, each burning a core until stopped. On a 2-core machine, two of them take
 * about two thirds of the CPU from a third process (the scheduler shares the cores fairly).
 *
 * Why processes and not threads: the first pthread_create in a process switches glibc for
 * good into its multi-threaded mode (malloc and stdio start taking locks), and a child forked
 * afterwards inherits that mode. Every repetition measured after the first load would then run
 * slower for a reason that has nothing to do with the load -- the measuring tool would be
 * disturbing the measurement. A spinner is its own process, so the parent stays single-threaded.
 * Each spinner dies with its parent (PR_SET_PDEATHSIG) and gives up after a minute in any case.
 */
typedef struct kit_load {
    int n;
    pid_t pids[8];
} kit_load;

/* kit_load_start: start n (<= 8) spinning processes. */
static inline void kit_load_start(kit_load *l, int n)
{
    l->n = 0;
    fflush(NULL);
    for (int i = 0; i < n && i < 8; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            uint64_t end = rt_monotonic_ns() + 60ull * 1000000000ull;
            while (rt_monotonic_ns() < end)
                continue;
            _exit(0);
        }
        if (pid > 0)
            l->pids[l->n++] = pid;
    }
    struct timespec settle = { 0, 20 * 1000000L }; /* let them get onto the cores first */
    nanosleep(&settle, NULL);
}

/* kit_load_stop: kill the spinners this kit_load started (by pid) and reap them. */
static inline void kit_load_stop(kit_load *l)
{
    for (int i = 0; i < l->n; i++) {
        kill(l->pids[i], SIGKILL);
        while (waitpid(l->pids[i], NULL, 0) < 0 && errno == EINTR)
            continue;
    }
    l->n = 0;
}

/* ---- the gate: n tasks wait, one call releases them all --------------------------------------- */

/*
 * A leaf future of our own, so that every flavour waits on exactly the same thing: waiter i
 * keeps its waker in slot i. The mutex orders "check open, store the waker" against "set open,
 * take the wakers": a waiter either saw the gate open, or stored its waker before the opener
 * took the slots -- no wake can fall between the two.
 */
typedef struct kit_gate {
    pthread_mutex_t lock;
    int open;
    size_t n;
    rt_waker *slots;
} kit_gate;

/* kit_gate_init: a closed gate for n waiters; the slot array is allocated AND touched here, so
 * that a memory measurement taken after this does not count its pages. 0 or -ENOMEM. */
static inline int kit_gate_init(kit_gate *g, size_t n)
{
    g->slots = rt_calloc(n, sizeof *g->slots);
    if (g->slots == NULL)
        return -ENOMEM;
    memset(g->slots, 0, n * sizeof *g->slots);
    pthread_mutex_init(&g->lock, NULL);
    g->open = 0;
    g->n = n;
    return 0;
}

/* kit_gate_open: open the gate and wake every waiter that is parked on it. */
static inline void kit_gate_open(kit_gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->open = 1;
    pthread_mutex_unlock(&g->lock);
    for (size_t i = 0; i < g->n; i++) {
        pthread_mutex_lock(&g->lock);
        rt_waker w = g->slots[i];
        g->slots[i] = RT_WAKER_EMPTY;
        pthread_mutex_unlock(&g->lock);
        if (!rt_waker_is_empty(&w))
            rt_waker_wake(&w); /* outside the lock: a wake may take the scheduler's locks */
    }
}

/* kit_gate_destroy: free the slots (every waiter must be gone). */
static inline void kit_gate_destroy(kit_gate *g)
{
    for (size_t i = 0; i < g->n; i++)
        rt_waker_drop(&g->slots[i]);
    rt_free(g->slots);
    pthread_mutex_destroy(&g->lock);
}

typedef struct kit_gate_wait_fut {
    rt_future base;
    kit_gate *g;
    size_t slot;
} kit_gate_wait_fut;

/* kit__gate_wait_poll: ready once open; otherwise keep the latest waker in our slot. */
static inline rt_poll kit__gate_wait_poll(rt_future *f, rt_context *cx)
{
    kit_gate_wait_fut *w = (kit_gate_wait_fut *)f;
    pthread_mutex_lock(&w->g->lock);
    int open = w->g->open;
    if (!open)
        rt_waker_replace(&w->g->slots[w->slot], cx->waker);
    pthread_mutex_unlock(&w->g->lock);
    return open ? RT_READY : RT_PENDING;
}

/* kit__gate_wait_drop: a cancelled waiter gives its waker back. */
static inline void kit__gate_wait_drop(rt_future *f)
{
    kit_gate_wait_fut *w = (kit_gate_wait_fut *)f;
    pthread_mutex_lock(&w->g->lock);
    rt_waker_drop(&w->g->slots[w->slot]);
    pthread_mutex_unlock(&w->g->lock);
}

static const rt_future_vtable kit__gate_wait_vtable = {
    kit__gate_wait_poll, kit__gate_wait_drop, "gate_wait"
};

/* kit_gate_wait: a future that is ready when the gate opens; waiter `slot` of the gate. */
static inline kit_gate_wait_fut kit_gate_wait(kit_gate *g, size_t slot)
{
    return (kit_gate_wait_fut){ .base = { &kit__gate_wait_vtable }, .g = g, .slot = slot };
}

/* ---- workload: spawn_many ------------------------------------------------------------------- */

/* spawn_many (bench/WORKLOADS.md): a task spawns N tasks; each decrements a counter, and the
 * one that reaches zero opens the gate the spawner waits on. Figure: ns per task. */
typedef struct kit__sm_shared {
    _Atomic uint64_t remaining;
    kit_gate done;
} kit__sm_shared;

typedef struct kit__sm_child {
    rt_future base;
    kit__sm_shared *sh;
} kit__sm_child;

/* kit__sm_child_poll: count down; the last one signals (acq_rel: it saw every decrement). */
static inline rt_poll kit__sm_child_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    kit__sm_shared *sh = ((kit__sm_child *)f)->sh;
    if (atomic_fetch_sub_explicit(&sh->remaining, 1, memory_order_acq_rel) == 1)
        kit_gate_open(&sh->done);
    return RT_READY;
}

static const rt_future_vtable kit__sm_child_vtable = { kit__sm_child_poll, NULL, "sm_child" };

typedef struct kit__sm_main {
    rt_future base;
    rt_async co;
    kit_flavour fl;
    kit__sm_shared *sh;
    uint64_t n, i, t0;
    double ns_per_task; /* output */
    kit_gate_wait_fut wait;
} kit__sm_main;

/* kit__sm_main_poll: time N spawns up to the last child's signal. */
static inline rt_poll kit__sm_main_poll(rt_future *f, rt_context *cx)
{
    kit__sm_main *m = (kit__sm_main *)f;
    RT_BEGIN(&m->co);
    m->t0 = rt_monotonic_ns();
    for (m->i = 0; m->i < m->n; m->i++) {
        kit__sm_child c = { .base = { &kit__sm_child_vtable }, .sh = m->sh };
        kit_spawn_detached(m->fl, &c.base, sizeof c);
    }
    m->wait = kit_gate_wait(&m->sh->done, 0);
    RT_AWAIT(&m->co, &m->wait, cx);
    m->ns_per_task = (double)(rt_monotonic_ns() - m->t0) / (double)m->n;
    RT_END(&m->co);
}

/* kit__sm_main_drop: a pending main is parked on the gate. */
static inline void kit__sm_main_drop(rt_future *f)
{
    rt_async_drop(&((kit__sm_main *)f)->co);
}

static const rt_future_vtable kit__sm_main_vtable = {
    kit__sm_main_poll, kit__sm_main_drop, "spawn_many"
};

/* kit_spawn_many: one repetition of spawn_many on fl with n tasks; ns per task. */
static inline double kit_spawn_many(kit_flavour fl, uint64_t n)
{
    kit__sm_shared sh;
    atomic_init(&sh.remaining, n);
    if (kit_gate_init(&sh.done, 1) != 0)
        rt_panic("kit: out of memory");
    kit__sm_main m = { .base = { &kit__sm_main_vtable }, .fl = fl, .sh = &sh, .n = n };
    kit_run_main(fl, &m.base, sizeof m);
    if (atomic_load(&sh.remaining) != 0)
        rt_panic("spawn_many: %llu tasks did not run", (unsigned long long)sh.remaining);
    kit_gate_destroy(&sh.done);
    return m.ns_per_task;
}

/* ---- workload: yield_many ------------------------------------------------------------------- */

/* yield_many: T tasks each yield Y times; the spawner joins them all. Figure: ns per yield. */
typedef struct kit__ym_child {
    rt_future base;
    rt_async co;
    uint64_t yields, done; /* done: output */
    rt_yield_fut y;
} kit__ym_child;

/* kit__ym_child_poll: `for _ in 0..Y { yield_now().await }`. */
static inline rt_poll kit__ym_child_poll(rt_future *f, rt_context *cx)
{
    kit__ym_child *c = (kit__ym_child *)f;
    RT_BEGIN(&c->co);
    for (c->done = 0; c->done < c->yields; c->done++) {
        c->y = rt_yield_now(); /* tk_yield_now and as_yield_now are this same future */
        RT_AWAIT(&c->co, &c->y, cx);
    }
    RT_END(&c->co);
}

static const rt_future_vtable kit__ym_child_vtable = { kit__ym_child_poll, NULL, "ym_child" };

enum { KIT_MAX_YIELDERS = 1024 };

typedef struct kit__ym_main {
    rt_future base;
    rt_async co;
    kit_flavour fl;
    uint64_t tasks, yields, i, t0, total;
    double ns_per_yield; /* output */
    rt_join_handle *handles;
} kit__ym_main;

/* kit__ym_main_poll: spawn T, join them in order, sum their yields. */
static inline rt_poll kit__ym_main_poll(rt_future *f, rt_context *cx)
{
    kit__ym_main *m = (kit__ym_main *)f;
    RT_BEGIN(&m->co);
    m->t0 = rt_monotonic_ns();
    for (m->i = 0; m->i < m->tasks; m->i++) {
        kit__ym_child c = { .base = { &kit__ym_child_vtable }, .yields = m->yields };
        kit_spawn(m->fl, &c.base, sizeof c, &m->handles[m->i]);
    }
    for (m->i = 0; m->i < m->tasks; m->i++) {
        RT_AWAIT(&m->co, &m->handles[m->i], cx);
        rt_future *out = rt_join_handle_output(&m->handles[m->i]);
        if (out != NULL)
            m->total += ((kit__ym_child *)out)->done;
        rt_join_handle_detach(&m->handles[m->i]);
    }
    m->ns_per_yield = (double)(rt_monotonic_ns() - m->t0) / (double)(m->tasks * m->yields);
    RT_END(&m->co);
}

/* kit__ym_main_drop: detach every handle still held (a detached one is empty: no-op). */
static inline void kit__ym_main_drop(rt_future *f)
{
    kit__ym_main *m = (kit__ym_main *)f;
    rt_async_drop(&m->co);
    for (uint64_t i = 0; i < m->tasks; i++)
        rt_join_handle_detach(&m->handles[i]);
}

static const rt_future_vtable kit__ym_main_vtable = {
    kit__ym_main_poll, kit__ym_main_drop, "yield_many"
};

/* kit_yield_many: one repetition of yield_many on fl (tasks <= 1024); ns per yield. */
static inline double kit_yield_many(kit_flavour fl, uint64_t tasks, uint64_t yields)
{
    rt_join_handle *handles = rt_calloc(tasks, sizeof *handles);
    if (handles == NULL || tasks > KIT_MAX_YIELDERS)
        rt_panic("kit: yield_many takes 1..%d tasks", KIT_MAX_YIELDERS);
    kit__ym_main m = { .base = { &kit__ym_main_vtable }, .fl = fl, .tasks = tasks,
                       .yields = yields, .handles = handles };
    kit_run_main(fl, &m.base, sizeof m);
    rt_free(handles);
    if (m.total != tasks * yields)
        rt_panic("yield_many: %llu yields, expected %llu", (unsigned long long)m.total,
                 (unsigned long long)(tasks * yields));
    return m.ns_per_yield;
}

/* ---- workload: idle_task_memory ------------------------------------------------------------- */

/* kit_rss_bytes: resident set size from /proc/self/statm (its second field, in pages). */
static inline uint64_t kit_rss_bytes(void)
{
    unsigned long long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL || fscanf(f, "%llu %llu", &size, &resident) != 2)
        rt_panic("kit: cannot read /proc/self/statm");
    fclose(f);
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* idle_task_memory: N tasks each parked on its own slot of a gate; RSS is read before the
 * spawns and once every task has been polled once (so is parked). Figure: bytes per task. */
typedef struct kit__im_shared {
    _Atomic uint64_t started, finished;
    kit_gate release;   /* N slots: every idle task waits here */
    kit_gate all_in;    /* 1 slot: the N-th task to start opens it */
    kit_gate all_out;   /* 1 slot: the N-th task to finish opens it */
    uint64_t n;
} kit__im_shared;

typedef struct kit__im_task {
    rt_future base;
    rt_async co;
    kit__im_shared *sh;
    size_t slot;
    kit_gate_wait_fut wait;
} kit__im_task;

/* kit__im_task_poll: say "started", wait for the release, say "finished". */
static inline rt_poll kit__im_task_poll(rt_future *f, rt_context *cx)
{
    kit__im_task *t = (kit__im_task *)f;
    RT_BEGIN(&t->co);
    if (atomic_fetch_add(&t->sh->started, 1) + 1 == t->sh->n)
        kit_gate_open(&t->sh->all_in);
    t->wait = kit_gate_wait(&t->sh->release, t->slot);
    RT_AWAIT(&t->co, &t->wait, cx);
    if (atomic_fetch_add(&t->sh->finished, 1) + 1 == t->sh->n)
        kit_gate_open(&t->sh->all_out);
    RT_END(&t->co);
}

/* kit__im_task_drop: a cancelled task leaves the gate. */
static inline void kit__im_task_drop(rt_future *f)
{
    rt_async_drop(&((kit__im_task *)f)->co);
}

static const rt_future_vtable kit__im_task_vtable = {
    kit__im_task_poll, kit__im_task_drop, "idle_task"
};

typedef struct kit__im_main {
    rt_future base;
    rt_async co;
    kit_flavour fl;
    kit__im_shared *sh;
    uint64_t i, before, after; /* before, after: outputs (bytes of RSS) */
    kit_gate_wait_fut wait;
} kit__im_main;

/* kit__im_main_poll: read RSS, spawn N idle tasks, wait until all are parked, read RSS again,
 * then release them all and wait until all are done. */
static inline rt_poll kit__im_main_poll(rt_future *f, rt_context *cx)
{
    kit__im_main *m = (kit__im_main *)f;
    RT_BEGIN(&m->co);
    m->before = kit_rss_bytes();
    for (m->i = 0; m->i < m->sh->n; m->i++) {
        kit__im_task t = { .base = { &kit__im_task_vtable }, .sh = m->sh, .slot = m->i };
        kit_spawn_detached(m->fl, &t.base, sizeof t);
    }
    m->wait = kit_gate_wait(&m->sh->all_in, 0);
    RT_AWAIT(&m->co, &m->wait, cx);
    m->after = kit_rss_bytes();
    kit_gate_open(&m->sh->release);
    m->wait = kit_gate_wait(&m->sh->all_out, 0);
    RT_AWAIT(&m->co, &m->wait, cx);
    RT_END(&m->co);
}

/* kit__im_main_drop: a pending main is parked on one of the gates. */
static inline void kit__im_main_drop(rt_future *f)
{
    rt_async_drop(&((kit__im_main *)f)->co);
}

static const rt_future_vtable kit__im_main_vtable = {
    kit__im_main_poll, kit__im_main_drop, "idle_task_memory"
};

/* kit_idle_task_memory: one repetition with n tasks; bytes of RSS per idle task. Run it in a
 * fresh process (kit_fork_measure): in a process whose heap already grew, the tasks would fit
 * into freed memory and RSS would not move. */
static inline double kit_idle_task_memory(kit_flavour fl, uint64_t n)
{
    kit__im_shared sh = { .n = n };
    atomic_init(&sh.started, 0);
    atomic_init(&sh.finished, 0);
    if (kit_gate_init(&sh.release, n) != 0 || kit_gate_init(&sh.all_in, 1) != 0 ||
        kit_gate_init(&sh.all_out, 1) != 0)
        rt_panic("kit: out of memory");
    kit__im_main m = { .base = { &kit__im_main_vtable }, .fl = fl, .sh = &sh };
    kit_run_main(fl, &m.base, sizeof m);
    kit_gate_destroy(&sh.release);
    kit_gate_destroy(&sh.all_in);
    kit_gate_destroy(&sh.all_out);
    if (m.after <= m.before)
        rt_panic("idle_task_memory: RSS did not grow, so the figure would say nothing");
    return (double)(m.after - m.before) / (double)n;
}

/* ---- repetitions: fresh processes, median, min, max ------------------------------------------ */

/* kit_fork_measure: run fn(arg) in a fresh child process and return its figure, or NAN (with a
 * message on stderr) if the child crashed. The child leaves with _exit: it must not flush the
 * parent's stdio buffers a second time, nor run the as runtime's exit handler for nothing. */
static inline double kit_fork_measure(double (*fn)(const void *arg), const void *arg)
{
    int fds[2];
    double v = NAN;
    fflush(NULL);
    if (pipe(fds) != 0)
        return NAN;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return NAN;
    }
    if (pid == 0) {
        close(fds[0]);
        v = fn(arg);
        ssize_t w = write(fds[1], &v, sizeof v);
        _exit(w == (ssize_t)sizeof v ? 0 : 1);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], &v, sizeof v);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        continue;
    if (got != (ssize_t)sizeof v || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "kit: a measuring child failed (status %d)\n", status);
        return NAN;
    }
    return v;
}

/* The summary of one figure's repetitions (the harness's rb_stat). */
typedef struct kit_stat {
    double median, min, max;
    int n;
} kit_stat;

/* kit__cmp: ascending doubles for qsort. */
static inline int kit__cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* kit_summary: median, min, max of v[0..n) (n <= 64; v is left as it was). */
static inline kit_stat kit_summary(const double *v, int n)
{
    double s[64];
    kit_stat st = { NAN, NAN, NAN, 0 };
    if (n < 1 || n > 64)
        return st;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, kit__cmp);
    st.min = s[0];
    st.max = s[n - 1];
    st.median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    st.n = n;
    return st;
}

/* kit_fmt_ns: a time in ns with a sensible unit ("812 ns", "4.31 us", "2.05 ms"). */
static inline const char *kit_fmt_ns(char *buf, size_t n, double ns)
{
    if (ns < 1e3)
        snprintf(buf, n, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(buf, n, "%.2f us", ns / 1e3);
    else
        snprintf(buf, n, "%.2f ms", ns / 1e6);
    return buf;
}

#endif
