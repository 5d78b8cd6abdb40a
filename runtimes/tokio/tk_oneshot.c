/* tk_oneshot.c: tokio's oneshot channel -- one value, one allocation, a lock and two wakers. */
#include <errno.h>
#include <string.h>

#include "rt_alloc.h"
#include "rt_panic.h"
#include "tk_coop.h"
#include "tk_sync.h"

/*
 * The whole channel is one allocation: the shared state and, right after it, room for the
 * value. Sender and receiver each hold one reference; the last to go frees it. The state is
 * a handful of flags under a mutex -- tokio packs the same flags into one atomic word, which
 * is faster and much harder to read; a oneshot is used once, so the lock costs little.
 *
 * Only one task can wait on each side (one receiver, one sender), so instead of a waiter list
 * each side has a single waker slot in the shared state: rx_waker for a pending recv,
 * tx_waker for a pending closed().
 */

enum {
    TK__ONESHOT_VALUE_SENT = 1u << 0,  /* a value is in the slot */
    TK__ONESHOT_VALUE_TAKEN = 1u << 1, /* ... and the receiver copied it out */
    TK__ONESHOT_TX_GONE = 1u << 2,     /* the sender sent or was dropped */
    TK__ONESHOT_RX_CLOSED = 1u << 3,   /* the receiver closed or was dropped */
};

enum { TK__OS_IDLE, TK__OS_WAITING, TK__OS_DONE };

struct tk__oneshot_chan {
    pthread_mutex_t lock;
    _Atomic int refs;        /* sender + receiver */
    unsigned state;          /* TK__ONESHOT_* flags, under lock */
    rt_waker rx_waker;       /* a pending recv's task */
    rt_waker tx_waker;       /* a pending closed()'s task */
    size_t elem_size;
    max_align_t value[];     /* elem_size bytes, suitably aligned for any type */
};

static rt_poll tk__recv_poll(rt_future *f, rt_context *cx);
static void tk__recv_drop(rt_future *f);
static rt_poll tk__closed_poll(rt_future *f, rt_context *cx);
static void tk__closed_drop(rt_future *f);

static const rt_future_vtable tk__recv_vtable = { tk__recv_poll, tk__recv_drop, "tk_oneshot_recv" };
static const rt_future_vtable tk__closed_vtable = {
    tk__closed_poll, tk__closed_drop, "tk_oneshot_closed"
};

/* tk_oneshot_channel: allocate and initialise; on failure the handles are left empty. */
int tk_oneshot_channel(size_t elem_size, tk_oneshot_tx *tx, tk_oneshot_rx *rx)
{
    tx->chan = NULL;
    rx->chan = NULL;
    if (elem_size > SIZE_MAX - sizeof(tk__oneshot_chan))
        return -ENOMEM;
    tk__oneshot_chan *c = rt_malloc(sizeof *c + elem_size);
    if (!c)
        return -ENOMEM;
    int rc = pthread_mutex_init(&c->lock, NULL);
    if (rc != 0) {
        rt_free(c);
        return -rc;
    }
    atomic_init(&c->refs, 2);
    c->state = 0;
    c->rx_waker = RT_WAKER_EMPTY;
    c->tx_waker = RT_WAKER_EMPTY;
    c->elem_size = elem_size;
    tx->chan = c;
    rx->chan = c;
    return 0;
}

/* tk__oneshot_release: one side is done with the channel. acq_rel: the last owner must see
 * every write the other side made before it let go. The waker slots are normally empty by
 * now (every future takes its waker back when it finishes or is dropped); dropping them here
 * only makes sure nothing is leaked if that ever changes. */
static void tk__oneshot_release(tk__oneshot_chan *c)
{
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    rt_waker_drop(&c->rx_waker);
    rt_waker_drop(&c->tx_waker);
    pthread_mutex_destroy(&c->lock);
    rt_free(c);
}

/* tk_oneshot_send: the sender is used up either way, as Sender::send takes self. */
int tk_oneshot_send(tk_oneshot_tx *tx, const void *value)
{
    tk__oneshot_chan *c = tx->chan;
    if (!c)
        rt_panic("tk_oneshot_send: this sender was already used or dropped");
    tx->chan = NULL;
    int rc = 0;
    rt_waker wake = RT_WAKER_EMPTY;
    pthread_mutex_lock(&c->lock);
    if (c->state & TK__ONESHOT_RX_CLOSED) {
        rc = -EPIPE;
    } else {
        if (c->elem_size)
            memcpy(c->value, value, c->elem_size);
        c->state |= TK__ONESHOT_VALUE_SENT;
        wake = c->rx_waker;
        c->rx_waker = RT_WAKER_EMPTY;
    }
    c->state |= TK__ONESHOT_TX_GONE;
    pthread_mutex_unlock(&c->lock);
    rt_waker_wake(&wake);
    tk__oneshot_release(c);
    return rc;
}

/* tk_oneshot_tx_drop: like a send without a value: wake the receiver so it sees -EPIPE. */
void tk_oneshot_tx_drop(tk_oneshot_tx *tx)
{
    tk__oneshot_chan *c = tx->chan;
    if (!c)
        return;
    tx->chan = NULL;
    pthread_mutex_lock(&c->lock);
    c->state |= TK__ONESHOT_TX_GONE;
    rt_waker wake = c->rx_waker;
    c->rx_waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&c->lock);
    rt_waker_wake(&wake);
    tk__oneshot_release(c);
}

/* tk_oneshot_tx_closed: Sender::is_closed. */
bool tk_oneshot_tx_closed(const tk_oneshot_tx *tx)
{
    tk__oneshot_chan *c = tx->chan;
    if (!c)
        return true;
    pthread_mutex_lock(&c->lock);
    bool closed = (c->state & TK__ONESHOT_RX_CLOSED) != 0;
    pthread_mutex_unlock(&c->lock);
    return closed;
}

/* tk_oneshot_closed: Sender::closed() as a future. */
tk_oneshot_closed_fut tk_oneshot_closed(tk_oneshot_tx *tx)
{
    if (!tx->chan)
        rt_panic("tk_oneshot_closed: this sender was already used or dropped");
    tk_oneshot_closed_fut f = { .base = { &tk__closed_vtable }, .chan = tx->chan, .state = TK__OS_IDLE };
    return f;
}

/* tk__closed_poll: ready once RX_CLOSED is set; else park our waker in tx_waker. */
static rt_poll tk__closed_poll(rt_future *f, rt_context *cx)
{
    tk_oneshot_closed_fut *cf = (tk_oneshot_closed_fut *)f;
    tk__oneshot_chan *c = cf->chan;
    if (cf->state == TK__OS_DONE)
        return RT_READY;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;
    rt_waker stale = RT_WAKER_EMPTY;
    pthread_mutex_lock(&c->lock);
    bool closed = (c->state & TK__ONESHOT_RX_CLOSED) != 0;
    if (closed) {
        stale = c->tx_waker;
        c->tx_waker = RT_WAKER_EMPTY;
        cf->state = TK__OS_DONE;
    } else {
        if (rt_waker_is_empty(&c->tx_waker) || !rt_waker_will_wake(&c->tx_waker, cx->waker)) {
            stale = c->tx_waker;
            c->tx_waker = rt_waker_clone(cx->waker);
        }
        cf->state = TK__OS_WAITING;
    }
    pthread_mutex_unlock(&c->lock);
    rt_waker_drop(&stale);
    if (closed)
        return RT_READY;
    tk_coop_undo();
    return RT_PENDING;
}

/* tk__closed_drop: take our waker back out of the channel (it holds a task reference). */
static void tk__closed_drop(rt_future *f)
{
    tk_oneshot_closed_fut *cf = (tk_oneshot_closed_fut *)f;
    if (cf->state != TK__OS_WAITING)
        return;
    cf->state = TK__OS_DONE;
    pthread_mutex_lock(&cf->chan->lock);
    rt_waker stale = cf->chan->tx_waker;
    cf->chan->tx_waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&cf->chan->lock);
    rt_waker_drop(&stale);
}

/* tk__oneshot_take_locked: the receive decision shared by recv and try_recv. A value sent
 * before a close still counts (tokio: "a value sent before close is still received"). */
static int tk__oneshot_take_locked(tk__oneshot_chan *c, void *out)
{
    if ((c->state & TK__ONESHOT_VALUE_SENT) && !(c->state & TK__ONESHOT_VALUE_TAKEN)) {
        if (c->elem_size)
            memcpy(out, c->value, c->elem_size);
        c->state |= TK__ONESHOT_VALUE_TAKEN;
        return 0;
    }
    if (c->state & (TK__ONESHOT_VALUE_TAKEN | TK__ONESHOT_TX_GONE | TK__ONESHOT_RX_CLOSED))
        return -EPIPE;
    return -EAGAIN;
}

/* tk_oneshot_recv: borrow the receiver's channel for one receive. */
tk_oneshot_recv_fut tk_oneshot_recv(tk_oneshot_rx *rx, void *out)
{
    if (!rx->chan)
        rt_panic("tk_oneshot_recv: this receiver was dropped");
    tk_oneshot_recv_fut f = {
        .base = { &tk__recv_vtable }, .chan = rx->chan, .out = out, .state = TK__OS_IDLE,
    };
    return f;
}

/* tk__recv_poll: take the value or the verdict; else leave our waker for the sender. When we
 * finish after having registered, we take the waker back: left in the channel it would keep
 * our task alive, and the task owns the receiver that owns the channel -- a cycle. */
static rt_poll tk__recv_poll(rt_future *f, rt_context *cx)
{
    tk_oneshot_recv_fut *rf = (tk_oneshot_recv_fut *)f;
    tk__oneshot_chan *c = rf->chan;
    if (rf->state == TK__OS_DONE)
        return RT_READY;
    if (!tk_coop_proceed(cx))
        return RT_PENDING;
    rt_waker stale = RT_WAKER_EMPTY;
    pthread_mutex_lock(&c->lock);
    int rc = tk__oneshot_take_locked(c, rf->out);
    if (rc != -EAGAIN) {
        if (rf->state == TK__OS_WAITING) {
            stale = c->rx_waker;
            c->rx_waker = RT_WAKER_EMPTY;
        }
        rf->result = rc;
        rf->state = TK__OS_DONE;
    } else {
        if (rt_waker_is_empty(&c->rx_waker) || !rt_waker_will_wake(&c->rx_waker, cx->waker)) {
            stale = c->rx_waker;
            c->rx_waker = rt_waker_clone(cx->waker);
        }
        rf->state = TK__OS_WAITING;
    }
    pthread_mutex_unlock(&c->lock);
    rt_waker_drop(&stale);
    if (rc != -EAGAIN)
        return RT_READY;
    tk_coop_undo();
    return RT_PENDING;
}

/* tk__recv_drop: a cancelled receive takes its waker back; the value, if any, stays for the
 * next receive (cancellation-safe, as tokio's `&mut Receiver` future is). */
static void tk__recv_drop(rt_future *f)
{
    tk_oneshot_recv_fut *rf = (tk_oneshot_recv_fut *)f;
    if (rf->state != TK__OS_WAITING)
        return;
    rf->state = TK__OS_DONE;
    pthread_mutex_lock(&rf->chan->lock);
    rt_waker stale = rf->chan->rx_waker;
    rf->chan->rx_waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&rf->chan->lock);
    rt_waker_drop(&stale);
}

/* tk_oneshot_try_recv: the same decision without waiting. */
int tk_oneshot_try_recv(tk_oneshot_rx *rx, void *out)
{
    tk__oneshot_chan *c = rx->chan;
    if (!c)
        return -EPIPE;
    pthread_mutex_lock(&c->lock);
    int rc = tk__oneshot_take_locked(c, out);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* tk_oneshot_rx_close: Receiver::close -- refuse later sends and tell a waiting closed(). */
void tk_oneshot_rx_close(tk_oneshot_rx *rx)
{
    tk__oneshot_chan *c = rx->chan;
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->state |= TK__ONESHOT_RX_CLOSED;
    rt_waker wake = c->tx_waker;
    c->tx_waker = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&c->lock);
    rt_waker_wake(&wake);
}

/* tk_oneshot_rx_drop: close, then give up our reference. */
void tk_oneshot_rx_drop(tk_oneshot_rx *rx)
{
    tk__oneshot_chan *c = rx->chan;
    if (!c)
        return;
    tk_oneshot_rx_close(rx);
    rx->chan = NULL;
    tk__oneshot_release(c);
}
