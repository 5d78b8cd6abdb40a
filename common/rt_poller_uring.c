/* rt_poller_uring.c: the io_uring backend -- readiness over a completion interface, via poll ops. */
#include "rt_poller.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "rt_alloc.h"

/*
 * Readiness versus completion. epoll and poll are *readiness* interfaces: they say "a read on
 * fd 7 would not block now", and the program then does the read itself. io_uring is at heart
 * a *completion* interface: the program submits the read itself (fd, buffer, length) into a
 * shared-memory submission queue, the kernel performs it whenever it can, and posts "done,
 * 512 bytes" into a completion queue. The buffer belongs to the kernel until then, which is
 * why a runtime built on completions has a different IO API (tokio-uring hands buffers over
 * by value) than one built on readiness (tokio, async-std, libuv: retry the syscall when told).
 *
 * A readiness runtime can still use io_uring, through one particular operation:
 * IORING_OP_POLL_ADD, "complete when this fd is ready", whose result (cqe->res) is the ready
 * mask. That is what this backend does, and it is the bridge a lesson points at. What it buys
 * over epoll: registrations are not syscalls -- add, modify and the re-arms below just write
 * submission entries (SQEs), and they all go to the kernel in the one io_uring_enter that also
 * waits. What it costs: a poll op is oneshot by nature -- once it completes, it is gone. So:
 *   ONESHOT  maps directly: one poll op per arm; modify (the re-arm) submits a new one.
 *   LEVEL    re-submits the poll op after each completion. The new op checks readiness when
 *            it is armed, so an fd that is still ready completes again at the next wait.
 *   EDGE     uses a multishot poll (IORING_POLL_ADD_MULTI, Linux 5.13): one op that stays
 *            armed and posts a completion each time the fd's wait queue is woken with a
 *            matching event -- when data *arrives*, not while it merely sits there. The kernel
 *            arms poll ops with EPOLLET unless the newer IORING_POLL_ADD_LEVEL asks otherwise,
 *            so this is epoll's edge triggering. Without kernel support: ENOTSUP.
 *
 * Stale completions. Changing or removing a registration is asynchronous here: we submit a
 * POLL_REMOVE, but the old op may already have completed, its CQE sitting unread in the
 * queue. So every poll op gets a fresh generation number, the CQE's user_data carries
 * (generation << 32 | fd), and a registration remembers the generation of its one live op. A
 * CQE whose generation does not match (or whose fd is no longer registered) is stale and is
 * dropped. The counter is global, so an fd deleted and re-added cannot inherit an old op's
 * number; it skips 0 (reserved for our POLL_REMOVEs, whose CQEs are always ignored) and
 * UINT32_MAX (liburing's own internal timeout user_data is all ones). It would take 2^32 arms
 * between a cancel and the next wait for a stale CQE to alias a live one.
 */
typedef struct rt__ureg {
    uint64_t token;
    uint32_t gen;         /* generation of this fd's live poll op; 0 = none (disarmed) */
    unsigned interest;
    unsigned char used;
} rt__ureg;

typedef struct rt__uring {
    struct io_uring ring;
    rt_poll_mode mode;
    uint32_t last_gen;
    rt__ureg *regs;       /* indexed by fd */
    int nregs;
} rt__uring;

enum { RT__URING_ENTRIES = 256, RT__URING_INITIAL_REGS = 64 };
enum { RT__UD_PROBE = 1, RT__UD_PROBE_REMOVE = 2 }; /* generation 0: never match a registration */

/* rt__uring_probe_multishot: arm a multishot poll on a fresh eventfd (always writable) and see
 * whether the kernel keeps it armed (IORING_CQE_F_MORE); then cancel it. 0 or -ENOTSUP/-errno. */
static int rt__uring_probe_multishot(struct io_uring *ring)
{
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0)
        return -errno;
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_poll_multishot(sqe, efd, POLLOUT);
    io_uring_sqe_set_data64(sqe, RT__UD_PROBE);
    struct io_uring_cqe *cqe;
    int err = io_uring_submit_and_wait(ring, 1);
    if (err >= 0)
        err = io_uring_wait_cqe(ring, &cqe);
    if (err < 0) {
        close(efd);
        return err;
    }
    int armed = cqe->res >= 0 && (cqe->flags & IORING_CQE_F_MORE);
    io_uring_cqe_seen(ring, cqe);
    if (armed) {
        /* Wait for both the remove's CQE and the multishot's final one, so the ring starts clean. */
        sqe = io_uring_get_sqe(ring);
        io_uring_prep_poll_remove(sqe, RT__UD_PROBE);
        io_uring_sqe_set_data64(sqe, RT__UD_PROBE_REMOVE);
        io_uring_submit(ring);
        for (int left = 2; left > 0 && io_uring_wait_cqe(ring, &cqe) == 0;) {
            if (cqe->user_data == RT__UD_PROBE_REMOVE || !(cqe->flags & IORING_CQE_F_MORE))
                left--;
            io_uring_cqe_seen(ring, cqe);
        }
    }
    close(efd);
    return armed ? 0 : -ENOTSUP;
}

/* rt__uring_create: the ring; for EDGE, proof that the kernel has multishot poll.
 * A kernel without io_uring, or with it disabled, is reported as ENOSYS. */
static int rt__uring_create(void **state, rt_poll_mode mode)
{
    rt__uring *u = rt_calloc(1, sizeof *u);
    if (u == NULL)
        return -ENOMEM;
    u->mode = mode;
    /* Flags 0: the plain ring. SINGLE_ISSUER / DEFER_TASKRUN would be faster but tie the ring
     * to its creating thread and need Linux 6.0/6.1; this backend aims to run anywhere. */
    int err = io_uring_queue_init(RT__URING_ENTRIES, &u->ring, 0);
    if (err < 0) {
        rt_free(u);
        return err == -ENOMEM || err == -EMFILE || err == -ENFILE ? err : -ENOSYS;
    }
    if (mode == RT_MODE_EDGE) {
        err = rt__uring_probe_multishot(&u->ring);
        if (err < 0) {
            io_uring_queue_exit(&u->ring);
            rt_free(u);
            return err;
        }
    }
    *state = u;
    return 0;
}

/* rt__uring_free: exiting the ring cancels every poll op and closes the ring fd. */
static void rt__uring_free(void *state)
{
    rt__uring *u = state;
    io_uring_queue_exit(&u->ring);
    rt_free(u->regs);
    rt_free(u);
}

/* rt__uring_find: fd's registration, or NULL. */
static rt__ureg *rt__uring_find(rt__uring *u, int fd)
{
    return fd < u->nregs && u->regs[fd].used ? &u->regs[fd] : NULL;
}

/* rt__uring_room: make sure `need` SQEs can be taken, flushing the queue to the kernel if it
 * is full; -EBUSY if the kernel will not take them now (then nothing was changed). */
static int rt__uring_room(rt__uring *u, unsigned need)
{
    if (io_uring_sq_space_left(&u->ring) < need)
        (void)io_uring_submit(&u->ring);
    return io_uring_sq_space_left(&u->ring) >= need ? 0 : -EBUSY;
}

/* rt__uring_arm: queue a poll op for fd under a fresh generation (caller made room for it). */
static void rt__uring_arm(rt__uring *u, int fd, rt__ureg *r)
{
    unsigned mask = POLLRDHUP;
    if (r->interest & RT_READABLE)
        mask |= POLLIN;
    if (r->interest & RT_WRITABLE)
        mask |= POLLOUT;
    if (++u->last_gen == 0 || u->last_gen == UINT32_MAX)
        u->last_gen = 1;
    r->gen = u->last_gen;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (u->mode == RT_MODE_EDGE)
        io_uring_prep_poll_multishot(sqe, fd, mask);
    else
        io_uring_prep_poll_add(sqe, fd, mask);
    io_uring_sqe_set_data64(sqe, (uint64_t)r->gen << 32 | (uint32_t)fd);
}

/* rt__uring_cancel: queue a POLL_REMOVE for fd's live op, if any (caller made room for it).
 * Its CQE, and the old op's, will be stale by generation, whichever arrives. */
static void rt__uring_cancel(rt__uring *u, int fd, rt__ureg *r)
{
    if (r->gen == 0)
        return;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    io_uring_prep_poll_remove(sqe, (uint64_t)r->gen << 32 | (uint32_t)fd);
    io_uring_sqe_set_data64(sqe, 0);
    r->gen = 0;
}

/* rt__uring_add: record the registration and queue its first poll op; it reaches the kernel
 * with the next wait, batched with everything else queued by then. */
static int rt__uring_add(void *state, int fd, unsigned interest, uint64_t token)
{
    rt__uring *u = state;
    int err = rt__poller_check_fd(fd);
    if (err < 0)
        return err;
    if (rt__uring_find(u, fd) != NULL)
        return -EEXIST;
    if (fd >= u->nregs) {
        int ncap = u->nregs ? u->nregs : RT__URING_INITIAL_REGS;
        while (ncap <= fd)
            ncap = ncap > (1 << 29) ? fd + 1 : ncap * 2;
        rt__ureg *nr = rt_realloc(u->regs, (size_t)ncap * sizeof *nr);
        if (nr == NULL)
            return -ENOMEM;
        memset(nr + u->nregs, 0, (size_t)(ncap - u->nregs) * sizeof *nr);
        u->regs = nr;
        u->nregs = ncap;
    }
    err = rt__uring_room(u, 1);
    if (err < 0)
        return err;
    rt__ureg *r = &u->regs[fd];
    *r = (rt__ureg){ .token = token, .interest = interest, .used = 1 };
    rt__uring_arm(u, fd, r);
    return 0;
}

/* rt__uring_absent: the error for modify/del of an unregistered fd, as epoll_ctl gives it. */
static int rt__uring_absent(int fd)
{
    return rt__poller_check_fd(fd) == -EBADF ? -EBADF : -ENOENT;
}

/* rt__uring_modify: cancel the live op (if any) and arm a new one with the new interest. A
 * POLL_REMOVE plus a POLL_ADD rather than one IORING_POLL_UPDATE: an update of an op that has
 * just completed fails, and we would learn that only from a later CQE; two SQEs are simple. */
static int rt__uring_modify(void *state, int fd, unsigned interest, uint64_t token)
{
    rt__uring *u = state;
    rt__ureg *r = rt__uring_find(u, fd);
    if (r == NULL)
        return rt__uring_absent(fd);
    int err = rt__uring_room(u, 2);
    if (err < 0)
        return err;
    rt__uring_cancel(u, fd, r);
    r->interest = interest;
    r->token = token;
    rt__uring_arm(u, fd, r);
    return 0;
}

/*
 * rt__uring_del: forget fd and cancel its op *now*. A pending poll op holds a reference to the
 * open file, so if the POLL_REMOVE waited for the next wait, the caller's close(fd) right after
 * del would not really close a socket: the peer would see no EOF until then. One submit here
 * is the price. If it fails, the remove still goes out with the next wait.
 */
static int rt__uring_del(void *state, int fd)
{
    rt__uring *u = state;
    rt__ureg *r = rt__uring_find(u, fd);
    if (r == NULL)
        return rt__uring_absent(fd);
    int err = rt__uring_room(u, 1);
    if (err < 0)
        return err;
    rt__uring_cancel(u, fd, r);
    r->used = 0;
    (void)io_uring_submit(&u->ring);
    return 0;
}

/* rt__uring_translate: a poll op's result to RT_ bits, the same table as the other backends. */
static unsigned rt__uring_translate(int res)
{
    if (res < 0)
        return RT_ERROR;
    unsigned out = 0;
    if (res & POLLIN)
        out |= RT_READABLE;
    if (res & POLLOUT)
        out |= RT_WRITABLE;
    if (res & POLLRDHUP)
        out |= RT_READ_CLOSED;
    if (res & POLLERR)
        out |= RT_ERROR;
    if (res & POLLHUP)
        out |= RT_READABLE | RT_WRITABLE | RT_READ_CLOSED;
    return out;
}

/*
 * rt__uring_reap: turn ready CQEs into events, up to max, dropping stale ones. A CQE without
 * IORING_CQE_F_MORE means its op is over: LEVEL re-arms it (that is level triggering here),
 * EDGE re-arms too (a multishot op can end, e.g. when the CQ overflows; the new one checks
 * readiness when armed, so at worst an extra report, never a lost one), ONESHOT leaves it
 * disarmed for modify. A -ECANCELED we did not cause (we re-number on cancel, so ours are
 * stale) means the kernel dropped the op, e.g. the thread that armed it exited: re-arm
 * silently. Stops before a CQE that may need an SQE when none can be had, leaving it queued.
 */
static int rt__uring_reap(rt__uring *u, rt_poll_event *events, int max)
{
    int got = 0;
    struct io_uring_cqe *cqe;
    while (got < max && rt__uring_room(u, 1) == 0 && io_uring_peek_cqe(&u->ring, &cqe) == 0) {
        uint64_t ud = io_uring_cqe_get_data64(cqe);
        int res = cqe->res;
        int more = (cqe->flags & IORING_CQE_F_MORE) != 0;
        io_uring_cqe_seen(&u->ring, cqe);
        uint32_t gen = (uint32_t)(ud >> 32), fd = (uint32_t)ud;
        if (gen == 0 || fd >= (uint32_t)u->nregs)
            continue;
        rt__ureg *r = &u->regs[fd];
        if (!r->used || r->gen != gen)
            continue; /* stale: the fd was deleted or its op replaced */
        if (!more)
            r->gen = 0;
        if (res != -ECANCELED) {
            events[got].token = r->token;
            events[got].events = rt__uring_translate(res);
            got++;
        }
        if (!more && (u->mode != RT_MODE_ONESHOT || res == -ECANCELED))
            rt__uring_arm(u, (int)fd, r);
    }
    return got;
}

/* rt__uring_now_ns: CLOCK_MONOTONIC in nanoseconds, for the wait deadline. */
static int64_t rt__uring_now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/*
 * rt__uring_wait: submit everything queued (arms, re-arms, removes), then wait for a CQE and
 * reap. One io_uring_enter does both the submitting and the waiting. CQEs can be all stale
 * (the removes we submitted complete too), so keep waiting until something is reported or the
 * timeout passes, rather than returning 0 for nothing.
 */
static int rt__uring_wait(void *state, rt_poll_event *events, int max, int64_t timeout_ns)
{
    rt__uring *u = state;
    int64_t deadline = timeout_ns > 0 ? rt__uring_now_ns() + timeout_ns : 0;
    for (;;) {
        int err;
        if (timeout_ns == 0) {
            /* GETEVENTS even with nothing to submit: it runs pending completion work. */
            err = io_uring_submit_and_get_events(&u->ring);
        } else {
            struct __kernel_timespec ts, *tsp = NULL;
            if (timeout_ns > 0) {
                int64_t left = deadline - rt__uring_now_ns();
                if (left <= 0)
                    return 0;
                ts.tv_sec = left / 1000000000;
                ts.tv_nsec = left % 1000000000;
                tsp = &ts;
            }
            struct io_uring_cqe *cqe;
            err = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, tsp, NULL);
        }
        int got = rt__uring_reap(u, events, max);
        if (got > 0 || timeout_ns == 0 || err == -ETIME || err == -EINTR)
            return got;
        if (err < 0 && err != -EBUSY)
            return err;
    }
}

const rt_poller_ops rt_poller_uring_ops = {
    .name = "io_uring",
    .create = rt__uring_create,
    .free = rt__uring_free,
    .add = rt__uring_add,
    .modify = rt__uring_modify,
    .del = rt__uring_del,
    .wait = rt__uring_wait,
};
