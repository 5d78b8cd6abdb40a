/* demo_steal.c: lesson 08 -- one task floods its worker with CPU work; with a second worker, half of it is stolen. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "rt_async.h"
#include "rt_clock.h"
#include "rt_panic.h"
#include "tk_runtime.h"

/*
 * In Rust:
 *
 *     async fn busy() { let t = Instant::now(); while t.elapsed() < 100us {} }   // CPU, no await
 *
 *     async fn flood() {
 *         for _round in 0..10 {
 *             let hs: Vec<_> = (0..200).map(|_| tokio::spawn(busy())).collect();
 *             for h in hs { h.await.unwrap(); }
 *         }
 *     }
 *
 *     // run flood() on a multi_thread runtime with worker_threads(1), then (2)
 *
 * A task spawned from a worker goes onto that worker's own queue, not a shared one. So each
 * round's 200 tasks land on flood's worker (200 fit in its ring of 256, so nothing overflows
 * to the global queue). With one worker that is simply the queue. With two, the second finds
 * nothing in its own queue or the global one, and steals half of the first one's ring, again
 * and again. The demo measures both runs in one process and prints the ratio of their times
 * and each worker's share of the polls.
 */

enum { ROUNDS = 10, PER_ROUND = 200, SPIN_NS = 100000 };

/* busy_poll: spin ~100 us and finish on the first poll. */
static rt_poll busy_poll(rt_future *f, rt_context *cx)
{
    (void)f, (void)cx;
    uint64_t t = rt_monotonic_ns();
    while (rt_monotonic_ns() - t < SPIN_NS)
        continue;
    return RT_READY;
}

static const rt_future_vtable busy_vtable = { busy_poll, NULL, "busy" };

// region: flood
/* flood: ROUNDS times, spawn PER_ROUND busy tasks from this worker and join them. */
typedef struct flood_fut {
    rt_future base;
    rt_async co;
    int round, i;
    tk_join_handle handles[PER_ROUND];
} flood_fut;

/* flood_poll: every spawn here lands on this worker's own queue. */
static rt_poll flood_poll(rt_future *f, rt_context *cx)
{
    flood_fut *fl = (flood_fut *)f;
    RT_BEGIN(&fl->co);
    for (fl->round = 0; fl->round < ROUNDS; fl->round++) {
        for (fl->i = 0; fl->i < PER_ROUND; fl->i++) {
            rt_future busy = { &busy_vtable };
            if (tk_spawn(&busy, sizeof busy, &fl->handles[fl->i]) != 0)
                rt_panic("out of memory spawning a busy task");
        }
        for (fl->i = 0; fl->i < PER_ROUND; fl->i++) {
            RT_AWAIT(&fl->co, &fl->handles[fl->i], cx);
            rt_join_handle_detach(&fl->handles[fl->i]);
        }
    }
    RT_END(&fl->co);
}
// endregion

static const rt_future_vtable flood_vtable = { flood_poll, NULL, "flood" };

/* The block_on future: flood must run on a worker (block_on's thread is not one), so spawn it. */
typedef struct main_fut {
    rt_future base;
    rt_async co;
    tk_join_handle flood;
} main_fut;

/* main_poll: tokio::spawn(flood()).await. */
static rt_poll main_poll(rt_future *f, rt_context *cx)
{
    main_fut *m = (main_fut *)f;
    RT_BEGIN(&m->co);
    flood_fut fl = { .base = { &flood_vtable } };
    if (tk_spawn(&fl.base, sizeof fl, &m->flood) != 0)
        rt_panic("out of memory spawning flood");
    RT_AWAIT(&m->co, &m->flood, cx);
    rt_join_handle_detach(&m->flood);
    RT_END(&m->co);
}

static const rt_future_vtable main_vtable = { main_poll, NULL, "main" };

/* process_cpu_ms: CPU time used by all threads of this process, in ms. */
static double process_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* one_run: the flood on `workers` workers; returns the wall time in ms and prints the shares. */
static double one_run(unsigned workers)
{
    tk_builder b = tk_builder_new_multi_thread();
    tk_builder_worker_threads(&b, workers);
    tk_builder_enable_all(&b);
    tk_runtime *rt;
    if (tk_builder_build(&b, &rt) != 0) {
        fprintf(stderr, "demo_steal: cannot build the runtime\n");
        return -1;
    }
    main_fut m = { .base = { &main_vtable } };
    uint64_t t0 = rt_monotonic_ns();
    double cpu0 = process_cpu_ms();
    tk_runtime_block_on(rt, &m.base);
    double ms = (double)(rt_monotonic_ns() - t0) / 1e6;
    double cpu = process_cpu_ms() - cpu0;
    rt_future_drop(&m.base);
    rt_runtime_metrics met = tk_runtime_metrics(rt);
    printf("%u worker%s: %.0f ms, %.0f ms of CPU: %.1f cores busy on average\n", workers,
           workers == 1 ? "" : "s", ms, cpu, cpu / ms);
    for (unsigned w = 0; w < met.workers; w++) {
        rt_worker_metrics *wm = &met.per_worker[w];
        printf("  worker %u: %5" PRIu64 " polls, %3" PRIu64 " steals moving %4" PRIu64
               " tasks, %2" PRIu64 " overflows\n", w, atomic_load(&wm->polls),
               atomic_load(&wm->steal_operations), atomic_load(&wm->steal_count),
               atomic_load(&wm->overflows));
    }
    tk_runtime_metrics_free(&met);
    tk_runtime_free(rt);
    return ms;
}

/* main: the same flood on one worker and on two, in one process. */
int main(void)
{
    printf("%d rounds of %d tasks of ~%d us of CPU each, all spawned from one worker:\n", ROUNDS,
           PER_ROUND, SPIN_NS / 1000);
    double one = one_run(1);
    double two = one_run(2);
    if (one > 0 && two > 0)
        printf("two workers took %.2f of the time one took (1.00 = no gain, 0.50 = perfect; a busy "
               "machine that cannot give us two cores shows about 1)\n", two / one);
    return 0;
}
