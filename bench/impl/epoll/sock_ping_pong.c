/* sock_ping_pong.c (rtb-epoll): P socketpairs trade a 4-byte counter R times on a raw epoll loop. */
#include "epb.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "rtb_pingpong.h"
#include "rtb_util.h"

/*
 * Both ends of every pair sit in one epoll set, level-triggered: with exactly one 4-byte message
 * in flight per direction, one read empties the socket, so edge-triggering would save nothing
 * and cost a drain-to-EAGAIN read. The epoll data word is (pair << 1) | end, so dispatch is an
 * index, not a lookup. This is the floor every runtime's sock_ping_pong is divided by.
 */

#define EPB__BATCH 256

/* epb_sock_ping_pong: the workload; metric ns per round trip over all pairs. */
int epb_sock_ping_pong(rtb_args *args)
{
    rtb_pp pp;
    rtb_pp_params(&pp, args);
    rtb_pp_open(&pp);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        rtb_fail_errno("epoll_create1");
    for (uint64_t i = 0; i < pp.npairs; i++)
        for (unsigned end = 0; end < 2; end++) {
            struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (i << 1) | end };
            if (epoll_ctl(ep, EPOLL_CTL_ADD, pp.pairs[i].fd[end], &ev) != 0)
                rtb_fail_errno("epoll_ctl");
        }

    uint64_t t0 = rtb_now_ns();
    for (uint64_t i = 0; i < pp.npairs; i++)
        rtb_pp_write(pp.pairs[i].fd[0], pp.pairs[i].next);
    struct epoll_event evs[EPB__BATCH];
    while (pp.running > 0) {
        int n = epoll_wait(ep, evs, EPB__BATCH, -1);
        if (n < 0 && errno != EINTR)
            rtb_fail_errno("epoll_wait");
        for (int k = 0; k < n; k++) {
            uint64_t tag = evs[k].data.u64;
            rtb_pp_readable(&pp, tag >> 1, (unsigned)(tag & 1));
        }
    }
    uint64_t t1 = rtb_now_ns();

    rtb_pp_report(&pp, t0, t1);
    close(ep);
    rtb_pp_close(&pp);
    return 0;
}
