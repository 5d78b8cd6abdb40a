/* tk_sync.h: tokio::sync in C -- oneshot, mpsc, Semaphore, Mutex and Notify, all runtime-agnostic. */
#ifndef TK_SYNC_H
#define TK_SYNC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_future.h"
#include "tk_sync_waitlist.h"

/*
 * Like tokio::sync, nothing here knows which runtime it runs on: a primitive only stores
 * wakers and wakes them, so it works under a tk runtime, the core's rt_block_on, or plain
 * threads each running their own executor. Each primitive is a small state machine behind one
 * pthread mutex -- simple and obviously correct, where tokio spends atomics to skip the lock
 * on fast paths. Wakers are always woken and dropped after the mutex is released.
 *
 * Conventions shared by every future below (all are awaited with RT_AWAIT):
 *   - constructors return the future by value; nothing happens until the first poll;
 *   - the output (`result`, and the value copied to `out`) is valid once poll said RT_READY;
 *     polling again after that returns RT_READY with the same output;
 *   - every future has a drop that is safe in any state: cancellation (dropping a pending
 *     future, e.g. the loser of an rt_select) gives back whatever it held -- its place in a
 *     queue, permits it was assigned, a notification meant for it -- so nothing is leaked and
 *     no other waiter misses a wake-up;
 *   - pointers given to a constructor (the handle, `value`, `out`) must stay valid until the
 *     future is dropped: C's version of the borrow Rust's future holds;
 *   - every leaf future spends one unit of the coop budget per poll (tk_coop.h) and returns
 *     the unit when it goes pending, as tokio's do -- including the notified future, where
 *     tokio 1.24 spends none: a loop on an always-notified Notify should yield like any other.
 * Errors are negative errno values: -EPIPE "the other side is gone/closed", -EAGAIN "would
 * wait", -ENOMEM, -EINVAL.
 */

/* ======================================================================================== */
/* Semaphore (tk_semaphore.c): tokio's batch semaphore                                       */
/* ======================================================================================== */

/*
 * Permits are handed out strictly in FIFO order. A request that cannot be met takes what is
 * available now and queues for the rest; released permits go to the head of the queue first,
 * so a big request at the head holds back later small ones (no starvation of big requests).
 * Unlike tokio there is no RAII permit: a successful acquire of n must be paired with a
 * tk_semaphore_release(n) by the caller.
 */
#define TK_SEMAPHORE_MAX_PERMITS (SIZE_MAX >> 3)

typedef struct tk_semaphore {
    pthread_mutex_t lock;
    size_t permits;       /* available and unassigned; 0 whenever someone is queued */
    bool closed;
    tk_waitlist waiters;
} tk_semaphore;

typedef struct tk_semaphore_acquire_fut {
    rt_future base;
    tk_semaphore *sem;
    size_t permits;       /* how many this future asks for */
    int state;            /* private: idle, queued or done */
    int result;           /* output: 0 (the permits are yours) or -EPIPE (closed) */
    tk_waiter node;       /* linked into sem->waiters while queued */
} tk_semaphore_acquire_fut;

/* tk_semaphore_init: `permits` (<= TK_SEMAPHORE_MAX_PERMITS) available; 0 or -errno. */
int tk_semaphore_init(tk_semaphore *s, size_t permits);
/* tk_semaphore_destroy: release the lock; no future may still be waiting (panics if one is). */
void tk_semaphore_destroy(tk_semaphore *s);
/* tk_semaphore_acquire: a future for `n` permits, fair FIFO. result -EPIPE if the semaphore
 * was closed before all n were assigned to it (what it had been assigned goes back). */
tk_semaphore_acquire_fut tk_semaphore_acquire(tk_semaphore *s, size_t n);
/* tk_semaphore_try_acquire: take n permits now: 0, -EAGAIN (not enough, or others queued
 * ahead), -EPIPE (closed). */
int tk_semaphore_try_acquire(tk_semaphore *s, size_t n);
/* tk_semaphore_release: give n permits back (tokio's add_permits), waking queued acquirers in
 * order. Panics if the total would exceed TK_SEMAPHORE_MAX_PERMITS. */
void tk_semaphore_release(tk_semaphore *s, size_t n);
/* tk_semaphore_close: every pending and later acquire fails with -EPIPE; releases still
 * count. Idempotent. */
void tk_semaphore_close(tk_semaphore *s);
/* tk_semaphore_is_closed: whether close was called. */
bool tk_semaphore_is_closed(tk_semaphore *s);
/* tk_semaphore_available_permits: permits nobody holds or is assigned (a snapshot). */
size_t tk_semaphore_available_permits(tk_semaphore *s);

/* ======================================================================================== */
/* Mutex (tk_mutex.c): a fair async mutex, a semaphore with one permit                        */
/* ======================================================================================== */

typedef struct tk_mutex {
    tk_semaphore sem;
} tk_mutex;

typedef struct tk_mutex_lock_fut {
    rt_future base;
    tk_semaphore_acquire_fut acquire;
} tk_mutex_lock_fut;

/* tk_mutex_init: an unlocked mutex; 0 or -errno. */
int tk_mutex_init(tk_mutex *m);
/* tk_mutex_destroy: the mutex must be unlocked with nobody waiting. */
void tk_mutex_destroy(tk_mutex *m);
/* tk_mutex_lock: a future that is ready when the caller holds the lock (FIFO among waiters).
 * Dropping it before it is ready gives up its place, or the lock if it was just handed over. */
tk_mutex_lock_fut tk_mutex_lock(tk_mutex *m);
/* tk_mutex_try_lock: 0 (now held) or -EAGAIN (held by someone, or others queued). */
int tk_mutex_try_lock(tk_mutex *m);
/* tk_mutex_unlock: release a held lock, handing it to the oldest waiter; panics if the mutex
 * is not locked (tokio's guard makes that impossible; in C it is a bug worth stopping on). */
void tk_mutex_unlock(tk_mutex *m);

/* ======================================================================================== */
/* Notify (tk_notify.c)                                                                      */
/* ======================================================================================== */

/*
 * notify_one wakes the oldest registered waiter, or, if nobody waits, stores ONE permit that
 * the next notified future consumes at once. notify_waiters wakes every waiter and stores
 * nothing. tokio 1.24's rule for notify_waiters, followed exactly: a notified future observes
 * every notify_waiters call made after it was CREATED (tk_notify_notified), even if it was not
 * polled yet -- it records the call count at creation and completes if it changed.
 */
typedef struct tk_notify {
    pthread_mutex_t lock;
    bool permit;             /* a stored notify_one */
    _Atomic uint64_t epoch;  /* notify_waiters calls; written under lock, read at creation */
    tk_waitlist waiters;
} tk_notify;

typedef struct tk_notify_notified_fut {
    rt_future base;
    tk_notify *notify;
    uint64_t epoch;          /* notify_waiters calls seen when the future was created */
    int state;               /* private: init, waiting or done */
    tk_waiter node;
} tk_notify_notified_fut;

/* tk_notify_init: no permit, nobody waiting; 0 or -errno. */
int tk_notify_init(tk_notify *n);
/* tk_notify_destroy: nobody may be waiting (panics if a future still is). */
void tk_notify_destroy(tk_notify *n);
/* tk_notify_notify_one: wake the oldest waiter, or store a permit (at most one). */
void tk_notify_notify_one(tk_notify *n);
/* tk_notify_notify_waiters: wake every current waiter; stores no permit. */
void tk_notify_notify_waiters(tk_notify *n);
/* tk_notify_notified: a future ready on a permit, a notify_one chosen for it, or a
 * notify_waiters call made after this constructor ran. Dropping it after a notify_one chose
 * it but before it was observed passes that notification on. */
tk_notify_notified_fut tk_notify_notified(tk_notify *n);

/* ======================================================================================== */
/* oneshot (tk_oneshot.c): one value, one sender, one receiver                               */
/* ======================================================================================== */

typedef struct tk__oneshot_chan tk__oneshot_chan;

typedef struct tk_oneshot_tx {
    tk__oneshot_chan *chan;   /* NULL once sent or dropped */
} tk_oneshot_tx;

typedef struct tk_oneshot_rx {
    tk__oneshot_chan *chan;   /* NULL once dropped */
} tk_oneshot_rx;

typedef struct tk_oneshot_recv_fut {
    rt_future base;
    tk__oneshot_chan *chan;
    void *out;                /* receives elem_size bytes */
    int state;                /* private */
    int result;               /* output: 0, or -EPIPE (sender dropped without sending) */
} tk_oneshot_recv_fut;

typedef struct tk_oneshot_closed_fut {
    rt_future base;
    tk__oneshot_chan *chan;
    int state;                /* private; ready when the receiver closed or was dropped */
} tk_oneshot_closed_fut;

/* tk_oneshot_channel: a channel for one value of elem_size bytes, in one allocation;
 * 0 or -ENOMEM (then *tx and *rx are empty handles). */
int tk_oneshot_channel(size_t elem_size, tk_oneshot_tx *tx, tk_oneshot_rx *rx);
/* tk_oneshot_send: copy the value in and wake the receiver; consumes the sender whatever the
 * outcome. 0, or -EPIPE if the receiver closed or was dropped (the value was not taken). */
int tk_oneshot_send(tk_oneshot_tx *tx, const void *value);
/* tk_oneshot_tx_drop: drop without sending: the receiver gets -EPIPE. Idempotent. */
void tk_oneshot_tx_drop(tk_oneshot_tx *tx);
/* tk_oneshot_tx_closed: true if the receiver closed or was dropped (a send would fail). */
bool tk_oneshot_tx_closed(const tk_oneshot_tx *tx);
/* tk_oneshot_closed: a future ready once the receiver closes or is dropped (Sender::closed). */
tk_oneshot_closed_fut tk_oneshot_closed(tk_oneshot_tx *tx);
/* tk_oneshot_recv: a future that copies the value into *out (result 0), or -EPIPE when the
 * sender is gone without a value, or the receiver was closed with none sent. */
tk_oneshot_recv_fut tk_oneshot_recv(tk_oneshot_rx *rx, void *out);
/* tk_oneshot_try_recv: 0 (value copied), -EAGAIN (nothing yet), -EPIPE (none will come). */
int tk_oneshot_try_recv(tk_oneshot_rx *rx, void *out);
/* tk_oneshot_rx_close: refuse any later send; a value sent before still arrives. */
void tk_oneshot_rx_close(tk_oneshot_rx *rx);
/* tk_oneshot_rx_drop: close and release the receiver. Idempotent. */
void tk_oneshot_rx_drop(tk_oneshot_rx *rx);

/* ======================================================================================== */
/* mpsc (tk_mpsc.c): multi-producer single-consumer queues, bounded and unbounded            */
/* ======================================================================================== */

/*
 * One handle type for both kinds, as the C API cannot overload: tk_mpsc_send and
 * tk_mpsc_try_send work on both (an unbounded send never waits), tk_mpsc_unbounded_send only
 * on an unbounded channel. A bounded channel of capacity N is a buffer plus a semaphore of N
 * permits: a send waits for a permit (backpressure, FIFO among waiting senders), a receive
 * gives one back. Closing the receiver closes the semaphore, which fails the waiting sends.
 */
typedef struct tk__mpsc_chan tk__mpsc_chan;

typedef struct tk_mpsc_tx {
    tk__mpsc_chan *chan;      /* NULL once dropped */
} tk_mpsc_tx;

typedef struct tk_mpsc_rx {
    tk__mpsc_chan *chan;      /* NULL once dropped */
} tk_mpsc_rx;

typedef struct tk_mpsc_send_fut {
    rt_future base;
    tk__mpsc_chan *chan;
    const void *value;        /* copied into the channel when the send completes */
    int state;                /* private */
    int result;               /* output: 0, -EPIPE (receiver closed/dropped), -ENOMEM */
    tk_semaphore_acquire_fut acquire; /* bounded: the wait for a free slot */
} tk_mpsc_send_fut;

typedef struct tk_mpsc_recv_fut {
    rt_future base;
    tk__mpsc_chan *chan;
    void *out;                /* receives elem_size bytes */
    int state;                /* private */
    int result;               /* output: 0, or -EPIPE: closed and drained (Rust's None) */
} tk_mpsc_recv_fut;

/* tk_mpsc_channel: bounded, 1 <= capacity <= TK_SEMAPHORE_MAX_PERMITS. 0, -EINVAL, -ENOMEM. */
int tk_mpsc_channel(size_t capacity, size_t elem_size, tk_mpsc_tx *tx, tk_mpsc_rx *rx);
/* tk_mpsc_unbounded_channel: the buffer grows as needed. 0 or -ENOMEM. */
int tk_mpsc_unbounded_channel(size_t elem_size, tk_mpsc_tx *tx, tk_mpsc_rx *rx);
/* tk_mpsc_sender_clone: another sender on the same channel (cannot fail). */
tk_mpsc_tx tk_mpsc_sender_clone(const tk_mpsc_tx *tx);
/* tk_mpsc_sender_drop: release a sender; the last one lets the receiver see the end. */
void tk_mpsc_sender_drop(tk_mpsc_tx *tx);
/* tk_mpsc_sender_is_closed: true once the receiver closed or was dropped. */
bool tk_mpsc_sender_is_closed(const tk_mpsc_tx *tx);
/* tk_mpsc_sender_capacity: free slots of a bounded channel now (SIZE_MAX if unbounded). */
size_t tk_mpsc_sender_capacity(const tk_mpsc_tx *tx);
/* tk_mpsc_send: a future that waits for room (bounded) and copies *value in. */
tk_mpsc_send_fut tk_mpsc_send(tk_mpsc_tx *tx, const void *value);
/* tk_mpsc_try_send: 0, -EAGAIN (full), -EPIPE (closed), -ENOMEM (unbounded growth failed). */
int tk_mpsc_try_send(tk_mpsc_tx *tx, const void *value);
/* tk_mpsc_unbounded_send: synchronous send on an unbounded channel: 0, -EPIPE, -ENOMEM. */
int tk_mpsc_unbounded_send(tk_mpsc_tx *tx, const void *value);
/* tk_mpsc_recv: a future for the next value; -EPIPE when every sender is gone (or the
 * receiver closed) AND the buffer is empty. */
tk_mpsc_recv_fut tk_mpsc_recv(tk_mpsc_rx *rx, void *out);
/* tk_mpsc_try_recv: 0, -EAGAIN (empty), -EPIPE (empty and closed/disconnected). */
int tk_mpsc_try_recv(tk_mpsc_rx *rx, void *out);
/* tk_mpsc_receiver_close: accept no more sends (waiting senders fail with -EPIPE); values
 * already buffered are still received. Idempotent. */
void tk_mpsc_receiver_close(tk_mpsc_rx *rx);
/* tk_mpsc_receiver_drop: close, discard what is buffered, release the receiver. Idempotent. */
void tk_mpsc_receiver_drop(tk_mpsc_rx *rx);

#endif
