/* test_tk_sched.c: tk under load -- 1M tasks, freeing with everything pending, thread context. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_async.h"
#include "rt_combinators.h"
#include "rt_testkit.h"
#include "tk_testkit.h"
#include "tk_blocking.h"
#include "tk_runtime.h"
#include "tk_time.h"


/* ---- 1M spawned tasks ---------------------------------------------------------------------- */
typedef struct million {
    _Atomic long done;
    long total;
    slot all_done;
} million;

typedef struct tiny {
    rt_future base;
    million *m;
} tiny;

/* tiny_poll: count; the task that brings the count to the total fires the signal. */
static rt_poll tiny_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    million *m = ((tiny *)f)->m;
    if (atomic_fetch_add(&m->done, 1) + 1 == m->total)
        slot_fire(&m->all_done);
    return RT_READY;
}

static const rt_future_vtable tiny_vtable = { tiny_poll, NULL, "tiny" };

/* spawn_tiny: n detached tiny tasks on the current runtime. */
static void spawn_tiny(million *m, long n)
{
    for (long i = 0; i < n; i++) {
        tiny t = { .base = { &tiny_vtable }, .m = m };
        tk_join_handle jh;
        ck_assert_int_eq(tk_spawn(&t.base, sizeof t, &jh), 0);
        rt_join_handle_detach(&jh);
    }
}

typedef struct tiny_spawner {
    rt_future base;
    million *m;
    long n;
} tiny_spawner;

/* tiny_spawner_poll: spawning from a worker: the tasks go to its own ring and overflow. */
static rt_poll tiny_spawner_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    tiny_spawner *s = (tiny_spawner *)f;
    spawn_tiny(s->m, s->n);
    return RT_READY;
}

static const rt_future_vtable tiny_spawner_vtable = { tiny_spawner_poll, NULL, "tiny_spawner" };

typedef struct million_main {
    rt_future base;
    rt_async co;
    million *m;
    tk_join_handle spawner;
    slot_wait wait;
} million_main;

/* million_main_poll: half the tasks from a worker, half from this (non-worker) thread. */
static rt_poll million_main_poll(rt_future *f, rt_context *cx)
{
    million_main *mm = (million_main *)f;
    RT_BEGIN(&mm->co);
    {
        tiny_spawner s = { .base = { &tiny_spawner_vtable }, .m = mm->m, .n = mm->m->total / 2 };
        ck_assert_int_eq(tk_spawn(&s.base, sizeof s, &mm->spawner), 0);
    }
    spawn_tiny(mm->m, mm->m->total - mm->m->total / 2);
    RT_AWAIT(&mm->co, &mm->spawner, cx);
    ck_assert_int_eq(mm->spawner.outcome, RT_OUTCOME_OK);
    rt_join_handle_detach(&mm->spawner);
    mm->wait = slot_wait_new(&mm->m->all_done);
    RT_AWAIT(&mm->co, &mm->wait, cx);
    RT_END(&mm->co);
}

static const rt_future_vtable million_main_vtable = { million_main_poll, NULL, "million_main" };

/* test_one_million_tasks: 1M detached tasks on each flavour; every one runs exactly once. */
START_TEST(test_one_million_tasks)
{
    /* The full million in every build: ThreadSanitizer takes about 15 s for this suite. */
    long total = 1000000;
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        million m = { .total = total };
        slot_init(&m.all_done);
        million_main mm = { .base = { &million_main_vtable }, .m = &m };
        tk_runtime_block_on(rt, &mm.base);
        ck_assert_int_eq(atomic_load(&m.done), total);
        rt_runtime_metrics met = tk_runtime_metrics(rt);
        /* Every task and the spawner were polled. A worker counts a poll after it returns,
         * so the last task on each worker may still be uncounted when block_on returns. */
        ck_assert_uint_ge(TOTAL(met, polls), (uint64_t)total + 1 - 2);
        tk_runtime_metrics_free(&met);
        tk_runtime_free(rt);
        ck_assert_int_eq(atomic_load(&m.done), total); /* no task ran twice */
        rt_check_tasks_balanced();
    }
}
END_TEST

/* ---- freeing a runtime with pending tasks of every kind ----------------------------------- */
typedef struct lingerer {
    rt_future base;
    rt_async co;
    int kind;              /* 0 sleep, 1 await a JoinHandle, 2 yield forever, 3 a slot, 4 pending */
    _Atomic int *drops;
    slot *never;
    tk_sleep_fut sleep;
    tk_join_handle jh;
    slot_wait wait;
    rt_pending_fut forever;
} lingerer;

static const rt_future_vtable lingerer_vtable;

/* lingerer_poll: park in one of the ways a task can be pending. */
static rt_poll lingerer_poll(rt_future *f, rt_context *cx)
{
    lingerer *l = (lingerer *)f;
    RT_BEGIN(&l->co);
    if (l->kind == 0) {
        l->sleep = tk_sleep(3600 * 1000);
        RT_AWAIT(&l->co, &l->sleep, cx);
    } else if (l->kind == 1) {
        lingerer inner = { .base = { &lingerer_vtable }, .kind = 4, .drops = l->drops };
        ck_assert_int_eq(tk_spawn(&inner.base, sizeof inner, &l->jh), 0);
        RT_AWAIT(&l->co, &l->jh, cx);
    } else if (l->kind == 2) {
        for (;;)
            RT_YIELD(&l->co, cx);
    } else if (l->kind == 3) {
        l->wait = slot_wait_new(l->never);
        RT_AWAIT(&l->co, &l->wait, cx);
    } else {
        l->forever = rt_pending();
        RT_AWAIT(&l->co, &l->forever, cx);
    }
    ck_abort_msg("a lingerer finished");
    RT_END(&l->co);
}

/* lingerer_drop: drop what we wait on (a JoinHandle's drop detaches), then count. */
static void lingerer_drop(rt_future *f)
{
    lingerer *l = (lingerer *)f;
    rt_async_drop(&l->co);
    atomic_fetch_add(l->drops, 1);
}

static const rt_future_vtable lingerer_vtable = { lingerer_poll, lingerer_drop, "lingerer" };

/* nap_50ms: a blocking job still running when the runtime is freed (free waits for it). */
static void *nap_50ms(void *arg)
{
    usleep(50 * 1000);
    atomic_fetch_add((_Atomic int *)arg, 1);
    return NULL;
}

typedef struct linger_main {
    rt_future base;
    rt_async co;
    _Atomic int drops, blocking_done;
    slot never;
    tk_sleep_fut pause;
} linger_main;

#define PER_KIND 10

/* linger_main_poll: spawn ten lingerers of each kind and two blocking jobs, then leave them. */
static rt_poll linger_main_poll(rt_future *f, rt_context *cx)
{
    linger_main *m = (linger_main *)f;
    RT_BEGIN(&m->co);
    for (int i = 0; i < 4 * PER_KIND; i++) {
        lingerer l = { .base = { &lingerer_vtable }, .kind = i % 4, .drops = &m->drops,
                       .never = &m->never };
        tk_join_handle jh;
        ck_assert_int_eq(tk_spawn(&l.base, sizeof l, &jh), 0);
        rt_join_handle_detach(&jh);
    }
    for (int i = 0; i < 2; i++) {
        tk_join_handle jh;
        ck_assert_int_eq(tk_spawn_blocking(nap_50ms, &m->blocking_done, &jh), 0);
        rt_join_handle_detach(&jh);
    }
    m->pause = tk_sleep(30); /* everyone gets polled and settles into waiting */
    RT_AWAIT(&m->co, &m->pause, cx);
    RT_END(&m->co);
}

static const rt_future_vtable linger_main_vtable = { linger_main_poll, NULL, "linger" };

/* test_free_with_pending_tasks_of_every_kind: every pending future dropped once, every task freed. */
START_TEST(test_free_with_pending_tasks_of_every_kind)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 2);
        linger_main m = { .base = { &linger_main_vtable } };
        slot_init(&m.never);
        tk_runtime_block_on(rt, &m.base);
        ck_assert_int_eq(atomic_load(&m.drops), 0);
        tk_runtime_free(rt);
        /* 40 lingerers plus the 10 tasks the JoinHandle-waiters spawned: every future dropped
         * exactly once, and every task freed. The blocking jobs were allowed to finish. */
        ck_assert_int_eq(atomic_load(&m.drops), 5 * PER_KIND);
        ck_assert_int_eq(atomic_load(&m.blocking_done), 2);
        ck_assert(rt_waker_is_empty(&m.never.waker));
        rt_check_tasks_balanced();
    }
}
END_TEST

/* ---- a task that sets a flag ---------------------------------------------------------------- */
typedef struct counted_flag {
    _Atomic int ran;
} counted_flag;

typedef struct tiny_flag {
    rt_future base;
    _Atomic int *flag;
} tiny_flag;

/* tiny_flag_poll: count one run. */
static rt_poll tiny_flag_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    atomic_fetch_add(((tiny_flag *)f)->flag, 1);
    return RT_READY;
}

static const rt_future_vtable tiny_flag_vtable = { tiny_flag_poll, NULL, "tiny_flag" };

typedef struct on_worker_main {
    rt_future base;
    rt_async co;
    rt_future *inner;
    size_t size;
    tk_join_handle jh;
} on_worker_main;

/* on_worker_main_poll: run `inner` as a task, i.e. on a worker thread, and wait for it. */
static rt_poll on_worker_main_poll(rt_future *f, rt_context *cx)
{
    on_worker_main *m = (on_worker_main *)f;
    RT_BEGIN(&m->co);
    ck_assert_int_eq(tk_spawn(m->inner, m->size, &m->jh), 0);
    RT_AWAIT(&m->co, &m->jh, cx);
    ck_assert_int_eq(m->jh.outcome, RT_OUTCOME_OK);
    memcpy(m->inner, rt_join_handle_output(&m->jh), m->size); /* the output, copied back */
    rt_join_handle_detach(&m->jh);
    RT_END(&m->co);
}

static const rt_future_vtable on_worker_main_vtable = { on_worker_main_poll, NULL, "on_worker" };

/* ---- worker threads carry the builder's name; blocking jobs run in the runtime's context -- */
typedef struct name_probe {
    rt_future base;
    char name[32];
} name_probe;

/* name_probe_poll: record the name of the thread that polls us. */
static rt_poll name_probe_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    name_probe *p = (name_probe *)f;
    pthread_getname_np(pthread_self(), p->name, sizeof p->name);
    return RT_READY;
}

static const rt_future_vtable name_probe_vtable = { name_probe_poll, NULL, "name_probe" };

/* spawn_from_blocking: a blocking job that spawns a task; arg on success, NULL if it could not. */
static void *spawn_from_blocking(void *arg)
{
    /* tokio allows spawning from spawn_blocking: the pool thread is in the runtime's context. */
    if (!tk_handle_try_current())
        return NULL;
    counted_flag *c = arg;
    tiny_flag t = { .base = { &tiny_flag_vtable }, .flag = &c->ran };
    tk_join_handle jh;
    if (tk_spawn(&t.base, sizeof t, &jh) != 0)
        return NULL;
    rt_join_handle_detach(&jh);
    return arg;
}

typedef struct blocking_spawn_main {
    rt_future base;
    rt_async co;
    counted_flag flag;
    tk_join_handle jh;
    void *result;
    tk_sleep_fut pause;
} blocking_spawn_main;

/* blocking_spawn_main_poll: run spawn_from_blocking, then wait for the task it spawned. */
static rt_poll blocking_spawn_main_poll(rt_future *f, rt_context *cx)
{
    blocking_spawn_main *m = (blocking_spawn_main *)f;
    RT_BEGIN(&m->co);
    ck_assert_int_eq(tk_spawn_blocking(spawn_from_blocking, &m->flag, &m->jh), 0);
    RT_AWAIT(&m->co, &m->jh, cx);
    ck_assert_int_eq(m->jh.outcome, RT_OUTCOME_OK);
    m->result = tk_blocking_result(&m->jh);
    rt_join_handle_detach(&m->jh);
    while (!atomic_load(&m->flag.ran)) {
        m->pause = tk_sleep(1);
        RT_AWAIT(&m->co, &m->pause, cx);
    }
    RT_END(&m->co);
}

static const rt_future_vtable blocking_spawn_main_vtable = {
    blocking_spawn_main_poll, NULL, "blocking_spawn_main",
};

/* test_thread_name_and_blocking_context: workers carry the (cut) name; blocking jobs may spawn. */
START_TEST(test_thread_name_and_blocking_context)
{
    tk_builder b = tk_builder_new_multi_thread();
    tk_builder_enable_all(&b);
    tk_builder_worker_threads(&b, 2);
    tk_builder_thread_name(&b, "my-pool-with-a-long-name");
    tk_runtime *rt = NULL;
    ck_assert_int_eq(tk_builder_build(&b, &rt), 0);
    name_probe p = { .base = { &name_probe_vtable } };
    on_worker_main m = { .base = { &on_worker_main_vtable }, .inner = &p.base, .size = sizeof p };
    tk_runtime_block_on(rt, &m.base);
    ck_assert_str_eq(p.name, "my-pool-with-a-"); /* pthread names hold 15 characters */

    for (int flavor = 0; flavor < 2; flavor++) {
        if (flavor == 1) {
            tk_runtime_free(rt);
            rt = build(TK_CURRENT_THREAD, 0);
        }
        blocking_spawn_main bm = { .base = { &blocking_spawn_main_vtable } };
        tk_runtime_block_on(rt, &bm.base);
        ck_assert_ptr_eq(bm.result, &bm.flag);
        ck_assert_int_eq(atomic_load(&bm.flag.ran), 1);
    }
    tk_runtime_free(rt);
    rt_check_tasks_balanced();
}
END_TEST

/* ---- max_blocking_threads caps how many blocking jobs run at once ------------------------- */
typedef struct blocking_gauge {
    _Atomic int running, peak, done;
} blocking_gauge;

/* gauge_job: note how many jobs run right now, hold the thread 30 ms, leave. */
static void *gauge_job(void *arg)
{
    blocking_gauge *g = arg;
    int now = atomic_fetch_add(&g->running, 1) + 1;
    int peak = atomic_load(&g->peak);
    while (now > peak && !atomic_compare_exchange_weak(&g->peak, &peak, now))
        continue;
    usleep(30 * 1000);
    atomic_fetch_sub(&g->running, 1);
    atomic_fetch_add(&g->done, 1);
    return NULL;
}

#define GAUGE_JOBS 8

typedef struct gauge_main {
    rt_future base;
    rt_async co;
    blocking_gauge g;
    int i;
    tk_join_handle jh[GAUGE_JOBS];
} gauge_main;

/* gauge_main_poll: submit every job at once, then join them. */
static rt_poll gauge_main_poll(rt_future *f, rt_context *cx)
{
    gauge_main *m = (gauge_main *)f;
    RT_BEGIN(&m->co);
    for (m->i = 0; m->i < GAUGE_JOBS; m->i++)
        ck_assert_int_eq(tk_spawn_blocking(gauge_job, &m->g, &m->jh[m->i]), 0);
    for (m->i = 0; m->i < GAUGE_JOBS; m->i++) {
        RT_AWAIT(&m->co, &m->jh[m->i], cx);
        ck_assert_int_eq(m->jh[m->i].outcome, RT_OUTCOME_OK);
        rt_join_handle_detach(&m->jh[m->i]);
    }
    RT_END(&m->co);
}

static const rt_future_vtable gauge_main_vtable = { gauge_main_poll, NULL, "gauge_main" };

/* test_max_blocking_threads: 8 jobs on a pool capped at 2 -- never more than 2 at once. */
START_TEST(test_max_blocking_threads)
{
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_builder b = flavor == TK_CURRENT_THREAD ? tk_builder_new_current_thread()
                                                   : tk_builder_new_multi_thread();
        tk_builder_enable_all(&b);
        tk_builder_worker_threads(&b, 2);
        tk_builder_max_blocking_threads(&b, 2);
        tk_runtime *rt = NULL;
        ck_assert_int_eq(tk_builder_build(&b, &rt), 0);
        gauge_main m = { .base = { &gauge_main_vtable } };
        tk_runtime_block_on(rt, &m.base);
        rt_runtime_metrics met = tk_runtime_metrics(rt);
        ck_assert_uint_le(met.blocking_threads, 2);
        tk_runtime_metrics_free(&met);
        tk_runtime_free(rt);
        ck_assert_int_eq(atomic_load(&m.g.done), GAUGE_JOBS);
        ck_assert_int_ge(atomic_load(&m.g.peak), 1);
        ck_assert_int_le(atomic_load(&m.g.peak), 2);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* main: one suite, one case. */
int main(void)
{
    Suite *s = suite_create("tk_sched");
    TCase *tc = tcase_create("sched");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_one_million_tasks);
    tcase_add_test(tc, test_free_with_pending_tasks_of_every_kind);
    tcase_add_test(tc, test_thread_name_and_blocking_context);
    tcase_add_test(tc, test_max_blocking_threads);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
