/* tk_io.c: IO registrations -- a readiness word and a tick per fd, so no edge is ever lost. */
#include <errno.h>

#include "rt_alloc.h"
#include "tk_internal.h"

/*
 * Edge-triggered epoll reports a transition once. If a task reads, gets EAGAIN, and *then*
 * the peer's bytes arrive, the edge fires after the read and is delivered normally. The
 * dangerous order is the other one: the edge fires while the read syscall is running, the
 * driver marks the fd readable, and then the read returns EAGAIN (it started before the data
 * landed) and clears "readable" -- forgetting an edge that will never be reported again.
 *
 * tokio's cure, copied here: every dispatch stamps the readiness with the driver's tick. An
 * operation keeps the tick it saw when it decided to try the syscall, and on EAGAIN clears the
 * ready bits only if the tick is still the same. A newer edge has a newer tick and survives.
 *
 * Token layout: low 32 bits = slot index, high 32 bits = generation. Slots live in pages that
 * are never freed or moved while the driver lives, so the dispatcher can read a slot without
 * a lock; the generation in the readiness word tells it whether the event is stale.
 */

#define TK__READY_MASK  0xffffull
#define TK__TICK_SHIFT  16
#define TK__TICK_MASK   (0xffffull << TK__TICK_SHIFT)
#define TK__GEN_SHIFT   32

/* tk__gen_of: the generation stored in a readiness word. */
static inline uint32_t tk__gen_of(uint64_t word)
{
    return (uint32_t)(word >> TK__GEN_SHIFT);
}

/* tk__slot: index -> slot; pages are published with release before any index is handed out. */
static tk__scheduled_io *tk__slot(tk__driver *d, uint32_t index)
{
    uint32_t page = index / TK__IO_PAGE_SIZE;
    if (page >= TK__IO_MAX_PAGES)
        return NULL;
    tk__scheduled_io *p = atomic_load_explicit(&d->pages[page], memory_order_acquire);
    return p ? &p[index % TK__IO_PAGE_SIZE] : NULL;
}

/* tk__grow: add a page of free slots; called with slab_lock held. */
static int tk__grow(tk__driver *d)
{
    if (d->page_count == TK__IO_MAX_PAGES)
        return -ENOSPC;
    tk__scheduled_io *page = rt_calloc(TK__IO_PAGE_SIZE, sizeof *page);
    if (!page)
        return -ENOMEM;
    for (unsigned i = 0; i < TK__IO_PAGE_SIZE; i++) {
        pthread_mutex_init(&page[i].waker_lock, NULL);
        page[i].index = d->page_count * TK__IO_PAGE_SIZE + i;
        page[i].fd = -1;
        page[i].next_free = i + 1 < TK__IO_PAGE_SIZE ? &page[i + 1] : d->free_list;
    }
    d->free_list = &page[0];
    atomic_store_explicit(&d->pages[d->page_count], page, memory_order_release);
    d->page_count++;
    return 0;
}

/* tk__io_register: take a slot, then add the fd to epoll for both directions, edge-triggered.
 * One registration serves readers and writers alike, as in tokio. */
int tk__io_register(tk__driver *d, int fd, tk_registration *out)
{
    pthread_mutex_lock(&d->slab_lock);
    if (!d->free_list) {
        int rc = tk__grow(d);
        if (rc) {
            pthread_mutex_unlock(&d->slab_lock);
            return rc;
        }
    }
    tk__scheduled_io *io = d->free_list;
    d->free_list = io->next_free;
    pthread_mutex_unlock(&d->slab_lock);

    /* New generation, no readiness: stale events for the slot's previous fd are now ignored. */
    uint64_t word = atomic_load_explicit(&io->readiness, memory_order_relaxed);
    uint32_t gen = tk__gen_of(word) + 1;
    atomic_store_explicit(&io->readiness, (uint64_t)gen << TK__GEN_SHIFT, memory_order_release);
    io->fd = fd;

    uint64_t token = (uint64_t)gen << 32 | io->index;
    int rc = rt_poller_add(d->poller, fd, RT_READABLE | RT_WRITABLE, token);
    if (rc) {
        pthread_mutex_lock(&d->slab_lock);
        io->fd = -1;
        io->next_free = d->free_list;
        d->free_list = io;
        pthread_mutex_unlock(&d->slab_lock);
        return rc;
    }
    *out = (tk_registration){ .driver = d, .io = io, .generation = gen };
    return 0;
}

/* tk__io_deregister: leave epoll, bump the generation (so in-flight events are dropped),
 * release the wakers, and return the slot. The caller closes the fd afterwards. */
void tk__io_deregister(tk_registration *r)
{
    tk__scheduled_io *io = r->io;
    if (!io)
        return;
    tk__driver *d = r->driver;
    rt_poller_del(d->poller, io->fd);
    atomic_store_explicit(&io->readiness, (uint64_t)(r->generation + 1) << TK__GEN_SHIFT,
                          memory_order_release);
    pthread_mutex_lock(&io->waker_lock);
    rt_waker reader = io->reader, writer = io->writer;
    io->reader = io->writer = RT_WAKER_EMPTY;
    pthread_mutex_unlock(&io->waker_lock);
    rt_waker_drop(&reader);
    rt_waker_drop(&writer);
    pthread_mutex_lock(&d->slab_lock);
    io->fd = -1;
    io->next_free = d->free_list;
    d->free_list = io;
    pthread_mutex_unlock(&d->slab_lock);
    r->io = NULL;
}

/* tk__map_events: the poller's bits to ours. */
static unsigned tk__map_events(unsigned ev)
{
    unsigned r = 0;
    if (ev & RT_READABLE)
        r |= TK_READY_READABLE;
    if (ev & RT_WRITABLE)
        r |= TK_READY_WRITABLE;
    if (ev & RT_READ_CLOSED)
        r |= TK_READY_READ_CLOSED;
    if (ev & RT_ERROR)
        r |= TK_READY_ERROR | TK_READY_READABLE | TK_READY_WRITABLE;
    return r;
}

/* tk__io_dispatch: merge the event into the readiness word (same generation only), stamp the
 * tick, then wake whoever waits for what became ready. Runs on the thread holding the driver. */
void tk__io_dispatch(tk__driver *d, uint64_t token, unsigned events)
{
    tk__scheduled_io *io = tk__slot(d, (uint32_t)token);
    uint32_t gen = (uint32_t)(token >> 32);
    if (!io)
        return;
    unsigned ready = tk__map_events(events);
    uint64_t cur = atomic_load_explicit(&io->readiness, memory_order_acquire);
    for (;;) {
        if (tk__gen_of(cur) != gen)
            return; /* the fd was deregistered (and maybe the slot reused) since */
        uint64_t next = (cur & ~TK__TICK_MASK) | ((uint64_t)d->tick << TK__TICK_SHIFT) | ready;
        if (atomic_compare_exchange_weak_explicit(&io->readiness, &cur, next,
                                                  memory_order_acq_rel, memory_order_acquire))
            break;
    }
    rt_waker reader = RT_WAKER_EMPTY, writer = RT_WAKER_EMPTY;
    pthread_mutex_lock(&io->waker_lock);
    if (ready & TK_INTEREST_READABLE) {
        reader = io->reader;
        io->reader = RT_WAKER_EMPTY;
    }
    if (ready & TK_INTEREST_WRITABLE) {
        writer = io->writer;
        io->writer = RT_WAKER_EMPTY;
    }
    pthread_mutex_unlock(&io->waker_lock);
    /* Wake outside the lock: a wake may run scheduler code that takes other locks. */
    rt_waker_wake(&reader);
    rt_waker_wake(&writer);
}

/* tk__io_poll_ready: ready now? Else store the waker and look again -- an edge dispatched
 * between the first look and the store would otherwise find no waker and be lost. */
rt_poll tk__io_poll_ready(tk_registration *r, unsigned interest, rt_context *cx,
                          tk__ready_event *ev)
{
    tk__scheduled_io *io = r->io;
    for (int attempt = 0; attempt < 2; attempt++) {
        uint64_t word = atomic_load_explicit(&io->readiness, memory_order_acquire);
        unsigned ready = (unsigned)(word & TK__READY_MASK) & interest;
        if (ready) {
            ev->ready = ready;
            ev->tick = (unsigned)((word & TK__TICK_MASK) >> TK__TICK_SHIFT);
            return RT_READY;
        }
        if (attempt == 0) {
            pthread_mutex_lock(&io->waker_lock);
            rt_waker *slot = (interest & TK_READY_READABLE) ? &io->reader : &io->writer;
            rt_waker_replace(slot, cx->waker);
            pthread_mutex_unlock(&io->waker_lock);
        }
    }
    return RT_PENDING;
}

// region: clear-readiness
/* tk__io_clear_readiness: after EAGAIN, forget the bits we saw -- unless a newer tick says an
 * edge came in meanwhile. The closed bits are sticky (EOF does not un-happen), but ERROR is
 * not: the syscall that got EAGAIN has already consumed the socket error, and a sticky ERROR
 * would make every later wait return at once and spin (a UDP socket after ICMP unreachable
 * showed it). This is tokio's rule: clear everything but READ_CLOSED and WRITE_CLOSED. */
void tk__io_clear_readiness(tk_registration *r, tk__ready_event ev)
{
    tk__scheduled_io *io = r->io;
    unsigned clear = ev.ready & ~(unsigned)(TK_READY_READ_CLOSED | TK_READY_WRITE_CLOSED);
    uint64_t cur = atomic_load_explicit(&io->readiness, memory_order_acquire);
    for (;;) {
        if (tk__gen_of(cur) != r->generation)
            return;
        if ((unsigned)((cur & TK__TICK_MASK) >> TK__TICK_SHIFT) != ev.tick)
            return; /* a newer edge: keep it */
        uint64_t next = cur & ~(uint64_t)clear;
        if (atomic_compare_exchange_weak_explicit(&io->readiness, &cur, next,
                                                  memory_order_acq_rel, memory_order_acquire))
            return;
    }
}
// endregion
