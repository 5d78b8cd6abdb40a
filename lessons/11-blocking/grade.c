/* grade.c: lesson 11's grader -- lookup gives the right value, off the worker, and the other tasks keep running. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"
#include "lateness.h"

/*
 * The grader provides slow_lookup and watches it: which thread calls it, when each call
 * starts and ends, and how many calls are inside at once. Every runtime here is a
 * current_thread one, so "the thread that polls the tasks" is the test's own thread, and a
 * lookup that blocks it stops every other task for certain, on any machine.
 */

static int block_ms = 30;                 /* how long one slow_lookup blocks */
static int wait_for_partner;              /* test 4: block until a second call is inside */
static char caller_name[16];              /* the thread that made the last call (under lock) */
static pthread_mutex_t caller_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t call_start_ns, call_end_ns;
static _Atomic int inside, most_inside;

/* slow_lookup: the blocking call: block, then answer key * key + 1. */
long slow_lookup(long key)
{
    char name[16];
    pthread_getname_np(pthread_self(), name, sizeof name);
    pthread_mutex_lock(&caller_lock); /* two calls may run at once (test 4) */
    memcpy(caller_name, name, sizeof caller_name);
    pthread_mutex_unlock(&caller_lock);
    atomic_store(&call_start_ns, rt_monotonic_ns());
    int now = atomic_fetch_add(&inside, 1) + 1;
    int seen = atomic_load(&most_inside);
    while (now > seen && !atomic_compare_exchange_weak(&most_inside, &seen, now))
        continue;
    if (wait_for_partner) {
        /* Wait (up to 2 s) for the other lookup to be inside too; a lookup that blocks the
         * runtime's thread never lets the other one start, and times out. */
        for (int i = 0; i < 2000 && atomic_load(&most_inside) < 2; i++)
            block_thread_ms(1);
        block_thread_ms(5);
    } else {
        block_thread_ms((unsigned)block_ms);
    }
    atomic_fetch_sub(&inside, 1);
    atomic_store(&call_end_ns, rt_monotonic_ns());
    return key * key + 1;
}

/* new_runtime: a current_thread runtime with IO and time. */
static tk_runtime *new_runtime(void)
{
    tk_builder b = tk_builder_new_current_thread();
    tk_builder_enable_all(&b);
    tk_runtime *rt = NULL;
    ck_assert_int_eq(tk_builder_build(&b, &rt), 0);
    return rt;
}

/* A ticker that writes down when each tick ran. */
#define MAX_TICKS 8192
static uint64_t tick_at[MAX_TICKS];
static int ticks;

typedef struct tick_log_fut {
    rt_future base;
    rt_async co;
    _Atomic int *stop;
    tk_interval iv;
    tk_tick_fut tick;
} tick_log_fut;

/* tick_log_poll: every 1 ms, record the time, until told to stop. */
static rt_poll tick_log_poll(rt_future *f, rt_context *cx)
{
    tick_log_fut *t = (tick_log_fut *)f;
    RT_BEGIN(&t->co);
    t->iv = tk_interval_new(1);
    while (!atomic_load(t->stop)) {
        t->tick = tk_interval_tick(&t->iv);
        RT_AWAIT(&t->co, &t->tick, cx);
        if (ticks < MAX_TICKS)
            tick_at[ticks++] = rt_monotonic_ns();
    }
    RT_END(&t->co);
}

static void tick_log_drop(rt_future *f)
{
    rt_async_drop(&((tick_log_fut *)f)->co);
}

static const rt_future_vtable tick_log_vtable = { tick_log_poll, tick_log_drop, "tick_log" };

/* The main future of test 3: a ticker beside one lookup. */
typedef struct beside_fut {
    rt_future base;
    rt_async co;
    _Atomic int stop;
    tk_join_handle ticker;
    tk_sleep_fut warmup;
    lookup_fut lk;
} beside_fut;

/* beside_poll: start the ticker, let it run 20 ms, await the lookup, stop the ticker. */
static rt_poll beside_poll(rt_future *f, rt_context *cx)
{
    beside_fut *m = (beside_fut *)f;
    RT_BEGIN(&m->co);
    tick_log_fut t = { .base = { &tick_log_vtable }, .stop = &m->stop };
    ck_assert_int_eq(tk_spawn(&t.base, sizeof t, &m->ticker), 0);
    m->warmup = tk_sleep(20);
    RT_AWAIT(&m->co, &m->warmup, cx);
    m->lk = lookup(9);
    RT_AWAIT(&m->co, &m->lk, cx);
    rt_future_drop(&m->lk.base);
    atomic_store(&m->stop, 1);
    RT_AWAIT(&m->co, &m->ticker, cx);
    rt_join_handle_detach(&m->ticker);
    RT_END(&m->co);
}

static const rt_future_vtable beside_vtable = { beside_poll, NULL, "beside" };

/* A task that awaits one lookup (test 4 spawns two). */
typedef struct one_fut {
    rt_future base;
    rt_async co;
    lookup_fut lk;
} one_fut;

static rt_poll one_poll(rt_future *f, rt_context *cx)
{
    one_fut *o = (one_fut *)f;
    RT_BEGIN(&o->co);
    RT_AWAIT(&o->co, &o->lk, cx);
    RT_END(&o->co);
}

static void one_drop(rt_future *f)
{
    rt_future_drop(&((one_fut *)f)->lk.base);
}

static const rt_future_vtable one_vtable = { one_poll, one_drop, "one_lookup" };

/* Two lookups as two tasks, awaited together. */
typedef struct pair_fut {
    rt_future base;
    rt_async co;
    tk_join_handle a, b;
    long va, vb;
} pair_fut;

static rt_poll pair_poll(rt_future *f, rt_context *cx)
{
    pair_fut *p = (pair_fut *)f;
    RT_BEGIN(&p->co);
    one_fut a = { .base = { &one_vtable }, .lk = lookup(2) };
    one_fut b = { .base = { &one_vtable }, .lk = lookup(3) };
    ck_assert_int_eq(tk_spawn(&a.base, sizeof a, &p->a), 0);
    ck_assert_int_eq(tk_spawn(&b.base, sizeof b, &p->b), 0);
    RT_AWAIT(&p->co, &p->a, cx);
    RT_AWAIT(&p->co, &p->b, cx);
    ck_assert_int_eq(p->a.outcome, RT_OUTCOME_OK);
    ck_assert_int_eq(p->b.outcome, RT_OUTCOME_OK);
    p->va = ((one_fut *)rt_join_handle_output(&p->a))->lk.value;
    p->vb = ((one_fut *)rt_join_handle_output(&p->b))->lk.value;
    rt_join_handle_detach(&p->a);
    rt_join_handle_detach(&p->b);
    RT_END(&p->co);
}

static const rt_future_vtable pair_vtable = { pair_poll, NULL, "pair" };

START_TEST(test_value_is_right)
{
    tk_runtime *rt = new_runtime();
    for (long key = 0; key < 4; key++) {
        lookup_fut lk = lookup(key);
        tk_runtime_block_on(rt, &lk.base);
        ck_assert_msg(lk.value == key * key + 1, "lookup(%ld) gave %ld, want %ld (what "
                      "slow_lookup returned)", key, lk.value, key * key + 1);
        rt_future_drop(&lk.base);
    }
    tk_runtime_free(rt);
}
END_TEST

START_TEST(test_runs_on_the_blocking_pool)
{
    tk_runtime *rt = new_runtime();
    char mine[16];
    pthread_getname_np(pthread_self(), mine, sizeof mine);
    lookup_fut lk = lookup(5);
    tk_runtime_block_on(rt, &lk.base);
    rt_future_drop(&lk.base);
    tk_runtime_free(rt);
    ck_assert_msg(strcmp(caller_name, "tk-blocking") == 0,
                  "slow_lookup ran on thread '%s'%s; it must run on a blocking-pool thread, "
                  "'tk-blocking' (use tk_spawn_blocking)", caller_name,
                  strcmp(caller_name, mine) == 0 ? ", the very thread that polls the tasks" : "");
}
END_TEST

START_TEST(test_other_tasks_keep_running)
{
    /*
     * The ratio that is the point: ticks of a 1 ms interval that ran DURING the blocking call,
     * over the ticks the call's length would allow. A blocked runtime thread gets 0 (the
     * ticks come in a burst after the call); a free one gets most of them. A quarter is the
     * bar, so a loaded machine that runs the ticker late still passes.
     */
    block_ms = 200;
    tk_runtime *rt = new_runtime();
    beside_fut m = { .base = { &beside_vtable } };
    atomic_init(&m.stop, 0);
    tk_runtime_block_on(rt, &m.base);
    rt_future_drop(&m.base);
    tk_runtime_free(rt);
    uint64_t s = atomic_load(&call_start_ns), e = atomic_load(&call_end_ns);
    int during = 0;
    for (int i = 0; i < ticks; i++)
        during += tick_at[i] > s && tick_at[i] < e;
    double possible = (double)(e - s) / 1e6;
    ck_assert_msg(during >= possible / 4, "while slow_lookup blocked for %.0f ms, a 1 ms "
                  "interval on the same runtime ticked %d times (%.0f%% of %.0f): the lookup "
                  "blocks the runtime's thread", possible, during, 100.0 * during / possible,
                  possible);
}
END_TEST

START_TEST(test_two_lookups_overlap)
{
    wait_for_partner = 1;
    tk_runtime *rt = new_runtime();
    pair_fut p = { .base = { &pair_vtable } };
    tk_runtime_block_on(rt, &p.base);
    rt_future_drop(&p.base);
    tk_runtime_free(rt);
    ck_assert_int_eq(p.va, 5);
    ck_assert_int_eq(p.vb, 10);
    ck_assert_msg(atomic_load(&most_inside) == 2, "two tasks each awaiting a lookup: at most "
                  "%d slow_lookup was running at a time; with spawn_blocking each gets its own "
                  "pool thread, so both run at once", atomic_load(&most_inside));
}
END_TEST

/* main: run the suite; exit 0 only if every check passed. */
int main(void)
{
    Suite *s = suite_create("lesson 11: blocking");
    TCase *tc = tcase_create("lookup");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_value_is_right);
    tcase_add_test(tc, test_runs_on_the_blocking_pool);
    tcase_add_test(tc, test_other_tasks_keep_running);
    tcase_add_test(tc, test_two_lookups_overlap);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
