/* gate.h: lessons 09 and 10's grading kit -- a thread-safe transcript, and a gate that opens only once main is waiting for its crew. */
#ifndef LESSON09_GATE_H
#define LESSON09_GATE_H

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rt_future.h"
#include "rt_panic.h"

/*
 * Two small tools shared by lessons 09 and 10 (their crew.h files and graders).
 *
 * crew_log is a transcript that many threads append whole lines to: on a multi-threaded
 * runtime the workers run on several threads at once, and printf to one buffer from all of them
 * would be a data race. A mutex makes each line one indivisible append.
 *
 * gate is the graders' stand-in for the seed's `sleep(Duration::from_secs(1))`. The seed's
 * workers sleep for a second, and the seed's main either sleeps longer (tokio) or does not wait
 * at all (async-std). Whether a worker "finishes in time" then depends on how fast the machine
 * is, and a grader built on that would pass or fail at random on a loaded machine. The gate
 * removes the clock: a worker waits on it, and it opens when two things are both true --
 *
 *   - the main future has returned RT_PENDING at least once (it is waiting for something), and
 *   - every worker made so far has started (so "all started before any finished" is exact).
 *
 * A main that awaits its JoinHandles satisfies both, and its workers finish. A main that
 * detaches its workers and returns never waits, so the gate never opens before main is gone,
 * and the workers are cancelled with the runtime -- always, not just on a fast machine. That
 * is the seed's "detached workers may not finish", made deterministic.
 */

#define GATE_MAX 64

/* ---- crew_log: a transcript many threads append lines to ---------------------------------- */
typedef struct crew_log {
    pthread_mutex_t mu;
    char text[8192];
    size_t len;
    int lines;
} crew_log;

/* crew_log_init: an empty log. */
static inline void crew_log_init(crew_log *log)
{
    pthread_mutex_init(&log->mu, NULL);
    log->text[0] = '\0';
    log->len = 0;
    log->lines = 0;
}

/* crew_log_destroy: release the mutex (the text stays readable). */
static inline void crew_log_destroy(crew_log *log)
{
    pthread_mutex_destroy(&log->mu);
}

/* crew_log_line: append one formatted line and a newline, atomically; truncates when full. */
static inline void crew_log_line(crew_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void crew_log_line(crew_log *log, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = (int)sizeof line - 1;
    pthread_mutex_lock(&log->mu);
    if (log->len + (size_t)n + 2 <= sizeof log->text) {
        memcpy(log->text + log->len, line, (size_t)n);
        log->len += (size_t)n;
        log->text[log->len++] = '\n';
        log->text[log->len] = '\0';
        log->lines++;
    }
    pthread_mutex_unlock(&log->mu);
}

/* ---- gate: opens when main is waiting and every worker made so far has started ------------- */
typedef struct gate {
    pthread_mutex_t mu;
    int open;
    int main_pending;           /* main returned RT_PENDING at least once */
    unsigned made, started;     /* workers constructed / workers that began to run */
    rt_waker waiters[GATE_MAX]; /* one slot per worker id, empty when nobody waits there */
} gate;

/* gate_init: a closed gate. */
static inline void gate_init(gate *g)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->mu, NULL);
}

/* gate__open_locked: open if both conditions hold; moves the waiting wakers into `out` (the
 * caller wakes them after unlocking: a wake may run a task, which may come back to the gate). */
static inline unsigned gate__open_locked(gate *g, rt_waker *out)
{
    unsigned n = 0;
    if (g->open || !g->main_pending || g->started < g->made)
        return 0;
    g->open = 1;
    for (unsigned i = 0; i < GATE_MAX; i++) {
        if (!rt_waker_is_empty(&g->waiters[i])) {
            out[n++] = g->waiters[i];
            g->waiters[i] = RT_WAKER_EMPTY;
        }
    }
    return n;
}

/* gate__note: record one event under the lock (which counter is given by the caller), then open
 * the gate if that was the last condition missing, waking whoever waits. */
static inline void gate__note(gate *g, unsigned *counter_or_null, int main_pending)
{
    rt_waker wake[GATE_MAX];
    pthread_mutex_lock(&g->mu);
    if (counter_or_null)
        (*counter_or_null)++;
    if (main_pending)
        g->main_pending = 1;
    unsigned n = gate__open_locked(g, wake);
    pthread_mutex_unlock(&g->mu);
    for (unsigned i = 0; i < n; i++)
        rt_waker_wake(&wake[i]);
}

/* gate_made: a worker was constructed (called by the worker's constructor). */
static inline void gate_made(gate *g)
{
    gate__note(g, &g->made, 0);
}

/* gate_started: a worker began to run (its first poll). */
static inline void gate_started(gate *g)
{
    gate__note(g, &g->started, 0);
}

/* gate_main_pending: the main future returned RT_PENDING. */
static inline void gate_main_pending(gate *g)
{
    gate__note(g, NULL, 1);
}

/* gate_is_open: whether it opened (for the grader's messages). */
static inline int gate_is_open(gate *g)
{
    pthread_mutex_lock(&g->mu);
    int open = g->open;
    pthread_mutex_unlock(&g->mu);
    return open;
}

/* gate_destroy: drop wakers still parked (none after a normal run) and the mutex. */
static inline void gate_destroy(gate *g)
{
    for (unsigned i = 0; i < GATE_MAX; i++)
        rt_waker_drop(&g->waiters[i]);
    pthread_mutex_destroy(&g->mu);
}

/* The future a worker awaits: ready once the gate is open. `slot` is the worker's id. */
typedef struct gate_wait_fut {
    rt_future base;
    gate *g;
    unsigned slot;
} gate_wait_fut;

/* gate_wait_poll: ready if open; else leave (or refresh) our waker in our slot. The check and
 * the store happen under the lock that gate__open_locked takes, so the opening cannot fall
 * between them: either we see it open, or the opener sees our waker. */
static inline rt_poll gate_wait_poll(rt_future *f, rt_context *cx)
{
    gate_wait_fut *w = (gate_wait_fut *)f;
    pthread_mutex_lock(&w->g->mu);
    if (w->g->open) {
        pthread_mutex_unlock(&w->g->mu);
        return RT_READY;
    }
    rt_waker_replace(&w->g->waiters[w->slot], cx->waker);
    pthread_mutex_unlock(&w->g->mu);
    return RT_PENDING;
}

/* gate_wait_drop: a worker cancelled while waiting takes its waker back out of the gate. */
static inline void gate_wait_drop(rt_future *f)
{
    gate_wait_fut *w = (gate_wait_fut *)f;
    pthread_mutex_lock(&w->g->mu);
    rt_waker mine = w->g->waiters[w->slot];
    w->g->waiters[w->slot] = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&w->g->mu);
    rt_waker_drop(&mine);
}

static const rt_future_vtable gate_wait_vtable = { gate_wait_poll, gate_wait_drop, "gate_wait" };

/* gate_wait: the future for worker `slot` (0 <= slot < GATE_MAX). */
static inline gate_wait_fut gate_wait(gate *g, unsigned slot)
{
    if (slot >= GATE_MAX)
        rt_panic("gate_wait: slot %u is out of range (at most %d workers)", slot, GATE_MAX);
    return (gate_wait_fut){ .base = { &gate_wait_vtable }, .g = g, .slot = slot };
}

/* A future that runs `inner` and tells the gate each time inner returns RT_PENDING: the
 * graders wrap the student's main in it. It owns inner (drops it). */
typedef struct gate_probe_fut {
    rt_future base;
    rt_future *inner;
    gate *g;
    int polls;
    int ready;
    pthread_t polled_on;        /* the thread of the last poll */
} gate_probe_fut;

/* gate_probe_poll: poll inner; report a pending main to the gate. */
static inline rt_poll gate_probe_poll(rt_future *f, rt_context *cx)
{
    gate_probe_fut *p = (gate_probe_fut *)f;
    p->polls++;
    p->polled_on = pthread_self();
    rt_poll r = rt_future_poll(p->inner, cx);
    if (r == RT_PENDING)
        gate_main_pending(p->g);
    else
        p->ready = 1;
    return r;
}

/* gate_probe_drop: drop inner, exactly once. */
static inline void gate_probe_drop(rt_future *f)
{
    gate_probe_fut *p = (gate_probe_fut *)f;
    if (p->inner) {
        rt_future_drop(p->inner);
        p->inner = NULL;
    }
}

static const rt_future_vtable gate_probe_vtable = { gate_probe_poll, gate_probe_drop, "main" };

/* gate_probe: wrap inner (which must not move from now on). */
static inline gate_probe_fut gate_probe(rt_future *inner, gate *g)
{
    return (gate_probe_fut){ .base = { &gate_probe_vtable }, .inner = inner, .g = g };
}

#endif
