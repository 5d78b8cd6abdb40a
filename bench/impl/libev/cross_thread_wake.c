/* cross_thread_wake.c (rtb-libev): K threads ev_async_send one ev_async watcher. */
#include "evb.h"

#include "rtb_wake.h"

/*
 * ev_async_send is libev's only thread-safe call: it sets the watcher's pending flag and, if the
 * flag was clear, pokes the loop through an eventfd. Sends that find the flag already set are
 * absorbed, which is the coalescing this workload measures.
 */

static rtb_wake evb__w;
static struct ev_loop *evb__loop;
static ev_async evb__async;

/* evb__send: the wake primitive as the sender threads call it. */
static void evb__send(void *ctx)
{
    (void)ctx;
    ev_async_send(evb__loop, &evb__async);
}

/* evb__async_cb: one callback; when it has seen every wake, break out of ev_run. */
static void evb__async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)w, (void)revents;
    if (rtb_wake_on_callback(&evb__w))
        ev_break(loop, EVBREAK_ALL);
}

/* evb_cross_thread_wake: run until the callback that observes all K * M wakes. */
int evb_cross_thread_wake(rtb_args *args)
{
    rtb_wake_params(&evb__w, args);
    evb__loop = evb_loop_new();
    ev_async_init(&evb__async, evb__async_cb);
    ev_async_start(evb__loop, &evb__async);
    rtb_wake_spawn(&evb__w, evb__send, NULL);
    rtb_wake_go(&evb__w);
    ev_run(evb__loop, 0);
    /* Senders may still be inside their last ev_async_send; the watcher stays valid until joined. */
    rtb_wake_join(&evb__w);
    ev_async_stop(evb__loop, &evb__async);
    rtb_wake_report(&evb__w);
    ev_loop_destroy(evb__loop);
    return 0;
}
