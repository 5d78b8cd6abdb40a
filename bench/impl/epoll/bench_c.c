/* bench_c.c (rtb-epoll): libevent's test/bench.c on a bare, level-triggered epoll loop. */
#include "epb.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "rtb_benchc.h"
#include "rtb_util.h"

/*
 * The floor registers each read end once; the libraries re-register before every iteration
 * (bench.c's event_del/event_set/event_add), but that is outside the timed part, so it changes
 * nothing measured. Polling is non-blocking (timeout 0) as in bench.c's EVLOOP_NONBLOCK, so a
 * chain of events is processed by spinning, not sleeping, in every runtime alike.
 */

#define EPB__BATCH 256

/* epb_bench_c: 25 iterations of the chained-writes benchmark; timeouts=1 has no equivalent. */
int epb_bench_c(rtb_args *args)
{
    rtb_benchc b;
    rtb_benchc_params(&b, args);
    if (b.timeouts)
        rtb_unsupported("the bare epoll floor has no timer queue to re-arm a timeout in (-t)");
    rtb_benchc_open(&b);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        rtb_fail_errno("epoll_create1");
    for (uint64_t i = 0; i < b.n; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, b.fds[2 * i], &ev) != 0)
            rtb_fail_errno("epoll_ctl");
    }
    struct epoll_event evs[EPB__BATCH];
    for (int iter = 0; iter < RTB_BENCHC_ITERATIONS; iter++) {
        rtb_benchc_kick(&b);
        uint64_t t0 = rtb_now_ns();
        do {
            int n = epoll_wait(ep, evs, EPB__BATCH, 0);
            if (n < 0 && errno != EINTR)
                rtb_fail_errno("epoll_wait");
            for (int k = 0; k < n; k++)
                rtb_benchc_on_read(&b, evs[k].data.u64);
        } while (!rtb_benchc_done(&b));
        rtb_benchc_end(&b, t0, rtb_now_ns());
    }
    rtb_benchc_report(&b);
    close(ep);
    rtb_benchc_close(&b);
    return 0;
}
