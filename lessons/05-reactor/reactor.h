/* reactor.h: lesson 05's reactor -- epoll in one mode, one waker slot per fd, and the turn that wakes them. */
#ifndef LESSON05_REACTOR_H
#define LESSON05_REACTOR_H

#include <errno.h>
#include <string.h>

#include "rt_future.h"
#include "rt_poller.h"

/*
 * The seed's picture has a box called "Reactor" between the futures and the scheduler. This is
 * all it is: a table "fd -> the waker of the task waiting for it", an epoll set, and a turn
 * that waits for readiness and wakes whoever waits. A leaf future tries its syscall; if it
 * would block (EAGAIN) it calls reactor_wait_readable with its waker and returns RT_PENDING.
 * The executor, when no task is ready, calls reactor_turn: that epoll_wait is where an idle
 * runtime sleeps.
 *
 * Single-threaded on purpose: the executor that polls the futures is the one that turns the
 * reactor, so nothing here needs a lock (the tk flavour is the same; the as flavour's reactor
 * runs on its own thread and needs more care).
 */
#define REACTOR_MAX_FD 1024

typedef struct reactor {
    rt_poller *poller;
    rt_poll_mode mode;
    unsigned char registered[REACTOR_MAX_FD]; /* fd is in the epoll set */
    rt_waker wakers[REACTOR_MAX_FD];          /* who waits for fd to become readable */
    long turns;                               /* epoll_waits */
    long events;                              /* readiness reports received */
} reactor;

/* reactor_init: an empty reactor whose epoll reports in `mode`; 0 or -errno. */
static inline int reactor_init(reactor *r, rt_poll_mode mode)
{
    memset(r, 0, sizeof *r);
    r->mode = mode;
    r->poller = rt_poller_new(RT_POLLER_EPOLL, mode);
    return r->poller ? 0 : -errno;
}

/* reactor_forget: stop watching fd and drop the waker stored for it (call before close). */
static inline void reactor_forget(reactor *r, int fd)
{
    if (fd < 0 || fd >= REACTOR_MAX_FD || !r->registered[fd])
        return;
    rt_poller_del(r->poller, fd);
    r->registered[fd] = 0;
    rt_waker_drop(&r->wakers[fd]);
}

/* reactor_free: forget every fd, free the epoll set. The fds themselves are the caller's. */
static inline void reactor_free(reactor *r)
{
    for (int fd = 0; fd < REACTOR_MAX_FD; fd++)
        reactor_forget(r, fd);
    rt_poller_free(r->poller);
    r->poller = NULL;
}

// region: wait-readable
/* reactor_wait_readable: the task owning `waker` waits until fd is readable. The fd joins the
 * epoll set on first use and stays (re-adding per wait would cost a syscall each time); only
 * the waker is replaced. Call it after a read returned EAGAIN. 0 or -errno. */
static inline int reactor_wait_readable(reactor *r, int fd, const rt_waker *waker)
{
    if (fd < 0 || fd >= REACTOR_MAX_FD)
        return -EINVAL;
    if (!r->registered[fd]) {
        int rc = rt_poller_add(r->poller, fd, RT_READABLE, (uint64_t)fd);
        if (rc != 0)
            return rc;
        r->registered[fd] = 1;
    } else if (r->mode == RT_MODE_ONESHOT) {
        int rc = rt_poller_modify(r->poller, fd, RT_READABLE, (uint64_t)fd); /* re-arm */
        if (rc != 0)
            return rc;
    }
    rt_waker_replace(&r->wakers[fd], waker);
    return 0;
}
// endregion

// region: turn
/* reactor_turn: wait up to timeout_ms (-1: for ever) for readiness, and wake the task waiting
 * on each ready fd. Returns how many tasks it woke (0 on a timeout), or -errno. */
static inline int reactor_turn(reactor *r, int timeout_ms)
{
    rt_poll_event ev[32];
    int n = rt_poller_wait(r->poller, ev, 32, timeout_ms);
    if (n < 0)
        return n;
    r->turns++;
    r->events += n;
    int woken = 0;
    for (int i = 0; i < n; i++) {
        int fd = (int)ev[i].token;
        if (!rt_waker_is_empty(&r->wakers[fd])) {
            rt_waker_wake(&r->wakers[fd]); /* consumes it: the task registers again if it must */
            woken++;
        }
    }
    return woken;
}
// endregion

#endif
