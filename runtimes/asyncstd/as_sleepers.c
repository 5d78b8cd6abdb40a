/* as_sleepers.c: smol's sleeper list -- idle workers are woken one at a time, never in a herd. */
#include <errno.h>

#include "as_internal.h"
#include "rt_alloc.h"

/*
 * When a task is scheduled and every worker is asleep, exactly one should wake up. When ten
 * tasks are scheduled in a burst, still only one should wake at first: it will find a task,
 * and -- before running it -- wake the next sleeper, which finds the next task, and so on. The
 * wake-ups ripple through the sleepers only as far as there is work, instead of ten futex
 * wakes for ten schedules followed by nine workers finding nothing. That is async-executor's
 * design, and this file is its `Sleepers` plus the `notified` flag of its `State`.
 *
 *   count     workers asleep (registered), whether or not somebody already woke them;
 *   waiting   the ones nobody has woken yet (a stack: the most recent sleeper is woken first,
 *             its caches are the warmest);
 *   notified  1 when a schedule need not wake anyone: nobody sleeps (count == 0), or a woken
 *             sleeper is already on its way (count > nwaiting). Schedules test it with a plain
 *             load, so the common busy case costs no lock and no read-modify-write.
 *
 * Why no wake is lost. A worker that finds nothing registers (under the lock, publishing
 * notified = 0), then searches the queues ONCE MORE before it parks. A scheduler pushes its
 * task, then reads `notified`. All four accesses are seq_cst -- the store and load of
 * `notified`, the push's CAS on the queue's tail and the empty check's load of that tail --
 * so they fall into one total order: if the scheduler read `notified` before the worker
 * stored 0, the push came earlier still and the worker's search sees it; otherwise the
 * scheduler sees 0 and wakes a waiting worker, through its parker, whose token survives even
 * if the worker has not parked yet. (No fences: the argument needs none, and ThreadSanitizer
 * does not model them.)
 */

/* as__is_notified: the value `notified` must have for the current counts. */
static int as__is_notified(const as__sleepers *s)
{
    return s->count == 0 || s->count > s->nwaiting;
}

/* as__sleepers_init: nobody asleep; room for every worker on the waiting stack. */
int as__sleepers_init(as__sleepers *s, unsigned nworkers)
{
    s->waiting = rt_calloc(nworkers, sizeof *s->waiting);
    if (s->waiting == NULL)
        return -ENOMEM;
    int rc = pthread_mutex_init(&s->lock, NULL);
    if (rc != 0) {
        rt_free(s->waiting);
        return -rc;
    }
    s->count = s->nwaiting = 0;
    atomic_init(&s->notified, 1);
    return 0;
}

/* as__sleepers_destroy: free the stack. */
void as__sleepers_destroy(as__sleepers *s)
{
    pthread_mutex_destroy(&s->lock);
    rt_free(s->waiting);
}

/* as__push_waiting: put w on the waiting stack (lock held). */
static void as__push_waiting(as__sleepers *s, as__worker *w)
{
    s->waiting[s->nwaiting++] = w->index;
    atomic_store_explicit(&w->waiting, 1, memory_order_seq_cst);
}

/* as__sleepers_notify: State::notify -- claim the right to wake by flipping `notified`, then
 * wake the most recent waiting sleeper if none has been woken already. */
void as__sleepers_notify(as__runtime *rt)
{
    as__sleepers *s = &rt->sleepers;
    if (atomic_load_explicit(&s->notified, memory_order_seq_cst))
        return;
    int expected = 0;
    if (!atomic_compare_exchange_strong_explicit(&s->notified, &expected, 1,
                                                 memory_order_seq_cst, memory_order_seq_cst))
        return;
    as__worker *w = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->nwaiting > 0 && s->nwaiting == s->count) {
        w = &rt->workers[s->waiting[--s->nwaiting]];
        atomic_store_explicit(&w->waiting, 0, memory_order_seq_cst);
    }
    /* `notified` stays 1: either we woke one (count > nwaiting now) or nobody sleeps or one
     * was already woken -- is_notified() holds in every case. */
    pthread_mutex_unlock(&s->lock);
    if (w == NULL)
        return;
    /* The worker may be waiting in the poller rather than on its parker (it drives the
     * reactor while idle). It stores in_reactor = 1 before re-reading `waiting`; we stored
     * waiting = 0 before reading in_reactor; both seq_cst, so one of us sees the other. */
    if (atomic_load_explicit(&w->in_reactor, memory_order_seq_cst) && as__current_worker() != w)
        as__reactor_notify(&rt->reactor);
    rt_parker_unpark(&w->parker);
}

/* as__sleepers_sleep: Ticker::sleep. Returns 1 when w just (re)registered -- it must search
 * again before parking -- and 0 when it is registered and still unnotified: park now. */
int as__sleepers_sleep(as__runtime *rt, as__worker *w)
{
    as__sleepers *s = &rt->sleepers;
    int search_again = 1;
    pthread_mutex_lock(&s->lock);
    if (!w->sleeping) {
        w->sleeping = 1;
        s->count++;
        as__push_waiting(s, w);
    } else if (!atomic_load_explicit(&w->waiting, memory_order_seq_cst)) {
        /* Woken, searched, found nothing: asleep again, and wakeable again. */
        as__push_waiting(s, w);
    } else {
        search_again = 0;
    }
    atomic_store_explicit(&s->notified, as__is_notified(s), memory_order_seq_cst);
    pthread_mutex_unlock(&s->lock);
    return search_again;
}

/* as__sleepers_wake: Ticker::wake -- w found work, so it no longer counts as asleep. */
void as__sleepers_wake(as__runtime *rt, as__worker *w)
{
    if (!w->sleeping) /* only w writes it, so w may read it without the lock */
        return;
    as__sleepers *s = &rt->sleepers;
    pthread_mutex_lock(&s->lock);
    w->sleeping = 0;
    s->count--;
    if (atomic_load_explicit(&w->waiting, memory_order_seq_cst)) {
        for (unsigned i = 0; i < s->nwaiting; i++) {
            if (s->waiting[i] == w->index) {
                s->waiting[i] = s->waiting[--s->nwaiting];
                break;
            }
        }
        atomic_store_explicit(&w->waiting, 0, memory_order_seq_cst);
    }
    atomic_store_explicit(&s->notified, as__is_notified(s), memory_order_seq_cst);
    pthread_mutex_unlock(&s->lock);
}
