/* tk_sync_waitlist.h: the intrusive FIFO of waiting futures, and a batch of wakers fired outside a lock. */
#ifndef TK_SYNC_WAITLIST_H
#define TK_SYNC_WAITLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_future.h"

/*
 * Every tk sync primitive that can make more than one future wait (Semaphore, Mutex, Notify,
 * the senders of a bounded mpsc channel) keeps them in one of these lists, as tokio does with
 * its intrusive LinkedList. The node lives INSIDE the pending future: waiting costs no
 * allocation, so it cannot fail, and the list needs no memory of its own. That is allowed
 * only because a future never moves after its first poll (rt_future.h), and a node is linked
 * only from a poll; the future's drop unlinks it before the memory goes away.
 *
 * The list is doubly linked, where the core's run queues get by with rt_qnode's single `next`:
 * a waiter can be cancelled at any moment (its future dropped), and unlinking it from the
 * middle of a singly linked list would mean walking the list under the lock.
 *
 * Locking: the list and every field of its nodes belong to the lock of the primitive that
 * owns the list. Nothing here locks; every function is called with that lock held.
 */
typedef struct tk_waiter {
    struct tk_waiter *prev, *next;
    rt_waker waker;     /* a clone of the waiting task's waker; whoever wakes it takes it */
    size_t needed;      /* Semaphore: permits still missing; 0 = fully assigned */
    uint64_t epoch;     /* Notify: the notify_waiters generation it registered in */
    int notified;       /* Notify: how it was notified (tk_notify.c), 0 = not yet */
    bool linked;        /* in a list right now */
} tk_waiter;

typedef struct tk_waitlist {
    tk_waiter *head, *tail; /* head is the oldest waiter: FIFO order is fairness */
} tk_waitlist;

/* tk_waiter_init: an unlinked node with no waker; what a future holds before its first poll. */
void tk_waiter_init(tk_waiter *w);
/* tk_waiter_register: make w->waker wake the task of `src`, cloning only if it would not
 * already; the replaced waker (or an empty one) goes to *stale, for the caller to drop AFTER
 * unlocking (dropping a waker may free a task, whose futures may take this very lock). */
void tk_waiter_register(tk_waiter *w, const rt_waker *src, rt_waker *stale);

/* tk_waitlist_init: an empty list. */
void tk_waitlist_init(tk_waitlist *l);
/* tk_waitlist_is_empty: true if nobody waits. */
bool tk_waitlist_is_empty(const tk_waitlist *l);
/* tk_waitlist_push_back: append w (which must be unlinked) as the newest waiter. */
void tk_waitlist_push_back(tk_waitlist *l, tk_waiter *w);
/* tk_waitlist_front: the oldest waiter, still linked, or NULL. */
tk_waiter *tk_waitlist_front(const tk_waitlist *l);
/* tk_waitlist_pop_front: unlink and return the oldest waiter, or NULL. */
tk_waiter *tk_waitlist_pop_front(tk_waitlist *l);
/* tk_waitlist_remove: unlink w if it is linked; a no-op if someone already popped it. */
void tk_waitlist_remove(tk_waitlist *l, tk_waiter *w);

/*
 * A batch of wakers collected under a lock and fired after it is released (tokio's WakeList).
 * Waking under the lock would be correct but slow -- the woken task may run on another thread
 * at once and block on the lock we still hold -- and dangerous, since a wake may drop the
 * last reference to a task. The batch is bounded so that it lives on the stack; a caller with
 * more to wake than fits fires the batch, relocks and carries on.
 */
#define TK_WAKELIST_CAP 32

typedef struct tk_wakelist {
    rt_waker wakers[TK_WAKELIST_CAP];
    unsigned len;
} tk_wakelist;

/* tk_wakelist_init: an empty batch. */
void tk_wakelist_init(tk_wakelist *wl);
/* tk_wakelist_full: no room for another waker; fire the batch before pushing more. */
bool tk_wakelist_full(const tk_wakelist *wl);
/* tk_wakelist_push: move *w into the batch (it is left empty); empty wakers are skipped. */
void tk_wakelist_push(tk_wakelist *wl, rt_waker *w);
/* tk_wakelist_wake_all: wake (and consume) every waker in the batch; call with no lock held. */
void tk_wakelist_wake_all(tk_wakelist *wl);

#endif
