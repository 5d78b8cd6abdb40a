/* as_reactor.c: the global reactor -- oneshot epoll plus the timer heap, driven by the as-io thread or an idle as_block_on. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "as_internal.h"
#include "rt_alloc.h"

/*
 * async-io's reactor, in C. One poller (epoll in ONESHOT mode) and one timer heap serve the
 * whole process. Whoever holds `drive_lock` may wait in the poller; a "turn" is:
 *
 *     fire the timers that are due (waking their sleepers)
 *     wait for IO, at most until the next timer deadline
 *     dispatch each event: wake the futures parked on that fd, re-arm what is still wanted
 *     fire the timers that came due while we waited
 *
 * Who drives. Any thread with nothing better to do: an idle worker (as_executor.c) or an idle
 * as_block_on (as_block_on.c) tries the lock before it would park, and waits in the poller
 * itself. Then the IO and timers it handles wake tasks it can run at once, on its own thread,
 * with no cross-thread wake -- in async-std every worker thread runs inside async-io's
 * block_on for exactly this reason. An idle driver keeps the reactor across turns until it is
 * needed (notified) or a turn woke something, and hands it back after 500 us of driving only
 * for others (async-io's rule), unparking the as-io thread so that somebody always drives.
 * The as-io thread is the fallback, and follows async-io's main_loop: when nobody else turned
 * the reactor since it last looked, it takes it (trylock, or a blocking lock after ten naps in
 * a row) for a blocking turn; then it naps (50 us, growing to 10 ms while it sees others
 * driving), which is the room the idle threads need to take over. Busy workers also do a
 * non-blocking turn every 200 tasks if the lock is free (as_executor.c).
 *
 * ONESHOT, and why the re-arming cannot lose an event. epoll reports a ONESHOT fd once and then
 * disarms it, so the reactor never sees the same readiness twice and never needs to read until
 * EAGAIN on anyone's behalf -- but every wait must arm the fd again. The rule (as_io.c): a
 * future parks its waiter and re-arms (EPOLL_CTL_MOD) only after its syscall said EAGAIN, and
 * MOD re-checks readiness at that moment; data that arrived between the EAGAIN and the MOD is
 * reported at once. After an event, the reactor wakes the waiters of the directions that fired
 * and re-arms the directions still waited on (a writer must not lose its interest because a
 * reader's event disarmed the fd). Both happen under the handle's lock, so the last MOD always
 * reflects every waiter still parked.
 *
 * epoll_ctl is safe to call from any thread while another waits (the kernel serialises it);
 * the futures call rt_poller_modify from worker threads while the driver sits in
 * rt_poller_wait. The core's poller header promises single-thread use in general; for the
 * epoll backend its modify/add/del touch only fields fixed at creation, which is what makes
 * this sound. We therefore always use the epoll backend.
 */

/* as__wake_buf_flush: wake everything collected, outside any lock. */
void as__wake_buf_flush(as__wake_buf *b)
{
    for (unsigned i = 0; i < b->n; i++)
        rt_waker_wake(&b->w[i]);
    b->n = 0;
}

/* as__reactor_init: poller, heap, locks; 0 or -errno (everything undone on failure). */
int as__reactor_init(as__reactor *r)
{
    r->poller = rt_poller_new(RT_POLLER_EPOLL, RT_MODE_ONESHOT);
    if (r->poller == NULL)
        return -errno;
    rt_clock_init(&r->clock);
    r->timers = rt_timers_new(RT_TIMERS_HEAP, 0);
    if (r->timers == NULL) {
        rt_poller_free(r->poller);
        return -ENOMEM;
    }
    pthread_mutex_init(&r->drive_lock, NULL);
    pthread_mutex_init(&r->timers_lock, NULL);
    pthread_mutex_init(&r->sources_lock, NULL);
    rt_parker_init(&r->io_parker);
    r->slots = NULL;
    r->nslots = r->cap_slots = 0;
    r->free_head = UINT32_MAX;
    return 0;
}

/* as__reactor_notify: the poller's eventfd; a wait in progress (or the next one) returns. */
void as__reactor_notify(as__reactor *r)
{
    rt_poller_notify(r->poller);
}

/* as__timeout_ns: how long a blocking turn may wait: until the next deadline (both in us). */
static int64_t as__timeout_ns(uint64_t next_us, uint64_t now_us)
{
    if (next_us == UINT64_MAX)
        return -1;
    if (next_us <= now_us)
        return 0;
    uint64_t us = next_us - now_us;
    return us > (uint64_t)INT64_MAX / 1000 ? INT64_MAX : (int64_t)(us * 1000);
}

/* as__reactor_turn: see the top of the file. A turn that fired timers does not block: the
 * thread driving may be an as_block_on whose own future was among those woken. */
size_t as__reactor_turn(as__reactor *r, int block)
{
    atomic_fetch_add_explicit(&r->ticks, 1, memory_order_relaxed);
    uint64_t now;
    size_t fired, later = 0;
    uint64_t next = as__timers_fire(r, &now, &fired);
    int64_t timeout = 0;
    if (block && fired == 0 && !atomic_load_explicit(&r->stopping, memory_order_relaxed))
        timeout = as__timeout_ns(next, now);
    int n = rt_poller_wait_ns(r->poller, r->events, AS__EVENT_BATCH, timeout);
    for (int i = 0; i < n; i++)
        as__io_dispatch(r, r->events[i].token, r->events[i].events);
    if (n > 0)
        atomic_fetch_add_explicit(&r->io_ready_events, (uint64_t)n, memory_order_relaxed);
    if (timeout != 0)
        as__timers_fire(r, &now, &later);
    return fired + later + (n > 0 ? (size_t)n : 0);
}

/* as__reactor_hogging: async-io hands the reactor back after 500 us of driving it for others. */
int as__reactor_hogging(uint64_t start_ns)
{
    return rt_monotonic_ns() - start_ns > 500000;
}

/* as__reactor_try_turn: a worker's every-200-tasks visit; never waits for the lock or for IO. */
int as__reactor_try_turn(as__reactor *r)
{
    if (pthread_mutex_trylock(&r->drive_lock) != 0)
        return 0;
    as__reactor_turn(r, 0);
    pthread_mutex_unlock(&r->drive_lock);
    return 1;
}

// region: io-main
/* as__io_main: the as-io thread, async-io's main_loop (see the top of the file). */
static void *as__io_main(void *arg)
{
    static const unsigned nap_us[] = { 50, 75, 100, 250, 500, 750, 1000, 2500, 5000 };
    as__reactor *r = arg;
    uint64_t last_tick = 0;
    unsigned naps = 0;
    while (!atomic_load_explicit(&r->stopping, memory_order_acquire)) {
        uint64_t tick = atomic_load_explicit(&r->ticks, memory_order_relaxed);
        if (tick == last_tick) {
            /* Nobody turned the reactor since we last looked: it is ours to drive. */
            int locked;
            if (naps >= 10) {
                pthread_mutex_lock(&r->drive_lock);
                locked = 1;
            } else {
                locked = pthread_mutex_trylock(&r->drive_lock) == 0;
            }
            if (locked) {
                if (!atomic_load_explicit(&r->stopping, memory_order_acquire))
                    as__reactor_turn(r, 1);
                last_tick = atomic_load_explicit(&r->ticks, memory_order_relaxed);
                naps = 0;
                pthread_mutex_unlock(&r->drive_lock);
            }
        } else {
            last_tick = tick; /* someone else is driving; watch again after a nap */
        }
        if (atomic_load_explicit(&r->stopping, memory_order_acquire))
            break;
        unsigned us = naps < sizeof nap_us / sizeof nap_us[0] ? nap_us[naps] : 10000;
        if (rt_parker_park_timeout(&r->io_parker, (uint64_t)us * 1000)) {
            last_tick = atomic_load_explicit(&r->ticks, memory_order_relaxed);
            naps = 0;
        } else {
            naps++;
        }
    }
    return NULL;
}
// endregion

/* as__reactor_start: the as-io thread. */
int as__reactor_start(as__reactor *r)
{
    int err = as__thread_spawn(&r->io_thread, as__io_main, r, "as-io");
    if (err == 0)
        r->io_started = 1;
    return err;
}

/* as__reactor_stop: raise `stopping`, kick whoever waits in the poller, join the as-io thread.
 * The notify is sticky (an eventfd), so a thread that checked `stopping` just before we set it
 * and is about to wait still returns at once. */
void as__reactor_stop(as__reactor *r)
{
    atomic_store_explicit(&r->stopping, 1, memory_order_release);
    as__reactor_notify(r);
    rt_parker_unpark(&r->io_parker);
    if (r->io_started) {
        pthread_join(r->io_thread, NULL);
        r->io_started = 0;
    }
}

/* as__reactor_free: after stop. Handles the user never closed stay the user's (their slots
 * go with the table); timers still armed belong to futures nobody will poll again. */
void as__reactor_free(as__reactor *r)
{
    rt_poller_free(r->poller);
    rt_timers_free(r->timers);
    rt_free(r->slots);
    pthread_mutex_destroy(&r->drive_lock);
    pthread_mutex_destroy(&r->timers_lock);
    pthread_mutex_destroy(&r->sources_lock);
}
