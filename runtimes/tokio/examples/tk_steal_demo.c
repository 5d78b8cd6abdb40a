/* tk_steal_demo.c: work stealing made visible -- one task floods its worker, the other steals. */
/*
 * The Rust original (RuntimeMetrics needs RUSTFLAGS="--cfg tokio_unstable"):
 *
 *     use std::time::{Duration, Instant};
 *
 *     async fn busy() {                       // ~50 us of CPU, never awaits
 *         let t = Instant::now();
 *         while t.elapsed() < Duration::from_micros(50) {}
 *     }
 *
 *     async fn flood() {                      // runs on one worker and spawns from there
 *         for _round in 0..ROUNDS {
 *             let handles: Vec<_> = (0..PER_ROUND).map(|_| tokio::spawn(busy())).collect();
 *             for h in handles { h.await.unwrap(); }
 *         }
 *     }
 *
 *     fn main() {
 *         let rt = tokio::runtime::Builder::new_multi_thread()
 *             .worker_threads(2).enable_all().build().unwrap();
 *         rt.block_on(async { tokio::spawn(flood()).await.unwrap() });
 *         let m = rt.metrics();
 *         // print every worker's worker_poll_count(i), worker_steal_operations(i), ...
 *         // then the conclusion drawn from them
 *     }
 *
 * Why it shows stealing: a task spawned *from a worker* goes into that worker's own queue
 * (first the LIFO slot, then its ring of 256), not into a shared one. So flood() piles 200
 * tasks onto its own worker. The other worker, with nothing queued, is woken, finds its own
 * queue empty, and steals half of the busy worker's ring. Each task spins ~50 us, so the
 * ring stays long for milliseconds, far longer than a steal takes. The 10 rounds give it 10
 * chances.
 *
 * Output: the metrics table (numbers vary from run to run), then e.g.
 *     conclusion: both workers polled tasks, and work was stolen (7 steal operations moved 612 tasks)
 */
#include <inttypes.h>
#include <stdio.h>

#include "rt_async.h"
#include "rt_clock.h"
#include "tk_runtime.h"

#define ROUNDS 10
#define PER_ROUND 200
#define SPIN_NS 50000u

/* ---- async fn busy(): CPU work that never awaits ----------------------------------------- */
typedef struct busy_fut {
    rt_future base;
} busy_fut;

/* busy_poll: spin ~50 us and finish -- ready on the first poll. */
static rt_poll busy_poll(rt_future *f, rt_context *cx)
{
    (void)f;
    (void)cx;
    uint64_t t = rt_monotonic_ns();
    while (rt_monotonic_ns() - t < SPIN_NS)
        continue;
    return RT_READY;
}

static const rt_future_vtable busy_vtable = { busy_poll, NULL, "busy" };

/* ---- async fn flood(): spawn a round, await it, again ------------------------------------ */
typedef struct flood_fut {
    rt_future base;
    rt_async co;
    int round, i, spawned;
    tk_join_handle handles[PER_ROUND];
} flood_fut;

/* flood_poll: every spawn here lands on this worker's own queue. */
static rt_poll flood_poll(rt_future *f, rt_context *cx)
{
    flood_fut *fl = (flood_fut *)f;
    RT_BEGIN(&fl->co);
    for (fl->round = 0; fl->round < ROUNDS; fl->round++) {
        for (fl->spawned = 0; fl->spawned < PER_ROUND; fl->spawned++) {
            busy_fut b = { .base = { &busy_vtable } };
            if (tk_spawn(&b.base, sizeof b, &fl->handles[fl->spawned]) != 0)
                rt_panic("out of memory spawning a busy task");
        }
        for (fl->i = 0; fl->i < PER_ROUND; fl->i++) {
            RT_AWAIT(&fl->co, &fl->handles[fl->i], cx);
            if (fl->handles[fl->i].outcome != RT_OUTCOME_OK)
                rt_panic("a busy task did not finish");
            rt_join_handle_detach(&fl->handles[fl->i]);
        }
        fl->spawned = 0;
    }
    RT_END(&fl->co);
}

/* flood_drop: detach whatever handles are still held. */
static void flood_drop(rt_future *f)
{
    flood_fut *fl = (flood_fut *)f;
    rt_async_drop(&fl->co);
    for (int i = 0; i < fl->spawned; i++)
        rt_join_handle_detach(&fl->handles[i]);
}

static const rt_future_vtable flood_vtable = { flood_poll, flood_drop, "flood" };

/* ---- the block_on future: tokio::spawn(flood()).await.unwrap() --------------------------- */
typedef struct demo_main {
    rt_future base;
    rt_async co;
    tk_join_handle flood;
} demo_main;

/* demo_main_poll: flood must run on a worker (block_on's thread is not one), so spawn it. */
static rt_poll demo_main_poll(rt_future *f, rt_context *cx)
{
    demo_main *m = (demo_main *)f;
    RT_BEGIN(&m->co);
    flood_fut fl = { .base = { &flood_vtable } };
    if (tk_spawn(&fl.base, sizeof fl, &m->flood) != 0)
        rt_panic("out of memory spawning flood");
    RT_AWAIT(&m->co, &m->flood, cx);
    if (m->flood.outcome != RT_OUTCOME_OK)
        rt_panic("flood did not finish");
    rt_join_handle_detach(&m->flood);
    RT_END(&m->co);
}

/* demo_main_drop: release the handle if cancelled. */
static void demo_main_drop(rt_future *f)
{
    demo_main *m = (demo_main *)f;
    rt_async_drop(&m->co);
    rt_join_handle_detach(&m->flood);
}

static const rt_future_vtable demo_main_vtable = { demo_main_poll, demo_main_drop, "main" };

/* conclude: the one line the demo exists for, computed from the counters, not assumed. */
static void conclude(tk_runtime *rt)
{
    rt_runtime_metrics m = tk_runtime_metrics(rt);
    if (m.workers != 2) {
        printf("conclusion: could not read the metrics\n");
        return;
    }
    uint64_t polls0 = atomic_load(&m.per_worker[0].polls);
    uint64_t polls1 = atomic_load(&m.per_worker[1].polls);
    uint64_t steals = rt_metrics_total(&m, offsetof(rt_worker_metrics, steal_operations));
    uint64_t stolen = rt_metrics_total(&m, offsetof(rt_worker_metrics, steal_count));
    if (polls0 > 0 && polls1 > 0 && steals > 0)
        printf("conclusion: both workers polled tasks, and work was stolen "
               "(%" PRIu64 " steal operations moved %" PRIu64 " tasks)\n", steals, stolen);
    else
        printf("conclusion: not shown this time (polls %" PRIu64 " and %" PRIu64
               ", %" PRIu64 " steal operations)\n", polls0, polls1, steals);
    tk_runtime_metrics_free(&m);
}

/* main: a 2-worker runtime, the flood, then the metrics and what they prove. */
int main(void)
{
    tk_builder b = tk_builder_new_multi_thread();
    tk_builder_worker_threads(&b, 2);
    tk_builder_enable_all(&b);
    tk_runtime *rt = NULL;
    int rc = tk_builder_build(&b, &rt);
    if (rc != 0) {
        fprintf(stderr, "tk_steal_demo: cannot build the runtime (error %d)\n", -rc);
        return 1;
    }
    demo_main m = { .base = { &demo_main_vtable } };
    tk_runtime_block_on(rt, &m.base);
    rt_future_drop(&m.base);
    tk_runtime_metrics_dump(rt, stdout);
    conclude(rt);
    tk_runtime_free(rt);
    return 0;
}
