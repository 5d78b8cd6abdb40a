/* tk_park.c: how a multi_thread worker sleeps -- in the driver if it can take it, else on a futex. */
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tk_internal.h"

/*
 * Only one thread can sleep in epoll_wait for the runtime, so the first idle worker to take
 * the driver lock (trylock: nobody waits for it) sleeps there and the rest sleep on their own
 * futex. An unpark must therefore know *where* its target sleeps: that is the state word.
 *
 *   EMPTY          awake, no pending unpark
 *   NOTIFIED       an unpark arrived; the next park returns at once
 *   PARKED_FUTEX   asleep in futex_wait on this word: unpark does FUTEX_WAKE
 *   PARKED_DRIVER  asleep in the driver: unpark pokes the driver's eventfd
 *
 * The sleeper moves EMPTY -> PARKED_* with a CAS, so an unpark that got there first (NOTIFIED)
 * makes the CAS fail and the sleeper returns without sleeping. The unparker swaps in NOTIFIED
 * and acts on what it replaced. Those two steps cover every interleaving: there is no moment
 * when the sleeper has committed to sleeping and an unpark would not reach it.
 */
enum {
    TK__PARK_EMPTY = 0,
    TK__PARK_NOTIFIED = 1,
    TK__PARK_PARKED_FUTEX = 2,
    TK__PARK_PARKED_DRIVER = 3,
};

/* tk__futex_wait: sleep while *word == expect, at most timeout_ms (-1: no limit). */
static void tk__futex_wait(_Atomic uint32_t *word, uint32_t expect, int timeout_ms)
{
    struct timespec ts, *tsp = NULL;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tsp = &ts;
    }
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expect, tsp, NULL, 0);
}

/* tk__park_init: awake, nothing pending. */
void tk__park_init(tk__park *p)
{
    atomic_init(&p->state, TK__PARK_EMPTY);
}

/* tk__park_wait: sleep until unparked (or timeout_ms, -1 = none). Spurious returns are fine:
 * the worker loop re-checks its idle state after every park. */
void tk__park_wait(tk__park *p, tk_handle *h, tk__worker *w, int timeout_ms)
{
    uint32_t expect = TK__PARK_EMPTY;
    if (pthread_mutex_trylock(&h->driver_lock) == 0) {
        if (atomic_compare_exchange_strong_explicit(&p->state, &expect, TK__PARK_PARKED_DRIVER,
                                                    memory_order_acq_rel, memory_order_acquire)) {
            w->in_driver = true;
            tk__driver_park(&h->driver, timeout_ms);
            w->in_driver = false;
        }
        /* Consume whatever is there (NOTIFIED or our own PARKED_DRIVER). */
        atomic_exchange_explicit(&p->state, TK__PARK_EMPTY, memory_order_acq_rel);
        pthread_mutex_unlock(&h->driver_lock);
        return;
    }
    if (atomic_compare_exchange_strong_explicit(&p->state, &expect, TK__PARK_PARKED_FUTEX,
                                                memory_order_acq_rel, memory_order_acquire))
        tk__futex_wait(&p->state, TK__PARK_PARKED_FUTEX, timeout_ms);
    atomic_exchange_explicit(&p->state, TK__PARK_EMPTY, memory_order_acq_rel);
}

/* tk__park_unpark: leave a token and wake the sleeper wherever it sleeps. */
void tk__park_unpark(tk__park *p, tk_handle *h)
{
    uint32_t prev = atomic_exchange_explicit(&p->state, TK__PARK_NOTIFIED, memory_order_acq_rel);
    if (prev == TK__PARK_PARKED_FUTEX)
        syscall(SYS_futex, (uint32_t *)&p->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    else if (prev == TK__PARK_PARKED_DRIVER)
        tk__driver_unpark(&h->driver);
}
