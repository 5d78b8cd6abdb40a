/* test_alloc_paths_core.c: every allocation path of the core, failed at the Nth call for every N. */
#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rt_alloc_sweep.h"
#include "rt_block_on.h"
#include "rt_blocking_pool.h"
#include "rt_mpmc.h"
#include "rt_panic.h"
#include "rt_poller.h"
#include "rt_testkit.h"
#include "rt_timer.h"

/*
 * Paths covered (each a sweep: allocation n fails, for n = 1, 2, ... until a run has none left
 * to fail). "reported" is what the caller sees; "absorbed" failures cost no error.
 *
 * | path                                   | allocations it makes                     | on failure                          |
 * |----------------------------------------|------------------------------------------|-------------------------------------|
 * | rt_poller_new + add/wait/del, epoll    | poller, backend state, event buffer,     | NULL/errno ENOMEM; -ENOMEM from add |
 * |   (level, edge, oneshot)               | buffer growth in wait                    | growth: a smaller batch (absorbed)  |
 * | same, poll(2) (level, oneshot)         | poller, state, pfds, slots, fd map growth| NULL/ENOMEM; add -ENOMEM, all intact|
 * | same, io_uring (level, oneshot, edge)  | poller, state, registration table growth | NULL/ENOMEM; add -ENOMEM            |
 * | rt_timers_new + 200 inserts, wheel     | the wheel                                | NULL                                |
 * | rt_timers_new + 200 inserts, heap      | heap, items, items growth                | NULL; insert -ENOMEM, entry unarmed |
 * | rt_mpmc_bounded_init                   | the ring                                 | -ENOMEM                             |
 * | rt_mpmc_push (unbounded, 100 items)    | first block, a block per 31 items        | -ENOMEM, queue intact               |
 * | rt_blocking_pool_new + 4 submits       | pool, job, worker record                 | NULL/ENOMEM; submit -ENOMEM         |
 * | rt_block_on + rt_spawn x4 + join       | executor, tasks, a panic message         | panic "out of memory" (no error     |
 * |                                        |                                          | channel); spawn -ENOMEM; message    |
 * |                                        |                                          | "(panic message lost: ...)"         |
 *
 * Not allocating, so not swept: rt_inject, rt_local_queue, rt_task_list, rt_parker, rt_notify,
 * rt_waker, rt_metrics, rt_clock, the combinators (they hold their children inline).
 */

enum { SWEEP_MAX = 400 };

/* ---- pollers ---------------------------------------------------------------------------- */

enum { NPIPES = 40 };

typedef struct poller_case {
    rt_poller_backend backend;
    rt_poll_mode mode;
    int fds[2 * NPIPES];
} poller_case;

/* poller_op: create, register 80 fds (past every initial table size), wait for 128, unregister. */
static int poller_op(void *arg)
{
    poller_case *pc = arg;
    rt_poller *p = rt_poller_new(pc->backend, pc->mode);
    if (p == NULL)
        return -errno;
    int rc = 0, added = 0;
    for (; added < 2 * NPIPES; added++) {
        /* Write ends are always writable: every wait has events to hand back. */
        rc = rt_poller_add(p, pc->fds[added], RT_READABLE | RT_WRITABLE, (uint64_t)added);
        if (rc < 0)
            break;
    }
    if (rc == 0) {
        rt_poll_event ev[128];
        int n = rt_poller_wait(p, ev, 128, 0);
        /* The write ends are ready; a failed buffer growth may only make the batch smaller. */
        ck_assert_int_gt(n, 0);
    }
    for (int i = 0; i < added; i++)
        ck_assert_int_eq(rt_poller_del(p, pc->fds[i]), 0);
    rt_poller_free(p);
    return rc;
}

/* poller_sweep: one backend and mode; skipped (with a note) when the kernel lacks it. */
static void poller_sweep(const char *what, rt_poller_backend backend, rt_poll_mode mode)
{
    static poller_case pc;
    pc.backend = backend;
    pc.mode = mode;
    for (int i = 0; i < NPIPES; i++)
        ck_assert_int_eq(pipe(&pc.fds[2 * i]), 0);
    rt_poller *probe = rt_poller_new(backend, mode);
    if (probe == NULL) {
        printf("alloc-sweep %-40s skipped: %s\n", what, strerror(errno));
    } else {
        rt_poller_free(probe);
        rt_alloc_sweep(what, poller_op, &pc, -ENOMEM, SWEEP_MAX);
    }
    for (int i = 0; i < 2 * NPIPES; i++)
        close(pc.fds[i]);
}

START_TEST(test_poller_epoll)
{
    poller_sweep("core poller epoll level", RT_POLLER_EPOLL, RT_MODE_LEVEL);
    poller_sweep("core poller epoll edge", RT_POLLER_EPOLL, RT_MODE_EDGE);
    poller_sweep("core poller epoll oneshot", RT_POLLER_EPOLL, RT_MODE_ONESHOT);
}
END_TEST

START_TEST(test_poller_poll)
{
    poller_sweep("core poller poll level", RT_POLLER_POLL, RT_MODE_LEVEL);
    poller_sweep("core poller poll oneshot", RT_POLLER_POLL, RT_MODE_ONESHOT);
}
END_TEST

START_TEST(test_poller_uring)
{
    poller_sweep("core poller uring level", RT_POLLER_URING, RT_MODE_LEVEL);
    poller_sweep("core poller uring oneshot", RT_POLLER_URING, RT_MODE_ONESHOT);
    poller_sweep("core poller uring edge", RT_POLLER_URING, RT_MODE_EDGE);
}
END_TEST

/* ---- timers ----------------------------------------------------------------------------- */

enum { NTIMERS = 200 };

/* timers_op: a set, 200 entries (past the heap's first 64), half cancelled, the rest fired. */
static int timers_op(void *arg)
{
    rt_timers_kind kind = *(rt_timers_kind *)arg;
    static rt_timer_entry e[NTIMERS];
    rt_timers *t = rt_timers_new(kind, 0);
    if (t == NULL)
        return -ENOMEM;
    int rc = 0, armed = 0;
    for (; armed < NTIMERS; armed++) {
        rt_timer_entry_init(&e[armed], NULL);
        rc = rt_timers_insert(t, &e[armed], 1 + (uint64_t)(armed * 7) % 500);
        if (rc < 0) {
            /* "nothing happened": the entry stays unarmed and the set keeps what it had. */
            ck_assert(!rt_timer_entry_is_armed(&e[armed]));
            ck_assert_uint_eq(rt_timers_count(t), (size_t)armed);
            break;
        }
    }
    for (int i = 0; i < armed; i += 2)
        rt_timers_cancel(t, &e[i]);
    size_t fired = 0;
    while (rt_timers_pop_expired(t, 1000) != NULL)
        fired++;
    ck_assert_uint_eq(fired, (size_t)(armed / 2));
    rt_timers_free(t);
    return rc;
}

START_TEST(test_timers)
{
    rt_timers_kind wheel = RT_TIMERS_WHEEL, heap = RT_TIMERS_HEAP;
    rt_alloc_sweep("core timers wheel", timers_op, &wheel, -ENOMEM, SWEEP_MAX);
    rt_alloc_sweep("core timers heap", timers_op, &heap, -ENOMEM, SWEEP_MAX);
}
END_TEST

/* ---- queues ----------------------------------------------------------------------------- */

/* bounded_op: a ring of 100 (rounded to 128), filled and drained. */
static int bounded_op(void *arg)
{
    (void)arg;
    rt_mpmc_bounded q;
    int rc = rt_mpmc_bounded_init(&q, 100);
    if (rc < 0)
        return rc;
    for (uintptr_t i = 1; i <= 100; i++)
        ck_assert_int_eq(rt_mpmc_bounded_push(&q, (void *)i), 0);
    for (uintptr_t i = 1; i <= 100; i++)
        ck_assert_ptr_eq(rt_mpmc_bounded_pop(&q), (void *)i);
    rt_mpmc_bounded_destroy(&q);
    return 0;
}

/* unbounded_op: 100 pushes (four blocks); a failed push leaves the queue intact and in order. */
static int unbounded_op(void *arg)
{
    (void)arg;
    rt_mpmc q;
    ck_assert_int_eq(rt_mpmc_init(&q), 0);
    int rc = 0;
    uintptr_t pushed = 0;
    while (pushed < 100 && (rc = rt_mpmc_push(&q, (void *)(pushed + 1))) == 0)
        pushed++;
    for (uintptr_t i = 1; i <= pushed; i++)
        ck_assert_ptr_eq(rt_mpmc_pop(&q), (void *)i);
    ck_assert_ptr_null(rt_mpmc_pop(&q));
    rt_mpmc_destroy(&q);
    return rc;
}

START_TEST(test_queues)
{
    rt_alloc_sweep("core mpmc bounded init", bounded_op, NULL, -ENOMEM, SWEEP_MAX);
    rt_alloc_sweep("core mpmc unbounded push", unbounded_op, NULL, -ENOMEM, SWEEP_MAX);
}
END_TEST

/* ---- blocking pool ---------------------------------------------------------------------- */

static _Atomic int jobs_done;

/* job_run / job_cancel: either way the job is accounted for exactly once. */
static void job_run(void *arg) { (void)arg; atomic_fetch_add(&jobs_done, 1); }
static void job_cancel(void *arg) { (void)arg; atomic_fetch_add(&jobs_done, 1); }

/* pool_op: a pool of 2, four jobs; every accepted job runs (or is cancelled) exactly once. */
static int pool_op(void *arg)
{
    (void)arg;
    rt_blocking_config cfg = { .max_threads = 2, .keep_alive_ms = 1000, .thread_name = "sweep" };
    rt_blocking_pool *p = rt_blocking_pool_new(&cfg);
    if (p == NULL)
        return -errno;
    atomic_store(&jobs_done, 0);
    int rc = 0, accepted = 0;
    for (int i = 0; i < 4; i++) {
        int r = rt_blocking_pool_submit(p, job_run, job_cancel, NULL);
        if (r == 0)
            accepted++;
        else if (rc == 0)
            rc = r;
    }
    rt_blocking_pool_free(p);
    ck_assert_int_eq(atomic_load(&jobs_done), accepted);
    return rc;
}

START_TEST(test_blocking_pool)
{
    rt_alloc_sweep("core blocking pool", pool_op, NULL, -ENOMEM, SWEEP_MAX);
}
END_TEST

/* ---- rt_block_on, rt_spawn, the panic message ------------------------------------------- */

enum { NSPAWN = 4 };

/* The main future: spawn four probes (the last panics), then join whatever was spawned. */
typedef struct spawner {
    rt_future base;
    int started;
    int spawned;
    int spawn_err;
    rt_join_handle jh[NSPAWN];
    int done[NSPAWN];
} spawner;

/* spawner_poll: a spawn that fails leaves the probe with us (nothing to free in a probe). */
static rt_poll spawner_poll(rt_future *f, rt_context *cx)
{
    spawner *s = (spawner *)f;
    if (!s->started) {
        s->started = 1;
        for (int i = 0; i < NSPAWN; i++) {
            rt_probe p = rt_probe_new(NULL, NULL);
            p.pending_polls = 1;
            p.wake_self = 1;
            p.panic_on_poll = i == NSPAWN - 1 ? 2 : 0;
            int rc = rt_spawn(&p.base, sizeof p, &s->jh[s->spawned]);
            if (rc != 0) {
                s->spawn_err = rc;
                break;
            }
            s->spawned++;
        }
    }
    int pending = 0;
    for (int i = 0; i < s->spawned; i++)
        if (!s->done[i] && rt_future_poll(&s->jh[i].base, cx) == RT_PENDING)
            pending = 1;
        else
            s->done[i] = 1;
    return pending ? RT_PENDING : RT_READY;
}

/* spawner_drop: the handles (each owns a task reference). */
static void spawner_drop(rt_future *f)
{
    spawner *s = (spawner *)f;
    for (int i = 0; i < s->spawned; i++)
        rt_future_drop(&s->jh[i].base);
}

static const rt_future_vtable spawner_vtable = {
    .poll = spawner_poll, .drop = spawner_drop, .name = "spawner",
};

/* block_on_op: rt_block_on cannot return an error, so its out-of-memory is a panic -- caught
 * here as a task's harness would catch it. Every spawned task must end ok or (the last) with
 * its panic, and the message must say something either way. */
static int block_on_op(void *arg)
{
    (void)arg;
    static spawner s;
    memset(&s, 0, sizeof s);
    s.base.vtable = &spawner_vtable;
    rt_panic_frame frame;
    rt_panic_push(&frame);
    if (setjmp(frame.env) != 0) {
        ck_assert_msg(strstr(frame.message, "out of memory") != NULL, "panic: %s", frame.message);
        ck_assert_int_eq(s.spawned, 0); /* it panicked before polling anything */
        return -ENOMEM;
    }
    rt_block_on(&s.base);
    rt_panic_pop(&frame);
    for (int i = 0; i < s.spawned; i++) {
        if (i == NSPAWN - 1) {
            ck_assert_int_eq(s.jh[i].outcome, RT_OUTCOME_PANICKED);
            const char *msg = rt_join_handle_panic_message(&s.jh[i]);
            ck_assert(strcmp(msg, "probe panicked on poll 2") == 0 ||
                      strcmp(msg, "(panic message lost: out of memory)") == 0);
        } else {
            ck_assert_int_eq(s.jh[i].outcome, RT_OUTCOME_OK);
            ck_assert_int_eq(((rt_probe *)rt_join_handle_output(&s.jh[i]))->output, 42);
        }
    }
    rt_future_drop(&s.base);
    return s.spawn_err;
}

START_TEST(test_block_on_spawn)
{
    rt_alloc_sweep("core rt_block_on + rt_spawn", block_on_op, NULL, -ENOMEM, SWEEP_MAX);
    rt_check_tasks_balanced();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("alloc_paths_core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_poller_epoll);
    tcase_add_test(tc, test_poller_poll);
    tcase_add_test(tc, test_poller_uring);
    tcase_add_test(tc, test_timers);
    tcase_add_test(tc, test_queues);
    tcase_add_test(tc, test_blocking_pool);
    tcase_add_test(tc, test_block_on_spawn);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
