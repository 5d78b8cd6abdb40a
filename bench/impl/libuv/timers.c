/* timers.c (rtb-libuv): libuv's million-timers benchmark, and timer_churn with uv_timer_start. */
#include "uvb.h"

#include "rt_alloc.h"
#include "rtb_timers.h"
#include "rtb_util.h"

/*
 * million_timers is libuv's test/benchmark-million-timers.c phase for phase: init is
 * uv_timer_init + uv_timer_start per handle, dispatch is uv_run until the heap is empty, and
 * cleanup is uv_close on every handle plus the uv_run that delivers the close callbacks,
 * because a libuv handle is only released through the loop. Timeouts are relative to the
 * loop's cached time (uv_now), which is not updated while the handles are started, exactly as
 * in the original.
 */

static rtb_mt uvb__mt;
static uv_timer_t *uvb__timers;

/* uvb__mt_cb: one timer fired; its index is its place in the array. */
static void uvb__mt_cb(uv_timer_t *t)
{
    rtb_mt_fire(&uvb__mt, (uint64_t)(t - uvb__timers));
}

/* uvb__mt_closed: one handle's close callback: it is released. */
static void uvb__mt_closed(uv_handle_t *h)
{
    (void)h;
    uvb__mt.released++;
}

/* uvb_million_timers: init, dispatch and cleanup as in the libuv benchmark. */
int uvb_million_timers(rtb_args *args)
{
    rtb_mt_params(&uvb__mt, args);
    uint64_t n = uvb__mt.n;
    uvb__timers = rt_malloc(n * sizeof *uvb__timers);
    if (uvb__timers == NULL)
        rtb_fail("out of memory for %llu timers", (unsigned long long)n);
    uv_loop_t loop;
    int rc = uv_loop_init(&loop);
    if (rc < 0)
        uvb_fail("uv_loop_init", rc);

    uvb__mt.t_init = rtb_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        if ((rc = uv_timer_init(&loop, &uvb__timers[i])) < 0
            || (rc = uv_timer_start(&uvb__timers[i], uvb__mt_cb, rtb_mt_timeout_ms(i), 0)) < 0)
            uvb_fail("uv_timer_start", rc);
    }
    uvb__mt.t_run = rtb_now_ns();
    uint64_t cpu0 = rtb_thread_cpu_ns();
    uv_run(&loop, UV_RUN_DEFAULT);
    uvb__mt.cpu_dispatch = rtb_thread_cpu_ns() - cpu0;
    uvb__mt.t_ran = rtb_now_ns();
    for (uint64_t i = 0; i < n; i++)
        uv_close((uv_handle_t *)&uvb__timers[i], uvb__mt_closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    uvb__mt.t_done = rtb_now_ns();

    rtb_mt_report(&uvb__mt, 1);
    if (uv_loop_close(&loop) != 0)
        rtb_fail("uv_loop_close: handles left open");
    rt_free(uvb__timers);
    return 0;
}

static rtb_churn uvb__churn;
static uv_timer_t *uvb__churn_timers;

/* uvb__churn_timeout_cb: a 10 s timeout fired; the run fails at the report. */
static void uvb__churn_timeout_cb(uv_timer_t *t)
{
    (void)t;
    uvb__churn.fired++;
}

/* uvb__churn_start: (re)start watcher k with a fresh 10 s + jitter. */
static void uvb__churn_start(uint64_t k)
{
    int rc = uv_timer_start(&uvb__churn_timers[k], uvb__churn_timeout_cb,
                            rtb_churn_timeout_ms(&uvb__churn), 0);
    if (rc < 0)
        uvb_fail("uv_timer_start", rc);
}

/* uvb__churn_round: one round per loop iteration (an idle handle keeps the loop from sleeping). */
static void uvb__churn_round(uv_idle_t *idle)
{
    for (uint64_t k = 0; k < uvb__churn.watchers; k++)
        uvb__churn_start(k);
    if (++uvb__churn.rounds_done < uvb__churn.rounds)
        return;
    uvb__churn.t1 = rtb_now_ns();
    uv_close((uv_handle_t *)idle, NULL);
    for (uint64_t k = 0; k < uvb__churn.watchers; k++) {
        if (!uv_is_active((uv_handle_t *)&uvb__churn_timers[k]))
            rtb_fail("timer_churn: watcher %llu lost its timeout", (unsigned long long)k);
        uv_close((uv_handle_t *)&uvb__churn_timers[k], NULL);
    }
}

/* uvb_timer_churn: W started timers, R rounds driven by a uv_idle_t. */
int uvb_timer_churn(rtb_args *args)
{
    rtb_churn_params(&uvb__churn, args);
    uvb__churn_timers = rt_calloc(uvb__churn.watchers, sizeof *uvb__churn_timers);
    if (uvb__churn_timers == NULL)
        rtb_fail("out of memory for %llu timers", (unsigned long long)uvb__churn.watchers);
    uv_loop_t loop;
    int rc = uv_loop_init(&loop);
    if (rc < 0)
        uvb_fail("uv_loop_init", rc);
    for (uint64_t k = 0; k < uvb__churn.watchers; k++) {
        if ((rc = uv_timer_init(&loop, &uvb__churn_timers[k])) < 0)
            uvb_fail("uv_timer_init", rc);
        uvb__churn_start(k);
    }
    uv_idle_t idle;
    if ((rc = uv_idle_init(&loop, &idle)) < 0 || (rc = uv_idle_start(&idle, uvb__churn_round)) < 0)
        uvb_fail("uv_idle", rc);
    uvb__churn.t0 = rtb_now_ns();
    uv_run(&loop, UV_RUN_DEFAULT);
    rtb_churn_report(&uvb__churn);
    if (uv_loop_close(&loop) != 0)
        rtb_fail("uv_loop_close: handles left open");
    rt_free(uvb__churn_timers);
    return 0;
}
