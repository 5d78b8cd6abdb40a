/* cross_thread_wake.c (rtb-libevent): K threads event_active one event on a thread-safe base. */
#include "leb.h"

#include <event2/thread.h>

#include "rtb_wake.h"

/*
 * libevent's cross-thread wake: with evthread_use_pthreads() the base has a lock and a notify
 * eventfd, and event_active() from another thread takes the lock, queues the event as active
 * and wakes the loop if it sleeps. An event that is already active just gets its flags or-ed
 * in: that is where wakes coalesce. The event is never added, only activated, so the loop is
 * told not to exit for lack of events (EVLOOP_NO_EXIT_ON_EMPTY).
 */

static rtb_wake leb__w;
static struct event *leb__ev;

/* leb__send: the wake primitive as the sender threads call it. */
static void leb__send(void *ctx)
{
    (void)ctx;
    event_active(leb__ev, EV_READ, 0);
}

/* leb__cb: one callback; when it has seen every wake, break the loop. */
static void leb__cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    if (rtb_wake_on_callback(&leb__w))
        event_base_loopbreak(arg);
}

/* leb_cross_thread_wake: run until the callback that observes all K * M wakes. */
int leb_cross_thread_wake(rtb_args *args)
{
    rtb_wake_params(&leb__w, args);
    if (evthread_use_pthreads() != 0)
        rtb_fail("evthread_use_pthreads failed");
    struct event_base *base = leb_base_new();
    leb__ev = event_new(base, -1, 0, leb__cb, base);
    if (leb__ev == NULL)
        rtb_fail("event_new failed");
    rtb_wake_spawn(&leb__w, leb__send, NULL);
    rtb_wake_go(&leb__w);
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    /* Senders may still be inside their last event_active; the event must outlive them. */
    rtb_wake_join(&leb__w);
    rtb_wake_report(&leb__w);
    event_free(leb__ev);
    event_base_free(base);
    return 0;
}
