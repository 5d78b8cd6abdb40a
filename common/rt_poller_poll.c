/* rt_poller_poll.c: the poll(2) backend -- the portable fallback; level and emulated oneshot. */
#include "rt_poller.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "rt_alloc.h"

/*
 * poll(2) keeps no state in the kernel: every call hands it the whole interest set, and it
 * scans all of it, so a wait is O(registered). That is the price of portability (every Unix
 * has poll), and it is why epoll exists. The interest set lives here, in a dense pollfd array
 * that is passed to poll() as is, with a parallel array of (fd, token) and an fd -> index map
 * (index_of[fd] = i + 1, 0 = absent; fds are small integers, so an array beats a hash, as in
 * libuv). add appends, del moves the last entry into the hole: both O(1) amortised, and the
 * array never has holes, so nothing ever needs a separate compaction pass.
 *
 * Modes:
 *   LEVEL    is what poll(2) does natively.
 *   ONESHOT  is emulated: after an fd is reported, its pollfd.fd is set to -1, which poll()
 *            skips (POSIX: negative fds are ignored, revents = 0), until modify re-arms it.
 *            Since poll checks the current state, data that came while disarmed is reported by
 *            the first wait after the re-arm.
 *   EDGE     is refused (ENOTSUP). An edge is an *event* -- data arrived -- and poll(2) only
 *            reports a *state* -- data is there. One could emulate an edge by reporting only
 *            fds whose state changed between two poll calls, but that loses wake-ups: a task
 *            reads the fd to EAGAIN and parks; before the next poll call, new data arrives.
 *            Both polls see "readable", the emulation sees no change, reports nothing, and the
 *            task sleeps forever on data that is sitting in the socket. epoll's EPOLLET does
 *            not have the problem because it is driven by the kernel's wakeup on every
 *            arrival, which poll(2) does not expose. A silent hang is worse than ENOTSUP.
 */
typedef struct rt__pslot {
    int fd;
    uint64_t token;
} rt__pslot;

typedef struct rt__poll {
    int oneshot;
    int n, cap;             /* entries in use / allocated, in both pfds and slots */
    struct pollfd *pfds;    /* pfds[i].fd is slots[i].fd while armed, -1 while disarmed */
    rt__pslot *slots;
    int *index_of;          /* fd -> index + 1; 0 = not registered */
    int map_cap;            /* entries in index_of */
    int next;               /* the scan for ready fds starts here: see rt__poll_wait */
} rt__poll;

enum { RT__POLL_INITIAL_CAP = 16, RT__POLL_INITIAL_MAP = 64 };

/* rt__poll_create: the two arrays at their initial size; the fd map grows on first add. */
static int rt__poll_create(void **state, rt_poll_mode mode)
{
    if (mode == RT_MODE_EDGE)
        return -ENOTSUP; /* see the comment at the top of the file */
    rt__poll *s = rt_calloc(1, sizeof *s);
    if (s == NULL)
        return -ENOMEM;
    s->oneshot = mode == RT_MODE_ONESHOT;
    s->cap = RT__POLL_INITIAL_CAP;
    s->pfds = rt_calloc((size_t)s->cap, sizeof *s->pfds);
    s->slots = rt_calloc((size_t)s->cap, sizeof *s->slots);
    if (s->pfds == NULL || s->slots == NULL) {
        rt_free(s->pfds);
        rt_free(s->slots);
        rt_free(s);
        return -ENOMEM;
    }
    *state = s;
    return 0;
}

/* rt__poll_free: no fd is open here; the registered ones belong to the caller. */
static void rt__poll_free(void *state)
{
    rt__poll *s = state;
    rt_free(s->pfds);
    rt_free(s->slots);
    rt_free(s->index_of);
    rt_free(s);
}

/* rt__poll_find: the index of fd's entry, or -1. */
static int rt__poll_find(const rt__poll *s, int fd)
{
    return fd < s->map_cap ? s->index_of[fd] - 1 : -1;
}

/* rt__poll_absent: the error for modify/del of an unregistered fd, as epoll_ctl would give it. */
static int rt__poll_absent(int fd)
{
    int err = rt__poller_check_fd(fd);
    return err == -EBADF ? -EBADF : -ENOENT;
}

/* rt__poll_mask: poll(2) event bits for an interest; POLLRDHUP always, like the epoll backend. */
static short rt__poll_mask(unsigned interest)
{
    short ev = POLLRDHUP;
    if (interest & RT_READABLE)
        ev |= POLLIN;
    if (interest & RT_WRITABLE)
        ev |= POLLOUT;
    return ev;
}

/* rt__poll_reserve: room for fd in the map and for one more entry; -ENOMEM leaves all intact. */
static int rt__poll_reserve(rt__poll *s, int fd)
{
    if (fd >= s->map_cap) {
        int ncap = s->map_cap ? s->map_cap : RT__POLL_INITIAL_MAP;
        while (ncap <= fd)
            ncap = ncap > (1 << 29) ? fd + 1 : ncap * 2;
        int *nm = rt_realloc(s->index_of, (size_t)ncap * sizeof *nm);
        if (nm == NULL)
            return -ENOMEM;
        memset(nm + s->map_cap, 0, (size_t)(ncap - s->map_cap) * sizeof *nm);
        s->index_of = nm;
        s->map_cap = ncap;
    }
    if (s->n == s->cap) {
        int ncap = s->cap * 2;
        /* If the second realloc fails, the first array is merely roomier than cap says. */
        struct pollfd *np = rt_realloc(s->pfds, (size_t)ncap * sizeof *np);
        if (np == NULL)
            return -ENOMEM;
        s->pfds = np;
        rt__pslot *ns = rt_realloc(s->slots, (size_t)ncap * sizeof *ns);
        if (ns == NULL)
            return -ENOMEM;
        s->slots = ns;
        s->cap = ncap;
    }
    return 0;
}

/* rt__poll_add: append an armed entry; errors in epoll_ctl's order (EBADF/EPERM, then EEXIST). */
static int rt__poll_add(void *state, int fd, unsigned interest, uint64_t token)
{
    rt__poll *s = state;
    int err = rt__poller_check_fd(fd);
    if (err < 0)
        return err;
    if (rt__poll_find(s, fd) >= 0)
        return -EEXIST;
    err = rt__poll_reserve(s, fd);
    if (err < 0)
        return err;
    int i = s->n++;
    s->pfds[i] = (struct pollfd){ .fd = fd, .events = rt__poll_mask(interest) };
    s->slots[i] = (rt__pslot){ .fd = fd, .token = token };
    s->index_of[fd] = i + 1;
    return 0;
}

/* rt__poll_modify: new interest and token; restoring pollfd.fd is the ONESHOT re-arm. */
static int rt__poll_modify(void *state, int fd, unsigned interest, uint64_t token)
{
    rt__poll *s = state;
    int i = rt__poll_find(s, fd);
    if (i < 0)
        return rt__poll_absent(fd);
    s->pfds[i] = (struct pollfd){ .fd = fd, .events = rt__poll_mask(interest) };
    s->slots[i].token = token;
    return 0;
}

/* rt__poll_del: move the last entry into the hole. (A registered fd the caller already closed
 * is removed quietly; epoll would have dropped it at close and said EBADF here.) */
static int rt__poll_del(void *state, int fd)
{
    rt__poll *s = state;
    int i = rt__poll_find(s, fd);
    if (i < 0)
        return rt__poll_absent(fd);
    int last = --s->n;
    if (i != last) {
        s->pfds[i] = s->pfds[last];
        s->slots[i] = s->slots[last];
        s->index_of[s->slots[i].fd] = i + 1;
    }
    s->index_of[fd] = 0;
    return 0;
}

/* rt__poll_translate: poll bits to RT_ bits, the same table as the epoll backend. POLLNVAL
 * (the caller closed a registered fd) surfaces as an error instead of being dropped. */
static unsigned rt__poll_translate(short rev)
{
    unsigned out = 0;
    if (rev & POLLIN)
        out |= RT_READABLE;
    if (rev & POLLOUT)
        out |= RT_WRITABLE;
    if (rev & POLLRDHUP)
        out |= RT_READ_CLOSED;
    if (rev & (POLLERR | POLLNVAL))
        out |= RT_ERROR;
    if (rev & POLLHUP)
        out |= RT_READABLE | RT_WRITABLE | RT_READ_CLOSED;
    return out;
}

/*
 * rt__poll_wait: poll() the whole array, then collect up to max ready entries. The scan starts
 * where the previous one stopped, so that when more fds are ready than fit in max, the ones
 * at the end of the array are not starved by the ones at the start (level-triggered fds that
 * stay ready would otherwise win every time). Entries not collected keep their readiness
 * (LEVEL) or stay armed (ONESHOT: only a reported entry is disarmed), so nothing is lost.
 */
static int rt__poll_wait(void *state, rt_poll_event *events, int max, int64_t timeout_ns)
{
    rt__poll *s = state;
    struct timespec ts = { (time_t)(timeout_ns / 1000000000), (long)(timeout_ns % 1000000000) };
    int ready = ppoll(s->pfds, (nfds_t)s->n, timeout_ns < 0 ? NULL : &ts, NULL);
    if (ready < 0)
        return errno == EINTR ? 0 : -errno;
    int got = 0;
    int start = s->next < s->n ? s->next : 0;
    for (int k = 0; k < s->n && ready > 0 && got < max; k++) {
        int i = (start + k) % s->n;
        short rev = s->pfds[i].revents;
        if (rev == 0)
            continue;
        ready--;
        events[got].token = s->slots[i].token;
        events[got].events = rt__poll_translate(rev);
        got++;
        if (s->oneshot)
            s->pfds[i].fd = -1;
        s->next = i + 1;
    }
    return got;
}

const rt_poller_ops rt_poller_poll_ops = {
    .name = "poll",
    .create = rt__poll_create,
    .free = rt__poll_free,
    .add = rt__poll_add,
    .modify = rt__poll_modify,
    .del = rt__poll_del,
    .wait = rt__poll_wait,
};
