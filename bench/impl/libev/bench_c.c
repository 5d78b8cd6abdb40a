/* bench_c.c (rtb-libev): bench.c natively on libev, ev_timer_again for the -t timeouts. */
#include "evb.h"

#include "rt_alloc.h"
#include "rt_qnode.h"
#include "rtb_benchc.h"
#include "rtb_util.h"

/*
 * This is the "native" mode of the bench.c that libev's author used for his libev/libevent
 * comparison: an ev_io per read end, and with -t an ev_timer per end whose repeat is set to
 * 10 s + jitter and re-armed with ev_timer_again on every event. ev_timer_again on an active
 * timer moves it within the heap instead of removing and re-inserting it, which is why libev
 * is cheap on this variant.
 */

typedef struct evb__pipe {
    ev_io io;
    ev_timer timeout;
    uint64_t idx;
} evb__pipe;

static rtb_benchc evb__b;

/* evb__arm: (re)arm pipe p's 10 s + jitter timeout, as bench.c -t does on every event. */
static void evb__arm(struct ev_loop *loop, evb__pipe *p)
{
    p->timeout.repeat = (double)rtb_benchc_timeout_ms() / 1e3;
    ev_timer_again(loop, &p->timeout);
}

/* evb__read_cb: bench.c's read_cb: re-arm the timeout (-t), then read and chain. */
static void evb__read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    evb__pipe *p = rt_container_of(w, evb__pipe, io);
    if (evb__b.timeouts)
        evb__arm(loop, p);
    rtb_benchc_on_read(&evb__b, p->idx);
}

/* evb__timeout_cb: a 10 s timeout expired, which a run of milliseconds must never see. */
static void evb__timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)w, (void)revents;
    evb__b.timeout_fired++;
}

/* evb_bench_c: 25 iterations; each re-registers every watcher (untimed), kicks, and spins. */
int evb_bench_c(rtb_args *args)
{
    rtb_benchc_params(&evb__b, args);
    rtb_benchc_open(&evb__b);
    struct ev_loop *loop = evb_loop_new();
    evb__pipe *pipes = rt_calloc(evb__b.n, sizeof *pipes);
    if (pipes == NULL)
        rtb_fail("out of memory for %llu watchers", (unsigned long long)evb__b.n);
    for (uint64_t i = 0; i < evb__b.n; i++) {
        pipes[i].idx = i;
        ev_init(&pipes[i].io, evb__read_cb);
        ev_init(&pipes[i].timeout, evb__timeout_cb);
    }
    for (int iter = 0; iter < RTB_BENCHC_ITERATIONS; iter++) {
        for (uint64_t i = 0; i < evb__b.n; i++) {
            if (ev_is_active(&pipes[i].io))
                ev_io_stop(loop, &pipes[i].io);
            ev_io_set(&pipes[i].io, evb__b.fds[2 * i], EV_READ);
            ev_io_start(loop, &pipes[i].io);
            if (evb__b.timeouts)
                evb__arm(loop, &pipes[i]);
        }
        ev_run(loop, EVRUN_NOWAIT);
        rtb_benchc_kick(&evb__b);
        uint64_t t0 = rtb_now_ns();
        do
            ev_run(loop, EVRUN_NOWAIT);
        while (!rtb_benchc_done(&evb__b));
        rtb_benchc_end(&evb__b, t0, rtb_now_ns());
    }
    rtb_benchc_report(&evb__b);
    for (uint64_t i = 0; i < evb__b.n; i++) {
        ev_io_stop(loop, &pipes[i].io);
        ev_timer_stop(loop, &pipes[i].timeout);
    }
    ev_loop_destroy(loop);
    rt_free(pipes);
    rtb_benchc_close(&evb__b);
    return 0;
}
