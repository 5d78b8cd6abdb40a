/* tk_spawn_blocking.c: CPU-heavy work on the blocking pool while a ticker task keeps time. */
/*
 * The Rust original (the tutorial's "CPU-bound work", made runnable):
 *
 *     use std::time::{Duration, Instant};
 *
 *     fn is_prime(n: u64) -> bool {
 *         let mut d = 2;
 *         while d * d <= n {
 *             if n % d == 0 { return false; }
 *             d += 1;
 *         }
 *         n >= 2
 *     }
 *
 *     fn heavy_computation() -> u64 {
 *         println!("computation started on a blocking thread");
 *         let count = (0..LIMIT).filter(|&n| is_prime(n)).count() as u64;
 *         println!("computation finished");
 *         count
 *     }
 *
 *     #[tokio::main]
 *     async fn main() {
 *         let start = Instant::now();
 *         let ticker = tokio::spawn(async move {
 *             let mut interval = tokio::time::interval(Duration::from_millis(200));
 *             for i in 1.. {
 *                 interval.tick().await;
 *                 println!("tick {} at {} ms", i, start.elapsed().as_millis());
 *             }
 *         });
 *         let primes = tokio::task::spawn_blocking(heavy_computation).await.unwrap();
 *         ticker.abort();
 *         println!("primes below {}: {}", LIMIT, primes);
 *     }
 *
 * Output (the number of ticks depends on the machine; they keep coming every 200 ms while
 * the computation runs, because it runs on a pool thread, not on a worker):
 *     computation started on a blocking thread
 *     tick 1 at 0 ms
 *     tick 2 at 200 ms
 *     tick 3 at 400 ms
 *     ...
 *     computation finished
 *     primes below 5000000: 348513
 *
 * Had main called heavy_computation() directly inside a task, that task's worker would have
 * been stuck for the whole computation (see tk_blocking.c).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "rt_async.h"
#include "rt_clock.h"
#include "tk_blocking.h"
#include "tk_runtime.h"
#include "tk_time.h"

#define LIMIT 5000000u

static uint64_t start_ns;     /* let start = Instant::now() */

/* is_prime: trial division -- slow on purpose, it is the "heavy computation". */
static int is_prime(uint64_t n)
{
    for (uint64_t d = 2; d * d <= n; d++)
        if (n % d == 0)
            return 0;
    return n >= 2;
}

/* heavy_computation: runs on a blocking-pool thread; its return value is the task's output. */
static void *heavy_computation(void *arg)
{
    (void)arg;
    printf("computation started on a blocking thread\n");
    uint64_t count = 0;
    for (uint64_t n = 0; n < LIMIT; n++)
        count += (uint64_t)is_prime(n);
    printf("computation finished\n");
    return (void *)(uintptr_t)count;
}

/* ---- the ticker: async move { loop { interval.tick().await; println!(...) } } ------------- */
typedef struct ticker_fut {
    rt_future base;
    rt_async co;
    tk_interval interval;
    tk_tick_fut tick;
    unsigned i;
} ticker_fut;

/* ticker_poll: forever -- it ends only when main aborts it. */
static rt_poll ticker_poll(rt_future *f, rt_context *cx)
{
    ticker_fut *t = (ticker_fut *)f;
    RT_BEGIN(&t->co);
    t->interval = tk_interval_new(200);
    for (t->i = 1;; t->i++) {
        t->tick = tk_interval_tick(&t->interval);
        RT_AWAIT(&t->co, &t->tick, cx);
        printf("tick %u at %" PRIu64 " ms\n", t->i, (rt_monotonic_ns() - start_ns) / 1000000u);
    }
    RT_END(&t->co);
}

/* ticker_drop: abort lands here, and the pending tick's timer is released. */
static void ticker_drop(rt_future *f)
{
    rt_async_drop(&((ticker_fut *)f)->co);
}

static const rt_future_vtable ticker_vtable = { ticker_poll, ticker_drop, "ticker" };

/* ---- async fn main() --------------------------------------------------------------------- */
typedef struct sb_main {
    rt_future base;
    rt_async co;
    tk_join_handle ticker;
    tk_join_handle computation;
    uint64_t primes;
} sb_main;

/* sb_main_poll: start the ticker, hand the computation to the pool, await it, stop the ticker. */
static rt_poll sb_main_poll(rt_future *f, rt_context *cx)
{
    sb_main *m = (sb_main *)f;
    RT_BEGIN(&m->co);
    start_ns = rt_monotonic_ns();
    ticker_fut t = { .base = { &ticker_vtable } };
    if (tk_spawn(&t.base, sizeof t, &m->ticker) != 0)
        rt_panic("out of memory spawning the ticker");
    if (tk_spawn_blocking(heavy_computation, NULL, &m->computation) != 0)
        rt_panic("out of memory spawning the computation");
    RT_AWAIT(&m->co, &m->computation, cx);
    if (m->computation.outcome != RT_OUTCOME_OK)
        rt_panic("the computation did not finish: %s", rt_join_outcome_name(m->computation.outcome));
    m->primes = (uint64_t)(uintptr_t)tk_blocking_result(&m->computation);
    rt_join_handle_detach(&m->computation);
    rt_join_handle_abort(&m->ticker);          /* ticker.abort() */
    rt_join_handle_detach(&m->ticker);
    printf("primes below %u: %" PRIu64 "\n", LIMIT, m->primes);
    RT_END(&m->co);
}

/* sb_main_drop: let go of both handles (detach is a no-op on an emptied one). */
static void sb_main_drop(rt_future *f)
{
    sb_main *m = (sb_main *)f;
    rt_async_drop(&m->co);
    rt_join_handle_detach(&m->computation);
    rt_join_handle_detach(&m->ticker);
}

static const rt_future_vtable sb_main_vtable = { sb_main_poll, sb_main_drop, "main" };

/* sb_main_new: the async main, not yet polled. */
static sb_main sb_main_new(void)
{
    return (sb_main){ .base = { &sb_main_vtable } };
}

TK_MAIN(sb_main_new)
