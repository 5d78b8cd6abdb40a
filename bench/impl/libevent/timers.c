/* timers.c (rtb-libevent): million_timers with evtimer events, timer_churn with evtimer_add. */
#include "leb.h"

#include <event2/event_struct.h>

#include "rt_alloc.h"
#include "rtb_timers.h"
#include "rtb_util.h"

/*
 * libevent keeps timeouts in a binary min-heap (plus optional "common timeout" queues, which
 * an application must ask for; the plain idiom does not). The events live in a caller-owned
 * array, as libuv's benchmark keeps its handles, so neither side's figure includes a malloc per
 * timer. A fired non-persistent timer is no longer pending; cleanup is an event_del on each,
 * which the API requires before the memory is reused and which is then nearly free.
 */

static rtb_mt leb__mt;
static struct event *leb__timers;

/* leb__mt_cb: one timer fired; its argument is its index. */
static void leb__mt_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    rtb_mt_fire(&leb__mt, (uint64_t)(uintptr_t)arg);
}

/* leb_million_timers: init (assign + add), dispatch (event_base_dispatch), cleanup (event_del). */
int leb_million_timers(rtb_args *args)
{
    rtb_mt_params(&leb__mt, args);
    uint64_t n = leb__mt.n;
    leb__timers = rt_malloc(n * sizeof *leb__timers);
    if (leb__timers == NULL)
        rtb_fail("out of memory for %llu timers", (unsigned long long)n);
    struct event_base *base = leb_base_new();

    leb__mt.t_init = rtb_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t ms = rtb_mt_timeout_ms(i);
        struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
                              .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
        evtimer_assign(&leb__timers[i], base, leb__mt_cb, (void *)(uintptr_t)i);
        if (evtimer_add(&leb__timers[i], &tv) != 0)
            rtb_fail("evtimer_add failed at timer %llu", (unsigned long long)i);
    }
    leb__mt.t_run = rtb_now_ns();
    uint64_t cpu0 = rtb_thread_cpu_ns();
    event_base_dispatch(base);
    leb__mt.cpu_dispatch = rtb_thread_cpu_ns() - cpu0;
    leb__mt.t_ran = rtb_now_ns();
    for (uint64_t i = 0; i < n; i++)
        event_del(&leb__timers[i]);
    leb__mt.t_done = rtb_now_ns();

    rtb_mt_report(&leb__mt, 0);
    event_base_free(base);
    rt_free(leb__timers);
    return 0;
}

static rtb_churn leb__churn;
static struct event *leb__churn_timers;
static struct event *leb__driver;

/* leb__churn_timeout_cb: a 10 s timeout fired; the run fails at the report. */
static void leb__churn_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    leb__churn.fired++;
}

/* leb__churn_add: (re)add watcher k's timeout with a fresh 10 s + jitter. */
static void leb__churn_add(uint64_t k)
{
    uint64_t ms = rtb_churn_timeout_ms(&leb__churn);
    struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
    if (evtimer_add(&leb__churn_timers[k], &tv) != 0)
        rtb_fail("evtimer_add failed");
}

/*
 * libevent has no idle watcher; an event re-added with a zero timeout is its way to run again on
 * the next loop iteration, after the poll, which is what a round per iteration needs.
 */

/* leb__churn_round: one round: every watcher re-adds its timeout; the last round checks and ends. */
static void leb__churn_round(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    for (uint64_t k = 0; k < leb__churn.watchers; k++)
        leb__churn_add(k);
    if (++leb__churn.rounds_done < leb__churn.rounds) {
        struct timeval zero = { 0, 0 };
        evtimer_add(leb__driver, &zero);
        return;
    }
    leb__churn.t1 = rtb_now_ns();
    for (uint64_t k = 0; k < leb__churn.watchers; k++) {
        if (!evtimer_pending(&leb__churn_timers[k], NULL))
            rtb_fail("timer_churn: watcher %llu lost its timeout", (unsigned long long)k);
        event_del(&leb__churn_timers[k]);
    }
}

/* leb_timer_churn: W pending evtimers, R rounds driven by a zero-timeout event. */
int leb_timer_churn(rtb_args *args)
{
    rtb_churn_params(&leb__churn, args);
    leb__churn_timers = rt_calloc(leb__churn.watchers, sizeof *leb__churn_timers);
    if (leb__churn_timers == NULL)
        rtb_fail("out of memory for %llu timers", (unsigned long long)leb__churn.watchers);
    struct event_base *base = leb_base_new();
    for (uint64_t k = 0; k < leb__churn.watchers; k++) {
        evtimer_assign(&leb__churn_timers[k], base, leb__churn_timeout_cb, NULL);
        leb__churn_add(k);
    }
    leb__driver = evtimer_new(base, leb__churn_round, NULL);
    struct timeval zero = { 0, 0 };
    if (leb__driver == NULL || evtimer_add(leb__driver, &zero) != 0)
        rtb_fail("evtimer_new/evtimer_add failed");
    leb__churn.t0 = rtb_now_ns();
    event_base_dispatch(base);
    rtb_churn_report(&leb__churn);
    event_free(leb__driver);
    event_base_free(base);
    rt_free(leb__churn_timers);
    return 0;
}
