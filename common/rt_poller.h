/* rt_poller.h: readiness IO -- which fds can be read or written now -- over epoll, poll or io_uring. */
#ifndef RT_POLLER_H
#define RT_POLLER_H

#include <stdint.h>

/*
 * A runtime's reactor parks a task on "fd 7 is not readable yet" and needs the OS to say when
 * it becomes so. That is a *readiness* interface: the kernel reports that an operation would
 * no longer block, and the runtime then does the read(2) itself. Linux offers three ways to
 * ask, with one API over all of them here (the shape of Redis's ae.c: one private interface,
 * one file per backend, chosen at creation):
 *   epoll     the native one: O(ready) per wait, level, edge and oneshot (rt_poller_epoll.c);
 *   poll      the portable fallback: O(registered) per wait, level and oneshot (rt_poller_poll.c);
 *   io_uring  a completion interface used for readiness through poll operations (rt_poller_uring.c).
 *
 * Threads: one thread (the loop) owns a poller and is the only caller of add, modify, del,
 * wait and free. rt_poller_notify alone may be called from any thread, at any time between
 * rt_poller_new and rt_poller_free. One exception, which both runtime flavours rely on: with
 * the epoll backend, add, modify and del may also come from any thread, even while another
 * thread waits -- each is one epoll_ctl(2) on fields fixed at creation, and the kernel makes
 * epoll_ctl safe against a concurrent epoll_wait. The poll and io_uring backends keep per-fd
 * state in user space and need the single-owner rule.
 */

/* Interest (add/modify) and reported readiness (wait). READ_CLOSED and ERROR are always
 * reported, whether asked for or not; asking for them is allowed and changes nothing. */
enum {
    RT_READABLE = 1u,
    RT_WRITABLE = 2u,
    RT_READ_CLOSED = 4u, /* the peer hung up or shut down its write side (EPOLLRDHUP) */
    RT_ERROR = 8u        /* an error is pending on the fd (EPOLLERR); the next syscall returns it */
};

typedef enum { RT_POLLER_EPOLL, RT_POLLER_POLL, RT_POLLER_URING } rt_poller_backend;

// region: modes
/*
 * LEVEL:   reported on every wait while the condition holds (read until EAGAIN, or not).
 * EDGE:    reported once per change; the caller must drain to EAGAIN before it may expect
 *          another report. Cheapest for a runtime, which reads until EAGAIN anyway.
 * ONESHOT: reported once, then the fd is disarmed until rt_poller_modify re-arms it. Lets a
 *          multi-threaded reactor hand an fd to exactly one worker.
 */
typedef enum { RT_MODE_LEVEL, RT_MODE_EDGE, RT_MODE_ONESHOT } rt_poll_mode;
// endregion

typedef struct rt_poll_event {
    uint64_t token;  /* what the caller passed to add/modify, typically a pointer to its IO object */
    unsigned events; /* RT_READABLE | RT_WRITABLE | RT_READ_CLOSED | RT_ERROR */
} rt_poll_event;

typedef struct rt_poller rt_poller; /* opaque */

/* The token of the poller's internal wakeup fd: reserved, refused by add/modify, never reported. */
#define RT_POLLER_NOTIFY_TOKEN UINT64_MAX

/* rt_poller_new: a poller, or NULL with errno set (ENOMEM, EMFILE, EINVAL, ENOSYS: no io_uring,
 * ENOTSUP: the backend cannot do that mode -- poll has no EDGE). Every fd it opens is CLOEXEC. */
rt_poller *rt_poller_new(rt_poller_backend backend, rt_poll_mode mode);
/* rt_poller_free: close every fd the poller opened and free it; NULL is a no-op. */
void rt_poller_free(rt_poller *p);
/* rt_poller_add: watch fd for interest, reporting it as token; 0 or -errno (EBADF, EEXIST,
 * EPERM for a regular file or directory, EINVAL for a bad interest or the reserved token). */
int rt_poller_add(rt_poller *p, int fd, unsigned interest, uint64_t token);
/* rt_poller_modify: replace fd's interest and token; in ONESHOT mode this re-arms. 0 or -errno (ENOENT). */
int rt_poller_modify(rt_poller *p, int fd, unsigned interest, uint64_t token);
/* rt_poller_del: stop watching fd; call it BEFORE close(fd). 0 or -errno (ENOENT, EBADF). */
int rt_poller_del(rt_poller *p, int fd);
/* rt_poller_wait: fill up to max events; timeout_ms -1 = forever, 0 = poll. Returns the count
 * (possibly 0: timeout, a notify, EINTR) or -errno (EINVAL for max <= 0). */
int rt_poller_wait(rt_poller *p, rt_poll_event *events, int max, int timeout_ms);
/* rt_poller_wait_ns: the same with a timeout in ns (-1 = forever), for timers finer than a
 * millisecond: epoll_pwait2, ppoll and io_uring all take a timespec, so nothing rounds it up to
 * a whole ms (which alone makes a 100 us sleep last 1 ms or more). */
int rt_poller_wait_ns(rt_poller *p, rt_poll_event *events, int max, int64_t timeout_ns);
/* rt_poller_notify: from any thread, make a concurrent or the next wait return promptly. 0 or -errno. */
int rt_poller_notify(rt_poller *p);

/* rt_poller_backend_of: the backend p was created with. */
rt_poller_backend rt_poller_backend_of(const rt_poller *p);
/* rt_poller_mode_of: the mode p was created with. */
rt_poll_mode rt_poller_mode_of(const rt_poller *p);
/* rt_poller_backend_name: "epoll", "poll", "io_uring", or "?" for a value out of range. */
const char *rt_poller_backend_name(rt_poller_backend b);
/* rt_poller_notify_stats: how many notifies did a write(2) and how many coalesced (for benchmarks). */
void rt_poller_notify_stats(const rt_poller *p, uint64_t *sent, uint64_t *coalesced);

/* ---- private: the backend interface, for rt_poller.c and rt_poller_<backend>.c only ---------
 *
 * rt_poller.c validates arguments, owns the notify fd and filters its events; a backend only
 * maps the six operations onto its syscalls. `state` is whatever the backend's create made.
 * Backends take these guarantees from rt_poller.c: fd >= 0, interest has only known bits,
 * max >= 1, events != NULL, the notify fd is registered like any other with
 * RT_POLLER_NOTIFY_TOKEN. In return every backend must report the same errors as epoll_ctl:
 * EBADF for an fd that is not open, EEXIST for a double add, ENOENT for modify/del of an fd
 * not added, EPERM for a regular file or directory (always "ready", so never worth polling).
 * (One gap remains: other files with no poll method, e.g. /dev/null, are refused by epoll but
 * reported always-ready by poll and io_uring, since user space cannot ask whether a file has
 * a poll method. Nobody should register those.)
 */
typedef struct rt_poller_ops {
    const char *name;
    /* create: *state = a new backend for mode; 0 or -errno (ENOTSUP for a mode it lacks). */
    int (*create)(void **state, rt_poll_mode mode);
    /* free: release everything create and later calls allocated or opened. */
    void (*free)(void *state);
    int (*add)(void *state, int fd, unsigned interest, uint64_t token);
    int (*modify)(void *state, int fd, unsigned interest, uint64_t token);
    int (*del)(void *state, int fd);
    /* wait: as rt_poller_wait_ns, but notify-fd events are returned like any other. */
    int (*wait)(void *state, rt_poll_event *events, int max, int64_t timeout_ns);
} rt_poller_ops;

extern const rt_poller_ops rt_poller_epoll_ops;
extern const rt_poller_ops rt_poller_poll_ops;
extern const rt_poller_ops rt_poller_uring_ops;

/* rt__poller_check_fd: 0 if fd is open and pollable, -EBADF or -EPERM as epoll_ctl would say. */
int rt__poller_check_fd(int fd);

#endif
