/* test_tk_fairness.c: who runs next -- LIFO slot, coop budget, global queue, and their metrics. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_async.h"
#include "rt_testkit.h"
#include "tk_testkit.h"
#include "tk_coop.h"
#include "tk_net.h"
#include "tk_runtime.h"
#include "tk_time.h"



/* ---- LIFO slot: a ping-pong between two tasks ---------------------------------------------- */
#define PINGS 20000

typedef struct pinger {
    rt_future base;
    rt_async co;
    slot *mine, *theirs;
    int serve;           /* 1: fire first, then wait; 0: wait first */
    int i;
    slot_wait wait;
} pinger;

/* pinger_poll: every wake here comes from a worker thread, so it lands in the LIFO slot. */
static rt_poll pinger_poll(rt_future *f, rt_context *cx)
{
    pinger *p = (pinger *)f;
    RT_BEGIN(&p->co);
    for (p->i = 0; p->i < PINGS; p->i++) {
        if (p->serve)
            slot_fire(p->theirs);
        p->wait = slot_wait_new(p->mine);
        RT_AWAIT(&p->co, &p->wait, cx);
        if (!p->serve)
            slot_fire(p->theirs);
    }
    RT_END(&p->co);
}

/* pinger_drop: drop the wait it is suspended on. */
static void pinger_drop(rt_future *f)
{
    rt_async_drop(&((pinger *)f)->co);
}

static const rt_future_vtable pinger_vtable = { pinger_poll, pinger_drop, "pinger" };

typedef struct pingpong_main {
    rt_future base;
    rt_async co;
    slot a, b;
    tk_join_handle ha, hb;
} pingpong_main;

/* pingpong_main_poll: start both pingers and join them. */
static rt_poll pingpong_main_poll(rt_future *f, rt_context *cx)
{
    pingpong_main *m = (pingpong_main *)f;
    RT_BEGIN(&m->co);
    slot_init(&m->a);
    slot_init(&m->b);
    {
        pinger pa = { .base = { &pinger_vtable }, .mine = &m->a, .theirs = &m->b, .serve = 1 };
        pinger pb = { .base = { &pinger_vtable }, .mine = &m->b, .theirs = &m->a, .serve = 0 };
        ck_assert_int_eq(tk_spawn(&pb.base, sizeof pb, &m->hb), 0);
        ck_assert_int_eq(tk_spawn(&pa.base, sizeof pa, &m->ha), 0);
    }
    RT_AWAIT(&m->co, &m->ha, cx);
    RT_AWAIT(&m->co, &m->hb, cx);
    ck_assert_int_eq(m->ha.outcome, RT_OUTCOME_OK);
    ck_assert_int_eq(m->hb.outcome, RT_OUTCOME_OK);
    rt_join_handle_detach(&m->ha);
    rt_join_handle_detach(&m->hb);
    RT_END(&m->co);
}

static const rt_future_vtable pingpong_main_vtable = { pingpong_main_poll, NULL, "pingpong" };

/* test_lifo_slot_ping_pong: worker-to-worker wakes are served from the LIFO slot. */
START_TEST(test_lifo_slot_ping_pong)
{
    tk_runtime *rt = build(TK_MULTI_THREAD, 2);
    pingpong_main m = { .base = { &pingpong_main_vtable } };
    tk_runtime_block_on(rt, &m.base);
    rt_runtime_metrics met = tk_runtime_metrics(rt);
    ck_assert(met.features & RT_METRICS_HAS_LIFO);
    /* 2 * PINGS wakes between the two tasks, all from worker threads: the woken task goes
     * to the LIFO slot and runs right after the waker's poll, unless the other worker got
     * it first. Some of them must have been LIFO hits. */
    ck_assert_uint_gt(TOTAL(met, lifo_hits), 0);
    ck_assert_uint_le(TOTAL(met, lifo_hits), TOTAL(met, polls));
    tk_runtime_metrics_free(&met);
    tk_runtime_free(rt);
    rt_check_tasks_balanced();
}
END_TEST

/* ---- the LIFO slot cannot starve the queues: at most 3 LIFO polls in a row ---------------- */
typedef struct rally {
    rt_future base;
    rt_async co;
    slot *mine, *theirs;
    int serve;
    _Atomic int *stop;
    _Atomic long *rounds;
    slot_wait wait;
} rally;

/* rally_poll: ping-pong until told to stop; each wake puts the other in the LIFO slot. */
static rt_poll rally_poll(rt_future *f, rt_context *cx)
{
    rally *r = (rally *)f;
    RT_BEGIN(&r->co);
    while (!atomic_load(r->stop)) {
        if (r->serve)
            slot_fire(r->theirs);
        r->wait = slot_wait_new(r->mine);
        RT_AWAIT(&r->co, &r->wait, cx);
        if (!r->serve)
            slot_fire(r->theirs);
        atomic_fetch_add(r->rounds, 1);
    }
    slot_fire(r->theirs); /* let the partner see the stop too */
    RT_END(&r->co);
}

/* rally_drop: drop the wait it is suspended on. */
static void rally_drop(rt_future *f)
{
    rt_async_drop(&((rally *)f)->co);
}

static const rt_future_vtable rally_vtable = { rally_poll, rally_drop, "rally" };

typedef struct stop_after {
    rt_future base;
    _Atomic int *stop;
    _Atomic long *rounds;
    long rounds_seen;
} stop_after;

/* stop_after_poll: runs once the worker gets round to its ring. */
static rt_poll stop_after_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    stop_after *s = (stop_after *)f;
    s->rounds_seen = atomic_load(s->rounds);
    atomic_store(s->stop, 1);
    return RT_READY;
}

static const rt_future_vtable stop_after_vtable = { stop_after_poll, NULL, "stop_after" };

typedef struct rally_starter {
    rt_future base;
    slot *a, *b;
    _Atomic int *stop;
    _Atomic long *rounds;
    tk_join_handle *ha, *hb;
} rally_starter;

/* rally_starter_poll: spawned from a worker, the rally's wakes stay on that worker. */
static rt_poll rally_starter_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    rally_starter *s = (rally_starter *)f;
    rally ra = { .base = { &rally_vtable }, .mine = s->a, .theirs = s->b, .serve = 1,
                 .stop = s->stop, .rounds = s->rounds };
    rally rb = { .base = { &rally_vtable }, .mine = s->b, .theirs = s->a, .serve = 0,
                 .stop = s->stop, .rounds = s->rounds };
    ck_assert_int_eq(tk_spawn(&rb.base, sizeof rb, s->hb), 0);
    ck_assert_int_eq(tk_spawn(&ra.base, sizeof ra, s->ha), 0);
    return RT_READY;
}

static const rt_future_vtable rally_starter_vtable = { rally_starter_poll, NULL, "rally_starter" };

typedef struct fairness_main {
    rt_future base;
    rt_async co;
    slot a, b;
    _Atomic int stop;
    _Atomic long rounds;
    long rounds_at_spawn, rounds_seen;
    tk_join_handle starter, ha, hb, hs;
    tk_sleep_fut pause;
} fairness_main;

/* fairness_main_poll: start the rally on the worker, let it run, then send the stopper
 * through the global queue and see how long the rally keeps it waiting. */
static rt_poll fairness_main_poll(rt_future *f, rt_context *cx)
{
    fairness_main *m = (fairness_main *)f;
    RT_BEGIN(&m->co);
    slot_init(&m->a);
    slot_init(&m->b);
    {
        rally_starter rs = { .base = { &rally_starter_vtable }, .a = &m->a, .b = &m->b,
                             .stop = &m->stop, .rounds = &m->rounds, .ha = &m->ha, .hb = &m->hb };
        ck_assert_int_eq(tk_spawn(&rs.base, sizeof rs, &m->starter), 0);
    }
    RT_AWAIT(&m->co, &m->starter, cx);
    rt_join_handle_detach(&m->starter);
    while (atomic_load(&m->rounds) < 1000) { /* the rally is in full swing */
        m->pause = tk_sleep(1);
        RT_AWAIT(&m->co, &m->pause, cx);
    }
    m->rounds_at_spawn = atomic_load(&m->rounds);
    {
        stop_after st = { .base = { &stop_after_vtable }, .stop = &m->stop, .rounds = &m->rounds };
        ck_assert_int_eq(tk_spawn(&st.base, sizeof st, &m->hs), 0);
    }
    RT_AWAIT(&m->co, &m->hs, cx);
    m->rounds_seen = ((stop_after *)rt_join_handle_output(&m->hs))->rounds_seen;
    RT_AWAIT(&m->co, &m->ha, cx);
    RT_AWAIT(&m->co, &m->hb, cx);
    rt_join_handle_detach(&m->ha);
    rt_join_handle_detach(&m->hb);
    rt_join_handle_detach(&m->hs);
    RT_END(&m->co);
}

static const rt_future_vtable fairness_main_vtable = { fairness_main_poll, NULL, "fairness" };

/* test_lifo_rally_does_not_starve_queues: an endless LIFO rally still lets the global queue in. */
START_TEST(test_lifo_rally_does_not_starve_queues)
{
    /* One worker: the rally's two tasks wake each other forever through the LIFO slot, so
     * there is always a task to run. The stopper arrives through the global queue; the
     * worker gets to it only because it takes at most 3 tasks in a row from the slot (then
     * the slot's task goes to the ring and the tick moves on) and looks at the global queue
     * every 61 ticks. Without those caps it would never run (a hang, caught by the timeout). */
    tk_runtime *rt = build(TK_MULTI_THREAD, 1);
    fairness_main m = { .base = { &fairness_main_vtable } };
    tk_runtime_block_on(rt, &m.base);
    rt_runtime_metrics met = tk_runtime_metrics(rt);
    ck_assert_uint_gt(TOTAL(met, lifo_hits), 0);
    tk_runtime_metrics_free(&met);
    tk_runtime_free(rt);
    long waited = m.rounds_seen - m.rounds_at_spawn;
    /* Tens of rounds (61 ticks of a few polls each); a great many would mean starvation. */
    ck_assert_msg(waited < 100000, "the stopper waited %ld rally rounds", waited);
    rt_check_tasks_balanced();
}
END_TEST

/* ---- coop budget: a task that never returns pending by itself is made to ----------------- */
typedef struct greedy {
    rt_future base;
    rt_async co;
    _Atomic int *stop;
    long *iterations;
    tk_sleep_fut s;
} greedy;

/* greedy_poll: awaits a sleep that is always already due -- ready at once, but it spends
 * budget; without the budget this loop would keep the thread forever. */
static rt_poll greedy_poll(rt_future *f, rt_context *cx)
{
    greedy *g = (greedy *)f;
    RT_BEGIN(&g->co);
    while (!atomic_load(g->stop)) {
        g->s = tk_sleep_until(1); /* long past */
        RT_AWAIT(&g->co, &g->s, cx);
        (*g->iterations)++;
    }
    RT_END(&g->co);
}

/* greedy_drop: drop the sleep it is suspended on. */
static void greedy_drop(rt_future *f)
{
    rt_async_drop(&((greedy *)f)->co);
}

static const rt_future_vtable greedy_vtable = { greedy_poll, greedy_drop, "greedy" };

typedef struct stopper {
    rt_future base;
    _Atomic int *stop;
} stopper;

/* stopper_poll: it runs only if the greedy task gave the thread up. */
static rt_poll stopper_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    atomic_store(((stopper *)f)->stop, 1);
    return RT_READY;
}

static const rt_future_vtable stopper_vtable = { stopper_poll, NULL, "stopper" };

typedef struct coop_main {
    rt_future base;
    rt_async co;
    _Atomic int stop;
    long iterations;
    tk_join_handle g, s;
} coop_main;

/* coop_main_poll: spawn the greedy task, then the one that stops it; join both. */
static rt_poll coop_main_poll(rt_future *f, rt_context *cx)
{
    coop_main *m = (coop_main *)f;
    RT_BEGIN(&m->co);
    {
        greedy g = { .base = { &greedy_vtable }, .stop = &m->stop, .iterations = &m->iterations };
        stopper s = { .base = { &stopper_vtable }, .stop = &m->stop };
        ck_assert_int_eq(tk_spawn(&g.base, sizeof g, &m->g), 0);
        ck_assert_int_eq(tk_spawn(&s.base, sizeof s, &m->s), 0);
    }
    RT_AWAIT(&m->co, &m->g, cx);
    RT_AWAIT(&m->co, &m->s, cx);
    rt_join_handle_detach(&m->g);
    rt_join_handle_detach(&m->s);
    RT_END(&m->co);
}

static const rt_future_vtable coop_main_vtable = { coop_main_poll, NULL, "coop" };

/* test_coop_budget_forces_yield: the budget makes a never-pending task yield to another. */
START_TEST(test_coop_budget_forces_yield)
{
    /* current_thread, and multi_thread with one worker: either way one thread for both. */
    for (int flavor = 0; flavor < 2; flavor++) {
        tk_runtime *rt = build((tk_flavor)flavor, 1);
        coop_main m = { .base = { &coop_main_vtable } };
        tk_runtime_block_on(rt, &m.base);
        rt_runtime_metrics met = tk_runtime_metrics(rt);
        ck_assert(met.features & RT_METRICS_HAS_BUDGET);
        ck_assert_uint_gt(TOTAL(met, budget_forced_yields), 0);
        tk_runtime_metrics_free(&met);
        tk_runtime_free(rt);
        /* The greedy task ran its whole budget before it was made to yield. */
        ck_assert_int_ge(m.iterations, TK_COOP_BUDGET);
    }
    rt_check_tasks_balanced();
}
END_TEST

/* ---- metrics -------------------------------------------------------------------------------- */
typedef struct yielder2 {
    rt_future base;
    rt_async co;
} yielder2;

/* yielder2_poll: pending twice (yielding), ready on the third poll. */
static rt_poll yielder2_poll(rt_future *f, rt_context *cx)
{
    yielder2 *y = (yielder2 *)f;
    RT_BEGIN(&y->co);
    RT_YIELD(&y->co, cx);
    RT_YIELD(&y->co, cx);
    RT_END(&y->co);
}

static const rt_future_vtable yielder2_vtable = { yielder2_poll, NULL, "yielder2" };

typedef struct metrics_main {
    rt_future base;
    rt_async co;
    int i;
    tk_join_handle jh[100];
} metrics_main;

/* metrics_main_poll: 100 tasks that yield twice each, all joined. */
static rt_poll metrics_main_poll(rt_future *f, rt_context *cx)
{
    metrics_main *m = (metrics_main *)f;
    RT_BEGIN(&m->co);
    for (m->i = 0; m->i < 100; m->i++) {
        yielder2 y = { .base = { &yielder2_vtable } };
        ck_assert_int_eq(tk_spawn(&y.base, sizeof y, &m->jh[m->i]), 0);
    }
    for (m->i = 0; m->i < 100; m->i++) {
        RT_AWAIT(&m->co, &m->jh[m->i], cx);
        rt_join_handle_detach(&m->jh[m->i]);
    }
    RT_END(&m->co);
}

static const rt_future_vtable metrics_main_vtable = { metrics_main_poll, NULL, "metrics" };

/* test_metrics_count_polls: exact poll and schedule counts on current_thread, and in the dump. */
START_TEST(test_metrics_count_polls)
{
    tk_runtime *rt = build(TK_CURRENT_THREAD, 0);
    metrics_main m = { .base = { &metrics_main_vtable } };
    tk_runtime_block_on(rt, &m.base);
    rt_runtime_metrics met = tk_runtime_metrics(rt);
    ck_assert_uint_eq(met.workers, 1);
    ck_assert_str_eq(met.flavour, "tk current_thread");
    /* 100 tasks, three polls each; all on the block_on thread, so every schedule (100 spawns,
     * 200 yields) is local. The main future is not a task and is not counted. */
    ck_assert_uint_eq(TOTAL(met, polls), 300);
    ck_assert_uint_eq(TOTAL(met, local_schedules), 300);
    ck_assert_uint_eq(TOTAL(met, remote_schedules), 0);
    ck_assert_uint_eq(TOTAL(met, steal_operations), 0);
    tk_runtime_metrics_free(&met);

    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    tk_runtime_metrics_dump(rt, mem);
    fclose(mem);
    ck_assert_ptr_nonnull(strstr(buf, "runtime metrics: tk current_thread, 1 worker"));
    ck_assert_ptr_nonnull(strstr(buf, "  polls "));
    ck_assert_ptr_nonnull(strstr(buf, " 300\n"));
    free(buf);
    tk_runtime_free(rt);

    /* multi_thread: the same tasks spawned from a non-worker thread are remote schedules. */
    rt = build(TK_MULTI_THREAD, 2);
    m = (metrics_main){ .base = { &metrics_main_vtable } };
    tk_runtime_block_on(rt, &m.base);
    /* A worker counts a poll after rt_task_run returns, and the last task's completion wakes
     * block_on from inside that call: the final count may land a moment after block_on
     * returned. Metrics are snapshots, so wait (bounded) for it instead of racing it. */
    for (int tries = 0;; tries++) {
        met = tk_runtime_metrics(rt);
        if (TOTAL(met, polls) >= 300 || tries == 5000)
            break;
        tk_runtime_metrics_free(&met);
        usleep(1000);
    }
    ck_assert_uint_eq(met.workers, 2);
    ck_assert_uint_ge(TOTAL(met, polls), 300);
    ck_assert_uint_ge(TOTAL(met, remote_schedules), 100);
    tk_runtime_metrics_free(&met);
    tk_runtime_free(rt);
    rt_check_tasks_balanced();
}
END_TEST

/* run_metrics_child: a child that builds, uses and frees a runtime with TK_METRICS set as
 * given (NULL: unset); returns what it wrote to stderr. */
static void run_metrics_child(const char *env, char *err, size_t errlen)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        if (env)
            setenv("TK_METRICS", env, 1);
        else
            unsetenv("TK_METRICS");
        tk_runtime *rt = build(TK_CURRENT_THREAD, 0);
        metrics_main m = { .base = { &metrics_main_vtable } };
        tk_runtime_block_on(rt, &m.base);
        tk_runtime_free(rt);
        _exit(0);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t n;
    while (got + 1 < errlen && (n = read(fds[0], err + got, errlen - 1 - got)) > 0)
        got += (size_t)n;
    err[got] = '\0';
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* test_tk_metrics_env_dumps_at_free: TK_METRICS=1 prints the dump at free, and only then. */
START_TEST(test_tk_metrics_env_dumps_at_free)
{
    char err[4096];
    run_metrics_child("1", err, sizeof err);
    ck_assert_ptr_nonnull(strstr(err, "runtime metrics: tk current_thread, 1 worker"));
    ck_assert_ptr_nonnull(strstr(err, "budget_forced_yields"));
    run_metrics_child(NULL, err, sizeof err);
    ck_assert_str_eq(err, "");
    run_metrics_child("0", err, sizeof err);
    ck_assert_str_eq(err, "");
}
END_TEST

/* main: one suite, one case. */
/* ---- a yield lets the driver in: tokio's deferred yield_now on multi_thread ------------- */
typedef struct yd_shared {
    tk_unix_stream a, b;      /* the yielder writes into a; the reader waits on b */
    _Atomic int reader_waiting, reader_got;
    int seen_after_yield;     /* what the yielder saw right after its one real yield */
} yd_shared;

typedef struct yd_reader {
    rt_future base;
    rt_async co;
    yd_shared *sh;
    char c;
    tk_read_fut rd;
} yd_reader;

/* yd_reader_poll: wait for one byte on b; the driver's readiness event is its only wake. */
static rt_poll yd_reader_poll(rt_future *f, rt_context *cx)
{
    yd_reader *r = (yd_reader *)f;
    RT_BEGIN(&r->co);
    r->rd = tk_stream_read(&r->sh->b, &r->c, 1);
    atomic_store(&r->sh->reader_waiting, 1);
    RT_AWAIT(&r->co, &r->rd, cx);
    ck_assert_int_eq(r->rd.result, 1);
    atomic_store(&r->sh->reader_got, 1);
    RT_END(&r->co);
}

/* yd_reader_drop: drop the read it may be suspended on. */
static void yd_reader_drop(rt_future *f)
{
    rt_async_drop(&((yd_reader *)f)->co);
}

static const rt_future_vtable yd_reader_vtable = { yd_reader_poll, yd_reader_drop, "reader" };

typedef struct yd_yielder {
    rt_future base;
    rt_async co;
    yd_shared *sh;
} yd_yielder;

/* yd_yielder_poll: once the reader waits, make its socket readable and yield once. */
static rt_poll yd_yielder_poll(rt_future *f, rt_context *cx)
{
    yd_yielder *y = (yd_yielder *)f;
    RT_BEGIN(&y->co);
    while (!atomic_load(&y->sh->reader_waiting))
        RT_YIELD(&y->co, cx);
    ck_assert_int_eq(write(y->sh->a.fd, "x", 1), 1);
    RT_YIELD(&y->co, cx);
    y->sh->seen_after_yield = atomic_load(&y->sh->reader_got);
    RT_END(&y->co);
}

static const rt_future_vtable yd_yielder_vtable = { yd_yielder_poll, NULL, "yielder" };

typedef struct yd_main {
    rt_future base;
    rt_async co;
    yd_shared *sh;
    tk_join_handle hr, hy;
} yd_main;

/* yd_main_poll: spawn the reader, then the yielder, and join both. */
static rt_poll yd_main_poll(rt_future *f, rt_context *cx)
{
    yd_main *m = (yd_main *)f;
    RT_BEGIN(&m->co);
    ck_assert_int_eq(tk_unix_stream_pair(&m->sh->a, &m->sh->b), 0);
    {
        yd_reader r = { .base = { &yd_reader_vtable }, .sh = m->sh };
        yd_yielder y = { .base = { &yd_yielder_vtable }, .sh = m->sh };
        ck_assert_int_eq(tk_spawn(&r.base, sizeof r, &m->hr), 0);
        ck_assert_int_eq(tk_spawn(&y.base, sizeof y, &m->hy), 0);
    }
    RT_AWAIT(&m->co, &m->hr, cx);
    RT_AWAIT(&m->co, &m->hy, cx);
    ck_assert_int_eq(m->hr.outcome, RT_OUTCOME_OK);
    ck_assert_int_eq(m->hy.outcome, RT_OUTCOME_OK);
    rt_join_handle_detach(&m->hr);
    rt_join_handle_detach(&m->hy);
    tk_stream_close(&m->sh->a);
    tk_stream_close(&m->sh->b);
    RT_END(&m->co);
}

static const rt_future_vtable yd_main_vtable = { yd_main_poll, NULL, "yield_driver" };

/* test_yield_lets_the_driver_in: on multi_thread (one worker, so it alone drives IO), a task
 * that made a socket readable and yielded runs again only after the driver has seen the event
 * and the woken reader has run -- the yield was deferred to after the driver's turn. Queued at
 * once instead, the yielder would run again first (the driver turns only every 61 ticks). */
START_TEST(test_yield_lets_the_driver_in)
{
    for (int round = 0; round < 20; round++) {
        tk_runtime *rt = build(TK_MULTI_THREAD, 1);
        yd_shared sh;
        memset(&sh, 0, sizeof sh);
        yd_main m = { .base = { &yd_main_vtable }, .sh = &sh };
        tk_runtime_block_on(rt, &m.base);
        ck_assert_msg(sh.seen_after_yield == 1, "round %d: the yielder ran again before the "
                      "driver delivered the reader's readiness", round);
        tk_runtime_free(rt);
    }
    rt_check_tasks_balanced();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tk_fairness");
    TCase *tc = tcase_create("fairness");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_lifo_slot_ping_pong);
    tcase_add_test(tc, test_lifo_rally_does_not_starve_queues);
    tcase_add_test(tc, test_coop_budget_forces_yield);
    tcase_add_test(tc, test_metrics_count_polls);
    tcase_add_test(tc, test_tk_metrics_env_dumps_at_free);
    tcase_add_test(tc, test_yield_lets_the_driver_in);
    suite_add_tcase(s, tc);
    return rt_suite_run(s);
}
