/* tk_driver.c: the runtime's driver -- park in epoll (or a futex) until IO, a timer or an unpark. */
#include <errno.h>
#include <string.h>

#include "rt_alloc.h"
#include "tk_internal.h"

/*
 * tokio stacks its drivers: the time driver wraps the IO driver, which wraps a thread parker.
 * Parking the stack means "sleep in epoll_wait, but no longer than the next timer", and then
 * "fire what is due". We keep that order in one function. When IO is disabled there is no
 * epoll to sleep in, so the parker's timed futex wait takes its place; an unpark then goes to
 * the parker instead of the poller's eventfd.
 */

#define TK__EVENTS_PER_PARK 1024

/* tk__driver_init: the poller in edge-triggered mode, the wheel, the clock. */
int tk__driver_init(tk__driver *d, bool io, bool time)
{
    memset(d, 0, sizeof *d);
    rt_parker_init(&d->parker);
    rt_clock_init(&d->clock);
    atomic_init(&d->next_wake_ms, UINT64_MAX);
    int rc = -pthread_mutex_init(&d->slab_lock, NULL);
    if (rc)
        return rc;
    if ((rc = -pthread_mutex_init(&d->time_lock, NULL)) != 0)
        goto fail_slab;
    if (io) {
        d->poller = rt_poller_new(RT_POLLER_EPOLL, RT_MODE_EDGE);
        if (!d->poller) {
            rc = -errno;
            goto fail_time;
        }
    }
    if (time) {
        d->wheel = rt_timers_new(RT_TIMERS_WHEEL, rt_clock_now_ms(&d->clock));
        if (!d->wheel) {
            rc = -ENOMEM;
            goto fail_poller;
        }
    }
    return 0;

fail_poller:
    if (d->poller)
        rt_poller_free(d->poller);
fail_time:
    pthread_mutex_destroy(&d->time_lock);
fail_slab:
    pthread_mutex_destroy(&d->slab_lock);
    return rc;
}

/* tk__driver_destroy: free the pages of registrations, the wheel and the poller. */
void tk__driver_destroy(tk__driver *d)
{
    for (unsigned i = 0; i < d->page_count; i++) {
        tk__scheduled_io *page = atomic_load_explicit(&d->pages[i], memory_order_relaxed);
        for (unsigned j = 0; j < TK__IO_PAGE_SIZE; j++) {
            rt_waker_drop(&page[j].reader);
            rt_waker_drop(&page[j].writer);
            pthread_mutex_destroy(&page[j].waker_lock);
        }
        rt_free(page);
    }
    if (d->wheel)
        rt_timers_free(d->wheel);
    if (d->poller)
        rt_poller_free(d->poller);
    pthread_mutex_destroy(&d->time_lock);
    pthread_mutex_destroy(&d->slab_lock);
}

/* tk__park_timeout: the caller's limit, shortened to the next timer. */
static int tk__park_timeout(tk__driver *d, int timeout_ms)
{
    if (!d->wheel)
        return timeout_ms;
    uint64_t next = tk__time_next_deadline(d); /* also publishes next_wake_ms */
    if (next == UINT64_MAX)
        return timeout_ms;
    uint64_t now = tk__time_now_ms(d);
    uint64_t wait = next > now ? next - now : 0;
    if (wait > INT32_MAX)
        wait = INT32_MAX;
    if (timeout_ms < 0 || (uint64_t)timeout_ms > wait)
        return (int)wait;
    return timeout_ms;
}

/* tk__driver_park: one turn of the driver. */
void tk__driver_park(tk__driver *d, int timeout_ms)
{
    int timeout = tk__park_timeout(d, timeout_ms);
    if (d->poller) {
        rt_poll_event events[TK__EVENTS_PER_PARK];
        int n = rt_poller_wait(d->poller, events, TK__EVENTS_PER_PARK, timeout);
        /* The tick marks this batch of edges; an operation that saw an older tick and got
         * EAGAIN will not clear readiness set by this one. */
        d->tick = (d->tick + 1) & 0xffff;
        for (int i = 0; i < n; i++)
            tk__io_dispatch(d, events[i].token, events[i].events);
        if (n > 0)
            rt_metrics_add(&d->io_ready_events, (uint64_t)n);
    } else if (timeout != 0) {
        if (timeout < 0)
            rt_parker_park(&d->parker);
        else
            rt_parker_park_timeout(&d->parker, (uint64_t)timeout * 1000000u);
    }
    atomic_store_explicit(&d->next_wake_ms, UINT64_MAX, memory_order_relaxed);
    if (d->wheel)
        tk__time_process(d);
}

/* tk__driver_unpark: the eventfd if there is a poller, else the futex. Either way a wake
 * that comes before the park is remembered, so it cannot fall into the gap. */
void tk__driver_unpark(tk__driver *d)
{
    if (d->poller)
        rt_poller_notify(d->poller);
    else
        rt_parker_unpark(&d->parker);
}
