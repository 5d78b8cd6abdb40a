/* demo_ratio.c: lesson 13 -- under a background load the absolute times move, the ratio to a floor measured in the same run does not. */
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "kit.h"
#include "tk_net.h"

/*
 * The bench's sock_ping_pong (bench/WORKLOADS.md): PAIRS socketpairs, all in flight at once;
 * end 0 of each pair sends a 4-byte counter and waits for it to come back, end 1 echoes it.
 * Figure: ns per round trip. Written twice:
 *
 *   - the FLOOR: a bare level-triggered epoll loop, the least any runtime can do for this work
 *     (rtb-epoll in the bench);
 *   - tk current_thread: a pinger task and a ponger task per pair, awaiting read_exact and
 *     write_all on tk's Unix streams (rtb-tk --flavor ct).
 *
 * Both are measured twice: on the machine as it is, then while two processes spin on its cores.
 * Within a phase the repetitions alternate floor, tk, floor, tk..., each in a fresh process, so
 * whatever the machine is doing at a given moment falls on both sides alike.
 */

enum { PAIRS = 8, ROUNDS = 1000, REPS = 9 };

/* ---- the floor --------------------------------------------------------------------------- */

// region: floor
/* floor_ping_pong: one repetition on a bare epoll loop; ns per round trip. */
static double floor_ping_pong(const void *arg)
{
    (void)arg;
    int sv[PAIRS][2], ep = epoll_create1(0);
    uint32_t sent[PAIRS];
    if (ep < 0)
        rt_panic("epoll_create1 failed");
    for (int i = 0; i < PAIRS; i++) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv[i]) != 0)
            rt_panic("socketpair failed");
        for (int end = 0; end < 2; end++) {
            struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)(2 * i + end) };
            if (epoll_ctl(ep, EPOLL_CTL_ADD, sv[i][end], &ev) != 0)
                rt_panic("epoll_ctl failed");
        }
    }
    uint64_t t0 = rt_monotonic_ns();
    for (int i = 0; i < PAIRS; i++) {
        sent[i] = 1;
        if (write(sv[i][0], &sent[i], 4) != 4)
            rt_panic("write failed");
    }
    for (int finished = 0; finished < PAIRS;) {
        struct epoll_event evs[2 * PAIRS];
        int n = epoll_wait(ep, evs, 2 * PAIRS, -1);
        for (int k = 0; k < n; k++) {
            int i = (int)evs[k].data.u32 / 2, end = (int)evs[k].data.u32 % 2;
            uint32_t v;
            if (read(sv[i][end], &v, 4) != 4)
                rt_panic("short read");
            if (end == 1) {                       /* the ponger: echo it */
                if (write(sv[i][1], &v, 4) != 4)
                    rt_panic("write failed");
            } else if (v != sent[i]) {            /* the pinger: check, then the next */
                rt_panic("pair %d: sent %u, got %u back", i, sent[i], v);
            } else if (sent[i] == ROUNDS) {
                finished++;
            } else {
                sent[i]++;
                if (write(sv[i][0], &sent[i], 4) != 4)
                    rt_panic("write failed");
            }
        }
    }
    double ns = (double)(rt_monotonic_ns() - t0) / (PAIRS * ROUNDS);
    for (int i = 0; i < PAIRS; i++)
        close(sv[i][0]), close(sv[i][1]);
    close(ep);
    return ns;
}
// endregion

/* ---- tk current_thread ------------------------------------------------------------------- */

/* One end of a pair: the pinger sends 1..ROUNDS and checks each echo; the ponger echoes. */
typedef struct end_fut {
    rt_future base;
    rt_async co;
    tk_stream *s;
    int pinger;
    uint32_t round, v;
    tk_write_all_fut w;
    tk_read_exact_fut r;
} end_fut;

/* end_poll: ROUNDS times: pinger write-then-read, ponger read-then-write. */
static rt_poll end_poll(rt_future *f, rt_context *cx)
{
    end_fut *e = (end_fut *)f;
    RT_BEGIN(&e->co);
    for (e->round = 1; e->round <= ROUNDS; e->round++) {
        if (e->pinger) {
            e->v = e->round;
            e->w = tk_stream_write_all(e->s, &e->v, 4);
            RT_AWAIT(&e->co, &e->w, cx);
        }
        e->r = tk_stream_read_exact(e->s, &e->v, 4);
        RT_AWAIT(&e->co, &e->r, cx);
        if (e->r.result != 0 || (e->pinger && e->v != e->round))
            rt_panic("ping-pong: a message was lost or changed");
        if (!e->pinger) {
            e->w = tk_stream_write_all(e->s, &e->v, 4);
            RT_AWAIT(&e->co, &e->w, cx);
        }
        if (e->w.result != 0)
            rt_panic("ping-pong: write failed");
    }
    RT_END(&e->co);
}

/* end_drop: the read or write in flight. */
static void end_drop(rt_future *f)
{
    rt_async_drop(&((end_fut *)f)->co);
}

static const rt_future_vtable end_vtable = { end_poll, end_drop, "ping_pong_end" };

/* The main task: open the pairs, start the clock, spawn both ends of every pair, join them. */
typedef struct pp_main {
    rt_future base;
    rt_async co;
    tk_stream ends[PAIRS][2];
    tk_join_handle handles[2 * PAIRS];
    int i;
    uint64_t t0;
    double ns; /* output */
} pp_main;

/* pp_main_poll: the streams live in this (pinned) task, so the ends may point into it. */
static rt_poll pp_main_poll(rt_future *f, rt_context *cx)
{
    pp_main *m = (pp_main *)f;
    RT_BEGIN(&m->co);
    for (m->i = 0; m->i < PAIRS; m->i++)
        if (tk_unix_stream_pair(&m->ends[m->i][0], &m->ends[m->i][1]) != 0)
            rt_panic("tk_unix_stream_pair failed");
    m->t0 = rt_monotonic_ns();
    for (m->i = 0; m->i < 2 * PAIRS; m->i++) {
        end_fut e = { .base = { &end_vtable }, .s = &m->ends[m->i / 2][m->i % 2],
                      .pinger = m->i % 2 == 0 };
        kit_spawn(KIT_TK_CT, &e.base, sizeof e, &m->handles[m->i]);
    }
    for (m->i = 0; m->i < 2 * PAIRS; m->i++) {
        RT_AWAIT(&m->co, &m->handles[m->i], cx);
        if (m->handles[m->i].outcome != RT_OUTCOME_OK)
            rt_panic("ping-pong: an end did not finish");
        rt_join_handle_detach(&m->handles[m->i]);
    }
    m->ns = (double)(rt_monotonic_ns() - m->t0) / (PAIRS * ROUNDS);
    for (m->i = 0; m->i < PAIRS; m->i++)
        tk_stream_close(&m->ends[m->i][0]), tk_stream_close(&m->ends[m->i][1]);
    RT_END(&m->co);
}

static const rt_future_vtable pp_main_vtable = { pp_main_poll, NULL, "sock_ping_pong" };

/* tk_ping_pong: one repetition on tk current_thread; ns per round trip. */
static double tk_ping_pong(const void *arg)
{
    (void)arg;
    pp_main m = { .base = { &pp_main_vtable } };
    kit_run_main(KIT_TK_CT, &m.base, sizeof m);
    return m.ns;
}

/* ---- the experiment ---------------------------------------------------------------------- */

/* phase: REPS interleaved repetitions of both (after one warm-up each); prints one line. */
static void phase(const char *label, kit_stat *fl, kit_stat *tk)
{
    double a[REPS], b[REPS];
    kit_fork_measure(floor_ping_pong, NULL); /* warm-ups: not counted */
    kit_fork_measure(tk_ping_pong, NULL);
    for (int i = 0; i < REPS; i++) {
        a[i] = kit_fork_measure(floor_ping_pong, NULL);
        b[i] = kit_fork_measure(tk_ping_pong, NULL);
    }
    *fl = kit_summary(a, REPS);
    *tk = kit_summary(b, REPS);
    char c1[64], c2[64];
    snprintf(c1, sizeof c1, "%.0f ns [%.0f-%.0f]", fl->median, fl->min, fl->max);
    snprintf(c2, sizeof c2, "%.0f ns [%.0f-%.0f]", tk->median, tk->min, tk->max);
    printf("  %-22s %-26s %-26s %.2f\n", label, c1, c2, tk->median / fl->median);
}

/* main: both ping-pongs on the machine as it is, then under two spinners; the ratio each time. */
int main(void)
{
    kit_stat q_fl, q_tk, l_fl, l_tk;
    kit_load load;
    printf("sock_ping_pong, %d pairs x %d round trips, ns per round trip\n", PAIRS, ROUNDS);
    printf("median [min-max] of %d repetitions after a warm-up, floor and tk-ct interleaved\n\n",
           REPS);
    printf("  %-22s %-26s %-26s %s\n", "machine", "epoll floor", "tk-ct", "tk-ct / floor");
    phase("as it is", &q_fl, &q_tk);
    kit_load_start(&load, 2);
    phase("two spinners running", &l_fl, &l_tk);
    kit_load_stop(&load);
    printf("\nthe load made the floor %.2fx slower and tk-ct %.2fx slower;\n",
           l_fl.median / q_fl.median, l_tk.median / q_tk.median);
    printf("the ratio tk-ct / floor moved from %.2f to %.2f (%+.0f%%)\n",
           q_tk.median / q_fl.median, l_tk.median / l_fl.median,
           100.0 * ((l_tk.median / l_fl.median) / (q_tk.median / q_fl.median) - 1.0));
    return 0;
}
