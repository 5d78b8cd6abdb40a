/* demo_reactor.c: lesson 05 -- a task, a reactor and an executor, in level mode (works) and edge mode (gets stuck). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "reactor.h"

/*
 * One task reads a 12-byte message from a socket, at most 4 bytes per read(2). "hello, " is
 * in the socket when it starts; "world" arrives 100 ms later from another thread. The task
 * does one read per poll and then asks the reactor to wake it when the fd is readable.
 *
 * Under level-triggered epoll that is enough: while bytes are left, every epoll_wait says
 * "readable" again. Under edge-triggered epoll it is not: epoll reports a *change* -- new data
 * arriving -- once. Bytes left behind by a reader that stopped early produce no new change, so
 * nobody wakes the task again. The executor notices that nothing happened for 300 ms and says
 * so. The exercise fixes the reader.
 */

enum { CHUNK = 4, MESSAGE = 12, STUCK_MS = 300 };

// region: read-once
/* The leaf future: read `want` bytes, one read(2) of at most CHUNK bytes per poll. */
typedef struct read_once_fut {
    rt_future base;
    reactor *r;
    int fd;
    char buf[MESSAGE + 1];
    size_t want, got;
    int polls;
} read_once_fut;

/* read_once_poll: one read, then (if not done) wait for readability. */
static rt_poll read_once_poll(rt_future *f, rt_context *cx)
{
    read_once_fut *self = (read_once_fut *)f;
    self->polls++;
    size_t ask = self->want - self->got < CHUNK ? self->want - self->got : CHUNK;
    ssize_t n = read(self->fd, self->buf + self->got, ask);
    if (n > 0) {
        printf("task: poll %d: read %zd byte%s \"%.*s\" (%zu of %zu)\n", self->polls, n,
               n == 1 ? "" : "s", (int)n, self->buf + self->got, self->got + (size_t)n, self->want);
        self->got += (size_t)n;
        if (self->got == self->want) {
            reactor_forget(self->r, self->fd);
            return RT_READY;
        }
        printf("task: no EAGAIN yet, but asks the reactor to wake it anyway -> RT_PENDING\n");
    } else if (n < 0 && errno == EAGAIN) {
        printf("task: poll %d: EAGAIN -> asks the reactor to wake it -> RT_PENDING\n", self->polls);
    } else {
        printf("task: poll %d: end of stream or error; giving up\n", self->polls);
        reactor_forget(self->r, self->fd);
        return RT_READY;
    }
    if (reactor_wait_readable(self->r, self->fd, cx->waker) != 0) {
        printf("task: cannot register with the reactor\n");
        return RT_READY;
    }
    return RT_PENDING;
}
// endregion

static const rt_future_vtable read_once_vtable = { .poll = read_once_poll, .name = "read_once" };

/* A waker for one task on this thread: a plain flag (no other thread ever wakes it). */
static const rt_waker_vtable flag_waker_vtable;

/* flag_clone: the flag outlives the run, so a clone is the same pointer. */
static rt_waker flag_clone(const void *data)
{
    return (rt_waker){ .vtable = &flag_waker_vtable, .data = data };
}

/* flag_wake: set the flag. */
static void flag_wake(const void *data)
{
    *(int *)data = 1;
}

/* flag_drop: nothing to release. */
static void flag_drop(const void *data)
{
    (void)data;
}

static const rt_waker_vtable flag_waker_vtable = { flag_clone, flag_wake, flag_wake, flag_drop };

/* now_ms: the monotonic clock in ms. */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

// region: run
/* run: poll the task when woken; otherwise turn the reactor. 0 when done, -1 when stuck. */
static int run(reactor *r, read_once_fut *task)
{
    int woken = 1;
    rt_waker waker = { .vtable = &flag_waker_vtable, .data = &woken };
    rt_context cx = { .waker = &waker };
    for (;;) {
        if (woken) {
            woken = 0;
            if (rt_future_poll(&task->base, &cx) == RT_READY)
                return 0;
            continue;
        }
        printf("executor: no task to run -> turn the reactor (epoll_wait)\n");
        double t0 = now_ms();
        long events0 = r->events;
        int n = reactor_turn(r, STUCK_MS);
        printf("reactor: %ld readiness report%s after %.0f ms; woke %d task%s\n",
               r->events - events0, r->events - events0 == 1 ? "" : "s", now_ms() - t0, n,
               n == 1 ? "" : "s");
        if (n == 0 && !woken) {
            int left = 0;
            ioctl(task->fd, FIONREAD, &left);
            printf("executor: nothing for %d ms, the task is still pending, and the socket "
                   "still holds %d unread byte%s: stuck\n", STUCK_MS, left, left == 1 ? "" : "s");
            return -1;
        }
    }
}
// endregion

/* writer_main: the other end of the socket, sending "world" 100 ms after the start. */
static void *writer_main(void *arg)
{
    int fd = *(int *)arg;
    struct timespec ts = { 0, 100 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    if (write(fd, "world", 5) != 5)
        perror("writer");
    return NULL;
}

/* one_run: the whole scenario under one epoll mode. */
static void one_run(rt_poll_mode mode, const char *title)
{
    printf("== %s\n", title);
    reactor r;
    int sv[2];
    if (reactor_init(&r, mode) != 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
        perror("demo_reactor: setup");
        exit(1);
    }
    if (write(sv[1], "hello, ", 7) != 7) {
        perror("demo_reactor: write");
        exit(1);
    }
    printf("main: \"hello, \" is in the socket; \"world\" comes from another thread in 100 ms\n");
    pthread_t writer;
    if (pthread_create(&writer, NULL, writer_main, &sv[1]) != 0) {
        fprintf(stderr, "demo_reactor: cannot start the writer thread\n");
        exit(1);
    }
    read_once_fut task = { .base = { &read_once_vtable }, .r = &r, .fd = sv[0], .want = MESSAGE };
    if (run(&r, &task) == 0)
        printf("main: the task read \"%s\" in %d polls; the reactor waited %ld times\n",
               task.buf, task.polls, r.turns);
    else
        printf("main: gave up after %d polls with \"%.*s\"\n", task.polls, (int)task.got, task.buf);
    pthread_join(writer, NULL);
    reactor_free(&r);
    close(sv[0]);
    close(sv[1]);
}

/* main: level first, then edge. */
int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    one_run(RT_MODE_LEVEL, "level-triggered epoll, a task that reads once per poll");
    one_run(RT_MODE_EDGE, "edge-triggered epoll, the same task");
    return 0;
}
