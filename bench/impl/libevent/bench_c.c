/* bench_c.c (rtb-libevent): libevent's own test/bench.c, with the -t per-event timeout variant. */
#include "leb.h"

#include <event2/event_struct.h>

#include "rt_alloc.h"
#include "rtb_benchc.h"
#include "rtb_util.h"

/*
 * As in bench.c, the events live in a caller-owned array (struct event from event_struct.h)
 * and are re-set before every iteration with event_del + event_assign + event_add, then one
 * non-blocking loop pass runs untimed. With -t every event is added with a 10 s + jitter
 * timeout, and the callback re-adds it with a fresh one: in libevent that moves the event
 * within the min-heap of timeouts, which is the cost this variant exposes.
 */

static rtb_benchc leb__b;
static struct event *leb__events;

/* leb__timeout: bench.c's 10 s plus up to 1 s of jitter, as a timeval. */
static struct timeval leb__timeout(void)
{
    uint64_t ms = rtb_benchc_timeout_ms();
    struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
    return tv;
}

/* leb__read_cb: bench.c's read_cb: on a timeout count it; else re-arm (-t), read and chain. */
static void leb__read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    uint64_t idx = (uint64_t)(uintptr_t)arg;
    if (what & EV_TIMEOUT) {
        leb__b.timeout_fired++;
        return;
    }
    if (leb__b.timeouts) {
        struct timeval tv = leb__timeout();
        event_del(&leb__events[idx]);
        event_add(&leb__events[idx], &tv);
    }
    rtb_benchc_on_read(&leb__b, idx);
}

/* leb_bench_c: 25 iterations: re-set all events (untimed), kick, spin EVLOOP_ONCE|NONBLOCK. */
int leb_bench_c(rtb_args *args)
{
    rtb_benchc_params(&leb__b, args);
    rtb_benchc_open(&leb__b);
    struct event_base *base = leb_base_new();
    leb__events = rt_calloc(leb__b.n, sizeof *leb__events);
    if (leb__events == NULL)
        rtb_fail("out of memory for %llu events", (unsigned long long)leb__b.n);
    for (int iter = 0; iter < RTB_BENCHC_ITERATIONS; iter++) {
        for (uint64_t i = 0; i < leb__b.n; i++) {
            if (iter > 0)
                event_del(&leb__events[i]);
            event_assign(&leb__events[i], base, leb__b.fds[2 * i], EV_READ | EV_PERSIST,
                         leb__read_cb, (void *)(uintptr_t)i);
            if (leb__b.timeouts) {
                struct timeval tv = leb__timeout();
                event_add(&leb__events[i], &tv);
            } else {
                event_add(&leb__events[i], NULL);
            }
        }
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        rtb_benchc_kick(&leb__b);
        uint64_t t0 = rtb_now_ns();
        do
            event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        while (!rtb_benchc_done(&leb__b));
        rtb_benchc_end(&leb__b, t0, rtb_now_ns());
    }
    rtb_benchc_report(&leb__b);
    for (uint64_t i = 0; i < leb__b.n; i++)
        event_del(&leb__events[i]);
    event_base_free(base);
    rt_free(leb__events);
    rtb_benchc_close(&leb__b);
    return 0;
}
