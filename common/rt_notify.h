/* rt_notify.h: a coalescing cross-thread wakeup over one eventfd (the uv_async_send idea). */
#ifndef RT_NOTIFY_H
#define RT_NOTIFY_H

#include <stdint.h>

/*
 * An event loop sleeps in epoll_wait / poll / io_uring_enter, and another thread (a spawner, a
 * timer thread, a blocking-pool worker finishing a job) needs to wake it. The classic answer is
 * a file descriptor the loop watches and the other thread writes to; Linux gives a cheap one,
 * the eventfd: an 8-byte counter that is readable while non-zero.
 *
 * A write(2) is a syscall, and wakeups come in bursts (a thousand tasks woken from one worker).
 * One wake is enough to get the loop to look at its queues, so `pending` remembers that a
 * wake is already on its way and later signals skip the syscall. That is "coalescing"; libuv
 * does the same in uv_async_send.
 *
 * Roles: any number of threads may call rt_notify_signal concurrently. Exactly one thread, the
 * loop that watches `fd`, calls rt_notify_consume. init/close are not concurrent with anything.
 */
typedef struct rt_notify {
    int fd;                     /* eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); -1 when closed */
    _Atomic int pending;        /* 1 from a signal's claim until the loop's consume clears it */
    /* Counters for the benchmarks: every signal lands in exactly one of the two. */
    _Atomic uint64_t sent;      /* signals that did the write(2) */
    _Atomic uint64_t coalesced; /* signals that found a wake already pending and skipped it */
} rt_notify;

/* rt_notify_init: open the eventfd and zero the state; 0 or -errno (EMFILE, ENFILE, ENOMEM). */
int rt_notify_init(rt_notify *n);
/* rt_notify_close: close the eventfd; safe to call twice. No signal may race with it. */
void rt_notify_close(rt_notify *n);
/* rt_notify_signal: from any thread, make fd readable unless a wake is already pending; 0 or -errno. */
int rt_notify_signal(rt_notify *n);
/* rt_notify_consume: loop side; drain fd and re-open the gate. 1 if a signal was seen, 0 if not, or -errno. */
int rt_notify_consume(rt_notify *n);

#endif
