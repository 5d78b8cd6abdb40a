/* tk_notify.c: tokio's Notify -- notify_one with one stored permit, notify_waiters for all. */
#include "rt_panic.h"
#include "tk_coop.h"
#include "tk_sync.h"

/*
 * A notified future goes INIT -> WAITING -> DONE. Its first poll consumes a stored permit, or
 * sees that notify_waiters ran since the future was created, or else links its node at the
 * tail of the waiter list. A notifier chooses waiters from the head, marks the node with how
 * it was chosen (node.notified), unlinks it and takes its waker to wake after unlocking. The
 * future's next poll sees the mark and completes.
 *
 * The mark matters at cancellation. A waiter chosen by notify_one that is dropped before it
 * observed the notification must pass it on (to the next waiter, or as the stored permit):
 * otherwise the notification would vanish with it, and a notify_one meant for "somebody"
 * would wake nobody. A waiter chosen by notify_waiters passes nothing on -- that call was for
 * the waiters of its moment, and the others it woke are not owed anything more.
 */

enum { TK__NOTIFIED_INIT, TK__NOTIFIED_WAITING, TK__NOTIFIED_DONE };
enum { TK__NOTIFIED_BY_NONE, TK__NOTIFIED_BY_ONE, TK__NOTIFIED_BY_ALL };

static rt_poll tk__notified_poll(rt_future *f, rt_context *cx);
static void tk__notified_drop(rt_future *f);

static const rt_future_vtable tk__notified_vtable = {
    tk__notified_poll, tk__notified_drop, "tk_notify_notified"
};

/* tk_notify_init: no permit, generation 0, nobody waiting. */
int tk_notify_init(tk_notify *n)
{
    int rc = pthread_mutex_init(&n->lock, NULL);
    if (rc != 0)
        return -rc;
    n->permit = false;
    atomic_init(&n->epoch, 0);
    tk_waitlist_init(&n->waiters);
    return 0;
}

/* tk_notify_destroy: a linked node would point into a future that outlives us: refuse. */
void tk_notify_destroy(tk_notify *n)
{
    if (!tk_waitlist_is_empty(&n->waiters))
        rt_panic("tk_notify_destroy: futures are still waiting on this Notify");
    pthread_mutex_destroy(&n->lock);
}

/* tk__notify_one_locked: choose the oldest waiter, or store the permit (a second permit is
 * the same as one: it is a flag, not a count). Returns the waker to fire after unlocking. */
static rt_waker tk__notify_one_locked(tk_notify *n)
{
    tk_waiter *w = tk_waitlist_pop_front(&n->waiters);
    if (!w) {
        n->permit = true;
        return RT_WAKER_EMPTY;
    }
    w->notified = TK__NOTIFIED_BY_ONE;
    rt_waker waker = w->waker;
    w->waker = RT_WAKER_EMPTY;
    return waker;
}

/* tk_notify_notify_one: choose under the lock, wake outside it. */
void tk_notify_notify_one(tk_notify *n)
{
    pthread_mutex_lock(&n->lock);
    rt_waker waker = tk__notify_one_locked(n);
    pthread_mutex_unlock(&n->lock);
    rt_waker_wake(&waker);
}

/*
 * tk_notify_notify_waiters: bump the generation first, then wake the waiters that registered
 * in an older generation -- exactly those waiting at the time of the call. They form a prefix
 * of the list (nodes are appended in registration order, and a node registering after the
 * bump carries the new generation), so popping from the head while the head is older is the
 * whole algorithm. That lets us drop the lock between batches of wakes without waking a
 * future that started waiting after the call (the bug tokio 1.24 has here, fixed in 1.26 with
 * a guard node) and without ever holding a pointer to a node while unlocked.
 *
 * The generation is stored seq_cst to pair with the seq_cst load in tk_notify_notified: a
 * caller doing "set flag; notify_waiters" against "notified(); check flag; await" is the
 * store-buffering pattern, and only sequential consistency rules out both sides missing.
 */
void tk_notify_notify_waiters(tk_notify *n)
{
    tk_wakelist wakers;
    tk_wakelist_init(&wakers);
    pthread_mutex_lock(&n->lock);
    uint64_t epoch = atomic_load_explicit(&n->epoch, memory_order_relaxed) + 1;
    atomic_store_explicit(&n->epoch, epoch, memory_order_seq_cst);
    for (;;) {
        tk_waiter *w;
        while (!tk_wakelist_full(&wakers) && (w = tk_waitlist_front(&n->waiters)) &&
               w->epoch < epoch) {
            tk_waitlist_pop_front(&n->waiters);
            w->notified = TK__NOTIFIED_BY_ALL;
            tk_wakelist_push(&wakers, &w->waker);
        }
        bool more = tk_wakelist_full(&wakers);
        pthread_mutex_unlock(&n->lock);
        tk_wakelist_wake_all(&wakers);
        if (!more)
            return;
        pthread_mutex_lock(&n->lock);
    }
}

/* tk_notify_notified: snapshot the generation now -- tokio 1.24's rule that a future counts
 * every notify_waiters call made after its creation, polled or not. */
tk_notify_notified_fut tk_notify_notified(tk_notify *n)
{
    tk_notify_notified_fut nf = {
        .base = { &tk__notified_vtable },
        .notify = n,
        .epoch = atomic_load_explicit(&n->epoch, memory_order_seq_cst),
        .state = TK__NOTIFIED_INIT,
    };
    tk_waiter_init(&nf.node);
    return nf;
}

/* tk__notified_poll: INIT tries the permit, then the generation, then registers (tokio's
 * order: a stored permit is consumed even if a notify_waiters also happened). WAITING checks
 * the mark a notifier left. Unlike tokio's, it spends a coop unit, as every tk leaf does. */
static rt_poll tk__notified_poll(rt_future *f, rt_context *cx)
{
    tk_notify_notified_fut *nf = (tk_notify_notified_fut *)f;
    tk_notify *n = nf->notify;
    if (nf->state == TK__NOTIFIED_DONE)
        return RT_READY;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;

    rt_waker stale = RT_WAKER_EMPTY;
    pthread_mutex_lock(&n->lock);
    if (nf->state == TK__NOTIFIED_INIT) {
        if (n->permit) {
            n->permit = false;
        } else if (atomic_load_explicit(&n->epoch, memory_order_relaxed) != nf->epoch) {
            /* notify_waiters ran after we were created: that call was for us too. */
        } else {
            nf->node.epoch = nf->epoch;
            nf->node.notified = TK__NOTIFIED_BY_NONE;
            tk_waiter_register(&nf->node, cx->waker, &stale);
            tk_waitlist_push_back(&n->waiters, &nf->node);
            nf->state = TK__NOTIFIED_WAITING;
            pthread_mutex_unlock(&n->lock);
            tk_coop_undo();
            return RT_PENDING;
        }
    } else if (nf->node.notified == TK__NOTIFIED_BY_NONE) {
        tk_waiter_register(&nf->node, cx->waker, &stale); /* still linked: refresh the waker */
        pthread_mutex_unlock(&n->lock);
        rt_waker_drop(&stale);
        tk_coop_undo();
        return RT_PENDING;
    }
    nf->state = TK__NOTIFIED_DONE;
    stale = nf->node.waker;
    nf->node.waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&n->lock);
    rt_waker_drop(&stale);
    return RT_READY;
}

/* tk__notified_drop: unlink if still waiting; if a notify_one chose us and we never saw it,
 * hand it to the next waiter (or store it) so it is not lost with us. */
static void tk__notified_drop(rt_future *f)
{
    tk_notify_notified_fut *nf = (tk_notify_notified_fut *)f;
    if (nf->state != TK__NOTIFIED_WAITING)
        return;
    nf->state = TK__NOTIFIED_DONE;
    tk_notify *n = nf->notify;
    rt_waker forward = RT_WAKER_EMPTY;
    pthread_mutex_lock(&n->lock);
    if (nf->node.linked)
        tk_waitlist_remove(&n->waiters, &nf->node);
    else if (nf->node.notified == TK__NOTIFIED_BY_ONE)
        forward = tk__notify_one_locked(n);
    rt_waker stale = nf->node.waker;
    nf->node.waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&n->lock);
    rt_waker_wake(&forward);
    rt_waker_drop(&stale);
}
