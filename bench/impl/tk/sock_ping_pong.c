/* sock_ping_pong.c (rtb-tk): a pinger and a ponger task per socketpair, over tk Unix streams. */
#include "tkb.h"

#include <string.h>

#include "rt_alloc.h"
#include "rtb_pingpong.h"
#include "rtb_util.h"
#include "tk_net.h"

/*
 * The anchor's io.rs: both ends of every pair become tk streams (tokio's UnixStream), the
 * pinger writes its counter with write_all and reads the echo with read_exact, the ponger
 * echoes 4 bytes at a time until the pinger's end goes away. Here the pinger shuts its sending
 * side down when done (the anchor drops its stream, which closes it): the ponger's read_exact
 * then meets end-of-file with nothing half-received, and ends.
 *
 * The body runs inside block_on itself, as the anchor's does (not in a spawned task): on
 * multi_thread the sockets are set up and the tasks spawned from the block_on thread, and the
 * pairs' tasks run on the workers. The pair table and its checks are rtb_pingpong's; each
 * pinger touches only its own pair's record, and the shared `running` count is decremented by
 * the main future as it joins the pingers, so no two threads ever write the same field.
 */

/* ---- the ponger: read 4, write 4, until end-of-file -------------------------------------- */

typedef struct tkb__ponger {
    rt_future base;
    rt_async co;
    tk_stream *s;
    unsigned char m[4];
    tk_read_exact_fut rx;
    tk_write_all_fut wx;
} tkb__ponger;

/* tkb__ponger_poll: echo every message; a clean end-of-file between messages ends the task. */
static rt_poll tkb__ponger_poll(rt_future *f, rt_context *cx)
{
    tkb__ponger *p = (tkb__ponger *)f;
    RT_BEGIN(&p->co);
    for (;;) {
        p->rx = tk_stream_read_exact(p->s, p->m, sizeof p->m);
        RT_AWAIT(&p->co, &p->rx, cx);
        if (p->rx.result != 0) {
            if (p->rx.result != TK_UNEXPECTED_EOF || p->rx.done != 0)
                rtb_fail("ponger: read_exact failed after %zu bytes (%d)", p->rx.done,
                         p->rx.result);
            break;
        }
        p->wx = tk_stream_write_all(p->s, p->m, sizeof p->m);
        RT_AWAIT(&p->co, &p->wx, cx);
        if (p->wx.result != 0)
            rtb_fail("ponger: write_all failed (%d)", p->wx.result);
    }
    RT_END(&p->co);
}

/* tkb__ponger_drop: the socket futures own nothing; the stream is the main future's. */
static void tkb__ponger_drop(rt_future *f)
{
    rt_async_drop(&((tkb__ponger *)f)->co);
}

static const rt_future_vtable tkb__ponger_vtable = { tkb__ponger_poll, tkb__ponger_drop, "ponger" };

/* ---- the pinger: R round trips, each reply checked --------------------------------------- */

typedef struct tkb__pinger {
    rt_future base;
    rt_async co;
    rtb_pp_pair *pair;
    uint64_t rounds;
    tk_stream *s;
    uint32_t out, in;
    tk_write_all_fut wx;
    tk_read_exact_fut rx;
} tkb__pinger;

/* tkb__pinger_poll: send the counter, read it back, check it; then shut the sending side. */
static rt_poll tkb__pinger_poll(rt_future *f, rt_context *cx)
{
    tkb__pinger *p = (tkb__pinger *)f;
    RT_BEGIN(&p->co);
    while (p->pair->done < p->rounds) {
        p->out = p->pair->next;
        p->wx = tk_stream_write_all(p->s, &p->out, sizeof p->out);
        RT_AWAIT(&p->co, &p->wx, cx);
        if (p->wx.result != 0)
            rtb_fail("pinger: write_all failed (%d)", p->wx.result);
        p->rx = tk_stream_read_exact(p->s, &p->in, sizeof p->in);
        RT_AWAIT(&p->co, &p->rx, cx);
        if (p->rx.result != 0)
            rtb_fail("pinger: read_exact failed after %zu bytes (%d)", p->rx.done, p->rx.result);
        if (p->in != p->pair->next)
            rtb_fail("round trip carried %u, expected %u", p->in, p->pair->next);
        p->pair->done++;
        p->pair->next++;
    }
    if (tk_stream_shutdown(p->s, SHUT_WR) != 0)
        rtb_fail("pinger: shutdown failed");
    RT_END(&p->co);
}

/* tkb__pinger_drop: as the ponger's. */
static void tkb__pinger_drop(rt_future *f)
{
    rt_async_drop(&((tkb__pinger *)f)->co);
}

static const rt_future_vtable tkb__pinger_vtable = { tkb__pinger_poll, tkb__pinger_drop, "pinger" };

/* ---- block_on's future ------------------------------------------------------------------- */

typedef struct tkb__spp_main {
    rt_future base;
    rt_async co;
    rtb_pp *pp;
    tk_stream *streams;      /* [2i] pinger end, [2i + 1] ponger end of pair i */
    tk_join_handle *pingers, *pongers;
    uint64_t i;
    uint64_t t0, t1;         /* output */
} tkb__spp_main;

/* tkb__spp_main_poll: adopt the pairs, then time spawning and joining every pinger. */
static rt_poll tkb__spp_main_poll(rt_future *f, rt_context *cx)
{
    tkb__spp_main *m = (tkb__spp_main *)f;
    rtb_pp *pp = m->pp;
    RT_BEGIN(&m->co);
    for (uint64_t i = 0; i < pp->npairs; i++)
        for (unsigned end = 0; end < 2; end++) {
            /* The stream takes the fd over (and closes it on failure): forget it in the table. */
            int fd = pp->pairs[i].fd[end];
            pp->pairs[i].fd[end] = -1;
            int rc = tk_stream_from_fd(fd, &m->streams[2 * i + end]);
            if (rc != 0)
                rtb_fail("registering a socketpair end: %s", strerror(-rc));
        }

    m->t0 = rtb_now_ns();
    for (uint64_t i = 0; i < pp->npairs; i++) {
        tkb__ponger po = { .base = { &tkb__ponger_vtable }, .s = &m->streams[2 * i + 1] };
        tkb_spawn(&po.base, sizeof po, &m->pongers[i]);
        tkb__pinger pi = { .base = { &tkb__pinger_vtable }, .pair = &pp->pairs[i],
                           .rounds = pp->rounds, .s = &m->streams[2 * i] };
        tkb_spawn(&pi.base, sizeof pi, &m->pingers[i]);
    }
    for (m->i = 0; m->i < pp->npairs; m->i++) {
        RT_AWAIT(&m->co, &m->pingers[m->i], cx);
        tkb_joined(&m->pingers[m->i], "pinger");
        rt_join_handle_detach(&m->pingers[m->i]);
        pp->running--;
    }
    m->t1 = rtb_now_ns();

    /* Untimed: the pongers end on the pingers' end-of-file. */
    for (m->i = 0; m->i < pp->npairs; m->i++) {
        RT_AWAIT(&m->co, &m->pongers[m->i], cx);
        tkb_joined(&m->pongers[m->i], "ponger");
        rt_join_handle_detach(&m->pongers[m->i]);
    }
    RT_END(&m->co);
}

/* tkb__spp_main_drop: handles still held (arrays start zeroed; detach is idempotent). */
static void tkb__spp_main_drop(rt_future *f)
{
    tkb__spp_main *m = (tkb__spp_main *)f;
    rt_async_drop(&m->co);
    for (uint64_t i = 0; i < m->pp->npairs; i++) {
        rt_join_handle_detach(&m->pingers[i]);
        rt_join_handle_detach(&m->pongers[i]);
    }
}

static const rt_future_vtable tkb__spp_main_vtable = {
    tkb__spp_main_poll, tkb__spp_main_drop, "sock_ping_pong"
};

/* tkb_sock_ping_pong: ns per round trip over all pairs, every counter checked. */
int tkb_sock_ping_pong(rtb_args *args)
{
    rtb_pp pp;
    rtb_pp_params(&pp, args);
    rtb_pp_open(&pp);
    tk_stream *streams = rt_calloc(2 * pp.npairs, sizeof *streams);
    tk_join_handle *pingers = rt_calloc(pp.npairs, sizeof *pingers);
    tk_join_handle *pongers = rt_calloc(pp.npairs, sizeof *pongers);
    if (streams == NULL || pingers == NULL || pongers == NULL)
        rtb_fail("out of memory for %llu pairs", (unsigned long long)pp.npairs);
    tk_runtime *rt = tkb_runtime_new();
    tkb__spp_main m = { .base = { &tkb__spp_main_vtable }, .pp = &pp, .streams = streams,
                        .pingers = pingers, .pongers = pongers };
    tk_runtime_block_on(rt, &m.base);
    rt_future_drop(&m.base);
    for (uint64_t i = 0; i < 2 * pp.npairs; i++)
        tk_stream_close(&streams[i]);  /* before the runtime goes: the registration lives there */
    tk_runtime_free(rt);
    rtb_pp_report(&pp, m.t0, m.t1);
    rt_free(streams);
    rt_free(pingers);
    rt_free(pongers);
    rtb_pp_close(&pp);
    return 0;
}
