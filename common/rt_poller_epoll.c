/* rt_poller_epoll.c: the epoll backend -- Linux's native readiness API, all three modes. */
#include "rt_poller.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "rt_alloc.h"

/*
 * epoll keeps the interest set in the kernel: epoll_ctl registers an fd once, and epoll_wait
 * returns only the ready ones, so a wait costs O(ready), not O(registered) as with poll(2).
 * The kernel hangs an entry on each fd's wait queue; when the fd's driver wakes that queue,
 * the entry moves to the epoll's ready list. Modes are flags on the registration:
 *   LEVEL    (default) an fd stays on the ready list while it is ready;
 *   EDGE     EPOLLET: it is reported when a wakeup puts it on the list, then dropped from it;
 *   ONESHOT  EPOLLONESHOT: after one report its interest is cleared until EPOLL_CTL_MOD.
 * The token rides in epoll_event.data.u64, so a wait needs no lookup table at all.
 */
typedef struct rt__epoll {
    int epfd;
    uint32_t mode_flags;        /* 0, EPOLLET or EPOLLONESHOT, or'ed into every registration */
    int cap;                    /* entries in buf */
    struct epoll_event *buf;    /* epoll_wait's output, translated into rt_poll_events */
} rt__epoll;

enum { RT__EPOLL_INITIAL_CAP = 64 };

/* rt__epoll_create: epoll_create1(EPOLL_CLOEXEC) plus an output buffer; 0 or -errno. */
static int rt__epoll_create(void **state, rt_poll_mode mode)
{
    rt__epoll *e = rt_calloc(1, sizeof *e);
    if (e == NULL)
        return -ENOMEM;
    e->mode_flags = mode == RT_MODE_EDGE ? EPOLLET : mode == RT_MODE_ONESHOT ? EPOLLONESHOT : 0;
    e->cap = RT__EPOLL_INITIAL_CAP;
    e->buf = rt_calloc((size_t)e->cap, sizeof *e->buf);
    if (e->buf == NULL) {
        rt_free(e);
        return -ENOMEM;
    }
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (e->epfd < 0) {
        int err = -errno;
        rt_free(e->buf);
        rt_free(e);
        return err;
    }
    *state = e;
    return 0;
}

/* rt__epoll_free: closing the epoll fd drops every registration with it. */
static void rt__epoll_free(void *state)
{
    rt__epoll *e = state;
    close(e->epfd);
    rt_free(e->buf);
    rt_free(e);
}

/* rt__epoll_ctl: one registration change. EPOLLRDHUP is always asked for, so a peer's
 * shutdown is seen even by a caller that only waits to write. */
static int rt__epoll_ctl(rt__epoll *e, int op, int fd, unsigned interest, uint64_t token)
{
    struct epoll_event ev = { .events = EPOLLRDHUP | e->mode_flags, .data.u64 = token };
    if (interest & RT_READABLE)
        ev.events |= EPOLLIN;
    if (interest & RT_WRITABLE)
        ev.events |= EPOLLOUT;
    return epoll_ctl(e->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

/* rt__epoll_add: EPOLL_CTL_ADD; the kernel gives EBADF, EEXIST, EPERM itself. */
static int rt__epoll_add(void *state, int fd, unsigned interest, uint64_t token)
{
    return rt__epoll_ctl(state, EPOLL_CTL_ADD, fd, interest, token);
}

/* rt__epoll_modify: EPOLL_CTL_MOD, which also re-arms a ONESHOT fd and re-checks readiness,
 * so data that arrived while disarmed is reported by the next wait. */
static int rt__epoll_modify(void *state, int fd, unsigned interest, uint64_t token)
{
    return rt__epoll_ctl(state, EPOLL_CTL_MOD, fd, interest, token);
}

/* rt__epoll_del: EPOLL_CTL_DEL (a NULL event is fine since Linux 2.6.9). */
static int rt__epoll_del(void *state, int fd)
{
    rt__epoll *e = state;
    return epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

/* rt__epoll_translate: kernel bits to RT_ bits. A hangup wakes both directions, so a parked
 * reader and a parked writer both retry their syscall and get the EOF or the error from it. */
static unsigned rt__epoll_translate(uint32_t ev)
{
    unsigned out = 0;
    if (ev & EPOLLIN)
        out |= RT_READABLE;
    if (ev & EPOLLOUT)
        out |= RT_WRITABLE;
    if (ev & EPOLLRDHUP)
        out |= RT_READ_CLOSED;
    if (ev & EPOLLERR)
        out |= RT_ERROR;
    if (ev & EPOLLHUP)
        out |= RT_READABLE | RT_WRITABLE | RT_READ_CLOSED;
    return out;
}

/*
 * rt__epoll_sys_wait: epoll_wait, or epoll_pwait2 when the timeout has a part finer than a ms.
 * epoll_wait's int ms would round a 300 us wait up to 1 ms; epoll_pwait2 (Linux 5.11) takes a
 * timespec. Whole-ms, zero and infinite timeouts keep epoll_wait, the call every sanitizer and
 * every kernel knows. ThreadSanitizer does not intercept epoll_pwait2 (it would miss the
 * happens-before it draws from epoll_ctl to epoll_wait), so its builds round up instead, as
 * does a kernel that answers ENOSYS -- remembered, so it is asked only once.
 */
#if defined(__SANITIZE_THREAD__)
#define RT__EPOLL_PWAIT2 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RT__EPOLL_PWAIT2 0
#endif
#endif
#ifndef RT__EPOLL_PWAIT2
#define RT__EPOLL_PWAIT2 1
#endif
static int rt__epoll_sys_wait(int epfd, struct epoll_event *buf, int n, int64_t timeout_ns)
{
    static _Atomic int no_pwait2; /* set once a kernel said ENOSYS; a relaxed hint is enough */
    if (timeout_ns <= 0)
        return epoll_wait(epfd, buf, n, timeout_ns < 0 ? -1 : 0);
    if (RT__EPOLL_PWAIT2 && timeout_ns % 1000000 != 0 && !atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
        struct timespec ts = { (time_t)(timeout_ns / 1000000000), (long)(timeout_ns % 1000000000) };
        int got = epoll_pwait2(epfd, buf, n, &ts, NULL);
        if (got >= 0 || errno != ENOSYS)
            return got;
        atomic_store_explicit(&no_pwait2, 1, memory_order_relaxed);
    }
    int64_t ms = (timeout_ns + 999999) / 1000000; /* round up: never return early */
    return epoll_wait(epfd, buf, n, ms > INT_MAX ? INT_MAX : (int)ms);
}

/* rt__epoll_wait: wait into the buffer (grown to max when memory allows), then translate. */
static int rt__epoll_wait(void *state, rt_poll_event *events, int max, int64_t timeout_ns)
{
    rt__epoll *e = state;
    if (max > e->cap) {
        /* Failing to grow is no error: a smaller batch now, the rest on the next wait. */
        struct epoll_event *nb = rt_realloc(e->buf, (size_t)max * sizeof *nb);
        if (nb != NULL) {
            e->buf = nb;
            e->cap = max;
        }
    }
    int n = rt__epoll_sys_wait(e->epfd, e->buf, max < e->cap ? max : e->cap, timeout_ns);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        events[i].token = e->buf[i].data.u64;
        events[i].events = rt__epoll_translate(e->buf[i].events);
    }
    return n;
}

const rt_poller_ops rt_poller_epoll_ops = {
    .name = "epoll",
    .create = rt__epoll_create,
    .free = rt__epoll_free,
    .add = rt__epoll_add,
    .modify = rt__epoll_modify,
    .del = rt__epoll_del,
    .wait = rt__epoll_wait,
};
