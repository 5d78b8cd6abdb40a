/* cross_thread_wake.c (rtb-libuv): K threads uv_async_send one uv_async_t (libuv's async benchmarks). */
#include "uvb.h"

#include "rtb_wake.h"

/*
 * uv_async_send is libuv's one thread-safe call: it marks the handle pending with an atomic
 * exchange and, only if it was not pending already, writes the loop's eventfd. Sends that find
 * it pending cost one atomic and are absorbed into the callback already owed; libuv documents
 * this coalescing ("the callback may be called less often than uv_async_send").
 */

static rtb_wake uvb__w;
static uv_async_t uvb__async;

/* uvb__send: the wake primitive as the sender threads call it. */
static void uvb__send(void *ctx)
{
    (void)ctx;
    uv_async_send(&uvb__async);
}

/* uvb__async_cb: one callback; when it has seen every wake, stop the loop. */
static void uvb__async_cb(uv_async_t *h)
{
    if (rtb_wake_on_callback(&uvb__w))
        uv_stop(h->loop);
}

/* uvb_cross_thread_wake: run until the callback that observes all K * M wakes. */
int uvb_cross_thread_wake(rtb_args *args)
{
    rtb_wake_params(&uvb__w, args);
    uv_loop_t loop;
    int rc = uv_loop_init(&loop);
    if (rc < 0 || (rc = uv_async_init(&loop, &uvb__async, uvb__async_cb)) < 0)
        uvb_fail("uv_loop_init/uv_async_init", rc);
    rtb_wake_spawn(&uvb__w, uvb__send, NULL);
    rtb_wake_go(&uvb__w);
    uv_run(&loop, UV_RUN_DEFAULT);
    /* A sender may still be inside its last uv_async_send: join before closing the handle. */
    rtb_wake_join(&uvb__w);
    uv_close((uv_handle_t *)&uvb__async, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    rtb_wake_report(&uvb__w);
    if (uv_loop_close(&loop) != 0)
        rtb_fail("uv_loop_close: handles left open");
    return 0;
}
