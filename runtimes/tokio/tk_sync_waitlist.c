/* tk_sync_waitlist.c: the doubly linked FIFO of waiter nodes and the stack batch of wakers. */
#include "tk_sync_waitlist.h"

/* tk_waiter_init: zero links, no waker, no notification, not linked. */
void tk_waiter_init(tk_waiter *w)
{
    w->prev = w->next = NULL;
    w->waker = RT_WAKER_EMPTY;
    w->needed = 0;
    w->epoch = 0;
    w->notified = 0;
    w->linked = false;
}

/*
 * tk_waiter_register: the usual case is a re-poll by the same task, which already has its
 * waker stored; will_wake spares a clone and a drop (two refcount round trips) every time.
 * Cloning happens under the caller's lock: in both flavours a clone is one atomic increment
 * and cannot call back into us. The drop of the old waker is handed back instead.
 */
void tk_waiter_register(tk_waiter *w, const rt_waker *src, rt_waker *stale)
{
    if (!rt_waker_is_empty(&w->waker) && rt_waker_will_wake(&w->waker, src)) {
        *stale = RT_WAKER_EMPTY;
        return;
    }
    *stale = w->waker;
    w->waker = rt_waker_clone(src);
}

/* tk_waitlist_init: no head, no tail. */
void tk_waitlist_init(tk_waitlist *l)
{
    l->head = l->tail = NULL;
}

/* tk_waitlist_is_empty: the head says it all. */
bool tk_waitlist_is_empty(const tk_waitlist *l)
{
    return l->head == NULL;
}

/* tk_waitlist_push_back: link after the tail; the node becomes the newest waiter. */
void tk_waitlist_push_back(tk_waitlist *l, tk_waiter *w)
{
    w->next = NULL;
    w->prev = l->tail;
    if (l->tail)
        l->tail->next = w;
    else
        l->head = w;
    l->tail = w;
    w->linked = true;
}

/* tk_waitlist_front: peek at the oldest waiter. */
tk_waiter *tk_waitlist_front(const tk_waitlist *l)
{
    return l->head;
}

/* tk_waitlist_pop_front: unlink the oldest waiter and hand it back. */
tk_waiter *tk_waitlist_pop_front(tk_waitlist *l)
{
    tk_waiter *w = l->head;
    if (w)
        tk_waitlist_remove(l, w);
    return w;
}

/*
 * tk_waitlist_remove: O(1) unlink. The `linked` flag is what makes it safe to call from a
 * future's drop without knowing whether a notifier or a releaser popped the node first: both
 * happen under the same lock, so the flag is exact when read here.
 */
void tk_waitlist_remove(tk_waitlist *l, tk_waiter *w)
{
    if (!w->linked)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        l->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        l->tail = w->prev;
    w->prev = w->next = NULL;
    w->linked = false;
}

/* tk_wakelist_init: nothing collected yet. */
void tk_wakelist_init(tk_wakelist *wl)
{
    wl->len = 0;
}

/* tk_wakelist_full: the fixed capacity is reached. */
bool tk_wakelist_full(const tk_wakelist *wl)
{
    return wl->len == TK_WAKELIST_CAP;
}

/* tk_wakelist_push: take ownership of *w; its slot in the node is emptied, so the node no
 * longer holds a task reference and its future's drop has nothing to release. */
void tk_wakelist_push(tk_wakelist *wl, rt_waker *w)
{
    if (rt_waker_is_empty(w))
        return;
    wl->wakers[wl->len++] = *w;
    *w = RT_WAKER_EMPTY;
}

/* tk_wakelist_wake_all: fire in collection order, which is FIFO order of the waiters. */
void tk_wakelist_wake_all(tk_wakelist *wl)
{
    for (unsigned i = 0; i < wl->len; i++)
        rt_waker_wake(&wl->wakers[i]);
    wl->len = 0;
}
