/* timers.c (rtb-libev): million_timers with ev_timer, and timer_churn with ev_timer_again. */
#include "evb.h"

#include "rt_alloc.h"
#include "rtb_timers.h"
#include "rtb_util.h"

/*
 * libev keeps timers in a 4-ary heap (by default) of deadlines cached next to the watcher
 * pointers, so starting N timers is N heap inserts and firing them is N heap pops. Timers due
 * in the same loop iteration are queued as pending and then invoked; the order among those is
 * libev's business, which is why the check here is "each exactly once", not an order.
 */

static rtb_mt evb__mt;
static ev_timer *evb__timers;

/* evb__mt_cb: one million_timers timer fired; its index is its place in the array. */
static void evb__mt_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    rtb_mt_fire(&evb__mt, (uint64_t)(w - evb__timers));
}

/* evb_million_timers: init (init + start), dispatch (ev_run), cleanup (ev_timer_stop each). */
int evb_million_timers(rtb_args *args)
{
    rtb_mt_params(&evb__mt, args);
    uint64_t n = evb__mt.n;
    evb__timers = rt_malloc(n * sizeof *evb__timers);
    if (evb__timers == NULL)
        rtb_fail("out of memory for %llu timers", (unsigned long long)n);
    struct ev_loop *loop = evb_loop_new();

    evb__mt.t_init = rtb_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        ev_timer_init(&evb__timers[i], evb__mt_cb, (double)rtb_mt_timeout_ms(i) / 1e3, 0.);
        ev_timer_start(loop, &evb__timers[i]);
    }
    evb__mt.t_run = rtb_now_ns();
    uint64_t cpu0 = rtb_thread_cpu_ns();
    ev_run(loop, 0);
    evb__mt.cpu_dispatch = rtb_thread_cpu_ns() - cpu0;
    evb__mt.t_ran = rtb_now_ns();
    /* A fired one-shot ev_timer is already inactive; stopping it is what the API asks, and free. */
    for (uint64_t i = 0; i < n; i++)
        ev_timer_stop(loop, &evb__timers[i]);
    evb__mt.t_done = rtb_now_ns();

    rtb_mt_report(&evb__mt, 0);
    ev_loop_destroy(loop);
    rt_free(evb__timers);
    return 0;
}

static rtb_churn evb__churn;
static ev_timer *evb__churn_timers;

/* evb__churn_timeout_cb: a 10 s timeout fired; the run fails at the report. */
static void evb__churn_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)w, (void)revents;
    evb__churn.fired++;
}

/* evb__churn_round: one round per loop iteration: every watcher re-arms with ev_timer_again. */
static void evb__churn_round(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)revents;
    for (uint64_t k = 0; k < evb__churn.watchers; k++) {
        evb__churn_timers[k].repeat = (double)rtb_churn_timeout_ms(&evb__churn) / 1e3;
        ev_timer_again(loop, &evb__churn_timers[k]);
    }
    if (++evb__churn.rounds_done < evb__churn.rounds)
        return;
    evb__churn.t1 = rtb_now_ns();
    ev_idle_stop(loop, w);
    for (uint64_t k = 0; k < evb__churn.watchers; k++) {
        if (!ev_is_active(&evb__churn_timers[k]))
            rtb_fail("timer_churn: watcher %llu lost its timeout", (unsigned long long)k);
        ev_timer_stop(loop, &evb__churn_timers[k]);
    }
}

/* evb_timer_churn: W armed ev_timers, R rounds driven by an ev_idle watcher. */
int evb_timer_churn(rtb_args *args)
{
    rtb_churn_params(&evb__churn, args);
    evb__churn_timers = rt_calloc(evb__churn.watchers, sizeof *evb__churn_timers);
    if (evb__churn_timers == NULL)
        rtb_fail("out of memory for %llu timers", (unsigned long long)evb__churn.watchers);
    struct ev_loop *loop = evb_loop_new();
    for (uint64_t k = 0; k < evb__churn.watchers; k++) {
        ev_init(&evb__churn_timers[k], evb__churn_timeout_cb);
        evb__churn_timers[k].repeat = (double)rtb_churn_timeout_ms(&evb__churn) / 1e3;
        ev_timer_again(loop, &evb__churn_timers[k]);
    }
    ev_idle idle;
    ev_idle_init(&idle, evb__churn_round);
    ev_idle_start(loop, &idle);
    evb__churn.t0 = rtb_now_ns();
    ev_run(loop, 0);
    rtb_churn_report(&evb__churn);
    ev_loop_destroy(loop);
    rt_free(evb__churn_timers);
    return 0;
}
