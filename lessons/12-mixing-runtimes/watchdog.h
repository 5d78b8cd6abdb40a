/* watchdog.h: lesson 12 -- notice that nothing progresses, then say which task waits on what and why no one will wake it. */
#ifndef LESSON12_WATCHDOG_H
#define LESSON12_WATCHDOG_H

#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rt_clock.h"
#include "rt_future.h"

/*
 * A deadlocked async program does not crash: every thread sleeps, politely, for ever. This
 * watchdog turns that silence into a report. It has two halves.
 *
 *  1. What the program says. A future you want watched is wrapped in watched(): every poll of
 *     the wrapper counts as progress, and while the wrapped future is pending the wrapper
 *     registers a wait -- which task, which leaf future, the fd whose readiness it needs, and
 *     a sentence naming who is supposed to drive the reactor holding that fd.
 *  2. What Linux says. When no watched future has been polled for quiet_ms, the watchdog's own
 *     thread checks each registered wait against the kernel, in /proc, without trusting the
 *     runtime at all:
 *       - is the fd ready right now? (poll() with a zero timeout) -- if so, the event has come
 *         and only the wake is missing;
 *       - which epoll instances hold the fd? (/proc/self/fdinfo/<epfd> lists every fd an epoll
 *         instance watches, as "tfd: N");
 *       - which threads sit in epoll_wait, and on which epoll fd? (/proc/self/task/<tid>/syscall
 *         shows the system call a sleeping thread is in, with its arguments; the first
 *         argument of epoll_wait is the epoll fd).
 *     If no thread waits on an epoll instance that holds the fd, nobody will ever see the
 *     event, so nobody will call the waker: the task is stuck for good. The watchdog prints
 *     that and ends the process with exit_code.
 *
 * It only reports what it can see: a wait on something other than an fd (a timer, a channel)
 * is printed with its description, without the kernel evidence.
 */

#define WATCHDOG_MAX_WAITS 16

typedef struct watchdog_wait {
    int active;
    const char *task;     /* who waits: a name for a person */
    const char *future;   /* the leaf future it waits in (its vtable's name) */
    int fd;               /* the fd whose readiness would wake it, or -1 */
    short events;         /* POLLIN or POLLOUT */
    const char *driver;   /* who is supposed to drive the reactor that holds fd */
} watchdog_wait;

typedef struct watchdog {
    unsigned quiet_ms;           /* report after this long without a poll */
    int exit_code;
    _Atomic uint64_t progress;   /* bumped by every poll of a watched future */
    _Atomic int stop;
    pthread_t thread;
    pthread_mutex_t lock;        /* guards waits[] */
    watchdog_wait waits[WATCHDOG_MAX_WAITS];
} watchdog;

/* watchdog__read: the first line of a small /proc file into buf; 0, or -1 if unreadable. */
static inline int watchdog__read(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* watchdog__is_epoll_wait: whether a syscall number is one of the epoll waits. */
static inline int watchdog__is_epoll_wait(long nr)
{
#ifdef SYS_epoll_wait
    if (nr == SYS_epoll_wait)
        return 1;
#endif
#ifdef SYS_epoll_pwait2
    if (nr == SYS_epoll_pwait2)
        return 1;
#endif
    return nr == SYS_epoll_pwait;
}

/* watchdog__epoll_holds: whether the epoll instance epfd watches fd (from its fdinfo). */
static inline int watchdog__epoll_holds(int epfd, int fd)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    int found = 0, tfd;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = sscanf(line, "tfd: %d", &tfd) == 1 && tfd == fd;
    fclose(f);
    return found;
}

// region: epolls-of
/* watchdog__epolls_of: the epoll fds of this process that watch fd; returns how many. */
static inline int watchdog__epolls_of(int fd, int *out, int max)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    struct dirent *e;
    while (d != NULL && n < max && (e = readdir(d)) != NULL) {
        char path[300], target[64];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        int epfd = atoi(e->d_name);
        if (strcmp(target, "anon_inode:[eventpoll]") == 0 && watchdog__epoll_holds(epfd, fd))
            out[n++] = epfd;
    }
    if (d != NULL)
        closedir(d);
    return n;
}
// endregion

/* watchdog__report_waiters: print every thread that sleeps in epoll_wait and on which epoll
 * fd; returns how many of them wait on one of epfds[0..n). */
static inline int watchdog__report_waiters(FILE *out, const int *epfds, int n)
{
    DIR *d = opendir("/proc/self/task");
    int driving = 0, any = 0;
    pid_t me = (pid_t)syscall(SYS_gettid);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == me)
            continue;
        char path[300], name[64] = "?", sc[512];
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        watchdog__read(path, name, sizeof name);
        snprintf(path, sizeof path, "/proc/self/task/%s/syscall", e->d_name);
        long nr = -1;
        unsigned long arg0 = 0;
        if (watchdog__read(path, sc, sizeof sc) != 0 || sscanf(sc, "%ld %lx", &nr, &arg0) != 2)
            continue; /* "running", or gone */
        if (!watchdog__is_epoll_wait(nr))
            continue;
        int hit = 0;
        for (int i = 0; i < n; i++)
            hit |= (unsigned long)epfds[i] == arg0;
        fprintf(out, "watchdog:     thread %s (%s) sleeps in epoll_wait on epoll fd %lu%s\n",
                e->d_name, name, arg0, hit ? "  <- this one drives it" : "");
        driving += hit;
        any = 1;
    }
    if (d != NULL)
        closedir(d);
    if (!any)
        fprintf(out, "watchdog:     no thread of this process sleeps in epoll_wait at all\n");
    return driving;
}

/* watchdog__report: the whole report, one registered wait at a time; returns how many waits
 * nothing will ever wake. */
static inline int watchdog__report(watchdog *wd, FILE *out)
{
    int stuck = 0, waits = 0;
    fprintf(out, "watchdog: no watched future was polled for %u ms. What is waiting:\n",
            wd->quiet_ms);
    pthread_mutex_lock(&wd->lock);
    for (int i = 0; i < WATCHDOG_MAX_WAITS; i++) {
        watchdog_wait w = wd->waits[i];
        if (!w.active)
            continue;
        waits++;
        const char *dir = w.events & POLLOUT ? "writable" : "readable";
        if (w.fd < 0) {
            fprintf(out, "watchdog:   task \"%s\" waits in %s (no fd to check)\n", w.task,
                    w.future);
            continue;
        }
        fprintf(out, "watchdog:   task \"%s\" waits in %s for fd %d to become %s\n", w.task,
                w.future, w.fd, dir);
        struct pollfd p = { .fd = w.fd, .events = w.events };
        if (poll(&p, 1, 0) == 1 && (p.revents & (w.events | POLLHUP | POLLERR)))
            fprintf(out, "watchdog:     fd %d IS %s now: the event has come, only the wake "
                    "is missing\n", w.fd, dir);
        int epfds[8];
        int n = watchdog__epolls_of(w.fd, epfds, 8);
        if (n == 0)
            fprintf(out, "watchdog:     fd %d is in no epoll instance of this process\n", w.fd);
        for (int k = 0; k < n; k++)
            fprintf(out, "watchdog:     fd %d is registered in epoll fd %d "
                    "(/proc/self/fdinfo/%d)\n", w.fd, epfds[k], epfds[k]);
        int driving = watchdog__report_waiters(out, epfds, n);
        if (driving == 0) {
            stuck++;
            fprintf(out, "watchdog:     no thread waits on %s, so no one will see fd %d's "
                    "event and call the waker.\n", n ? "that epoll instance" : "any epoll "
                    "instance holding it", w.fd);
            if (w.driver != NULL)
                fprintf(out, "watchdog:     who should have: %s.\n", w.driver);
        }
    }
    pthread_mutex_unlock(&wd->lock);
    if (waits == 0)
        fprintf(out, "watchdog:   no watched future is pending\n");
    return stuck;
}

/* watchdog__main: check the progress counter every 20 ms; report and exit after quiet_ms. */
static inline void *watchdog__main(void *arg)
{
    watchdog *wd = arg;
    uint64_t seen = atomic_load(&wd->progress), since = rt_monotonic_ns();
    while (!atomic_load(&wd->stop)) {
        struct timespec ts = { .tv_sec = 0, .tv_nsec = 20 * 1000000L };
        nanosleep(&ts, NULL);
        uint64_t now = atomic_load(&wd->progress);
        if (now != seen) {
            seen = now;
            since = rt_monotonic_ns();
            continue;
        }
        if (rt_monotonic_ns() - since < (uint64_t)wd->quiet_ms * 1000000u)
            continue;
        fflush(stdout);
        int stuck = watchdog__report(wd, stderr);
        fprintf(stderr, "watchdog: %s: ending the process with exit code %d\n",
                stuck ? "nothing will ever wake it" : "no progress", wd->exit_code);
        fflush(stderr);
        _exit(wd->exit_code); /* the other threads are stuck; atexit handlers could hang too */
    }
    return NULL;
}

/* watchdog_start: start the watching thread; 0 or an errno from pthread_create. */
static inline int watchdog_start(watchdog *wd, unsigned quiet_ms, int exit_code)
{
    memset(wd->waits, 0, sizeof wd->waits);
    wd->quiet_ms = quiet_ms;
    wd->exit_code = exit_code;
    atomic_init(&wd->progress, 0);
    atomic_init(&wd->stop, 0);
    pthread_mutex_init(&wd->lock, NULL);
    int rc = pthread_create(&wd->thread, NULL, watchdog__main, wd);
    if (rc == 0)
        pthread_setname_np(wd->thread, "watchdog");
    return rc;
}

/* watchdog_stop: the program finished after all; stop watching. */
static inline void watchdog_stop(watchdog *wd)
{
    atomic_store(&wd->stop, 1);
    pthread_join(wd->thread, NULL);
    pthread_mutex_destroy(&wd->lock);
}

/* ---- the wrapper future ------------------------------------------------------------------ */
typedef struct watched_fut {
    rt_future base;
    watchdog *wd;
    rt_future *child;     /* borrowed: the owner keeps it in place and drops it */
    int slot;             /* our entry in wd->waits, or -1 */
    watchdog_wait wait;   /* what we register while the child is pending */
} watched_fut;

/* watched__set: register (active 1) or clear (active 0) our wait. */
static inline void watched__set(watched_fut *w, int active)
{
    pthread_mutex_lock(&w->wd->lock);
    if (w->slot < 0 && active)
        for (int i = 0; i < WATCHDOG_MAX_WAITS && w->slot < 0; i++)
            if (!w->wd->waits[i].active)
                w->slot = i;
    if (w->slot >= 0) {
        w->wd->waits[w->slot] = w->wait;
        w->wd->waits[w->slot].active = active;
        if (!active)
            w->slot = -1;
    }
    pthread_mutex_unlock(&w->wd->lock);
}

// region: watched
/* watched_poll: count the poll as progress, poll the child, keep the registration in step. */
static inline rt_poll watched_poll(rt_future *f, rt_context *cx)
{
    watched_fut *w = (watched_fut *)f;
    atomic_fetch_add(&w->wd->progress, 1);
    rt_poll r = rt_future_poll(w->child, cx);
    watched__set(w, r == RT_PENDING);
    return r;
}
// endregion

/* watched_drop: no longer waiting. */
static inline void watched_drop(rt_future *f)
{
    watched__set((watched_fut *)f, 0);
}

/* watched: wrap child, which waits for `events` on fd (or fd -1), as task `task`; `driver`
 * says who is meant to drive the reactor that will report the event. */
static inline watched_fut watched(watchdog *wd, const char *task, rt_future *child, int fd,
                                  short events, const char *driver)
{
    static const rt_future_vtable vtable = { watched_poll, watched_drop, "watched" };
    return (watched_fut){ .base = { &vtable }, .wd = wd, .child = child, .slot = -1,
                          .wait = { .task = task, .future = child->vtable->name, .fd = fd,
                                    .events = events, .driver = driver } };
}

#endif
