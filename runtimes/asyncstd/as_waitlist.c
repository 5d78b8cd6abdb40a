/* as_waitlist.c: the doubly linked FIFO of waiters that channels, semaphores and IO handles share. */
#include "as_waitlist.h"

/*
 * Doubly linked so that a future that is dropped while waiting (a cancelled task, a timeout
 * that fired first) can leave from the middle in O(1). The lists are short in practice, but
 * an accept loop with a thousand connections each waiting on its own socket is not unusual,
 * and cancellation storms at shutdown touch every one of them.
 */

/* as__waitlist_init: an empty list. */
void as__waitlist_init(as__waitlist *l)
{
    l->head = l->tail = NULL;
    l->len = 0;
}

/* as__waitlist_park: link at the tail, or refresh the waker of a waiter already linked. A
 * waiter keeps its place when it is polled again: re-queueing it at the tail on every spurious
 * poll would let a busy waiter be overtaken forever. Refreshing may drop the old waker under
 * the owner's lock; that is safe because a future never moves after its first poll, so the old
 * waker belongs to the task that owns this very future -- which is alive, polling us -- and
 * dropping it cannot free a task (and run a drop that would take this lock again). */
void as__waitlist_park(as__waitlist *l, as__waiter *w, const rt_waker *waker)
{
    w->notified = 0;
    if (w->linked) {
        rt_waker_replace(&w->waker, waker);
        return;
    }
    w->waker = rt_waker_clone(waker);
    w->next = NULL;
    w->prev = l->tail;
    if (l->tail)
        l->tail->next = w;
    else
        l->head = w;
    l->tail = w;
    w->linked = 1;
    l->len++;
}

/* as__waitlist_remove: unlink w, which is on l. */
static void as__waitlist_remove(as__waitlist *l, as__waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        l->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        l->tail = w->prev;
    w->prev = w->next = NULL;
    w->linked = 0;
    l->len--;
}

/* as__waitlist_unlink: leave the list (if on it), handing the waker to the caller. */
void as__waitlist_unlink(as__waitlist *l, as__waiter *w, rt_waker *out)
{
    *out = RT_WAKER_EMPTY;
    if (!w->linked)
        return;
    as__waitlist_remove(l, w);
    *out = w->waker;
    w->waker = RT_WAKER_EMPTY;
}

/* as__waitlist_pop: FIFO order; the waiter learns it was chosen through `notified`. */
int as__waitlist_pop(as__waitlist *l, rt_waker *out)
{
    as__waiter *w = l->head;
    if (!w)
        return 0;
    as__waitlist_remove(l, w);
    w->notified = 1;
    *out = w->waker;
    w->waker = RT_WAKER_EMPTY;
    return 1;
}
