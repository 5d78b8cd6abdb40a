/* bench_c.c (rtb-libuv): bench.c on uv_poll_t watchers, with a uv_timer_t per pipe for -t. */
#include "uvb.h"

#include "rt_alloc.h"
#include "rt_qnode.h"
#include "rtb_benchc.h"
#include "rtb_util.h"

/*
 * bench.c's callbacks do their own reads and writes, so the libuv counterpart is uv_poll_t,
 * libuv's "tell me when this descriptor is ready" handle (a uv_pipe_t would read for us, in
 * 64 KiB gulps, and change what is measured). Each iteration re-registers every poll handle
 * (uv_poll_stop + uv_poll_start, untimed), runs one untimed UV_RUN_NOWAIT turn, kicks, and spins
 * UV_RUN_NOWAIT until every byte is read. With -t each pipe also has a uv_timer_t, restarted on
 * every event with 10 s + jitter: uv_timer_start on an active timer removes and re-inserts it
 * in libuv's timer heap.
 */

typedef struct uvb__pipe {
    uv_poll_t poll;
    uv_timer_t timeout;
    uint64_t idx;
} uvb__pipe;

static rtb_benchc uvb__b;

/* uvb__timeout_cb: a 10 s timeout fired, which a run of milliseconds must never see. */
static void uvb__timeout_cb(uv_timer_t *t)
{
    (void)t;
    uvb__b.timeout_fired++;
}

/* uvb__arm: (re)start pipe p's timeout with 10 s + jitter. */
static void uvb__arm(uvb__pipe *p)
{
    int rc = uv_timer_start(&p->timeout, uvb__timeout_cb, rtb_benchc_timeout_ms(), 0);
    if (rc < 0)
        uvb_fail("uv_timer_start", rc);
}

/* uvb__read_cb: bench.c's read_cb: re-arm (-t), then read and chain. */
static void uvb__read_cb(uv_poll_t *h, int status, int events)
{
    (void)events;
    if (status < 0)
        uvb_fail("uv_poll", status);
    uvb__pipe *p = rt_container_of(h, uvb__pipe, poll);
    if (uvb__b.timeouts)
        uvb__arm(p);
    rtb_benchc_on_read(&uvb__b, p->idx);
}

/* uvb_bench_c: 25 iterations of the chained-writes benchmark. */
int uvb_bench_c(rtb_args *args)
{
    rtb_benchc_params(&uvb__b, args);
    rtb_benchc_open(&uvb__b);
    uv_loop_t loop;
    int rc = uv_loop_init(&loop);
    if (rc < 0)
        uvb_fail("uv_loop_init", rc);
    uvb__pipe *pipes = rt_calloc(uvb__b.n, sizeof *pipes);
    if (pipes == NULL)
        rtb_fail("out of memory for %llu handles", (unsigned long long)uvb__b.n);
    for (uint64_t i = 0; i < uvb__b.n; i++) {
        pipes[i].idx = i;
        if ((rc = uv_poll_init(&loop, &pipes[i].poll, uvb__b.fds[2 * i])) < 0
            || (rc = uv_timer_init(&loop, &pipes[i].timeout)) < 0)
            uvb_fail("uv_poll_init/uv_timer_init", rc);
    }
    for (int iter = 0; iter < RTB_BENCHC_ITERATIONS; iter++) {
        for (uint64_t i = 0; i < uvb__b.n; i++) {
            uv_poll_stop(&pipes[i].poll);
            if ((rc = uv_poll_start(&pipes[i].poll, UV_READABLE, uvb__read_cb)) < 0)
                uvb_fail("uv_poll_start", rc);
            if (uvb__b.timeouts)
                uvb__arm(&pipes[i]);
        }
        uv_run(&loop, UV_RUN_NOWAIT);
        rtb_benchc_kick(&uvb__b);
        uint64_t t0 = rtb_now_ns();
        do
            uv_run(&loop, UV_RUN_NOWAIT);
        while (!rtb_benchc_done(&uvb__b));
        rtb_benchc_end(&uvb__b, t0, rtb_now_ns());
    }
    rtb_benchc_report(&uvb__b);
    for (uint64_t i = 0; i < uvb__b.n; i++) {
        uv_close((uv_handle_t *)&pipes[i].poll, NULL);
        uv_close((uv_handle_t *)&pipes[i].timeout, NULL);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0)
        rtb_fail("uv_loop_close: handles left open");
    rt_free(pipes);
    rtb_benchc_close(&uvb__b);
    return 0;
}
