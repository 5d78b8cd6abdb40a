/* grade.c: lesson 07's grader -- FIFO turns, timers not starved by a yielder, remote wakes not starved by local ones. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"
#include "rt_async.h"
#include "rt_combinators.h"
#include "../03-wakers/thread_sleep.h"

enum { MAX_YIELDS = 1000000 };

/* spawn_detached: spawn on s and let the handle go; the test reads results through pointers. */
static void spawn_detached(st_runtime *s, const rt_future *f, size_t size)
{
    rt_join_handle jh;
    ck_assert_int_eq(st_spawn(s, f, size, &jh), 0);
    rt_join_handle_detach(&jh);
}

/* A task that logs its letter at each poll and yields `left` times. */
typedef struct letter_fut {
    rt_future base;
    char letter;
    int left;
    char *log;
} letter_fut;

/* letter_poll: log, then yield (wake self, pending) or finish. */
static rt_poll letter_poll(rt_future *f, rt_context *cx)
{
    letter_fut *l = (letter_fut *)f;
    size_t n = strlen(l->log);
    l->log[n] = l->letter;
    l->log[n + 1] = '\0';
    if (l->left == 0)
        return RT_READY;
    l->left--;
    rt_waker_wake_by_ref(cx->waker);
    return RT_PENDING;
}

static const rt_future_vtable letter_vtable = { .poll = letter_poll, .name = "letter" };

/* A task that yields until *stop is set, or MAX_YIELDS times; counts its yields. */
typedef struct yielder_fut {
    rt_future base;
    rt_async co;
    const int *stop;
    long *yields;
    rt_yield_fut y;
} yielder_fut;

/* yielder_poll: yield_now in a loop. */
static rt_poll yielder_poll(rt_future *f, rt_context *cx)
{
    yielder_fut *self = (yielder_fut *)f;
    RT_BEGIN(&self->co);
    while (!*self->stop && *self->yields < MAX_YIELDS) {
        self->y = rt_yield_now();
        RT_AWAIT(&self->co, &self->y, cx);
        (*self->yields)++;
    }
    RT_END(&self->co);
}

static const rt_future_vtable yielder_vtable = { .poll = yielder_poll, .name = "yielder" };

/* A task that sleeps on the runtime's timers, then sets *stop. */
typedef struct sleeper_fut {
    rt_future base;
    rt_async co;
    st_runtime *s;
    uint64_t ms;
    int *stop;
    int *polls;
    st_sleep_fut nap;
} sleeper_fut;

/* sleeper_poll: st_sleep, then raise the flag. */
static rt_poll sleeper_poll(rt_future *f, rt_context *cx)
{
    sleeper_fut *self = (sleeper_fut *)f;
    (*self->polls)++;
    RT_BEGIN(&self->co);
    self->nap = st_sleep(self->s, self->ms);
    RT_AWAIT(&self->co, &self->nap, cx);
    rt_future_drop(&self->nap.base);
    *self->stop = 1;
    RT_END(&self->co);
}

/* sleeper_drop: the sleep in flight. */
static void sleeper_drop(rt_future *f)
{
    rt_async_drop(&((sleeper_fut *)f)->co);
}

static const rt_future_vtable sleeper_vtable = { sleeper_poll, sleeper_drop, "sleeper" };

/* A task woken from another thread (lesson 03's thread_sleep), which then sets *stop. */
typedef struct remote_fut {
    rt_future base;
    rt_async co;
    int *stop;
    thread_sleep_fut nap;
} remote_fut;

/* remote_poll: await the helper thread's wake, then raise the flag. */
static rt_poll remote_poll(rt_future *f, rt_context *cx)
{
    remote_fut *self = (remote_fut *)f;
    RT_BEGIN(&self->co);
    self->nap = thread_sleep(5);
    RT_AWAIT(&self->co, &self->nap, cx);
    rt_future_drop(&self->nap.base);
    *self->stop = 1;
    RT_END(&self->co);
}

/* remote_drop: the sleep in flight (joins its thread). */
static void remote_drop(rt_future *f)
{
    rt_async_drop(&((remote_fut *)f)->co);
}

static const rt_future_vtable remote_vtable = { remote_poll, remote_drop, "remote" };

/* A task that spawns three letter tasks from inside the runtime (so onto the local queue). */
typedef struct spawner_fut {
    rt_future base;
    st_runtime *s;
    char *log;
} spawner_fut;

/* spawner_poll: spawn A, B and C, then finish. */
static rt_poll spawner_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    spawner_fut *self = (spawner_fut *)f;
    for (char c = 'A'; c <= 'C'; c++) {
        letter_fut l = { { &letter_vtable }, c, 2, self->log };
        spawn_detached(self->s, &l.base, sizeof l);
    }
    return RT_READY;
}

static const rt_future_vtable spawner_vtable = { .poll = spawner_poll, .name = "spawner" };

START_TEST(test_fifo_turns)
{
    static st_runtime s;
    ck_assert_int_eq(st_init(&s), 0);
    char log[64] = "";
    spawner_fut sp = { .base = { &spawner_vtable }, .s = &s, .log = log };
    spawn_detached(&s, &sp.base, sizeof sp);
    st_run(&s);
    ck_assert_msg(strcmp(log, "ABCABCABC") == 0, "three tasks yielding twice ran as \"%s\"; a "
                  "FIFO run queue gives each a turn: \"ABCABCABC\"", log);
    st_free(&s);
}
END_TEST

START_TEST(test_yielder_does_not_starve_timers)
{
    static st_runtime s;
    ck_assert_int_eq(st_init(&s), 0);
    int stop = 0, polls = 0;
    long yields = 0;
    yielder_fut y = { .base = { &yielder_vtable }, .stop = &stop, .yields = &yields };
    sleeper_fut z = { .base = { &sleeper_vtable }, .s = &s, .ms = 5, .stop = &stop, .polls = &polls };
    spawn_detached(&s, &y.base, sizeof y);
    spawn_detached(&s, &z.base, sizeof z);
    st_run(&s);
    ck_assert_msg(yields < MAX_YIELDS, "a 5 ms sleep did not end until the yielder gave up after "
                  "%d yields: the timers are only looked at when the run queue is empty -- poll "
                  "the driver every ST_EVENT_INTERVAL tasks", MAX_YIELDS);
    ck_assert_msg(s.driver_polls > 0, "st_driver_poll(s, 0) was never called");
    st_free(&s);
}
END_TEST

START_TEST(test_remote_wake_not_starved)
{
    static st_runtime s;
    ck_assert_int_eq(st_init(&s), 0);
    int stop = 0;
    long y1 = 0, y2 = 0;
    yielder_fut a = { .base = { &yielder_vtable }, .stop = &stop, .yields = &y1 };
    yielder_fut b = { .base = { &yielder_vtable }, .stop = &stop, .yields = &y2 };
    remote_fut r = { .base = { &remote_vtable }, .stop = &stop };
    spawn_detached(&s, &r.base, sizeof r);
    spawn_detached(&s, &a.base, sizeof a);
    spawn_detached(&s, &b.base, sizeof b);
    st_run(&s);
    ck_assert_msg(y1 < MAX_YIELDS && y2 < MAX_YIELDS,
                  "a task woken from another thread (inject queue) waited until two local "
                  "yielders gave up: look at the inject queue first every "
                  "ST_GLOBAL_QUEUE_INTERVAL ticks");
    st_free(&s);
}
END_TEST

START_TEST(test_idle_runtime_sleeps)
{
    static st_runtime s;
    ck_assert_int_eq(st_init(&s), 0);
    int stop = 0, polls = 0;
    sleeper_fut z = { .base = { &sleeper_vtable }, .s = &s, .ms = 30, .stop = &stop, .polls = &polls };
    spawn_detached(&s, &z.base, sizeof z);
    double wall0 = wall_ms(), cpu0 = thread_cpu_ms();
    st_run(&s);
    double wall = wall_ms() - wall0, cpu = thread_cpu_ms() - cpu0;
    ck_assert_int_eq(stop, 1);
    ck_assert_msg(polls == 2, "a lone 30 ms sleeper was polled %d times, want 2", polls);
    ck_assert_msg(s.parks >= 1, "the runtime never slept");
    ck_assert_msg(cpu / wall < 0.10, "the idle runtime used %.0f ms of CPU in %.0f ms", cpu, wall);
    st_free(&s);
}
END_TEST

/* main: run the suite; exit 0 only if every check passed. */
int main(void)
{
    Suite *s = suite_create("lesson 07: a single-threaded scheduler");
    TCase *tc = tcase_create("st_run");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_fifo_turns);
    tcase_add_test(tc, test_yielder_does_not_starve_timers);
    tcase_add_test(tc, test_remote_wake_not_starved);
    tcase_add_test(tc, test_idle_runtime_sleeps);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
