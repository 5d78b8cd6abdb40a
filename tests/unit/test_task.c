/* test_task.c: the task state machine -- wakes, aborts, completion, join, references. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>

#include "rt_alloc.h"
#include "rt_join_handle.h"
#include "rt_testkit.h"

static rt_test_sched sched;

/* setup/teardown: a fresh manual scheduler per test. */
static void setup(void)
{
    rt_test_sched_init(&sched);
}

static void teardown(void)
{
    rt_test_sched_destroy(&sched);
}

/* spawn_probe: spawn a probe on the manual scheduler (no owned list). */
static rt_join_handle spawn_probe(rt_probe *p)
{
    rt_join_handle jh;
    ck_assert_int_eq(rt_task_spawn(NULL, &p->base, sizeof *p, &rt_test_sched_vtable, &sched, &jh), 0);
    return jh;
}

/* poll_join: poll a JoinHandle once with a no-op waker. */
static rt_poll poll_join(rt_join_handle *jh)
{
    rt_waker w = rt_waker_noop();
    rt_context cx = { &w };
    return rt_future_poll(&jh->base, &cx);
}

START_TEST(test_spawn_schedules_once_and_completes)
{
    _Atomic int polls = 0, drops = 0;
    rt_probe p = rt_probe_new(&polls, &drops);
    rt_join_handle jh = spawn_probe(&p);
    ck_assert_int_eq(atomic_load(&sched.schedules), 1);
    ck_assert_int_eq(poll_join(&jh), RT_PENDING);
    ck_assert_int_eq(rt_test_sched_run(&sched), 1);
    ck_assert_int_eq(polls, 1);
    ck_assert_int_eq(poll_join(&jh), RT_READY);
    ck_assert_int_eq(jh.outcome, RT_OUTCOME_OK);
    rt_probe *done = (rt_probe *)rt_join_handle_output(&jh);
    ck_assert_ptr_nonnull(done);
    ck_assert_int_eq(done->output, 42);
    ck_assert_int_eq(drops, 0); /* the output is still held for the handle */
    rt_join_handle_detach(&jh);
    ck_assert_int_eq(drops, 1);
    rt_check_tasks_balanced();
}
END_TEST

START_TEST(test_wake_idle_schedules_exactly_once)
{
    _Atomic int polls = 0, drops = 0;
    rt_waker stash = RT_WAKER_EMPTY;
    rt_probe p = rt_probe_new(&polls, &drops);
    p.pending_polls = 1;
    p.stash = &stash;
    rt_join_handle jh = spawn_probe(&p);
    rt_test_sched_run(&sched);
    ck_assert_int_eq(polls, 1);
    long before = atomic_load(&sched.schedules);
    /* Three wakes of an idle task: one schedule. The 2nd and 3rd find NOTIFIED set. */
    rt_waker_wake_by_ref(&stash);
    rt_waker_wake_by_ref(&stash);
    rt_waker second = rt_waker_clone(&stash);
    rt_waker_wake(&second);
    ck_assert_int_eq(atomic_load(&sched.schedules), before + 1);
    ck_assert_int_eq(atomic_load(&sched.double_schedules), 0);
    ck_assert_int_eq(rt_test_sched_run(&sched), 1);
    ck_assert_int_eq(polls, 2);
    ck_assert(rt_join_handle_is_finished(&jh));
    rt_waker_drop(&stash);
    rt_join_handle_detach(&jh);
    rt_check_tasks_balanced();
}
END_TEST

START_TEST(test_wake_while_running_reschedules_after_poll)
{
    _Atomic int polls = 0, drops = 0;
    rt_probe p = rt_probe_new(&polls, &drops);
    p.pending_polls = 3;
    p.wake_self = 1; /* the wake arrives while RUNNING: it must not be lost, nor doubled */
    rt_join_handle jh = spawn_probe(&p);
    ck_assert_int_eq(rt_test_sched_run(&sched), 4);
    ck_assert_int_eq(polls, 4);
    ck_assert_int_eq(atomic_load(&sched.schedules), 4);
    ck_assert_int_eq(atomic_load(&sched.double_schedules), 0);
    ck_assert_int_eq(poll_join(&jh), RT_READY);
    rt_join_handle_detach(&jh);
    rt_check_tasks_balanced();
}
END_TEST

START_TEST(test_wake_after_complete_does_nothing)
{
    _Atomic int polls = 0, drops = 0;
    rt_waker stash = RT_WAKER_EMPTY;
    rt_probe p = rt_probe_new(&polls, &drops);
    p.pending_polls = 1;
    p.stash = &stash;
    rt_join_handle jh = spawn_probe(&p);
    rt_test_sched_run(&sched);
    rt_waker_wake_by_ref(&stash);
    rt_test_sched_run(&sched);
    ck_assert(rt_join_handle_is_finished(&jh));
    long before = atomic_load(&sched.schedules);
    rt_waker_wake_by_ref(&stash);
    rt_waker_wake(&stash); /* consumes the last waker reference */
    ck_assert_int_eq(atomic_load(&sched.schedules), before);
    ck_assert_int_eq(polls, 2);
    rt_join_handle_detach(&jh);
    rt_check_tasks_balanced();
}
END_TEST

START_TEST(test_last_reference_in_a_waker_frees_the_task)
{
    _Atomic int polls = 0, drops = 0;
    rt_waker stash = RT_WAKER_EMPTY;
    rt_probe p = rt_probe_new(&polls, &drops);
    p.pending_polls = 1;
    p.stash = &stash;
    rt_join_handle jh = spawn_probe(&p);
    rt_join_handle_detach(&jh);
    rt_test_sched_run(&sched); /* pending; only the waker keeps it alive now */
    ck_assert_uint_eq(rt_task_count_allocated(), rt_task_count_freed() + 1);
    rt_waker_wake(&stash);     /* queued: the reference moves to the queue */
    rt_test_sched_run(&sched); /* completes; nobody wants the output: dropped at once */
    ck_assert_int_eq(drops, 1);
    rt_check_tasks_balanced();
}
END_TEST

START_TEST(test_abort_while_idle)
{
    _Atomic int polls = 0, drops = 0;
    rt_waker stash = RT_WAKER_EMPTY;
    rt_probe p = rt_probe_new(&polls, &drops);
    p.pending_polls = 100;
    p.stash = &stash;
    rt_join_handle jh = spawn_probe(&p);
    rt_test_sched_run(&sched);
    rt_join_handle_abort(&jh);
    /* The future is dropped on a runtime thread, not by abort itself. */
    ck_assert_int_eq(drops, 0);
    ck_assert_int_eq(rt_test_sched_run(&sched), 1);
    ck_assert_int_eq(drops, 1);
    ck_assert_int_eq(polls, 1); /* cancelled, never polled again */
    ck_assert_int_eq(poll_join(&jh), RT_READY);
    ck_assert_int_eq(jh.outcome, RT_OUTCOME_CANCELLED);
    ck_assert_ptr_null(rt_join_handle_output(&jh));
    rt_join_handle_abort(&jh); /* idempotent */
    rt_waker_drop(&stash);
    rt_join_handle_detach(&jh);
    rt_check_tasks_balanced();
}
END_TEST

START_TEST(test_abort_while_queued)
{
    _Atomic int polls = 0, drops = 0;
    rt_probe p = rt_probe_new(&polls, &drops);
    rt_join_handle jh = spawn_probe(&p);
    rt_join_handle_abort(&jh); /* still in the queue from spawn */
    ck_assert_int_eq(atomic_load(&sched.schedules), 1);
    rt_test_sched_run(&sched);
    ck_assert_int_eq(polls, 0);
    ck_assert_int_eq(drops, 1);
    ck_assert_int_eq(poll_join(&jh), RT_READY);
    ck_assert_int_eq(jh.outcome, RT_OUTCOME_CANCELLED);
    rt_join_handle_detach(&jh);
    rt_check_tasks_balanced();
}
END_TEST

/* A future that aborts its own task from inside its poll: "abort while running". */
typedef struct self_abort {
    rt_future base;
    rt_join_handle *jh;
    _Atomic int *drops;
} self_abort;

static rt_poll self_abort_poll(rt_future *f, rt_context *cx)
{
    self_abort *s = (self_abort *)f;
    rt_join_handle_abort(s->jh);
    rt_waker_wake_by_ref(cx->waker); /* even woken, a cancelled task is not polled again */
    return RT_PENDING;
}

static void self_abort_drop(rt_future *f)
{
    atomic_fetch_add(((self_abort *)f)->drops, 1);
}

static const rt_future_vtable self_abort_vtable = { self_abort_poll, self_abort_drop, "self_abort" };

START_TEST(test_abort_while_running)
{
    _Atomic int drops = 0;
    rt_join_handle jh;
    self_abort s = { { &self_abort_vtable }, &jh, &drops };
    ck_assert_int_eq(rt_task_spawn(NULL, &s.base, sizeof s, &rt_test_sched_vtable, &sched, &jh), 0);
    ck_assert_int_eq(rt_test_sched_run(&sched), 1);
    ck_assert_int_eq(drops, 1);
    ck_assert_int_eq(poll_join(&jh), RT_READY);
    ck_assert_int_eq(jh.outcome, RT_OUTCOME_CANCELLED);
    rt_join_handle_detach(&jh);
    rt_check_tasks_balanced();
}
END_TEST

START_TEST(test_abort_after_complete_keeps_output)
{
    _Atomic int polls = 0, drops = 0;
    rt_probe p = rt_probe_new(&polls, &drops);
    rt_join_handle jh = spawn_probe(&p);
    rt_test_sched_run(&sched);
    rt_join_handle_abort(&jh);
    ck_assert_int_eq(rt_test_sched_run(&sched), 0);
    ck_assert_int_eq(poll_join(&jh), RT_READY);
    ck_assert_int_eq(jh.outcome, RT_OUTCOME_OK);
    ck_assert_int_eq(((rt_probe *)rt_join_handle_output(&jh))->output, 42);
    ck_assert_int_eq(drops, 0);
    rt_join_handle_detach(&jh);
    ck_assert_int_eq(drops, 1);
    rt_check_tasks_balanced();
}
END_TEST

START_TEST(test_detach_before_complete_task_drops_output)
{
    _Atomic int polls = 0, drops = 0;
    rt_probe p = rt_probe_new(&polls, &drops);
    rt_join_handle jh = spawn_probe(&p);
    rt_join_handle_detach(&jh);
    ck_assert_ptr_null(jh.task);
    rt_join_handle_detach(&jh); /* a second detach is a no-op */
    rt_test_sched_run(&sched);
    ck_assert_int_eq(polls, 1);
    ck_assert_int_eq(drops, 1);
    rt_check_tasks_balanced();
}
END_TEST

/* A waker that counts, to see the JoinHandle's waker being woken and released. */
static _Atomic int cw_wakes, cw_refs;
static const rt_waker_vtable counting_vtable;
static rt_waker cw_clone(const void *d) { atomic_fetch_add(&cw_refs, 1); return (rt_waker){ &counting_vtable, d }; }
static void cw_wake(const void *d) { (void)d; atomic_fetch_add(&cw_wakes, 1); atomic_fetch_sub(&cw_refs, 1); }
static void cw_wake_by_ref(const void *d) { (void)d; atomic_fetch_add(&cw_wakes, 1); }
static void cw_drop(const void *d) { (void)d; atomic_fetch_sub(&cw_refs, 1); }
static const rt_waker_vtable counting_vtable = { cw_clone, cw_wake, cw_wake_by_ref, cw_drop };

START_TEST(test_join_waker_woken_on_completion_and_replaced)
{
    _Atomic int polls = 0, drops = 0;
    rt_probe p = rt_probe_new(&polls, &drops);
    rt_join_handle jh = spawn_probe(&p);
    static int a, b;
    rt_waker wa = { &counting_vtable, &a }, wb = { &counting_vtable, &b };
    rt_context ca = { &wa }, cb = { &wb };
    atomic_store(&cw_wakes, 0);
    atomic_store(&cw_refs, 0);
    ck_assert_int_eq(rt_future_poll(&jh.base, &ca), RT_PENDING);
    ck_assert_int_eq(cw_refs, 1);
    ck_assert_int_eq(rt_future_poll(&jh.base, &ca), RT_PENDING); /* same waker: no new clone */
    ck_assert_int_eq(cw_refs, 1);
    ck_assert_int_eq(rt_future_poll(&jh.base, &cb), RT_PENDING); /* replaced: old one released */
    ck_assert_int_eq(cw_refs, 1);
    rt_test_sched_run(&sched);
    ck_assert_int_eq(cw_wakes, 1);
    ck_assert_int_eq(rt_future_poll(&jh.base, &cb), RT_READY);
    rt_join_handle_detach(&jh);
    ck_assert_int_eq(cw_refs, 0); /* released when the task was freed */
    rt_check_tasks_balanced();
}
END_TEST

START_TEST(test_panic_in_task_is_caught)
{
    _Atomic int polls = 0, drops = 0;
    rt_probe bad = rt_probe_new(&polls, &drops);
    bad.panic_on_poll = 2;
    bad.pending_polls = 5;
    bad.wake_self = 1;
    rt_join_handle jbad = spawn_probe(&bad);
    _Atomic int gpolls = 0, gdrops = 0;
    rt_probe good = rt_probe_new(&gpolls, &gdrops);
    good.pending_polls = 3;
    good.wake_self = 1;
    rt_join_handle jgood = spawn_probe(&good);
    rt_test_sched_run(&sched);
    ck_assert_int_eq(polls, 2);
    ck_assert_int_eq(drops, 1); /* the panicking future was dropped */
    ck_assert_int_eq(poll_join(&jbad), RT_READY);
    ck_assert_int_eq(jbad.outcome, RT_OUTCOME_PANICKED);
    ck_assert_str_eq(rt_join_handle_panic_message(&jbad), "probe panicked on poll 2");
    /* and the other task ran to completion on the same scheduler */
    ck_assert_int_eq(poll_join(&jgood), RT_READY);
    ck_assert_int_eq(jgood.outcome, RT_OUTCOME_OK);
    ck_assert_int_eq(gpolls, 4);
    rt_join_handle_detach(&jbad);
    rt_join_handle_detach(&jgood);
    rt_check_tasks_balanced();
}
END_TEST

START_TEST(test_owned_list_shutdown_cancels_everything)
{
    rt_task_list list;
    ck_assert_int_eq(rt_task_list_init(&list), 0);
    _Atomic int polls = 0, drops = 0;
    rt_waker stash[8];
    rt_join_handle jh[8];
    for (int i = 0; i < 8; i++) {
        stash[i] = RT_WAKER_EMPTY;
        rt_probe p = rt_probe_new(&polls, &drops);
        p.pending_polls = 1000;
        p.stash = &stash[i];
        ck_assert_int_eq(rt_task_spawn(&list, &p.base, sizeof p, &rt_test_sched_vtable, &sched, &jh[i]), 0);
        if (i % 2)
            rt_join_handle_detach(&jh[i]);
    }
    rt_test_sched_run(&sched);
    ck_assert_uint_eq(rt_task_list_len(&list), 8);
    rt_waker_wake_by_ref(&stash[0]); /* one sits in the queue during shutdown */
    rt_task_list_close_and_shutdown(&list);
    ck_assert_uint_eq(rt_task_list_len(&list), 0);
    ck_assert_int_eq(drops, 8);
    ck_assert_int_eq(rt_test_sched_run(&sched), 1); /* the stale entry just drops its ref */
    ck_assert_int_eq(polls, 8);
    for (int i = 0; i < 8; i += 2) {
        ck_assert_int_eq(poll_join(&jh[i]), RT_READY);
        ck_assert_int_eq(jh[i].outcome, RT_OUTCOME_CANCELLED);
        rt_join_handle_detach(&jh[i]);
    }
    /* spawning on a closed list: cancelled at once, never scheduled */
    rt_probe late = rt_probe_new(&polls, &drops);
    rt_join_handle jl;
    long before = atomic_load(&sched.schedules);
    ck_assert_int_eq(rt_task_spawn(&list, &late.base, sizeof late, &rt_test_sched_vtable, &sched, &jl), 0);
    ck_assert_int_eq(atomic_load(&sched.schedules), before);
    ck_assert_int_eq(poll_join(&jl), RT_READY);
    ck_assert_int_eq(jl.outcome, RT_OUTCOME_CANCELLED);
    rt_join_handle_detach(&jl);
    for (int i = 0; i < 8; i++)
        rt_waker_drop(&stash[i]);
    rt_task_list_destroy(&list);
    rt_check_tasks_balanced();
}
END_TEST

START_TEST(test_spawn_out_of_memory)
{
    _Atomic int polls = 0, drops = 0;
    rt_probe p = rt_probe_new(&polls, &drops);
    rt_join_handle jh;
    rt_alloc_fail_after(1);
    ck_assert_int_eq(rt_task_spawn(NULL, &p.base, sizeof p, &rt_test_sched_vtable, &sched, &jh), -ENOMEM);
    ck_assert_int_eq(atomic_load(&sched.schedules), 0);
    rt_check_tasks_balanced();
}
END_TEST

/* ---- the stress test: concurrent wakes against two polling threads ----------------------- */

/*
 * Producers bump `produced`, wake the task, and then wait until the task has observed their
 * increment. So every single wake matters: if one is lost, the task stays parked having seen
 * less than was produced, its producer waits forever, and the test times out. The scheduler counts a task pushed
 * while already queued (a doubled wake), and the future counts overlapping polls (two threads
 * polling one task at once), both of which the state word must make impossible.
 */
enum { STRESS_PRODUCERS = 3, STRESS_WAKES = 100000, STRESS_EXECUTORS = 2 };
static _Atomic long produced, observed;
static _Atomic long stress_doubles, stress_overlaps, stress_polls;
static _Atomic int stress_done;
static rt_inject stress_queue;
static sem_t stress_sem;

typedef struct stress_fut {
    rt_future base;
    _Atomic int queued;
    _Atomic int in_poll;
} stress_fut;

static rt_poll stress_poll(rt_future *f, rt_context *cx)
{
    stress_fut *s = (stress_fut *)f;
    (void)cx;
    if (atomic_exchange(&s->in_poll, 1))
        atomic_fetch_add(&stress_overlaps, 1);
    atomic_fetch_add(&stress_polls, 1);
    long seen = atomic_load(&produced);
    atomic_store(&observed, seen);
    /* Linger after reading: widens the window in which a wake lands while RUNNING, the case
     * a broken state machine loses. */
    for (volatile int spin = 0; spin < 300; spin++)
        ;
    atomic_store(&s->in_poll, 0);
    return seen == (long)STRESS_PRODUCERS * STRESS_WAKES ? RT_READY : RT_PENDING;
}

static const rt_future_vtable stress_vtable = { stress_poll, NULL, "stress" };

static void stress_schedule(rt_task *task)
{
    stress_fut *s = (stress_fut *)rt_task_future(task);
    if (atomic_exchange(&s->queued, 1))
        atomic_fetch_add(&stress_doubles, 1);
    ck_assert_int_eq(rt_inject_push(&stress_queue, &task->queue_node), 0);
    sem_post(&stress_sem);
}

static const rt_task_vtable stress_sched_vtable = { .schedule = stress_schedule };

static void *stress_producer(void *arg)
{
    rt_waker waker = *(rt_waker *)arg; /* our own clone, made by the main thread */
    for (int i = 0; i < STRESS_WAKES; i++) {
        long mine = atomic_fetch_add(&produced, 1) + 1;
        if (i % 2) {
            rt_waker_wake_by_ref(&waker);
        } else {
            rt_waker w = rt_waker_clone(&waker);
            rt_waker_wake(&w);
        }
        while (atomic_load(&observed) < mine)
            sched_yield();
    }
    rt_waker_drop(&waker);
    return NULL;
}

static void *stress_executor(void *arg)
{
    (void)arg;
    for (;;) {
        sem_wait(&stress_sem);
        if (atomic_load(&stress_done))
            return NULL;
        rt_qnode *n = rt_inject_pop(&stress_queue);
        ck_assert_ptr_nonnull(n);
        rt_task *task = rt_task_of(n);
        atomic_store(&((stress_fut *)rt_task_future(task))->queued, 0);
        rt_task_run(task);
    }
}

START_TEST(test_stress_no_lost_or_doubled_wakes)
{
    ck_assert_int_eq(rt_inject_init(&stress_queue), 0);
    ck_assert_int_eq(sem_init(&stress_sem, 0, 0), 0);
    stress_fut f = { .base = { &stress_vtable } };
    rt_join_handle jh;
    ck_assert_int_eq(rt_task_spawn(NULL, &f.base, sizeof f, &stress_sched_vtable, NULL, &jh), 0);

    pthread_t exec[STRESS_EXECUTORS], prod[STRESS_PRODUCERS];
    rt_waker wakers[STRESS_PRODUCERS];
    for (int i = 0; i < STRESS_EXECUTORS; i++)
        pthread_create(&exec[i], NULL, stress_executor, NULL);
    for (int i = 0; i < STRESS_PRODUCERS; i++) {
        wakers[i] = rt_task_waker(jh.task);
        pthread_create(&prod[i], NULL, stress_producer, &wakers[i]);
    }
    for (int i = 0; i < STRESS_PRODUCERS; i++)
        pthread_join(prod[i], NULL);
    /* Wait for the task with a real waker-less poll loop: finishing needs the last wake. */
    while (!rt_join_handle_is_finished(&jh))
        sched_yield();
    atomic_store(&stress_done, 1);
    for (int i = 0; i < STRESS_EXECUTORS; i++)
        sem_post(&stress_sem);
    for (int i = 0; i < STRESS_EXECUTORS; i++)
        pthread_join(exec[i], NULL);

    ck_assert_int_eq(poll_join(&jh), RT_READY);
    ck_assert_int_eq(jh.outcome, RT_OUTCOME_OK);
    ck_assert_int_eq(atomic_load(&stress_doubles), 0);
    ck_assert_int_eq(atomic_load(&stress_overlaps), 0);
    ck_assert_int_le(atomic_load(&stress_polls), (long)STRESS_PRODUCERS * STRESS_WAKES + 1);
    rt_join_handle_detach(&jh);
    /* Late queue entries (woken after the last poll began) each hold a reference. */
    rt_qnode *n;
    while ((n = rt_inject_pop(&stress_queue)) != NULL)
        rt_task_run(rt_task_of(n));
    rt_inject_destroy(&stress_queue);
    sem_destroy(&stress_sem);
    rt_check_tasks_balanced();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("task");
    TCase *tc = tcase_create("states");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_spawn_schedules_once_and_completes);
    tcase_add_test(tc, test_wake_idle_schedules_exactly_once);
    tcase_add_test(tc, test_wake_while_running_reschedules_after_poll);
    tcase_add_test(tc, test_wake_after_complete_does_nothing);
    tcase_add_test(tc, test_last_reference_in_a_waker_frees_the_task);
    tcase_add_test(tc, test_abort_while_idle);
    tcase_add_test(tc, test_abort_while_queued);
    tcase_add_test(tc, test_abort_while_running);
    tcase_add_test(tc, test_abort_after_complete_keeps_output);
    tcase_add_test(tc, test_detach_before_complete_task_drops_output);
    tcase_add_test(tc, test_join_waker_woken_on_completion_and_replaced);
    tcase_add_test(tc, test_panic_in_task_is_caught);
    tcase_add_test(tc, test_owned_list_shutdown_cancels_everything);
    tcase_add_test(tc, test_spawn_out_of_memory);
    suite_add_tcase(s, tc);
    TCase *stress = tcase_create("stress");
    tcase_set_timeout(stress, 60);
    tcase_add_test(stress, test_stress_no_lost_or_doubled_wakes);
    suite_add_tcase(s, stress);
    return rt_suite_run(s);
}
