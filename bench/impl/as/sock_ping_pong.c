/* sock_ping_pong.c (rtb-as): a pinger and a ponger task per socketpair, over as_io handles. */
#include "asb.h"

#include <string.h>

#include "rt_alloc.h"
#include "rtb_pingpong.h"
#include "rtb_util.h"

/*
 * The anchor's io.rs: both ends of every pair become as_io handles (async-std's UnixStream),
 * the pinger writes its counter with as_write_all and reads the echo with as_read_exact, the
 * ponger echoes 4 bytes at a time until the pinger's end goes away. Here the pinger shuts its
 * sending side down when done (the anchor drops its stream, which closes it): the ponger's
 * read_exact then meets end-of-file with nothing half-received, and ends.
 *
 * The body runs inside as_block_on itself, as the anchor's does (not in a spawned task): the
 * sockets are registered and the tasks spawned from the main thread, and the pairs' tasks run
 * on the workers. Each pinger touches only its own pair's record in rtb_pingpong's table, and
 * the shared `running` count is decremented by the main future as it joins the pingers, so no
 * two threads ever write the same field.
 *
 * What one round trip costs here, in the as design: the write and the read are tried first
 * (async-io's order), so a reply already there costs no reactor work; a read that says EAGAIN
 * parks on the handle and re-arms the fd (epoll ONESHOT: one epoll_ctl per wait), and the
 * wake goes through the one global run queue to whichever worker is free.
 */

/* ---- the ponger: read 4, write 4, until end-of-file -------------------------------------- */

typedef struct asb__ponger {
    rt_future base;
    rt_async co;
    as_io *s;
    unsigned char m[4];
    as_read_exact_fut rx;
    as_write_all_fut wx;
} asb__ponger;

/* asb__ponger_poll: echo every message; a clean end-of-file between messages ends the task. */
static rt_poll asb__ponger_poll(rt_future *f, rt_context *cx)
{
    asb__ponger *p = (asb__ponger *)f;
    RT_BEGIN(&p->co);
    for (;;) {
        p->rx = as_read_exact(p->s, p->m, sizeof p->m);
        RT_AWAIT(&p->co, &p->rx, cx);
        if (p->rx.err != 0) {
            if (p->rx.err != AS_UNEXPECTED_EOF || p->rx.done != 0)
                rtb_fail("ponger: read_exact failed after %zu bytes (%s)", p->rx.done,
                         strerror(-p->rx.err));
            break;
        }
        p->wx = as_write_all(p->s, p->m, sizeof p->m);
        RT_AWAIT(&p->co, &p->wx, cx);
        if (p->wx.err != 0)
            rtb_fail("ponger: write_all failed (%s)", strerror(-p->wx.err));
    }
    RT_END(&p->co);
}

/* asb__ponger_drop: a pending IO future leaves its wait list; the handle is the main's. */
static void asb__ponger_drop(rt_future *f)
{
    rt_async_drop(&((asb__ponger *)f)->co);
}

static const rt_future_vtable asb__ponger_vtable = { asb__ponger_poll, asb__ponger_drop, "ponger" };

/* ---- the pinger: R round trips, each reply checked --------------------------------------- */

typedef struct asb__pinger {
    rt_future base;
    rt_async co;
    rtb_pp_pair *pair;
    uint64_t rounds;
    as_io *s;
    uint32_t out, in;
    as_write_all_fut wx;
    as_read_exact_fut rx;
} asb__pinger;

/* asb__pinger_poll: send the counter, read it back, check it; then shut the sending side. */
static rt_poll asb__pinger_poll(rt_future *f, rt_context *cx)
{
    asb__pinger *p = (asb__pinger *)f;
    RT_BEGIN(&p->co);
    while (p->pair->done < p->rounds) {
        p->out = p->pair->next;
        p->wx = as_write_all(p->s, &p->out, sizeof p->out);
        RT_AWAIT(&p->co, &p->wx, cx);
        if (p->wx.err != 0)
            rtb_fail("pinger: write_all failed (%s)", strerror(-p->wx.err));
        p->rx = as_read_exact(p->s, &p->in, sizeof p->in);
        RT_AWAIT(&p->co, &p->rx, cx);
        if (p->rx.err != 0)
            rtb_fail("pinger: read_exact failed after %zu bytes (%s)", p->rx.done,
                     strerror(-p->rx.err));
        if (p->in != p->pair->next)
            rtb_fail("round trip carried %u, expected %u", p->in, p->pair->next);
        p->pair->done++;
        p->pair->next++;
    }
    if (as_io_shutdown(p->s, SHUT_WR) != 0)
        rtb_fail("pinger: shutdown failed");
    RT_END(&p->co);
}

/* asb__pinger_drop: as the ponger's. */
static void asb__pinger_drop(rt_future *f)
{
    rt_async_drop(&((asb__pinger *)f)->co);
}

static const rt_future_vtable asb__pinger_vtable = { asb__pinger_poll, asb__pinger_drop, "pinger" };

/* ---- block_on's future ------------------------------------------------------------------- */

typedef struct asb__spp_main {
    rt_future base;
    rt_async co;
    rtb_pp *pp;
    as_io **io;              /* [2i] pinger end, [2i + 1] ponger end of pair i */
    as_task *pingers, *pongers;
    uint64_t i;
    uint64_t t0, t1;         /* output */
} asb__spp_main;

/* asb__spp_main_poll: register the pairs, then time spawning and joining every pinger. */
static rt_poll asb__spp_main_poll(rt_future *f, rt_context *cx)
{
    asb__spp_main *m = (asb__spp_main *)f;
    rtb_pp *pp = m->pp;
    RT_BEGIN(&m->co);
    for (uint64_t i = 0; i < pp->npairs; i++)
        for (unsigned end = 0; end < 2; end++) {
            int rc = as_io_open(pp->pairs[i].fd[end], &m->io[2 * i + end]);
            if (rc != 0)
                rtb_fail("registering a socketpair end: %s", strerror(-rc));
            pp->pairs[i].fd[end] = -1;  /* the handle owns it now and closes it */
        }

    m->t0 = rtb_now_ns();
    for (uint64_t i = 0; i < pp->npairs; i++) {
        asb__ponger po = { .base = { &asb__ponger_vtable }, .s = m->io[2 * i + 1] };
        asb_spawn(&po.base, sizeof po, &m->pongers[i]);
        asb__pinger pi = { .base = { &asb__pinger_vtable }, .pair = &pp->pairs[i],
                           .rounds = pp->rounds, .s = m->io[2 * i] };
        asb_spawn(&pi.base, sizeof pi, &m->pingers[i]);
    }
    for (m->i = 0; m->i < pp->npairs; m->i++) {
        RT_AWAIT(&m->co, as_task_join(&m->pingers[m->i]), cx);
        asb_joined(&m->pingers[m->i], "pinger");
        as_task_detach(&m->pingers[m->i]);
        pp->running--;
    }
    m->t1 = rtb_now_ns();

    /* Untimed: the pongers end on the pingers' end-of-file. */
    for (m->i = 0; m->i < pp->npairs; m->i++) {
        RT_AWAIT(&m->co, as_task_join(&m->pongers[m->i]), cx);
        asb_joined(&m->pongers[m->i], "ponger");
        as_task_detach(&m->pongers[m->i]);
    }
    RT_END(&m->co);
}

/* asb__spp_main_drop: handles still held (arrays start zeroed; detach is idempotent, and the
 * awaited handle is one of them, so rt_async_drop is not called as well). */
static void asb__spp_main_drop(rt_future *f)
{
    asb__spp_main *m = (asb__spp_main *)f;
    for (uint64_t i = 0; i < m->pp->npairs; i++) {
        as_task_detach(&m->pingers[i]);
        as_task_detach(&m->pongers[i]);
    }
}

static const rt_future_vtable asb__spp_main_vtable = {
    asb__spp_main_poll, asb__spp_main_drop, "sock_ping_pong"
};

/* asb_sock_ping_pong: ns per round trip over all pairs, every counter checked. */
int asb_sock_ping_pong(rtb_args *args)
{
    rtb_pp pp;
    rtb_pp_params(&pp, args);
    rtb_pp_open(&pp);
    as_io **io = rt_calloc(2 * pp.npairs, sizeof *io);
    as_task *pingers = rt_calloc(pp.npairs, sizeof *pingers);
    as_task *pongers = rt_calloc(pp.npairs, sizeof *pongers);
    if (io == NULL || pingers == NULL || pongers == NULL)
        rtb_fail("out of memory for %llu pairs", (unsigned long long)pp.npairs);
    asb__spp_main m = { .base = { &asb__spp_main_vtable }, .pp = &pp, .io = io,
                        .pingers = pingers, .pongers = pongers };
    as_block_on(&m.base);
    rt_future_drop(&m.base);
    for (uint64_t i = 0; i < 2 * pp.npairs; i++)
        as_io_close(io[i]);  /* every task that used them has finished */
    rtb_pp_report(&pp, m.t0, m.t1);
    rt_free(io);
    rt_free(pingers);
    rt_free(pongers);
    rtb_pp_close(&pp);
    return 0;
}
