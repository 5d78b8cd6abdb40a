/* as_io.c: IO handles -- registering fds with the reactor, parking on readiness, dispatching its events. */
#include "as_io.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "as_internal.h"
#include "rt_alloc.h"

/*
 * A handle is registered once, at open, with no interest (ONESHOT with nothing armed), and
 * after that only re-armed. Its token in the poller is its slot in the reactor's table with
 * the slot's generation, not its address: an event can be in flight (returned by epoll_wait,
 * not dispatched yet) when its handle is closed and freed, and a token that names a freed
 * slot -- or a slot reused by a new handle, whose generation differs -- is simply ignored.
 * The dispatcher takes a reference on the handle under sources_lock, so a handle found in the
 * table cannot be freed while its event is handled.
 *
 * References: the owner's (dropped by as_io_close) and one per operation between its first
 * poll and its end. The fd is closed with the last one, so an operation that runs late on a
 * closed handle fails with -EBADF instead of reading from whatever file now has that number.
 *
 * Each direction has a wait list. The invariant the reactor relies on: while any waiter is
 * parked, the fd is armed for the union of the directions that have waiters. Parking arms it
 * (as__io_park), an event disarms it and the dispatcher re-arms what is left, and both run
 * under the handle's lock.
 */

/* as__slot_alloc: a free slot (or a new one) for io; its token out. 0 or -ENOMEM. */
static int as__slot_alloc(as__reactor *r, as_io *io, uint64_t *token)
{
    pthread_mutex_lock(&r->sources_lock);
    uint32_t idx;
    if (r->free_head != UINT32_MAX) {
        idx = r->free_head;
        r->free_head = r->slots[idx].next_free;
    } else {
        if (r->nslots == r->cap_slots) {
            uint32_t cap = r->cap_slots ? r->cap_slots * 2 : 64;
            as__slot *grown = cap > r->cap_slots ? rt_realloc(r->slots, cap * sizeof *grown) : NULL;
            if (grown == NULL) {
                pthread_mutex_unlock(&r->sources_lock);
                return -ENOMEM;
            }
            r->slots = grown;
            r->cap_slots = cap;
        }
        idx = r->nslots++;
        r->slots[idx].gen = 1;
    }
    r->slots[idx].io = io;
    *token = (uint64_t)r->slots[idx].gen << 32 | idx;
    pthread_mutex_unlock(&r->sources_lock);
    return 0;
}

/* as__slot_free: retire the token; the generation moves on (skipping 0 and UINT32_MAX, so no
 * token can ever equal the poller's reserved UINT64_MAX). */
static void as__slot_free(as__reactor *r, uint64_t token)
{
    uint32_t idx = (uint32_t)token;
    pthread_mutex_lock(&r->sources_lock);
    as__slot *s = &r->slots[idx];
    s->io = NULL;
    s->gen = s->gen + 1 >= UINT32_MAX ? 1 : s->gen + 1;
    s->next_free = r->free_head;
    r->free_head = idx;
    pthread_mutex_unlock(&r->sources_lock);
}

/* as__slot_get: the live handle a token names, with a reference taken; NULL if stale. */
static as_io *as__slot_get(as__reactor *r, uint64_t token)
{
    uint32_t idx = (uint32_t)token, gen = (uint32_t)(token >> 32);
    as_io *io = NULL;
    pthread_mutex_lock(&r->sources_lock);
    if (idx < r->nslots && r->slots[idx].gen == gen && r->slots[idx].io != NULL) {
        io = r->slots[idx].io;
        as__io_ref(io);
    }
    pthread_mutex_unlock(&r->sources_lock);
    return io;
}

/* as__io_ref: the caller already holds a reference, so relaxed is enough (as with Arc). */
void as__io_ref(as_io *io)
{
    atomic_fetch_add_explicit(&io->refs, 1, memory_order_relaxed);
}

/* as__io_unref: the last reference closes the fd and frees the handle. acq_rel: the freeing
 * thread sees everything the others did before letting go. */
void as__io_unref(as_io *io)
{
    if (atomic_fetch_sub_explicit(&io->refs, 1, memory_order_acq_rel) != 1)
        return;
    close(io->fd);
    pthread_mutex_destroy(&io->lock);
    rt_free(io);
}

/* as__interest: the directions with parked waiters (lock held). */
static unsigned as__interest(const as_io *io)
{
    unsigned interest = 0;
    if (!as__waitlist_is_empty(&io->waiters[AS__DIR_READ]))
        interest |= RT_READABLE;
    if (!as__waitlist_is_empty(&io->waiters[AS__DIR_WRITE]))
        interest |= RT_WRITABLE;
    return interest;
}

/* as_io_open: non-blocking, registered with nothing armed. On failure the fd is untouched
 * (its old flags restored) and still the caller's. */
int as_io_open(int fd, as_io **out)
{
    as__runtime *rt = as__rt();
    if (rt == NULL)
        return as__rt_error();
    if (fd < 0 || out == NULL)
        return fd < 0 ? -EBADF : -EINVAL;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -errno;
    as_io *io = rt_calloc(1, sizeof *io);
    if (io == NULL)
        return -ENOMEM;
    int type, err;
    socklen_t tlen = sizeof type;
    io->fd = fd;
    io->is_socket = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0;
    io->reactor = &rt->reactor;
    atomic_init(&io->refs, 1);
    atomic_init(&io->closed, 0);
    as__waitlist_init(&io->waiters[AS__DIR_READ]);
    as__waitlist_init(&io->waiters[AS__DIR_WRITE]);
    if ((err = -pthread_mutex_init(&io->lock, NULL)) != 0)
        goto fail_free;
    if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        err = -errno;
        goto fail_lock;
    }
    if ((err = as__slot_alloc(io->reactor, io, &io->token)) != 0)
        goto fail_flags;
    if ((err = rt_poller_add(io->reactor->poller, fd, 0, io->token)) != 0)
        goto fail_slot;
    *out = io;
    return 0;

fail_slot:
    as__slot_free(io->reactor, io->token);
fail_flags:
    fcntl(fd, F_SETFL, flags);
fail_lock:
    pthread_mutex_destroy(&io->lock);
fail_free:
    rt_free(io);
    return err;
}

/* as__io_take_all: move every parked waker of io into buf, waking in batches (lock held on
 * entry and exit; it is released around each batch). */
static void as__io_take_all(as_io *io, as__wake_buf *buf)
{
    for (int dir = 0; dir < 2; dir++) {
        rt_waker w;
        while (as__waitlist_pop(&io->waiters[dir], &w)) {
            if (as__wake_buf_push(buf, w)) {
                pthread_mutex_unlock(&io->lock);
                as__wake_buf_flush(buf);
                pthread_mutex_lock(&io->lock);
            }
        }
    }
}

/* as_io_close: out of the table and the poller first (so no new event names it), then mark it
 * closed and wake the operations parked on it; they see `closed` and finish with -EBADF. */
void as_io_close(as_io *io)
{
    if (io == NULL || atomic_exchange(&io->closed, 1))
        return;
    if (!as__runtime_torn_down()) {
        as__slot_free(io->reactor, io->token);
        rt_poller_del(io->reactor->poller, io->fd);
    }
    as__wake_buf buf;
    buf.n = 0;
    pthread_mutex_lock(&io->lock);
    as__io_take_all(io, &buf);
    pthread_mutex_unlock(&io->lock);
    as__wake_buf_flush(&buf);
    as__io_unref(io);
}

/* as_io_fd: the descriptor. */
int as_io_fd(const as_io *io)
{
    return io ? io->fd : -1;
}

/* as_io_shutdown: shutdown(2); the reactor reports the resulting hang-up like any event. */
int as_io_shutdown(as_io *io, int how)
{
    if (io == NULL || atomic_load(&io->closed))
        return -EBADF;
    return shutdown(io->fd, how) < 0 ? -errno : 0;
}

/* as__io_park: park w in direction dir and, if it was not parked already, re-arm the fd for
 * every direction with waiters. A waiter still parked from an earlier poll needs no MOD: its
 * direction is armed (or its event is being dispatched and will wake it). */
int as__io_park(as_io *io, int dir, as__waiter *w, const rt_waker *waker)
{
    int err = 0;
    rt_waker undo = RT_WAKER_EMPTY;
    pthread_mutex_lock(&io->lock);
    if (atomic_load_explicit(&io->closed, memory_order_relaxed)) {
        err = -EBADF;
    } else {
        int was_linked = w->linked;
        as__waitlist_park(&io->waiters[dir], w, waker);
        if (!was_linked) {
            err = rt_poller_modify(io->reactor->poller, io->fd, as__interest(io), io->token);
            if (err != 0)
                as__waitlist_unlink(&io->waiters[dir], w, &undo);
        }
    }
    pthread_mutex_unlock(&io->lock);
    rt_waker_drop(&undo);
    return err;
}

/* as__io_dispatch: READABLE, a read hang-up (peer closed) or an error wake the readers;
 * WRITABLE or an error wake the writers (a full hang-up is reported as both by the poller).
 * Only the waiters present when we look are woken -- later arrivals parked after the event
 * and re-armed for themselves. */
void as__io_dispatch(as__reactor *r, uint64_t token, unsigned events)
{
    as_io *io = as__slot_get(r, token);
    if (io == NULL)
        return;
    as__wake_buf buf;
    buf.n = 0;
    pthread_mutex_lock(&io->lock);
    size_t left[2];
    left[AS__DIR_READ] = (events & (RT_READABLE | RT_READ_CLOSED | RT_ERROR))
                             ? io->waiters[AS__DIR_READ].len : 0;
    left[AS__DIR_WRITE] = (events & (RT_WRITABLE | RT_ERROR)) ? io->waiters[AS__DIR_WRITE].len : 0;
    for (int dir = 0; dir < 2; dir++) {
        rt_waker w;
        while (left[dir] > 0 && as__waitlist_pop(&io->waiters[dir], &w)) {
            left[dir]--;
            if (as__wake_buf_push(&buf, w)) {
                pthread_mutex_unlock(&io->lock);
                as__wake_buf_flush(&buf);
                pthread_mutex_lock(&io->lock);
            }
        }
    }
    unsigned interest = as__interest(io);
    if (interest != 0 && !atomic_load_explicit(&io->closed, memory_order_relaxed) &&
        rt_poller_modify(r->poller, io->fd, interest, io->token) != 0) {
        /* Cannot re-arm: wake everyone left so that their own syscalls report the error
         * rather than wait forever. */
        as__io_take_all(io, &buf);
    }
    pthread_mutex_unlock(&io->lock);
    as__wake_buf_flush(&buf);
    as__io_unref(io);
}

/* ---- the part every IO future shares ----------------------------------------------------- */

/* as__io_op_init: an operation on io that has not started. */
as__io_op as__io_op_init(as_io *io)
{
    return (as__io_op){ .io = io, .waiter = AS__WAITER_INIT };
}

/* as__io_op_begin: take the operation's reference at its first poll; refuse a closed handle. */
int as__io_op_begin(as__io_op *op)
{
    if (op->io == NULL)
        return -EBADF;
    if (as__runtime_torn_down())
        return -ESHUTDOWN;
    if (!op->held) {
        as__io_ref(op->io);
        op->held = 1;
    }
    return atomic_load_explicit(&op->io->closed, memory_order_acquire) ? -EBADF : 0;
}

/* as__io_op_wait: park after EAGAIN. */
int as__io_op_wait(as__io_op *op, int dir, rt_context *cx)
{
    if (op->waited && op->dir != dir) {
        /* Switching direction (a connect that then reads, say): leave the old list first. */
        rt_waker old;
        pthread_mutex_lock(&op->io->lock);
        as__waitlist_unlink(&op->io->waiters[op->dir], &op->waiter, &old);
        pthread_mutex_unlock(&op->io->lock);
        rt_waker_drop(&old);
    }
    op->waited = 1;
    op->dir = dir;
    return as__io_park(op->io, dir, &op->waiter, cx->waker);
}

/* as__io_op_end: leave the wait list if still on it, give the reference back. Idempotent, and
 * also what every IO future's drop calls. */
void as__io_op_end(as__io_op *op)
{
    op->finished = 1;
    if (op->waited) {
        /* The handle is alive (we hold a reference while we have waited), even after the
         * runtime itself was torn down: handles belong to their owners. */
        rt_waker w;
        op->waited = 0;
        pthread_mutex_lock(&op->io->lock);
        as__waitlist_unlink(&op->io->waiters[op->dir], &op->waiter, &w);
        pthread_mutex_unlock(&op->io->lock);
        rt_waker_drop(&w);
    }
    if (op->held) {
        op->held = 0;
        as__io_unref(op->io);
    }
}
