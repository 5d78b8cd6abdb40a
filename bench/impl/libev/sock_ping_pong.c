/* sock_ping_pong.c (rtb-libev): an ev_io watcher per socket end, plain read/write in the callback. */
#include "evb.h"

#include "rt_alloc.h"
#include "rt_qnode.h"
#include "rtb_pingpong.h"
#include "rtb_util.h"

/*
 * libev's idiom: a watcher struct embedded in the caller's own struct, found again with
 * container_of, and a callback that does the IO itself (libev never reads or writes for you).
 * A pair that has finished stops both its watchers; ev_run returns by itself when no watcher
 * is left active, so there is no explicit "stop" bookkeeping.
 */

typedef struct evb__end {
    ev_io io;
    uint64_t pair;
    unsigned end;
} evb__end;

static rtb_pp evb__pp;
static evb__end *evb__ends;  /* ends[2 * pair + end] */

/* evb__readable: an end has data; on the pair's last round trip stop both of its watchers. */
static void evb__readable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    evb__end *e = rt_container_of(w, evb__end, io);
    if (rtb_pp_readable(&evb__pp, e->pair, e->end)) {
        ev_io_stop(loop, &evb__ends[2 * e->pair].io);
        ev_io_stop(loop, &evb__ends[2 * e->pair + 1].io);
    }
}

/* evb_sock_ping_pong: the workload; metric ns per round trip over all pairs. */
int evb_sock_ping_pong(rtb_args *args)
{
    rtb_pp_params(&evb__pp, args);
    rtb_pp_open(&evb__pp);
    struct ev_loop *loop = evb_loop_new();
    evb__ends = rt_calloc(2 * evb__pp.npairs, sizeof *evb__ends);
    if (evb__ends == NULL)
        rtb_fail("out of memory for %llu watchers", (unsigned long long)(2 * evb__pp.npairs));
    for (uint64_t i = 0; i < 2 * evb__pp.npairs; i++) {
        evb__end *e = &evb__ends[i];
        e->pair = i >> 1;
        e->end = (unsigned)(i & 1);
        ev_io_init(&e->io, evb__readable, evb__pp.pairs[e->pair].fd[e->end], EV_READ);
        ev_io_start(loop, &e->io);
    }
    /* One non-blocking turn applies the pending registrations outside the timed part. */
    ev_run(loop, EVRUN_NOWAIT);

    uint64_t t0 = rtb_now_ns();
    for (uint64_t i = 0; i < evb__pp.npairs; i++)
        rtb_pp_write(evb__pp.pairs[i].fd[0], evb__pp.pairs[i].next);
    ev_run(loop, 0);
    uint64_t t1 = rtb_now_ns();

    rtb_pp_report(&evb__pp, t0, t1);
    ev_loop_destroy(loop);
    rt_free(evb__ends);
    rtb_pp_close(&evb__pp);
    return 0;
}
