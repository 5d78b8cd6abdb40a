/* as_channel.h: MPMC channels, bounded and unbounded, with close semantics (async-channel's). */
#ifndef AS_CHANNEL_H
#define AS_CHANNEL_H

#include <stddef.h>

#include "as_waitlist.h"
#include "rt_future.h"

/*
 * async-std's channel is async-channel: many senders, many receivers, each message received
 * once. A channel is closed when every sender is dropped, when every receiver is dropped, or
 * when someone calls close. Then:
 *   - sending fails with -EPIPE (the message stays yours: it is left in the future's `item`);
 *   - receiving still drains what is queued, then fails with -EPIPE.
 * Senders and receivers are small handles passed by value and cloned explicitly, since C has
 * no destructors: every clone must be dropped once. Messages are `void *`; the channel never
 * looks at them. Messages still queued when the channel is freed are passed to the drop_item
 * function given to as_channel_new (if any), as Rust drops them.
 */
struct as__channel;
typedef struct as_sender {
    struct as__channel *ch;
} as_sender;
typedef struct as_receiver {
    struct as__channel *ch;
} as_receiver;

/* as_channel_new: capacity 0 = unbounded; drop_item may be NULL. 0 or -ENOMEM. */
int as_channel_new(size_t capacity, void (*drop_item)(void *item), as_sender *tx,
                   as_receiver *rx);
/* as_channel_bounded: a channel holding at most capacity (>= 1) messages; 0, -EINVAL, -ENOMEM. */
int as_channel_bounded(size_t capacity, as_sender *tx, as_receiver *rx);
/* as_channel_unbounded: a channel that never makes a sender wait; 0 or -ENOMEM. */
int as_channel_unbounded(as_sender *tx, as_receiver *rx);

/* as_sender_clone / as_receiver_clone: another handle to the same channel. */
as_sender as_sender_clone(const as_sender *tx);
as_receiver as_receiver_clone(const as_receiver *rx);
/* as_sender_drop / as_receiver_drop: release a handle (it becomes empty); the last sender or
 * the last receiver closes the channel; the very last handle frees it. */
void as_sender_drop(as_sender *tx);
void as_receiver_drop(as_receiver *rx);
/* as_sender_close / as_receiver_close: close now; 1 if this call closed it, 0 if already closed. */
int as_sender_close(const as_sender *tx);
int as_receiver_close(const as_receiver *rx);
/* as_channel_is_closed: closed by any of the three ways. */
int as_channel_is_closed(const as_receiver *rx);
/* as_channel_len: messages queued right now. */
size_t as_channel_len(const as_receiver *rx);

/* as_try_send: 0, -EAGAIN (full), -EPIPE (closed) or -ENOMEM; on failure item stays yours. */
int as_try_send(const as_sender *tx, void *item);
/* as_try_recv: 0 and *item, -EAGAIN (empty) or -EPIPE (closed and empty). */
int as_try_recv(const as_receiver *rx, void **item);

/* as_send(tx, item): wait for room, then queue item. */
typedef struct as_send_fut {
    rt_future base;
    struct as__channel *ch;
    void *item;          /* in: the message; after a failure, still here for you */
    int err;             /* output: 0, -EPIPE (closed) or -ENOMEM */
    int finished;        /* private */
    as__waiter waiter;   /* private */
} as_send_fut;
/* as_send: a future that sends item on tx's channel. */
as_send_fut as_send(const as_sender *tx, void *item);

/* as_recv(rx): wait for a message. */
typedef struct as_recv_fut {
    rt_future base;
    struct as__channel *ch;
    void *item;          /* output: the message */
    int err;             /* output: 0 or -EPIPE (closed and empty) */
    int finished;        /* private */
    as__waiter waiter;   /* private */
} as_recv_fut;
/* as_recv: a future that receives one message from rx's channel. */
as_recv_fut as_recv(const as_receiver *rx);

#endif
