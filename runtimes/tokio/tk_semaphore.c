/* tk_semaphore.c: tokio's batch semaphore -- FIFO-fair permits, partial assignment, close. */
#include <errno.h>

#include "rt_panic.h"
#include "tk_coop.h"
#include "tk_sync.h"

/*
 * The design is tokio's batch_semaphore, with its atomic fast path replaced by the mutex:
 *
 *   - `permits` counts permits nobody holds and nobody is owed. A request that finds enough
 *     takes them and is done.
 *   - A request that does not find enough takes ALL that are there (partial assignment) and
 *     queues, remembering in its node how many it still needs. So while anyone is queued,
 *     `permits` is 0 -- that single invariant is the fairness: a newcomer, even one wanting a
 *     single permit, can never slip past the queue, and try_acquire fails while others wait.
 *   - A release feeds the queue from the head: each waiter's `needed` shrinks, and a waiter
 *     that reaches 0 is unlinked and woken. Only what is left after the queue empties goes
 *     back to `permits`.
 *   - A waiter that is dropped gives back what it was assigned, through the same release
 *     path, so the next waiters get it -- including the case where it was fully served and
 *     woken but its task never polled it again.
 */

enum { TK__ACQ_IDLE, TK__ACQ_QUEUED, TK__ACQ_DONE };

static rt_poll tk__acquire_poll(rt_future *f, rt_context *cx);
static void tk__acquire_drop(rt_future *f);

static const rt_future_vtable tk__acquire_vtable = {
    tk__acquire_poll, tk__acquire_drop, "tk_semaphore_acquire"
};

/* tk_semaphore_init: a plain mutex, `permits` free, an empty queue. */
int tk_semaphore_init(tk_semaphore *s, size_t permits)
{
    if (permits > TK_SEMAPHORE_MAX_PERMITS)
        rt_panic("a semaphore may not have more than TK_SEMAPHORE_MAX_PERMITS (%zu) permits",
                 (size_t)TK_SEMAPHORE_MAX_PERMITS);
    int rc = pthread_mutex_init(&s->lock, NULL);
    if (rc != 0)
        return -rc;
    s->permits = permits;
    s->closed = false;
    tk_waitlist_init(&s->waiters);
    return 0;
}

/* tk_semaphore_destroy: a queued node would point into a future that outlives us: refuse. */
void tk_semaphore_destroy(tk_semaphore *s)
{
    if (!tk_waitlist_is_empty(&s->waiters))
        rt_panic("tk_semaphore_destroy: futures are still waiting on this semaphore");
    pthread_mutex_destroy(&s->lock);
}

/*
 * tk__add_permits_locked: hand `n` permits out, head of the queue first. Called with the lock
 * held; returns with it RELEASED. When more waiters are completed than a wake batch holds,
 * the batch is fired with the lock dropped and the loop goes on: the undistributed rest is
 * held in `n` meanwhile, so a newcomer sees `permits` at 0 and queues behind -- order holds.
 */
static void tk__add_permits_locked(tk_semaphore *s, size_t n)
{
    tk_wakelist wakers;
    tk_wakelist_init(&wakers);
    for (;;) {
        tk_waiter *w;
        while (n > 0 && !tk_wakelist_full(&wakers) && (w = tk_waitlist_front(&s->waiters))) {
            size_t give = w->needed < n ? w->needed : n;
            w->needed -= give;
            n -= give;
            if (w->needed > 0)
                break; /* the head is still short: n is 0, nobody behind it may be served */
            tk_waitlist_pop_front(&s->waiters);
            tk_wakelist_push(&wakers, &w->waker);
        }
        if (n > 0 && tk_waitlist_is_empty(&s->waiters)) {
            if (n > TK_SEMAPHORE_MAX_PERMITS - s->permits) {
                pthread_mutex_unlock(&s->lock);
                tk_wakelist_wake_all(&wakers);
                rt_panic("number of added permits (%zu) would overflow "
                         "TK_SEMAPHORE_MAX_PERMITS (%zu)", n, (size_t)TK_SEMAPHORE_MAX_PERMITS);
            }
            s->permits += n;
            n = 0;
        }
        pthread_mutex_unlock(&s->lock);
        tk_wakelist_wake_all(&wakers);
        if (n == 0)
            return;
        pthread_mutex_lock(&s->lock);
    }
}

/* tk_semaphore_acquire: build the future; the node is linked only by a poll (it is pinned then). */
tk_semaphore_acquire_fut tk_semaphore_acquire(tk_semaphore *s, size_t n)
{
    if (n > TK_SEMAPHORE_MAX_PERMITS)
        rt_panic("cannot acquire %zu permits: more than TK_SEMAPHORE_MAX_PERMITS", n);
    tk_semaphore_acquire_fut a = {
        .base = { &tk__acquire_vtable },
        .sem = s,
        .permits = n,
        .state = TK__ACQ_IDLE,
        .result = 0,
    };
    tk_waiter_init(&a.node);
    return a;
}

/*
 * tk__acquire_poll: first poll takes or queues; later polls check the node. A waiter whose
 * `needed` reached 0 succeeds even if the semaphore was closed after: its permits were
 * assigned before the close, so "acquired, then closed" is the honest order of events.
 */
static rt_poll tk__acquire_poll(rt_future *f, rt_context *cx)
{
    tk_semaphore_acquire_fut *a = (tk_semaphore_acquire_fut *)f;
    tk_semaphore *s = a->sem;
    if (a->state == TK__ACQ_DONE)
        return RT_READY;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;

    rt_waker stale = RT_WAKER_EMPTY;
    pthread_mutex_lock(&s->lock);
    if (a->state == TK__ACQ_IDLE) {
        if (s->closed) {
            a->result = -EPIPE;
        } else if (s->permits >= a->permits) {
            s->permits -= a->permits;
            a->result = 0;
        } else {
            /* Take what there is and queue for the rest; `permits` drops to 0. */
            a->node.needed = a->permits - s->permits;
            s->permits = 0;
            tk_waiter_register(&a->node, cx->waker, &stale);
            tk_waitlist_push_back(&s->waiters, &a->node);
            a->state = TK__ACQ_QUEUED;
            pthread_mutex_unlock(&s->lock);
            tk_coop_undo();
            return RT_PENDING;
        }
    } else if (a->node.needed == 0) {
        a->result = 0;          /* a release completed us and unlinked the node */
    } else if (s->closed) {
        /* close unlinked us; what we had been assigned is nobody's now: put it back. */
        s->permits += a->permits - a->node.needed;
        a->node.needed = 0;
        a->result = -EPIPE;
    } else {
        tk_waiter_register(&a->node, cx->waker, &stale);
        pthread_mutex_unlock(&s->lock);
        rt_waker_drop(&stale);
        tk_coop_undo();
        return RT_PENDING;
    }
    a->state = TK__ACQ_DONE;
    stale = a->node.waker;      /* usually empty: the waker that woke us took it */
    a->node.waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&s->lock);
    rt_waker_drop(&stale);
    return RT_READY;
}

/*
 * tk__acquire_drop: cancellation. Unlink (unless a release or close already did), then give
 * back whatever was assigned -- a partial share, or everything if a release completed us and
 * our task never came back to see it. Giving back goes through the release path, so the next
 * waiter in line is served and woken: no permit and no wake-up is lost.
 */
static void tk__acquire_drop(rt_future *f)
{
    tk_semaphore_acquire_fut *a = (tk_semaphore_acquire_fut *)f;
    if (a->state != TK__ACQ_QUEUED)
        return;
    a->state = TK__ACQ_DONE;
    tk_semaphore *s = a->sem;
    pthread_mutex_lock(&s->lock);
    tk_waitlist_remove(&s->waiters, &a->node);
    rt_waker stale = a->node.waker;
    a->node.waker = RT_WAKER_EMPTY;
    size_t assigned = a->permits - a->node.needed;
    if (assigned > 0)
        tk__add_permits_locked(s, assigned); /* unlocks */
    else
        pthread_mutex_unlock(&s->lock);
    rt_waker_drop(&stale);
}

/* tk_semaphore_try_acquire: the fast path of a poll, without ever queueing. */
int tk_semaphore_try_acquire(tk_semaphore *s, size_t n)
{
    int rc;
    pthread_mutex_lock(&s->lock);
    if (s->closed) {
        rc = -EPIPE;
    } else if (s->permits >= n) {
        s->permits -= n;
        rc = 0;
    } else {
        rc = -EAGAIN;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* tk_semaphore_release: check the bound before taking the lock, then distribute. */
void tk_semaphore_release(tk_semaphore *s, size_t n)
{
    if (n == 0)
        return;
    if (n > TK_SEMAPHORE_MAX_PERMITS)
        rt_panic("cannot add %zu permits: more than TK_SEMAPHORE_MAX_PERMITS", n);
    pthread_mutex_lock(&s->lock);
    tk__add_permits_locked(s, n);
}

/*
 * tk_semaphore_close: mark closed, then unlink and wake every waiter, a batch at a time. Once
 * `closed` is set nobody can queue again, so dropping the lock between batches is safe: the
 * list only shrinks. Each woken future sees `closed` on its next poll and fails.
 */
void tk_semaphore_close(tk_semaphore *s)
{
    tk_wakelist wakers;
    tk_wakelist_init(&wakers);
    pthread_mutex_lock(&s->lock);
    s->closed = true;
    for (;;) {
        tk_waiter *w;
        while (!tk_wakelist_full(&wakers) && (w = tk_waitlist_pop_front(&s->waiters)))
            tk_wakelist_push(&wakers, &w->waker);
        bool more = !tk_waitlist_is_empty(&s->waiters);
        pthread_mutex_unlock(&s->lock);
        tk_wakelist_wake_all(&wakers);
        if (!more)
            return;
        pthread_mutex_lock(&s->lock);
    }
}

/* tk_semaphore_is_closed: read under the lock, so it orders with close. */
bool tk_semaphore_is_closed(tk_semaphore *s)
{
    pthread_mutex_lock(&s->lock);
    bool closed = s->closed;
    pthread_mutex_unlock(&s->lock);
    return closed;
}

/* tk_semaphore_available_permits: the unassigned count; stale as soon as it is returned. */
size_t tk_semaphore_available_permits(tk_semaphore *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->permits;
    pthread_mutex_unlock(&s->lock);
    return n;
}
