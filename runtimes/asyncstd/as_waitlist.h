/* as_waitlist.h: an intrusive FIFO of parked futures and their wakers -- the wait queue behind every as lock. */
#ifndef AS_WAITLIST_H
#define AS_WAITLIST_H

#include <stddef.h>

#include "rt_future.h"

/*
 * Every place in this runtime where a future waits for something another thread will provide
 * -- a readable socket, a channel slot, a semaphore permit -- follows one pattern: the future
 * links a waiter (embedded in its own struct, so waiting never allocates) on a list guarded by
 * the owner's mutex and returns pending; whoever provides the thing pops a waiter under the
 * same mutex, marks it `notified`, moves its waker out, unlocks, and wakes it.
 *
 * The waiter lives inside a future, so it may only be linked after the future's first poll
 * (from then on the future does not move). The future must unlink it in its drop. A waiter
 * that was popped and notified but whose future is dropped before it could use what it was
 * given must pass that on (the sync primitives do; see as_semaphore.c) -- otherwise a wake
 * meant for "someone" would be lost with the future that happened to receive it.
 *
 * Not thread-safe on its own: every call is made under the owner's lock.
 */
typedef struct as__waiter {
    struct as__waiter *prev, *next;
    rt_waker waker;          /* owned while linked; moved out by whoever pops the waiter */
    unsigned char linked;    /* on a list right now */
    unsigned char notified;  /* popped by a notifier that handed this waiter something */
} as__waiter;

typedef struct as__waitlist {
    as__waiter *head, *tail;
    size_t len;
} as__waitlist;

/* An unlinked waiter with no waker, for initialising futures. */
#define AS__WAITER_INIT ((as__waiter){ NULL, NULL, RT_WAKER_EMPTY, 0, 0 })

/* as__waitlist_init: an empty list. */
void as__waitlist_init(as__waitlist *l);
/* as__waitlist_park: link w at the tail with a clone of waker, or, if it is already linked,
 * just make sure its waker wakes the same task (no move, no reordering). Clears `notified`. */
void as__waitlist_park(as__waitlist *l, as__waiter *w, const rt_waker *waker);
/* as__waitlist_unlink: take w off the list if it is on it; its waker is moved into *out
 * (left empty if w was not linked). The caller drops or wakes *out after unlocking. */
void as__waitlist_unlink(as__waitlist *l, as__waiter *w, rt_waker *out);
/* as__waitlist_pop: unlink the oldest waiter, mark it notified and move its waker into *out;
 * 0 when the list is empty (then *out is left untouched), 1 otherwise. */
int as__waitlist_pop(as__waitlist *l, rt_waker *out);
/* as__waitlist_is_empty: nobody is waiting. */
static inline int as__waitlist_is_empty(const as__waitlist *l)
{
    return l->head == NULL;
}

#endif
