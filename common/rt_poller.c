/* rt_poller.c: the poller front end -- argument checks, backend dispatch, the notify fd. */
#include "rt_poller.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/stat.h>

#include "rt_alloc.h"
#include "rt_notify.h"

/*
 * The front end does everything that is the same for every backend, so that each backend file
 * is only the translation to its syscalls: it validates arguments once, and it owns the
 * cross-thread wakeup. That wakeup is an rt_notify eventfd registered in the backend like any
 * user fd, under the reserved token; wait() takes its events out of the caller's array, drains
 * the eventfd, and in ONESHOT mode re-arms it -- so no backend needs to know it exists.
 */
struct rt_poller {
    const rt_poller_ops *ops;
    void *state;              /* the backend's own */
    rt_poller_backend backend;
    rt_poll_mode mode;
    int notify_disarmed;      /* ONESHOT: re-arming the notify fd failed; retry on next wait */
    rt_notify notify;
};

/* Indexed by rt_poller_backend; the enum values are the array positions. */
static const rt_poller_ops *const rt__backends[] = {
    [RT_POLLER_EPOLL] = &rt_poller_epoll_ops,
    [RT_POLLER_POLL] = &rt_poller_poll_ops,
    [RT_POLLER_URING] = &rt_poller_uring_ops,
};

#define RT__NBACKENDS ((int)(sizeof rt__backends / sizeof rt__backends[0]))
#define RT__KNOWN_INTEREST (RT_READABLE | RT_WRITABLE | RT_READ_CLOSED | RT_ERROR)

/* rt_poller_new: allocate, open the notify fd, create the backend, register the notify fd.
 * Each step undoes the earlier ones on failure, so a NULL return leaks no memory and no fd. */
rt_poller *rt_poller_new(rt_poller_backend backend, rt_poll_mode mode)
{
    if ((int)backend < 0 || (int)backend >= RT__NBACKENDS ||
        (mode != RT_MODE_LEVEL && mode != RT_MODE_EDGE && mode != RT_MODE_ONESHOT)) {
        errno = EINVAL;
        return NULL;
    }
    rt_poller *p = rt_calloc(1, sizeof *p);
    if (p == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    p->ops = rt__backends[backend];
    p->backend = backend;
    p->mode = mode;
    int err = rt_notify_init(&p->notify);
    if (err < 0)
        goto fail_alloc;
    err = p->ops->create(&p->state, mode);
    if (err < 0)
        goto fail_notify;
    err = p->ops->add(p->state, p->notify.fd, RT_READABLE, RT_POLLER_NOTIFY_TOKEN);
    if (err < 0)
        goto fail_backend;
    return p;

fail_backend:
    p->ops->free(p->state);
fail_notify:
    rt_notify_close(&p->notify);
fail_alloc:
    rt_free(p);
    errno = -err;
    return NULL;
}

/* rt_poller_free: the backend first (it may hold the notify fd registered), then the eventfd. */
void rt_poller_free(rt_poller *p)
{
    if (p == NULL)
        return;
    p->ops->free(p->state);
    rt_notify_close(&p->notify);
    rt_free(p);
}

/* rt__poller_check_user: the checks shared by add and modify; 0 or -errno. */
static int rt__poller_check_user(const rt_poller *p, int fd, unsigned interest, uint64_t token)
{
    if (fd < 0)
        return -EBADF;
    /* The notify fd and token are the front end's; letting a caller touch them would let it
     * silently break cross-thread wakeups. */
    if (fd == p->notify.fd || token == RT_POLLER_NOTIFY_TOKEN || (interest & ~RT__KNOWN_INTEREST))
        return -EINVAL;
    return 0;
}

/* rt_poller_add: validate, then let the backend register fd. */
int rt_poller_add(rt_poller *p, int fd, unsigned interest, uint64_t token)
{
    int err = rt__poller_check_user(p, fd, interest, token);
    return err < 0 ? err : p->ops->add(p->state, fd, interest, token);
}

/* rt_poller_modify: validate, then let the backend replace fd's interest (and re-arm it). */
int rt_poller_modify(rt_poller *p, int fd, unsigned interest, uint64_t token)
{
    int err = rt__poller_check_user(p, fd, interest, token);
    return err < 0 ? err : p->ops->modify(p->state, fd, interest, token);
}

/* rt_poller_del: validate, then let the backend forget fd. */
int rt_poller_del(rt_poller *p, int fd)
{
    if (fd < 0)
        return -EBADF;
    if (fd == p->notify.fd)
        return -EINVAL;
    return p->ops->del(p->state, fd);
}

/* rt__poller_rearm_notify: ONESHOT disarmed the notify fd when it fired; arm it again. */
static int rt__poller_rearm_notify(rt_poller *p)
{
    int err = p->ops->modify(p->state, p->notify.fd, RT_READABLE, RT_POLLER_NOTIFY_TOKEN);
    p->notify_disarmed = err < 0;
    return err;
}

/*
 * rt_poller_wait: the backend's wait, minus notify events. When the notify fd fired, drain it
 * (after the backend returned, i.e. after the loop woke: rt_notify.c explains why draining and
 * then clearing its flag loses nothing) and, in ONESHOT mode, re-arm it. Re-arming after the
 * drain is safe too: every backend checks readiness when it arms, so a signal that landed in
 * between is reported by the next wait, not lost.
 */
int rt_poller_wait(rt_poller *p, rt_poll_event *events, int max, int timeout_ms)
{
    return rt_poller_wait_ns(p, events, max, timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000);
}

/* rt_poller_wait_ns: rt_poller_wait's body; the backends all take ns (see rt_poller.h). */
int rt_poller_wait_ns(rt_poller *p, rt_poll_event *events, int max, int64_t timeout_ns)
{
    if (events == NULL || max <= 0)
        return -EINVAL;
    if (p->notify_disarmed) {
        int err = rt__poller_rearm_notify(p);
        if (err < 0)
            return err;
    }
    int got = p->ops->wait(p->state, events, max, timeout_ns);
    if (got <= 0)
        return got;
    int kept = 0, woken = 0;
    for (int i = 0; i < got; i++) {
        if (events[i].token == RT_POLLER_NOTIFY_TOKEN)
            woken = 1;
        else
            events[kept++] = events[i];
    }
    if (woken) {
        /* An error here would be a broken eventfd; the events in hand are still good. */
        (void)rt_notify_consume(&p->notify);
        if (p->mode == RT_MODE_ONESHOT)
            (void)rt__poller_rearm_notify(p); /* on failure, retried at the next wait */
    }
    return kept;
}

/* rt_poller_notify: the coalescing eventfd signal; safe from any thread. */
int rt_poller_notify(rt_poller *p)
{
    return rt_notify_signal(&p->notify);
}

/* rt_poller_backend_of: the backend chosen at creation. */
rt_poller_backend rt_poller_backend_of(const rt_poller *p)
{
    return p->backend;
}

/* rt_poller_mode_of: the mode chosen at creation. */
rt_poll_mode rt_poller_mode_of(const rt_poller *p)
{
    return p->mode;
}

/* rt_poller_backend_name: the ops table's name, so it cannot drift from the backend file. */
const char *rt_poller_backend_name(rt_poller_backend b)
{
    if ((int)b < 0 || (int)b >= RT__NBACKENDS)
        return "?";
    return rt__backends[b]->name;
}

/* rt_poller_notify_stats: relaxed snapshots of the two counters; either pointer may be NULL. */
void rt_poller_notify_stats(const rt_poller *p, uint64_t *sent, uint64_t *coalesced)
{
    if (sent != NULL)
        *sent = atomic_load_explicit(&p->notify.sent, memory_order_relaxed);
    if (coalesced != NULL)
        *coalesced = atomic_load_explicit(&p->notify.coalesced, memory_order_relaxed);
}

/* rt__poller_check_fd: fstat answers both "is it open" and "is it a file that poll ignores". */
int rt__poller_check_fd(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    /* epoll_ctl refuses regular files and directories with EPERM: they are always "ready". */
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
        return -EPERM;
    return 0;
}
