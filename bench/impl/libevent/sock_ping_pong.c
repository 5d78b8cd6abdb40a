/* sock_ping_pong.c (rtb-libevent): a persistent read event per socket end, plain read/write. */
#include "leb.h"

#include "rt_alloc.h"
#include "rtb_pingpong.h"
#include "rtb_util.h"

/*
 * libevent's core idiom: event_new(base, fd, EV_READ | EV_PERSIST, cb, arg) and a callback
 * that reads and writes with the system calls. A finished pair deletes its two events;
 * event_base_dispatch returns by itself once no event is left.
 */

static rtb_pp leb__pp;
static struct event **leb__events;  /* events[2 * pair + end] */

/* leb__readable: an end has data; on the pair's last round trip delete both of its events. */
static void leb__readable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    uint64_t tag = (uint64_t)(uintptr_t)arg;
    uint64_t pair = tag >> 1;
    if (rtb_pp_readable(&leb__pp, pair, (unsigned)(tag & 1))) {
        event_del(leb__events[2 * pair]);
        event_del(leb__events[2 * pair + 1]);
    }
}

/* leb_sock_ping_pong: the workload; metric ns per round trip over all pairs. */
int leb_sock_ping_pong(rtb_args *args)
{
    rtb_pp_params(&leb__pp, args);
    rtb_pp_open(&leb__pp);
    struct event_base *base = leb_base_new();
    uint64_t nev = 2 * leb__pp.npairs;
    leb__events = rt_calloc(nev, sizeof *leb__events);
    if (leb__events == NULL)
        rtb_fail("out of memory for %llu events", (unsigned long long)nev);
    for (uint64_t i = 0; i < nev; i++) {
        int fd = leb__pp.pairs[i >> 1].fd[i & 1];
        leb__events[i] = event_new(base, fd, EV_READ | EV_PERSIST, leb__readable,
                                   (void *)(uintptr_t)i);
        if (leb__events[i] == NULL || event_add(leb__events[i], NULL) != 0)
            rtb_fail("event_new/event_add failed");
    }
    /* One non-blocking pass applies the changelist to epoll outside the timed part. */
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);

    uint64_t t0 = rtb_now_ns();
    for (uint64_t i = 0; i < leb__pp.npairs; i++)
        rtb_pp_write(leb__pp.pairs[i].fd[0], leb__pp.pairs[i].next);
    event_base_dispatch(base);
    uint64_t t1 = rtb_now_ns();

    rtb_pp_report(&leb__pp, t0, t1);
    for (uint64_t i = 0; i < nev; i++)
        event_free(leb__events[i]);
    rt_free(leb__events);
    event_base_free(base);
    rtb_pp_close(&leb__pp);
    return 0;
}
