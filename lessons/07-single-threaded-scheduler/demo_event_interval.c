/* demo_event_interval.c: lesson 07 -- a task that never stops yielding, a 10 ms ticker, and tokio's event_interval. */
#include <limits.h>
#include <stdio.h>

#include "rt_async.h"
#include "rt_clock.h"
#include "rt_panic.h"
#include "tk_runtime.h"
#include "tk_time.h"

/*
 * A current_thread scheduler has one run queue. A task that yields (tokio::task::yield_now)
 * goes to its back, so other *runnable* tasks still get their turn. But a sleeping task is
 * not runnable: it becomes runnable only when the driver -- timers and IO -- notices its
 * deadline, and the driver is normally polled when the run queue is empty. A task that yields
 * in a loop keeps the queue from ever being empty.
 *
 * tokio's answer is event_interval: after that many tasks (61), poll the driver without
 * blocking, runnable tasks or not. This demo runs the same two tasks twice in one process --
 * a yielder that spins for 300 ms and a ticker that sleeps 10 ms at a time and measures how
 * late each sleep ends -- once with event_interval 61, and once with the interval so large that
 * the driver is polled only when the run queue is empty -- and compares.
 */

enum { SPIN_MS = 300, TICK_MS = 10 };

/* The ticker: sleep 10 ms until the yielder is done; record how late each sleep ended. */
typedef struct ticker_fut {
    rt_future base;
    rt_async co;
    const _Atomic int *stop;
    uint64_t started_ns;
    tk_sleep_fut nap;
    int ticks;
    double total_ms;   /* the outputs: lateness of all the sleeps, added up ... */
    double worst_ms;   /* ... and the latest a 10 ms sleep ended, past its 10 ms */
} ticker_fut;

/* ticker_poll: sleep, measure, repeat. */
static rt_poll ticker_poll(rt_future *f, rt_context *cx)
{
    ticker_fut *t = (ticker_fut *)f;
    RT_BEGIN(&t->co);
    while (!*t->stop) {
        t->started_ns = rt_monotonic_ns();
        t->nap = tk_sleep(TICK_MS);
        RT_AWAIT(&t->co, &t->nap, cx);
        double late = (double)(rt_monotonic_ns() - t->started_ns) / 1e6 - TICK_MS;
        t->total_ms += late;
        if (late > t->worst_ms)
            t->worst_ms = late;
        t->ticks++;
    }
    RT_END(&t->co);
}

/* ticker_drop: the sleep in flight, if any. */
static void ticker_drop(rt_future *f)
{
    rt_async_drop(&((ticker_fut *)f)->co);
}

static const rt_future_vtable ticker_vtable = { ticker_poll, ticker_drop, "ticker" };

// region: yielder
/* The yielder: busy for SPIN_MS, but polite -- it yields after every slice of work. */
typedef struct yielder_fut {
    rt_future base;
    rt_async co;
    _Atomic int *stop;
    uint64_t until_ns;
    tk_yield_fut y;
    long yields;
} yielder_fut;

/* yielder_poll: yield_now in a loop until the time is up, then tell the ticker to stop. */
static rt_poll yielder_poll(rt_future *f, rt_context *cx)
{
    yielder_fut *self = (yielder_fut *)f;
    RT_BEGIN(&self->co);
    self->until_ns = rt_monotonic_ns() + SPIN_MS * 1000000ull;
    while (rt_monotonic_ns() < self->until_ns) {
        self->y = tk_yield_now();                  /* tokio::task::yield_now().await */
        RT_AWAIT(&self->co, &self->y, cx);
        self->yields++;
    }
    *self->stop = 1;
    RT_END(&self->co);
}
// endregion

static const rt_future_vtable yielder_vtable = { yielder_poll, NULL, "yielder" };

/* The main future: spawn both, join both. */
typedef struct main_fut {
    rt_future base;
    rt_async co;
    _Atomic int stop;
    tk_join_handle ticker, yielder;
} main_fut;

/* main_poll: spawn the ticker and the yielder; wait for both. */
static rt_poll main_poll(rt_future *f, rt_context *cx)
{
    main_fut *m = (main_fut *)f;
    RT_BEGIN(&m->co);
    ticker_fut t = { .base = { &ticker_vtable }, .stop = &m->stop };
    yielder_fut y = { .base = { &yielder_vtable }, .stop = &m->stop };
    if (tk_spawn(&t.base, sizeof t, &m->ticker) != 0 || tk_spawn(&y.base, sizeof y, &m->yielder) != 0)
        rt_panic("out of memory spawning");
    RT_AWAIT(&m->co, &m->ticker, cx);
    RT_AWAIT(&m->co, &m->yielder, cx);
    RT_END(&m->co);
}

static const rt_future_vtable main_vtable = { main_poll, NULL, "main" };

/* one_run: the two tasks on a current_thread runtime with the given event_interval. */
static void one_run(unsigned event_interval)
{
    tk_builder b = tk_builder_new_current_thread();
    tk_builder_enable_all(&b);
    tk_builder_event_interval(&b, event_interval);
    tk_runtime *rt;
    if (tk_builder_build(&b, &rt) != 0) {
        fprintf(stderr, "demo_event_interval: cannot build the runtime\n");
        return;
    }
    main_fut m = { .base = { &main_vtable } };
    tk_runtime_block_on(rt, &m.base);
    ticker_fut *t = (ticker_fut *)rt_join_handle_output(&m.ticker);
    yielder_fut *y = (yielder_fut *)rt_join_handle_output(&m.yielder);
    char label[32];
    if (event_interval == UINT_MAX)
        snprintf(label, sizeof label, "only when idle");
    else
        snprintf(label, sizeof label, "every %u tasks", event_interval);
    printf("driver polled %s: %d tick%s, each 10 ms sleep ended %.1f ms late on average, the "
           "worst %.1f ms (%ld yields)\n", label, t->ticks, t->ticks == 1 ? "" : "s",
           t->ticks ? t->total_ms / t->ticks : 0.0, t->worst_ms, y->yields);
    rt_join_handle_detach(&m.ticker);
    rt_join_handle_detach(&m.yielder);
    rt_future_drop(&m.base);
    tk_runtime_free(rt);
}

/* main: tokio's default, then a scheduler that looks at its timers only when it has nothing else to do. */
int main(void)
{
    printf("a yielder spins for %d ms beside a ticker that sleeps %d ms at a time:\n", SPIN_MS,
           TICK_MS);
    one_run(61);
    one_run(UINT_MAX);
    return 0;
}
