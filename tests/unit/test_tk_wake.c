/* test_tk_wake.c: wakes from foreign threads -- storms, no lost wake, spawn_on, block_on woken. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "rt_async.h"
#include "rt_block_on.h"
#include "rt_clock.h"
#include "rt_testkit.h"
#include "tk_runtime.h"
#include "tk_time.h"
#include "tk_testkit.h"

/*
 * A lost wake does not fail an assertion: it hangs, because the task that missed its wake is
 * never polled again. Check's timeout turns that hang into a failure.
 */

/* ---- a wake point: the waiter arms it, a foreign thread fires it ------------------------- */
enum { IDLE, WAITING, FIRED };

typedef struct wake_point {
    pthread_mutex_t lock;
    int state;
    rt_waker waker;
    long fires;              /* guarded by lock */
} wake_point;

/* point_poll: one round of "arm, wait to be fired". Spurious polls while armed just refresh
 * the waker. Returns 1 when a round completed. */
static int point_poll(wake_point *p, rt_context *cx)
{
    int completed = 0;
    pthread_mutex_lock(&p->lock);
    if (p->state == FIRED) {
        p->state = IDLE;
        completed = 1;
    } else if (p->state == IDLE) {
        p->state = WAITING;
        rt_waker_replace(&p->waker, cx->waker);
    } else {
        rt_waker_replace(&p->waker, cx->waker);
    }
    pthread_mutex_unlock(&p->lock);
    return completed;
}

/* point_try_fire: if someone waits, fire: take the waker under the lock and wake it outside.
 * With `twice`, a second wake goes through a clone right after -- a duplicate wake, which
 * must be harmless (coalesced or a spurious poll). */
static int point_try_fire(wake_point *p, int twice)
{
    pthread_mutex_lock(&p->lock);
    if (p->state != WAITING) {
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    p->state = FIRED;
    p->fires++;
    rt_waker w = p->waker;
    p->waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&p->lock);
    rt_waker extra = twice ? rt_waker_clone(&w) : RT_WAKER_EMPTY;
    rt_waker_wake(&w);
    if (twice)
        rt_waker_wake(&extra);
    return 1;
}

/* ---- the storm: N tasks, each needs R fires from foreign threads -------------------------- */
typedef struct storm {
    int tasks, rounds;
    wake_point *points;
    _Atomic int finished;
    _Atomic int stop;
} storm;

typedef struct storm_task {
    rt_future base;
    storm *st;
    int idx, got;
} storm_task;

/* storm_task_poll: count completed rounds; done after `rounds`. */
static rt_poll storm_task_poll(rt_future *f, rt_context *cx)
{
    storm_task *t = (storm_task *)f;
    wake_point *p = &t->st->points[t->idx];
    for (;;) {
        if (!point_poll(p, cx))
            return RT_PENDING;
        if (++t->got == t->st->rounds) {
            atomic_fetch_add(&t->st->finished, 1);
            return RT_READY;
        }
    }
}

static const rt_future_vtable storm_task_vtable = { storm_task_poll, NULL, "storm_task" };

/* storm_waker_thread: sweep the points, firing every armed one, until all tasks are done. */
static void *storm_waker_thread(void *arg)
{
    storm *st = arg;
    unsigned seed = (unsigned)(uintptr_t)pthread_self();
    while (!atomic_load(&st->stop)) {
        int fired = 0;
        int start = (int)(rand_r(&seed) % (unsigned)st->tasks);
        for (int k = 0; k < st->tasks; k++)
            fired += point_try_fire(&st->points[(start + k) % st->tasks], (rand_r(&seed) & 7) == 0);
        if (!fired)
            sched_yield();
    }
    return NULL;
}

#define STORM_THREADS 3

typedef struct storm_main {
    rt_future base;
    rt_async co;
    storm *st;
    tk_join_handle *handles;
    pthread_t threads[STORM_THREADS];
    int i;
} storm_main;

/* storm_main_poll: spawn the tasks, start the waker threads, join everything. */
static rt_poll storm_main_poll(rt_future *f, rt_context *cx)
{
    storm_main *m = (storm_main *)f;
    RT_BEGIN(&m->co);
    for (m->i = 0; m->i < m->st->tasks; m->i++) {
        storm_task t = { .base = { &storm_task_vtable }, .st = m->st, .idx = m->i };
        ck_assert_int_eq(tk_spawn(&t.base, sizeof t, &m->handles[m->i]), 0);
    }
    for (int k = 0; k < STORM_THREADS; k++)
        ck_assert_int_eq(pthread_create(&m->threads[k], NULL, storm_waker_thread, m->st), 0);
    for (m->i = 0; m->i < m->st->tasks; m->i++) {
        RT_AWAIT(&m->co, &m->handles[m->i], cx);
        ck_assert_int_eq(m->handles[m->i].outcome, RT_OUTCOME_OK);
        storm_task *t = (storm_task *)rt_join_handle_output(&m->handles[m->i]);
        ck_assert_int_eq(t->got, m->st->rounds);
        rt_join_handle_detach(&m->handles[m->i]);
    }
    atomic_store(&m->st->stop, 1);
    for (int k = 0; k < STORM_THREADS; k++)
        pthread_join(m->threads[k], NULL);
    RT_END(&m->co);
}

static const rt_future_vtable storm_main_vtable = { storm_main_poll, NULL, "storm_main" };

/* run_storm: the whole storm on one runtime; every fire must have been observed. */
static void run_storm(tk_flavor flavor, unsigned workers, int tasks, int rounds)
{
    tk_runtime *rt = build(flavor, workers);
    storm st = { .tasks = tasks, .rounds = rounds };
    st.points = calloc((size_t)tasks, sizeof *st.points);
    for (int i = 0; i < tasks; i++) {
        pthread_mutex_init(&st.points[i].lock, NULL);
        st.points[i].waker = RT_WAKER_EMPTY;
    }
    storm_main m = { .base = { &storm_main_vtable }, .st = &st };
    m.handles = calloc((size_t)tasks, sizeof *m.handles);
    tk_runtime_block_on(rt, &m.base);
    ck_assert_int_eq(atomic_load(&st.finished), tasks);
    long fires = 0;
    for (int i = 0; i < tasks; i++) {
        fires += st.points[i].fires;
        ck_assert(rt_waker_is_empty(&st.points[i].waker));
        pthread_mutex_destroy(&st.points[i].lock);
    }
    /* One fire per round, each consumed by exactly one completed round. */
    ck_assert_int_eq(fires, (long)tasks * rounds);
    tk_runtime_free(rt);
    free(m.handles);
    free(st.points);
    rt_check_tasks_balanced();
}

/* test_wake_storm_multi_thread: foreign-thread wakes, many tasks and few, 2 and 4 workers. */
START_TEST(test_wake_storm_multi_thread)
{
    run_storm(TK_MULTI_THREAD, 2, 128, 4000);
    run_storm(TK_MULTI_THREAD, 4, 32, 4000);
    /* Few tasks: most wakes now find the workers parked (futex or driver). */
    run_storm(TK_MULTI_THREAD, 2, 2, 20000);
}
END_TEST

/* test_wake_storm_current_thread: the same storm against the block_on thread's driver. */
START_TEST(test_wake_storm_current_thread)
{
    run_storm(TK_CURRENT_THREAD, 0, 128, 4000);
    run_storm(TK_CURRENT_THREAD, 0, 1, 20000); /* each wake unparks the driver */
}
END_TEST

/* ---- current_thread: spawned from another thread before and during block_on -------------- */
typedef struct counted {
    rt_future base;
    _Atomic int *ran;
    _Atomic int *drops;
} counted;

/* counted_poll: count a run. */
static rt_poll counted_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    atomic_fetch_add(((counted *)f)->ran, 1);
    return RT_READY;
}

/* counted_drop: count a drop. */
static void counted_drop(rt_future *f)
{
    atomic_fetch_add(((counted *)f)->drops, 1);
}

static const rt_future_vtable counted_vtable = { counted_poll, counted_drop, "counted" };

#define FOREIGN_TASKS 100

typedef struct foreign {
    tk_handle *h;
    tk_join_handle handles[FOREIGN_TASKS];
    _Atomic int ran, drops;
    useconds_t delay_us;
    wake_point *notify;      /* fired once the tasks are spawned, if set */
    int pings;               /* then: fire `notify` this many more times, ping-pong style */
} foreign;

/* foreign_thread: spawn onto the runtime through its handle, from outside any runtime. */
static void *foreign_thread(void *arg)
{
    foreign *fo = arg;
    usleep(fo->delay_us);
    ck_assert_ptr_null(tk_handle_try_current());
    for (int i = 0; i < FOREIGN_TASKS; i++) {
        counted c = { .base = { &counted_vtable }, .ran = &fo->ran, .drops = &fo->drops };
        ck_assert_int_eq(tk_spawn_on(fo->h, &c.base, sizeof c, &fo->handles[i]), 0);
    }
    for (int fired = 0; fo->notify && fired < 1 + fo->pings;) {
        if (point_try_fire(fo->notify, 0))
            fired++;
        else
            sched_yield();
    }
    return NULL;
}

typedef struct join_all_main {
    rt_future base;
    rt_async co;
    foreign *fo;
    int i;
    wake_point *wait;        /* await this point 1 + fo->pings times first, if set */
    int rounds;
} join_all_main;

/* join_all_main_poll: (optionally wait to be told, then ping-pong), then join every task. */
static rt_poll join_all_main_poll(rt_future *f, rt_context *cx)
{
    join_all_main *m = (join_all_main *)f;
    RT_BEGIN(&m->co);
    while (m->wait && m->rounds < 1 + m->fo->pings) {
        if (point_poll(m->wait, cx))
            m->rounds++;
        else
            return RT_PENDING; /* woken only by the foreign thread's fire */
    }
    for (m->i = 0; m->i < FOREIGN_TASKS; m->i++) {
        RT_AWAIT(&m->co, &m->fo->handles[m->i], cx);
        ck_assert_int_eq(m->fo->handles[m->i].outcome, RT_OUTCOME_OK);
        rt_join_handle_detach(&m->fo->handles[m->i]);
    }
    RT_END(&m->co);
}

static const rt_future_vtable join_all_main_vtable = { join_all_main_poll, NULL, "join_all" };

/* test_current_thread_spawn_on_before_block_on: queued tasks wait for block_on, then run. */
START_TEST(test_current_thread_spawn_on_before_block_on)
{
    tk_runtime *rt = build(TK_CURRENT_THREAD, 0);
    foreign fo = { .h = tk_runtime_handle(rt) };
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, foreign_thread, &fo), 0);
    pthread_join(th, NULL);
    usleep(20 * 1000);
    /* Nobody is inside block_on: on current_thread nothing runs the tasks yet. */
    ck_assert_int_eq(atomic_load(&fo.ran), 0);
    join_all_main m = { .base = { &join_all_main_vtable }, .fo = &fo };
    tk_runtime_block_on(rt, &m.base);
    ck_assert_int_eq(atomic_load(&fo.ran), FOREIGN_TASKS);
    tk_runtime_free(rt);
    rt_check_tasks_balanced();
}
END_TEST

/* test_spawn_on_and_remote_wakes_reach_block_on: a foreign thread's spawns and wakes reach it. */
START_TEST(test_spawn_on_and_remote_wakes_reach_block_on)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        wake_point wp = { .state = IDLE, .waker = RT_WAKER_EMPTY };
        pthread_mutex_init(&wp.lock, NULL);
        foreign fo = { .h = tk_runtime_handle(rt), .delay_us = 30 * 1000, .notify = &wp,
                       .pings = 2000 };
        join_all_main m = { .base = { &join_all_main_vtable }, .fo = &fo, .wait = &wp };
        pthread_t th;
        ck_assert_int_eq(pthread_create(&th, NULL, foreign_thread, &fo), 0);
        /* block_on parks (the main future waits on wp) until the foreign thread has spawned
         * its tasks and fired; then 2000 more fires, each one a remote wake of this thread. */
        tk_runtime_block_on(rt, &m.base);
        pthread_join(th, NULL);
        ck_assert_int_eq(atomic_load(&fo.ran), FOREIGN_TASKS);
        ck_assert_int_eq(wp.fires, 1 + fo.pings);
        ck_assert(rt_waker_is_empty(&wp.waker));
        tk_runtime_free(rt);
        pthread_mutex_destroy(&wp.lock);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* test_current_thread_never_run_tasks_dropped_at_free: free cancels them; their handles say so. */
START_TEST(test_current_thread_never_run_tasks_dropped_at_free)
{
    tk_runtime *rt = build(TK_CURRENT_THREAD, 0);
    foreign fo = { .h = tk_runtime_handle(rt) };
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, foreign_thread, &fo), 0);
    pthread_join(th, NULL);
    tk_runtime_free(rt);
    ck_assert_int_eq(atomic_load(&fo.ran), 0);
    ck_assert_int_eq(atomic_load(&fo.drops), FOREIGN_TASKS);
    for (int i = 0; i < FOREIGN_TASKS; i++) {
        ck_assert(rt_join_handle_is_finished(&fo.handles[i]));
        /* The handle outlives the runtime: it still reads the outcome. */
        rt_waker noop = rt_waker_noop();
        rt_context cx = { &noop };
        ck_assert_int_eq(rt_future_poll(&fo.handles[i].base, &cx), RT_READY);
        ck_assert_int_eq(fo.handles[i].outcome, RT_OUTCOME_CANCELLED);
        rt_join_handle_detach(&fo.handles[i]);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- current_thread: a second block_on polls its future while the first holds the core --- */
typedef struct fire_main {
    rt_future base;
    wake_point *p;
    _Atomic int fired;   /* also set by the test to let B finish when it unsticks A */
} fire_main;

/* fire_main_poll: fire the point the other block_on waits on (retrying until it is armed). */
static rt_poll fire_main_poll(rt_future *f, rt_context *cx)
{
    fire_main *m = (fire_main *)f;
    if (!atomic_load(&m->fired) && !point_try_fire(m->p, 0)) {
        rt_waker_wake_by_ref(cx->waker); /* not armed yet: poll again soon */
        return RT_PENDING;
    }
    atomic_store(&m->fired, 1);
    return RT_READY;
}

static const rt_future_vtable fire_main_vtable = { fire_main_poll, NULL, "fire_main" };

typedef struct wait_main {
    rt_future base;
    wake_point *p;
} wait_main;

/* wait_main_poll: one round on the point. */
static rt_poll wait_main_poll(rt_future *f, rt_context *cx)
{
    wait_main *m = (wait_main *)f;
    return point_poll(m->p, cx) ? RT_READY : RT_PENDING;
}

static const rt_future_vtable wait_main_vtable = { wait_main_poll, NULL, "wait_main" };

typedef struct block_on_arg {
    tk_runtime *rt;
    rt_future *fut;
    _Atomic int done;
} block_on_arg;

/* block_on_thread: block_on from a thread of its own. */
static void *block_on_thread(void *arg)
{
    block_on_arg *a = arg;
    tk_runtime_block_on(a->rt, a->fut);
    atomic_store(&a->done, 1);
    return NULL;
}

/* test_current_thread_concurrent_block_on: waiting for the core, block_on still polls its future. */
START_TEST(test_current_thread_concurrent_block_on)
{
    /* tokio's CurrentThread::block_on: a thread that cannot take the core (another block_on
     * holds it) still polls its own future while it waits for the core. So B, whose future
     * is what A waits for, must finish while A is still blocked. */
    tk_runtime *rt = build(TK_CURRENT_THREAD, 0);
    wake_point wp = { .state = IDLE, .waker = RT_WAKER_EMPTY };
    pthread_mutex_init(&wp.lock, NULL);
    wait_main wa = { .base = { &wait_main_vtable }, .p = &wp };
    fire_main fb = { .base = { &fire_main_vtable }, .p = &wp };
    block_on_arg a = { .rt = rt, .fut = &wa.base }, b = { .rt = rt, .fut = &fb.base };
    pthread_t ta, tb;
    ck_assert_int_eq(pthread_create(&ta, NULL, block_on_thread, &a), 0);
    while (1) { /* A holds the core and waits on the point */
        pthread_mutex_lock(&wp.lock);
        int armed = wp.state == WAITING;
        pthread_mutex_unlock(&wp.lock);
        if (armed)
            break;
        usleep(1000);
    }
    ck_assert_int_eq(pthread_create(&tb, NULL, block_on_thread, &b), 0);
    uint64_t deadline = rt_monotonic_ns() + 5000000000ull; /* only to tell "stuck" apart */
    while (!atomic_load(&b.done) && rt_monotonic_ns() < deadline)
        usleep(1000);
    int b_finished = atomic_load(&b.done);
    if (!b_finished) {
        atomic_store(&fb.fired, 1); /* B completes at its next poll, */
        point_try_fire(&wp, 0);     /* and A is unstuck, so B gets the core: the test ends */
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    tk_runtime_free(rt);
    pthread_mutex_destroy(&wp.lock);
    ck_assert_msg(b_finished, "a second block_on on a current_thread runtime did not poll its "
                              "future while the first one held the core (deadlock in tokio "
                              "terms: tokio polls it)");
}
END_TEST

/* ---- an entered handle: spawn from a plain thread ------------------------------------------ */
START_TEST(test_enter_guard_spawn)
{
    tk_runtime *rt = build(TK_MULTI_THREAD, 2);
    _Atomic int ran = 0, drops = 0;
    ck_assert_ptr_null(tk_handle_try_current());
    tk_enter_guard g = tk_handle_enter(tk_runtime_handle(rt));
    ck_assert_ptr_eq(tk_handle_current(), tk_runtime_handle(rt));
    counted c = { .base = { &counted_vtable }, .ran = &ran, .drops = &drops };
    tk_join_handle jh;
    ck_assert_int_eq(tk_spawn(&c.base, sizeof c, &jh), 0);
    tk_enter_guard_drop(&g);
    ck_assert_ptr_null(tk_handle_try_current());
    /* Await the tk task's JoinHandle from the core's executor, on this thread: the task
     * completes on a tk worker, whose wake must reach this foreign executor. */
    rt_block_on(&jh.base);
    ck_assert_int_eq(jh.outcome, RT_OUTCOME_OK);
    ck_assert_int_eq(atomic_load(&ran), 1);
    rt_join_handle_detach(&jh);
    ck_assert_int_eq(atomic_load(&drops), 1);
    tk_runtime_free(rt);
    rt_check_tasks_balanced();
}
END_TEST

/* ---- a JoinHandle awaited by another executor, woken by the timer --------------------------- */
typedef struct later {
    rt_future base;
    int started;
    tk_sleep_fut s;
} later;

/* later_poll: ready 20 ms after the first poll. */
static rt_poll later_poll(rt_future *f, rt_context *cx)
{
    later *l = (later *)f;
    if (!l->started) {
        l->started = 1;
        l->s = tk_sleep(20);
    }
    return rt_future_poll(&l->s.base, cx);
}

/* later_drop: release the sleep if it was started. */
static void later_drop(rt_future *f)
{
    later *l = (later *)f;
    if (l->started)
        rt_future_drop(&l->s.base);
}

static const rt_future_vtable later_vtable = { later_poll, later_drop, "later" };

/* test_join_handle_awaited_by_foreign_executor: the core's block_on awaits a tk JoinHandle. */
START_TEST(test_join_handle_awaited_by_foreign_executor)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        later l = { .base = { &later_vtable } };
        tk_join_handle jh;
        ck_assert_int_eq(tk_spawn_on(tk_runtime_handle(rt), &l.base, sizeof l, &jh), 0);
        if (flavor == TK_CURRENT_THREAD) {
            /* Someone must drive a current_thread runtime: a block_on on another thread. */
            wake_point wp = { .state = IDLE, .waker = RT_WAKER_EMPTY };
            pthread_mutex_init(&wp.lock, NULL);
            wait_main w = { .base = { &wait_main_vtable }, .p = &wp };
            block_on_arg a = { .rt = rt, .fut = &w.base };
            pthread_t t;
            ck_assert_int_eq(pthread_create(&t, NULL, block_on_thread, &a), 0);
            rt_block_on(&jh.base);
            while (!point_try_fire(&wp, 0))
                usleep(1000);
            pthread_join(t, NULL);
            pthread_mutex_destroy(&wp.lock);
        } else {
            rt_block_on(&jh.base);
        }
        ck_assert_int_eq(jh.outcome, RT_OUTCOME_OK);
        rt_join_handle_detach(&jh);
        tk_runtime_free(rt);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* main: one suite, one case. */
int main(void)
{
    Suite *s = suite_create("tk_wake");
    TCase *tc = tcase_create("wake");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_wake_storm_multi_thread);
    tcase_add_test(tc, test_wake_storm_current_thread);
    tcase_add_test(tc, test_current_thread_spawn_on_before_block_on);
    tcase_add_test(tc, test_spawn_on_and_remote_wakes_reach_block_on);
    tcase_add_test(tc, test_current_thread_never_run_tasks_dropped_at_free);
    tcase_add_test(tc, test_current_thread_concurrent_block_on);
    tcase_add_test(tc, test_enter_guard_spawn);
    tcase_add_test(tc, test_join_handle_awaited_by_foreign_executor);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
