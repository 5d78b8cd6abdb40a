/* rt_notify.c: the coalescing eventfd wakeup, and why its flag ordering cannot lose a wake. */
#include "rt_notify.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <unistd.h>

/*
 * The whole difficulty is one question: in rt_notify_consume, does the loop clear `pending`
 * before or after it reads (drains) the eventfd? Get it wrong and the loop goes to sleep with
 * work queued and nobody left to wake it -- the "lost wakeup", the bug the tests hunt.
 *
 * The invariant we want: whenever pending == 1, the eventfd is readable, or the one signaller
 * that flipped pending from 0 to 1 (the "claimer") has yet to do its write. Only a claimer
 * writes; only the loop clears.
 *
 * Clear first, then read -- WRONG. The loop clears pending. Signaller S1 claims (0 -> 1) and
 * writes. The loop's read now drains S1's write. State: pending == 1, eventfd empty, no write
 * on the way: the invariant is broken. S2 queues a task, sees pending == 1, skips the write.
 * The loop had already looked at its queues before S2's task existed, so it sleeps, and
 * nothing will ever make the fd readable again: every later signal coalesces onto a wake that
 * was already eaten. S1's own task is fine; S2's and all later ones are lost.
 *
 * Read first, then clear -- what we do. Take any signaller S that published work W (queued a
 * task) and then did its exchange on pending. Every write to pending after init is an atomic
 * exchange (a read-modify-write), so the exchanges form one total order, and each reads the
 * value left by the one just before it. Two cases:
 *   (a) S's exchange is ordered before the loop's clear. The clear is an acquire RMW reading a
 *       value from the release sequence that S's release exchange heads, so W happens-before
 *       everything the loop does after consume returns: the loop looks at its queues next and
 *       sees W. S needs no wake of its own, whether it wrote or coalesced.
 *   (b) S's exchange is ordered after the clear. The first such exchange reads 0, so that
 *       signaller writes, and it writes after its exchange, which (acquire, reading from the
 *       loop's release clear) comes after the loop's read. Its write therefore lands after the
 *       drain, the fd stays readable, and the loop's next wait returns. Signallers after it
 *       coalesce onto that write, which is still unconsumed; their work is covered by (a) the
 *       next time round.
 * The price is a spurious wake: a claimer from case (a) may write after the loop's read but
 * before its clear; the fd is then readable though the loop has already seen W. The loop wakes
 * once for nothing, which costs a syscall and is harmless. Both exchanges are acq_rel because
 * case (a) needs release-in-signal/acquire-in-consume and case (b) needs the reverse.
 */

/* rt_notify_init: create the eventfd (non-blocking, close-on-exec) and zero the flag and counters. */
int rt_notify_init(rt_notify *n)
{
    atomic_init(&n->pending, 0);
    atomic_init(&n->sent, 0);
    atomic_init(&n->coalesced, 0);
    n->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return n->fd < 0 ? -errno : 0;
}

/* rt_notify_close: close the eventfd once; a second call finds fd == -1 and does nothing. */
void rt_notify_close(rt_notify *n)
{
    if (n->fd >= 0) {
        close(n->fd);
        n->fd = -1;
    }
}

/* rt_notify_signal: claim the pending flag; only the claimer pays for the write(2). */
int rt_notify_signal(rt_notify *n)
{
    if (atomic_exchange_explicit(&n->pending, 1, memory_order_acq_rel) != 0) {
        /* A claimer's write is done or on its way, and the loop has not consumed it yet. */
        atomic_fetch_add_explicit(&n->coalesced, 1, memory_order_relaxed);
        return 0;
    }
    const uint64_t one = 1;
    for (;;) {
        ssize_t w = write(n->fd, &one, sizeof one);
        if (w == (ssize_t)sizeof one)
            break;
        if (w < 0 && errno == EINTR)
            continue;
        /* EAGAIN means the counter is at its maximum: the fd is readable, the wake is there. */
        if (w < 0 && errno == EAGAIN)
            break;
        int err = w < 0 ? errno : EIO;
        /*
         * The write failed (a closed fd: a caller bug). Give the claim back, or every later
         * signal would coalesce onto a wake that never happened. An exchange, not a store, so
         * that the flag is still only ever changed by read-modify-writes (see case (a) above).
         */
        atomic_exchange_explicit(&n->pending, 0, memory_order_acq_rel);
        return -err;
    }
    atomic_fetch_add_explicit(&n->sent, 1, memory_order_relaxed);
    return 0;
}

/* rt_notify_consume: drain the eventfd, THEN clear pending (the order argued above). */
int rt_notify_consume(rt_notify *n)
{
    uint64_t count;
    int seen = 0;
    for (;;) {
        ssize_t r = read(n->fd, &count, sizeof count);
        if (r == (ssize_t)sizeof count) {
            seen = 1;  /* one read takes the whole counter: no need to loop for more */
            break;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN)
            break;     /* nothing written, or a claimer between its exchange and its write */
        return r < 0 ? -errno : -EIO;
    }
    if (atomic_exchange_explicit(&n->pending, 0, memory_order_acq_rel) != 0)
        seen = 1;
    return seen;
}
