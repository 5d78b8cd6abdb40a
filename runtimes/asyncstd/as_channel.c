/* as_channel.c: MPMC channels -- a ring buffer under one mutex, with FIFO wait lists for senders and receivers. */
#include "as_channel.h"

#include <errno.h>
#include <pthread.h>

#include "rt_alloc.h"

/*
 * async-channel keeps a concurrent-queue and two event lists; here one mutex guards a ring of
 * `void *` and two wait lists, which is simpler to read and is not the bottleneck of anything
 * the bench measures (each operation holds the lock for a few dozen instructions).
 *
 * Who wakes whom:
 *   - a message pushed wakes the oldest waiting receiver;
 *   - a message popped from a bounded channel wakes the oldest waiting sender (a slot freed);
 *   - closing wakes everyone on both lists (they all have something new to learn).
 * A woken future is popped off its list and marked `notified`; if it is dropped before it
 * acts on the wake (its task was cancelled), its drop passes the wake on to the next waiter of
 * its kind, so a message or a slot never sits unnoticed while someone waits for it.
 *
 * The unbounded channel grows its ring by doubling; if that allocation fails, the send fails
 * with -ENOMEM and the message stays the sender's. Handles count senders and receivers; the
 * last of either closes the channel, and the last handle of all frees it (dropping queued
 * messages through drop_item, if one was given).
 */
struct as__channel {
    pthread_mutex_t lock;
    size_t cap;            /* 0: unbounded */
    void **ring;
    size_t ring_size;      /* slots allocated */
    size_t head, len;
    size_t senders, receivers;
    int closed;
    as__waitlist send_waiters, recv_waiters;
    void (*drop_item)(void *);
};

enum { AS__RING_INITIAL = 16 };

/* as__chan_free: the last handle is gone. */
static void as__chan_free(struct as__channel *ch)
{
    if (ch->drop_item != NULL) {
        for (size_t i = 0; i < ch->len; i++)
            ch->drop_item(ch->ring[(ch->head + i) % ch->ring_size]);
    }
    pthread_mutex_destroy(&ch->lock);
    rt_free(ch->ring);
    rt_free(ch);
}

/* as_channel_new: one sender and one receiver handle. */
int as_channel_new(size_t capacity, void (*drop_item)(void *item), as_sender *tx,
                   as_receiver *rx)
{
    if (tx == NULL || rx == NULL)
        return -EINVAL;
    struct as__channel *ch = rt_calloc(1, sizeof *ch);
    if (ch == NULL)
        return -ENOMEM;
    ch->cap = capacity;
    ch->ring_size = capacity != 0 ? capacity : AS__RING_INITIAL;
    ch->ring = rt_calloc(ch->ring_size, sizeof *ch->ring);
    if (ch->ring == NULL || pthread_mutex_init(&ch->lock, NULL) != 0) {
        rt_free(ch->ring);
        rt_free(ch);
        return -ENOMEM;
    }
    ch->senders = ch->receivers = 1;
    ch->drop_item = drop_item;
    as__waitlist_init(&ch->send_waiters);
    as__waitlist_init(&ch->recv_waiters);
    tx->ch = rx->ch = ch;
    return 0;
}

/* as_channel_bounded: capacity 0 would be a rendezvous channel, which async-channel refuses. */
int as_channel_bounded(size_t capacity, as_sender *tx, as_receiver *rx)
{
    return capacity == 0 ? -EINVAL : as_channel_new(capacity, NULL, tx, rx);
}

/* as_channel_unbounded: never full. */
int as_channel_unbounded(as_sender *tx, as_receiver *rx)
{
    return as_channel_new(0, NULL, tx, rx);
}

/* as__take_some: pop up to n waiters of l, moving their wakers into out; how many. */
static size_t as__take_some(as__waitlist *l, rt_waker *out, size_t n)
{
    size_t k = 0;
    while (k < n && as__waitlist_pop(l, &out[k]))
        k++;
    return k;
}

/* as__close_locked: mark closed and wake every waiter, in rounds (unlocking around each). */
static void as__close_locked(struct as__channel *ch)
{
    ch->closed = 1;
    for (;;) {
        rt_waker w[32];
        size_t k = as__take_some(&ch->recv_waiters, w, 32);
        k += as__take_some(&ch->send_waiters, w + k, 32 - k);
        if (k == 0)
            return;
        pthread_mutex_unlock(&ch->lock);
        for (size_t i = 0; i < k; i++)
            rt_waker_wake(&w[i]);
        pthread_mutex_lock(&ch->lock);
    }
}

/* as__close: close, telling whether this call did it. */
static int as__close(struct as__channel *ch)
{
    pthread_mutex_lock(&ch->lock);
    int was = ch->closed;
    if (!was)
        as__close_locked(ch);
    pthread_mutex_unlock(&ch->lock);
    return !was;
}

/* as_sender_clone: one more sender. */
as_sender as_sender_clone(const as_sender *tx)
{
    pthread_mutex_lock(&tx->ch->lock);
    tx->ch->senders++;
    pthread_mutex_unlock(&tx->ch->lock);
    return *tx;
}

/* as_receiver_clone: one more receiver. */
as_receiver as_receiver_clone(const as_receiver *rx)
{
    pthread_mutex_lock(&rx->ch->lock);
    rx->ch->receivers++;
    pthread_mutex_unlock(&rx->ch->lock);
    return *rx;
}

/* as__drop_handle: count one handle of a kind out; the last of its kind closes, the last of
 * all frees. The handle is counted out only AFTER the close: closing unlocks around its wakes,
 * and while our handle still counts, nobody else can see "no handles left" and free the
 * channel under us. */
static void as__drop_handle(struct as__channel *ch, size_t *count)
{
    pthread_mutex_lock(&ch->lock);
    if (*count == 1 && !ch->closed)
        as__close_locked(ch);
    --*count;
    int last = ch->senders == 0 && ch->receivers == 0;
    pthread_mutex_unlock(&ch->lock);
    if (last)
        as__chan_free(ch);
}

/* as_sender_drop: release a sender handle. */
void as_sender_drop(as_sender *tx)
{
    if (tx->ch == NULL)
        return;
    struct as__channel *ch = tx->ch;
    tx->ch = NULL;
    as__drop_handle(ch, &ch->senders);
}

/* as_receiver_drop: release a receiver handle. */
void as_receiver_drop(as_receiver *rx)
{
    if (rx->ch == NULL)
        return;
    struct as__channel *ch = rx->ch;
    rx->ch = NULL;
    as__drop_handle(ch, &ch->receivers);
}

/* as_sender_close: close from the sending side. */
int as_sender_close(const as_sender *tx)
{
    return as__close(tx->ch);
}

/* as_receiver_close: close from the receiving side. */
int as_receiver_close(const as_receiver *rx)
{
    return as__close(rx->ch);
}

/* as_channel_is_closed: a snapshot. */
int as_channel_is_closed(const as_receiver *rx)
{
    pthread_mutex_lock(&rx->ch->lock);
    int c = rx->ch->closed;
    pthread_mutex_unlock(&rx->ch->lock);
    return c;
}

/* as_channel_len: a snapshot. */
size_t as_channel_len(const as_receiver *rx)
{
    pthread_mutex_lock(&rx->ch->lock);
    size_t n = rx->ch->len;
    pthread_mutex_unlock(&rx->ch->lock);
    return n;
}

/* as__push_locked: append; 0, -EAGAIN (bounded and full), -ENOMEM (could not grow). On success
 * the oldest waiting receiver is popped into *wake. */
static int as__push_locked(struct as__channel *ch, void *item, rt_waker *wake)
{
    if (ch->cap != 0 && ch->len == ch->cap)
        return -EAGAIN;
    if (ch->len == ch->ring_size) {
        size_t size = ch->ring_size * 2;
        void **ring = size > ch->ring_size ? rt_malloc(size * sizeof *ring) : NULL;
        if (ring == NULL)
            return -ENOMEM;
        for (size_t i = 0; i < ch->len; i++)
            ring[i] = ch->ring[(ch->head + i) % ch->ring_size];
        rt_free(ch->ring);
        ch->ring = ring;
        ch->ring_size = size;
        ch->head = 0;
    }
    ch->ring[(ch->head + ch->len) % ch->ring_size] = item;
    ch->len++;
    as__waitlist_pop(&ch->recv_waiters, wake);
    return 0;
}

/* as__pop_locked: take the oldest message; a bounded channel pops a waiting sender into *wake. */
static int as__pop_locked(struct as__channel *ch, void **item, rt_waker *wake)
{
    if (ch->len == 0)
        return -EAGAIN;
    *item = ch->ring[ch->head];
    ch->head = (ch->head + 1) % ch->ring_size;
    ch->len--;
    if (ch->cap != 0)
        as__waitlist_pop(&ch->send_waiters, wake);
    return 0;
}

/* as_try_send: closed first: a closed channel refuses even when it has room. */
int as_try_send(const as_sender *tx, void *item)
{
    struct as__channel *ch = tx->ch;
    rt_waker wake = RT_WAKER_EMPTY;
    pthread_mutex_lock(&ch->lock);
    int rc = ch->closed ? -EPIPE : as__push_locked(ch, item, &wake);
    pthread_mutex_unlock(&ch->lock);
    rt_waker_wake(&wake);
    return rc;
}

/* as_try_recv: queued messages are still delivered after close. */
int as_try_recv(const as_receiver *rx, void **item)
{
    struct as__channel *ch = rx->ch;
    rt_waker wake = RT_WAKER_EMPTY;
    pthread_mutex_lock(&ch->lock);
    int rc = as__pop_locked(ch, item, &wake);
    if (rc == -EAGAIN && ch->closed)
        rc = -EPIPE;
    pthread_mutex_unlock(&ch->lock);
    rt_waker_wake(&wake);
    return rc;
}

/* as__pass_on: a waiter that was woken is going away unused: wake the next one of its list,
 * if what it was woken for (a message, a slot) is still there. Lock held; wake goes to *out. */
static void as__pass_on(as__waitlist *l, int still_there, rt_waker *out)
{
    if (still_there)
        as__waitlist_pop(l, out);
}

/* as__send_poll: push, or park until a slot frees or the channel closes. */
static rt_poll as__send_poll(rt_future *f, rt_context *cx)
{
    as_send_fut *s = (as_send_fut *)f;
    if (s->finished)
        return RT_READY;
    struct as__channel *ch = s->ch;
    rt_waker wake = RT_WAKER_EMPTY, mine = RT_WAKER_EMPTY;
    pthread_mutex_lock(&ch->lock);
    int rc = ch->closed ? -EPIPE : as__push_locked(ch, s->item, &wake);
    if (rc == -EAGAIN) {
        as__waitlist_park(&ch->send_waiters, &s->waiter, cx->waker);
    } else {
        as__waitlist_unlink(&ch->send_waiters, &s->waiter, &mine);
        s->waiter.notified = 0;
        s->err = rc;
        s->finished = 1;
        if (rc == 0)
            s->item = NULL; /* the channel owns it now */
    }
    pthread_mutex_unlock(&ch->lock);
    rt_waker_wake(&wake);
    rt_waker_drop(&mine);
    return s->finished ? RT_READY : RT_PENDING;
}

/* as__recv_poll: pop, or park until a message comes or the channel closes empty. */
static rt_poll as__recv_poll(rt_future *f, rt_context *cx)
{
    as_recv_fut *r = (as_recv_fut *)f;
    if (r->finished)
        return RT_READY;
    struct as__channel *ch = r->ch;
    rt_waker wake = RT_WAKER_EMPTY, mine = RT_WAKER_EMPTY;
    pthread_mutex_lock(&ch->lock);
    int rc = as__pop_locked(ch, &r->item, &wake);
    if (rc == -EAGAIN && !ch->closed) {
        as__waitlist_park(&ch->recv_waiters, &r->waiter, cx->waker);
    } else {
        as__waitlist_unlink(&ch->recv_waiters, &r->waiter, &mine);
        r->waiter.notified = 0;
        r->err = rc == 0 ? 0 : -EPIPE;
        r->finished = 1;
    }
    pthread_mutex_unlock(&ch->lock);
    rt_waker_wake(&wake);
    rt_waker_drop(&mine);
    return r->finished ? RT_READY : RT_PENDING;
}

/* as__send_drop: leave the list; pass a slot wake on; drop an undelivered message through
 * drop_item (as Rust drops a Send future's message), or leave it in `item` without one. */
static void as__send_drop(rt_future *f)
{
    as_send_fut *s = (as_send_fut *)f;
    if (s->finished)
        return;
    s->finished = 1;
    struct as__channel *ch = s->ch;
    rt_waker mine, next = RT_WAKER_EMPTY;
    pthread_mutex_lock(&ch->lock);
    as__waitlist_unlink(&ch->send_waiters, &s->waiter, &mine);
    if (s->waiter.notified)
        as__pass_on(&ch->send_waiters, ch->cap == 0 || ch->len < ch->cap, &next);
    s->waiter.notified = 0;
    pthread_mutex_unlock(&ch->lock);
    rt_waker_drop(&mine);
    rt_waker_wake(&next);
    if (ch->drop_item != NULL && s->item != NULL) {
        ch->drop_item(s->item);
        s->item = NULL;
    }
}

/* as__recv_drop: leave the list; pass a message wake on. */
static void as__recv_drop(rt_future *f)
{
    as_recv_fut *r = (as_recv_fut *)f;
    if (r->finished)
        return;
    r->finished = 1;
    struct as__channel *ch = r->ch;
    rt_waker mine, next = RT_WAKER_EMPTY;
    pthread_mutex_lock(&ch->lock);
    as__waitlist_unlink(&ch->recv_waiters, &r->waiter, &mine);
    if (r->waiter.notified)
        as__pass_on(&ch->recv_waiters, ch->len > 0, &next);
    r->waiter.notified = 0;
    pthread_mutex_unlock(&ch->lock);
    rt_waker_drop(&mine);
    rt_waker_wake(&next);
}

static const rt_future_vtable as__send_vtable = { as__send_poll, as__send_drop, "as_send" };
static const rt_future_vtable as__recv_vtable = { as__recv_poll, as__recv_drop, "as_recv" };

/* as_send: constructor; the channel is reached through the handle, which must stay alive
 * until the future finished or was dropped. */
as_send_fut as_send(const as_sender *tx, void *item)
{
    return (as_send_fut){ .base = { &as__send_vtable }, .ch = tx->ch, .item = item,
                          .waiter = AS__WAITER_INIT };
}

/* as_recv: constructor. */
as_recv_fut as_recv(const as_receiver *rx)
{
    return (as_recv_fut){ .base = { &as__recv_vtable }, .ch = rx->ch, .waiter = AS__WAITER_INIT };
}
