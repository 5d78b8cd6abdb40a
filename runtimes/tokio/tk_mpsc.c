/* tk_mpsc.c: tokio's mpsc channels -- a locked ring of values, a semaphore for backpressure. */
#include <errno.h>
#include <string.h>

#include "rt_alloc.h"
#include "rt_panic.h"
#include "tk_coop.h"
#include "tk_sync.h"

/*
 * The channel is a ring buffer of fixed-size values under one mutex, plus, when bounded, a
 * semaphore of `capacity` permits -- the same split tokio makes (its buffer is a lock-free
 * block list; ours is a locked ring, which is all a single consumer needs to be correct).
 *
 *   bounded send:  acquire 1 permit (may wait: backpressure), then push. Waiting senders queue
 *                  in the semaphore, so they are served in FIFO order, and a cancelled send
 *                  gives its place -- or a permit it was just handed -- to the next sender.
 *   receive:       pop, then release 1 permit. Each buffered value holds one permit, so the
 *                  ring of `capacity` slots can never overflow.
 *   close:         the flag refuses pushes; closing the semaphore fails the waiting senders.
 *
 * Lock order: the channel lock and the semaphore lock are never held together, so there is
 * no order to get wrong. A send that got its permit and then finds the channel closed at push
 * time fails and returns the permit: the push under the channel lock is the moment a send
 * happens, and close is ordered against it by that same lock.
 *
 * The single receiver parks its waker in `rx_waker` (there is only one receiving task, so no
 * list is needed); every push and the last sender's drop take it out and wake it.
 */

enum { TK__MPSC_IDLE, TK__MPSC_WAITING, TK__MPSC_DONE };

/* The unbounded ring starts this big and doubles; it never shrinks (a trade-off: no churn of
 * allocations in steady state, at the price of keeping the high-water mark). */
#define TK__MPSC_FIRST_CAP 16

struct tk__mpsc_chan {
    pthread_mutex_t lock;
    _Atomic long refs;       /* one per sender, one for the receiver */
    size_t senders;          /* live senders (under lock) */
    bool rx_closed;          /* receiver closed or dropped: pushes fail (under lock) */
    bool bounded;
    rt_waker rx_waker;       /* the pending receive's task (under lock) */
    size_t elem_size;
    unsigned char *buf;      /* bounded: points at slots[]; unbounded: its own allocation */
    size_t cap, head, len;   /* the ring, in elements (under lock) */
    tk_semaphore sem;        /* bounded only: free slots */
    max_align_t slots[];     /* bounded: capacity * elem_size bytes */
};

static rt_poll tk__send_poll(rt_future *f, rt_context *cx);
static void tk__send_drop(rt_future *f);
static rt_poll tk__recv_poll(rt_future *f, rt_context *cx);
static void tk__recv_drop(rt_future *f);

static const rt_future_vtable tk__send_vtable = { tk__send_poll, tk__send_drop, "tk_mpsc_send" };
static const rt_future_vtable tk__recv_vtable = { tk__recv_poll, tk__recv_drop, "tk_mpsc_recv" };

/* tk__mpsc_new: one allocation (the ring included when bounded); handles empty on failure. */
static int tk__mpsc_new(bool bounded, size_t capacity, size_t elem_size, tk_mpsc_tx *tx,
                        tk_mpsc_rx *rx)
{
    size_t inline_bytes = bounded ? capacity * elem_size : 0; /* overflow checked by caller */
    tk__mpsc_chan *c = rt_malloc(sizeof *c + inline_bytes);
    if (!c)
        return -ENOMEM;
    int rc = pthread_mutex_init(&c->lock, NULL);
    if (rc != 0) {
        rt_free(c);
        return -rc;
    }
    if (bounded && (rc = tk_semaphore_init(&c->sem, capacity)) != 0) {
        pthread_mutex_destroy(&c->lock);
        rt_free(c);
        return rc;
    }
    atomic_init(&c->refs, 2);
    c->senders = 1;
    c->rx_closed = false;
    c->bounded = bounded;
    c->rx_waker = RT_WAKER_EMPTY;
    c->elem_size = elem_size;
    c->buf = bounded ? (unsigned char *)c->slots : NULL;
    /* Zero-sized values need no storage, only a count: give them a ring that never fills. */
    c->cap = bounded ? capacity : (elem_size == 0 ? SIZE_MAX : 0);
    c->head = c->len = 0;
    tx->chan = c;
    rx->chan = c;
    return 0;
}

/* tk_mpsc_channel: validate, then build a bounded channel. */
int tk_mpsc_channel(size_t capacity, size_t elem_size, tk_mpsc_tx *tx, tk_mpsc_rx *rx)
{
    tx->chan = NULL;
    rx->chan = NULL;
    if (capacity == 0 || capacity > TK_SEMAPHORE_MAX_PERMITS)
        return -EINVAL; /* tokio panics: "mpsc bounded channel requires buffer > 0" */
    if (elem_size && capacity > (SIZE_MAX - sizeof(tk__mpsc_chan)) / elem_size)
        return -ENOMEM;
    return tk__mpsc_new(true, capacity, elem_size, tx, rx);
}

/* tk_mpsc_unbounded_channel: the ring is allocated on the first send. */
int tk_mpsc_unbounded_channel(size_t elem_size, tk_mpsc_tx *tx, tk_mpsc_rx *rx)
{
    tx->chan = NULL;
    rx->chan = NULL;
    return tk__mpsc_new(false, 0, elem_size, tx, rx);
}

/* tk__mpsc_release: drop one reference; the last frees everything. No future can still be
 * linked in the semaphore: a send future borrows a sender, which holds a reference. */
static void tk__mpsc_release(tk__mpsc_chan *c)
{
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    rt_waker_drop(&c->rx_waker);
    if (c->bounded)
        tk_semaphore_destroy(&c->sem);
    else
        rt_free(c->buf);
    pthread_mutex_destroy(&c->lock);
    rt_free(c);
}

/* tk__mpsc_grow_locked: double the unbounded ring, unwrapping it so the oldest value lands at
 * index 0. On failure nothing changes and -ENOMEM is reported to the sender. */
static int tk__mpsc_grow_locked(tk__mpsc_chan *c)
{
    size_t es = c->elem_size;
    size_t ncap = c->cap ? c->cap * 2 : TK__MPSC_FIRST_CAP;
    if (es == 0 || ncap < c->cap || ncap > SIZE_MAX / es)
        return -ENOMEM;
    unsigned char *nbuf = rt_malloc(ncap * es);
    if (!nbuf)
        return -ENOMEM;
    if (c->len) {
        size_t first = c->cap - c->head < c->len ? c->cap - c->head : c->len;
        memcpy(nbuf, c->buf + c->head * es, first * es);
        if (c->len > first)
            memcpy(nbuf + first * es, c->buf, (c->len - first) * es);
    }
    rt_free(c->buf);
    c->buf = nbuf;
    c->cap = ncap;
    c->head = 0;
    return 0;
}

/* tk__mpsc_push: the moment a send happens. 0, -EPIPE (closed), -ENOMEM (unbounded growth). */
static int tk__mpsc_push(tk__mpsc_chan *c, const void *value)
{
    pthread_mutex_lock(&c->lock);
    if (c->rx_closed) {
        pthread_mutex_unlock(&c->lock);
        return -EPIPE;
    }
    if (c->len == c->cap) {
        if (c->bounded) {
            pthread_mutex_unlock(&c->lock);
            rt_panic("tk_mpsc: bounded ring full although the sender held a permit");
        }
        int rc = tk__mpsc_grow_locked(c);
        if (rc != 0) {
            pthread_mutex_unlock(&c->lock);
            return rc;
        }
    }
    if (c->elem_size)
        memcpy(c->buf + ((c->head + c->len) % c->cap) * c->elem_size, value, c->elem_size);
    c->len++;
    rt_waker wake = c->rx_waker;
    c->rx_waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&c->lock);
    rt_waker_wake(&wake);
    return 0;
}

/* tk__mpsc_take_locked: pop the oldest value (0); -EPIPE if none can come any more; else
 * -EAGAIN. Values buffered before a close or the last sender's drop are still delivered. */
static int tk__mpsc_take_locked(tk__mpsc_chan *c, void *out)
{
    if (c->len > 0) {
        if (c->elem_size)
            memcpy(out, c->buf + c->head * c->elem_size, c->elem_size);
        c->head = (c->head + 1) % c->cap;
        c->len--;
        return 0;
    }
    if (c->senders == 0 || c->rx_closed)
        return -EPIPE;
    return -EAGAIN;
}

/* ---- senders ----------------------------------------------------------------------------- */

/* tk__mpsc_tx_chan: the channel of a live sender; using a dropped one is a bug. */
static tk__mpsc_chan *tk__mpsc_tx_chan(const tk_mpsc_tx *tx, const char *what)
{
    if (!tx->chan)
        rt_panic("%s: this sender was dropped", what);
    return tx->chan;
}

/* tk_mpsc_sender_clone: count the sender under the lock (the receiver reads it there). */
tk_mpsc_tx tk_mpsc_sender_clone(const tk_mpsc_tx *tx)
{
    tk__mpsc_chan *c = tk__mpsc_tx_chan(tx, "tk_mpsc_sender_clone");
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    pthread_mutex_lock(&c->lock);
    c->senders++;
    pthread_mutex_unlock(&c->lock);
    return (tk_mpsc_tx){ .chan = c };
}

/* tk_mpsc_sender_drop: the last sender wakes the receiver, which then drains and ends. */
void tk_mpsc_sender_drop(tk_mpsc_tx *tx)
{
    tk__mpsc_chan *c = tx->chan;
    if (!c)
        return;
    tx->chan = NULL;
    rt_waker wake = RT_WAKER_EMPTY;
    pthread_mutex_lock(&c->lock);
    if (--c->senders == 0) {
        wake = c->rx_waker;
        c->rx_waker = RT_WAKER_EMPTY;
    }
    pthread_mutex_unlock(&c->lock);
    rt_waker_wake(&wake);
    tk__mpsc_release(c);
}

/* tk_mpsc_sender_is_closed: Sender::is_closed. */
bool tk_mpsc_sender_is_closed(const tk_mpsc_tx *tx)
{
    tk__mpsc_chan *c = tk__mpsc_tx_chan(tx, "tk_mpsc_sender_is_closed");
    pthread_mutex_lock(&c->lock);
    bool closed = c->rx_closed;
    pthread_mutex_unlock(&c->lock);
    return closed;
}

/* tk_mpsc_sender_capacity: Sender::capacity -- the permits nobody holds. */
size_t tk_mpsc_sender_capacity(const tk_mpsc_tx *tx)
{
    tk__mpsc_chan *c = tk__mpsc_tx_chan(tx, "tk_mpsc_sender_capacity");
    return c->bounded ? tk_semaphore_available_permits(&c->sem) : SIZE_MAX;
}

/* tk_mpsc_send: the acquire child only records the semaphore's address until it is polled,
 * so building it for an unbounded channel (whose semaphore is unused) is harmless. */
tk_mpsc_send_fut tk_mpsc_send(tk_mpsc_tx *tx, const void *value)
{
    tk__mpsc_chan *c = tk__mpsc_tx_chan(tx, "tk_mpsc_send");
    tk_mpsc_send_fut s = {
        .base = { &tk__send_vtable },
        .chan = c,
        .value = value,
        .state = TK__MPSC_IDLE,
        .acquire = tk_semaphore_acquire(&c->sem, 1),
    };
    return s;
}

/* tk__send_poll: bounded: the acquire spends the coop unit and does the waiting, then we
 * push (returning the permit if the push was refused). Unbounded: push at once. */
static rt_poll tk__send_poll(rt_future *f, rt_context *cx)
{
    tk_mpsc_send_fut *s = (tk_mpsc_send_fut *)f;
    tk__mpsc_chan *c = s->chan;
    if (s->state == TK__MPSC_DONE)
        return RT_READY;
    if (c->bounded) {
        if (rt_future_poll(&s->acquire.base, cx) == RT_PENDING)
            return RT_PENDING;
        if (s->acquire.result != 0) {
            s->result = -EPIPE;
        } else if ((s->result = tk__mpsc_push(c, s->value)) != 0) {
            tk_semaphore_release(&c->sem, 1);
        }
    } else {
        if (!tk_coop_proceed(cx))
            return RT_PENDING;
        s->result = tk__mpsc_push(c, s->value);
    }
    s->state = TK__MPSC_DONE;
    return RT_READY;
}

/* tk__send_drop: a cancelled send is a cancelled acquire: its queue slot, or the permit it
 * was handed but never used, goes to the next waiting sender. */
static void tk__send_drop(rt_future *f)
{
    tk_mpsc_send_fut *s = (tk_mpsc_send_fut *)f;
    rt_future_drop(&s->acquire.base);
}

/* tk_mpsc_try_send: a permit without waiting, then the push. */
int tk_mpsc_try_send(tk_mpsc_tx *tx, const void *value)
{
    tk__mpsc_chan *c = tk__mpsc_tx_chan(tx, "tk_mpsc_try_send");
    if (!c->bounded)
        return tk__mpsc_push(c, value);
    int rc = tk_semaphore_try_acquire(&c->sem, 1);
    if (rc != 0)
        return rc;
    rc = tk__mpsc_push(c, value);
    if (rc != 0)
        tk_semaphore_release(&c->sem, 1);
    return rc;
}

/* tk_mpsc_unbounded_send: UnboundedSender::send; on a bounded channel it would bypass the
 * backpressure, so it is refused loudly. */
int tk_mpsc_unbounded_send(tk_mpsc_tx *tx, const void *value)
{
    tk__mpsc_chan *c = tk__mpsc_tx_chan(tx, "tk_mpsc_unbounded_send");
    if (c->bounded)
        rt_panic("tk_mpsc_unbounded_send on a bounded channel: use tk_mpsc_send or try_send");
    return tk__mpsc_push(c, value);
}

/* ---- the receiver ------------------------------------------------------------------------ */

/* tk_mpsc_recv: borrow the receiver's channel for one receive. */
tk_mpsc_recv_fut tk_mpsc_recv(tk_mpsc_rx *rx, void *out)
{
    if (!rx->chan)
        rt_panic("tk_mpsc_recv: this receiver was dropped");
    tk_mpsc_recv_fut r = {
        .base = { &tk__recv_vtable }, .chan = rx->chan, .out = out, .state = TK__MPSC_IDLE,
    };
    return r;
}

/* tk__recv_poll: take a value (then give its permit back), or the end, or wait. A finishing
 * receive that had registered takes its waker back out of the channel: left there it would
 * keep our task alive from a channel our task owns. */
static rt_poll tk__recv_poll(rt_future *f, rt_context *cx)
{
    tk_mpsc_recv_fut *r = (tk_mpsc_recv_fut *)f;
    tk__mpsc_chan *c = r->chan;
    if (r->state == TK__MPSC_DONE)
        return RT_READY;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;
    rt_waker stale = RT_WAKER_EMPTY;
    pthread_mutex_lock(&c->lock);
    int rc = tk__mpsc_take_locked(c, r->out);
    if (rc == -EAGAIN) {
        if (rt_waker_is_empty(&c->rx_waker) || !rt_waker_will_wake(&c->rx_waker, cx->waker)) {
            stale = c->rx_waker;
            c->rx_waker = rt_waker_clone(cx->waker);
        }
        r->state = TK__MPSC_WAITING;
        pthread_mutex_unlock(&c->lock);
        rt_waker_drop(&stale);
        tk_coop_undo();
        return RT_PENDING;
    }
    if (r->state == TK__MPSC_WAITING) {
        stale = c->rx_waker;
        c->rx_waker = RT_WAKER_EMPTY;
    }
    pthread_mutex_unlock(&c->lock);
    rt_waker_drop(&stale);
    if (rc == 0 && c->bounded)
        tk_semaphore_release(&c->sem, 1);
    r->result = rc;
    r->state = TK__MPSC_DONE;
    return RT_READY;
}

/* tk__recv_drop: a cancelled receive loses nothing (no value was taken); it only takes its
 * waker back. */
static void tk__recv_drop(rt_future *f)
{
    tk_mpsc_recv_fut *r = (tk_mpsc_recv_fut *)f;
    if (r->state != TK__MPSC_WAITING)
        return;
    r->state = TK__MPSC_DONE;
    pthread_mutex_lock(&r->chan->lock);
    rt_waker stale = r->chan->rx_waker;
    r->chan->rx_waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&r->chan->lock);
    rt_waker_drop(&stale);
}

/* tk_mpsc_try_recv: the receive decision without waiting. */
int tk_mpsc_try_recv(tk_mpsc_rx *rx, void *out)
{
    tk__mpsc_chan *c = rx->chan;
    if (!c)
        rt_panic("tk_mpsc_try_recv: this receiver was dropped");
    pthread_mutex_lock(&c->lock);
    int rc = tk__mpsc_take_locked(c, out);
    pthread_mutex_unlock(&c->lock);
    if (rc == 0 && c->bounded)
        tk_semaphore_release(&c->sem, 1);
    return rc;
}

/* tk_mpsc_receiver_close: flag first (refuses pushes), then the semaphore (fails waiters). */
void tk_mpsc_receiver_close(tk_mpsc_rx *rx)
{
    tk__mpsc_chan *c = rx->chan;
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->rx_closed = true;
    pthread_mutex_unlock(&c->lock);
    if (c->bounded)
        tk_semaphore_close(&c->sem);
}

/* tk_mpsc_receiver_drop: close, discard the buffer (giving its permits back, as tokio does,
 * so capacity reads true), release our reference. */
void tk_mpsc_receiver_drop(tk_mpsc_rx *rx)
{
    tk__mpsc_chan *c = rx->chan;
    if (!c)
        return;
    tk_mpsc_receiver_close(rx);
    rx->chan = NULL;
    pthread_mutex_lock(&c->lock);
    size_t drained = c->len;
    c->len = 0;
    c->head = 0;
    rt_waker stale = c->rx_waker;
    c->rx_waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&c->lock);
    rt_waker_drop(&stale);
    if (c->bounded && drained)
        tk_semaphore_release(&c->sem, drained);
    tk__mpsc_release(c);
}
