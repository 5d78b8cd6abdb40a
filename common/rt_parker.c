/* rt_parker.c: a futex parker with timed park, one per thread. */
#include "rt_parker.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * The whole parker is one 32-bit word with three states:
 *
 *   EMPTY     no token, owner not sleeping;
 *   NOTIFIED  a token is waiting to be consumed;
 *   PARKED    the owner has announced that it is about to sleep (or is asleep) on the word.
 *
 * Transitions (the owner is the only thread that ever writes EMPTY or PARKED):
 *
 *   park:    EMPTY -> PARKED (then sleep), or NOTIFIED -> EMPTY (consume, return at once)
 *   wake:    NOTIFIED -> EMPTY by the owner after the futex wait returns (consume)
 *   unpark:  anything -> NOTIFIED; if the old value was PARKED, also FUTEX_WAKE the owner
 *
 * The values are chosen so that the first park step is a single fetch_sub(1): NOTIFIED (1)
 * becomes EMPTY (0), and EMPTY (0) wraps to PARKED (UINT32_MAX). Unsigned wrap-around is well
 * defined in C, and the owner never parks while PARKED, so no other value is ever decremented.
 *
 * Why no wake-up is lost. The dangerous window is between the owner deciding to sleep and the
 * owner actually sleeping: an unpark landing there must not be missed. Two things close it.
 * (1) The owner publishes PARKED *before* it sleeps, with the same atomic step that checks
 * for a token. So an unpark either comes first (the fetch_sub then reads NOTIFIED and park
 * returns) or comes after and reads PARKED (and so knows it must issue a FUTEX_WAKE).
 * (2) FUTEX_WAIT(addr, PARKED) is compare-and-sleep: under the kernel's lock for that futex
 * bucket it re-reads the word and goes to sleep only if it still equals PARKED. An unpark that
 * stored NOTIFIED in between makes the wait return EAGAIN immediately; one that comes after
 * the owner is queued finds it queued and wakes it, because FUTEX_WAKE takes the same bucket
 * lock. There is no interleaving in which the token is set, the owner sleeps, and nobody
 * wakes it.
 *
 * Why release/acquire is enough. unpark's exchange is a release; every owner step that can
 * read NOTIFIED (fetch_sub, compare-exchange, exchange) is an acquire. When the owner reads the
 * NOTIFIED written by an unpark, that read synchronizes with the unpark, so everything the
 * unparker wrote before unpark happens-before everything the owner does after park returns.
 * Nothing else is published through the word, so no seq_cst fence is needed. (The futex
 * syscall itself promises no ordering; we never rely on it for memory visibility, only the
 * atomic that the owner reads after it wakes.)
 *
 * Spurious returns. FUTEX_WAIT can return with no unpark at all: a signal (EINTR), or a
 * FUTEX_WAKE that was meant for an earlier park. The owner therefore never trusts the return
 * itself and always re-checks the word; if it is still PARKED it waits again.
 */

static const uint32_t RT__EMPTY = 0;
static const uint32_t RT__NOTIFIED = 1;
static const uint32_t RT__PARKED = UINT32_MAX;

/* rt__futex_wait: sleep while *word == expect, at most `rel` (NULL: no limit); may return early. */
static void rt__futex_wait(_Atomic uint32_t *word, uint32_t expect, const struct timespec *rel)
{
    /*
     * The return value is deliberately ignored: 0 (woken), EAGAIN (word already changed),
     * EINTR (signal) and ETIMEDOUT all lead the caller to re-read the word, which is the only
     * source of truth. A relative timeout with FUTEX_WAIT is measured on CLOCK_MONOTONIC.
     */
    (void)syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expect, rel, NULL, 0);
}

/* rt__futex_wake_one: wake at most one thread sleeping on `word`. */
static void rt__futex_wake_one(_Atomic uint32_t *word)
{
    (void)syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* rt__now_ns: CLOCK_MONOTONIC in nanoseconds (never goes back, unlike the wall clock). */
static uint64_t rt__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* rt__try_consume: owner only; turn NOTIFIED into EMPTY, 1 if there was a token. */
static int rt__try_consume(rt_parker *p)
{
    uint32_t expect = RT__NOTIFIED;
    return atomic_compare_exchange_strong_explicit(&p->state, &expect, RT__EMPTY,
                                                   memory_order_acquire, memory_order_relaxed);
}

/* rt_parker_init: no token, owner awake. */
void rt_parker_init(rt_parker *p)
{
    atomic_init(&p->state, RT__EMPTY);
}

/* rt_parker_park: return only after consuming a token (immediately if one is present). */
void rt_parker_park(rt_parker *p)
{
    /* NOTIFIED -> EMPTY: the token was already there, take it and go. EMPTY -> PARKED: sleep. */
    if (atomic_fetch_sub_explicit(&p->state, 1, memory_order_acquire) == RT__NOTIFIED)
        return;
    for (;;) {
        rt__futex_wait(&p->state, RT__PARKED, NULL);
        if (rt__try_consume(p))
            return;
        /* Still PARKED: a spurious return. Nobody else writes PARKED, so simply wait again. */
    }
}

/* rt_parker_park_timeout: 1 if a token was consumed; 0 only once timeout_ns has fully passed. */
int rt_parker_park_timeout(rt_parker *p, uint64_t timeout_ns)
{
    if (atomic_fetch_sub_explicit(&p->state, 1, memory_order_acquire) == RT__NOTIFIED)
        return 1;
    /* The deadline is absolute so that each spurious wake waits only for what is left. */
    uint64_t start = rt__now_ns();
    uint64_t deadline = timeout_ns > UINT64_MAX - start ? UINT64_MAX : start + timeout_ns;
    for (;;) {
        uint64_t now = rt__now_ns();
        if (now >= deadline) {
            /*
             * Give up: PARKED -> EMPTY. An unpark may have slipped in since the last check, in
             * which case the exchange hands us its token and we report it rather than drop it.
             */
            return atomic_exchange_explicit(&p->state, RT__EMPTY, memory_order_acquire) ==
                   RT__NOTIFIED;
        }
        uint64_t left = deadline - now;
        struct timespec rel = { .tv_sec = (time_t)(left / 1000000000u),
                                .tv_nsec = (long)(left % 1000000000u) };
        rt__futex_wait(&p->state, RT__PARKED, &rel);
        if (rt__try_consume(p))
            return 1;
        /* Spurious wake or the kernel's timeout: loop, and the clock decides which it was. */
    }
}

/* rt_parker_unpark: set the token (release) and wake the owner if it announced it sleeps. */
void rt_parker_unpark(rt_parker *p)
{
    /*
     * An exchange rather than a plain store: we must know whether the owner was PARKED, and
     * that knowledge must come from the same atomic step that publishes the token, or the
     * owner could park between our check and our store and sleep through it.
     */
    if (atomic_exchange_explicit(&p->state, RT__NOTIFIED, memory_order_release) == RT__PARKED)
        rt__futex_wake_one(&p->state);
}
