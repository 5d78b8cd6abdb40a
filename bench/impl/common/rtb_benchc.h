/* rtb_benchc.h: the runtime-independent half of libevent's test/bench.c, shared by the C loops. */
#ifndef RTB_BENCHC_H
#define RTB_BENCHC_H

#include <stdint.h>

#include "rtb_cli.h"

/*
 * bench.c (Niels Provos, with Davide Libenzi's chained writes; the -t timeouts variant as in
 * Marc Lehmann's libev benchmark): n socketpairs, each read end watched by the loop. An
 * iteration writes one byte into `a` evenly spaced pairs; every read callback reads its byte and,
 * while the budget of `w` writes lasts, writes one byte into the next pair, so events chain
 * around the ring. The iteration ends when every byte written has been read. 25 iterations; only
 * the event processing is timed, not the (re-)registration before it.
 *
 * The watching, the loop and the -t timeout re-arm are each runtime's own; what a callback does
 * with the bytes is the same plain read/write everywhere, as in the original, so it lives here.
 */

#define RTB_BENCHC_ITERATIONS 25

typedef struct rtb_benchc {
    uint64_t n, active, writes_per_iter;
    int timeouts;         /* the -t variant: every callback re-arms its watcher's 10 s timeout */
    int *fds;             /* fds[2i] read end of pair i, fds[2i + 1] its write end */
    uint64_t count;       /* bytes read this iteration */
    uint64_t fired;       /* bytes written this iteration */
    uint64_t writes_left; /* chained writes still allowed this iteration */
    uint64_t timeout_fired; /* a 10 s timeout went off: never expected in a run this short */
    uint64_t process_ns;  /* summed over the iterations */
    uint64_t events;      /* summed over the iterations */
} rtb_benchc;

/* Read n, a, w, timeouts (then rtb_params_done); exits 2 on a bad combination. */
void rtb_benchc_params(rtb_benchc *b, rtb_args *args);
/* Raise the fd limit and open the n socketpairs (non-blocking); exits 1 on failure. */
void rtb_benchc_open(rtb_benchc *b);
/* Start an iteration: reset the counters and write the `a` first bytes. */
void rtb_benchc_kick(rtb_benchc *b);
/* The read callback's body for pair idx: read a byte, maybe chain a write into idx + 1. */
void rtb_benchc_on_read(rtb_benchc *b, uint64_t idx);
/* True when the iteration is over: every byte written has been read. */
int rtb_benchc_done(const rtb_benchc *b);
/* Account one timed iteration of t1 - t0 ns and check that it did all its work; exits 1 if not. */
void rtb_benchc_end(rtb_benchc *b, uint64_t t0, uint64_t t1);
/* Record the metrics (process us per iteration, ns per event) after the last iteration. */
void rtb_benchc_report(rtb_benchc *b);
/* Close the pairs and free. */
void rtb_benchc_close(rtb_benchc *b);
/* A -t timeout in ms: 10 s plus up to 1 s of seeded jitter, like bench.c's 10 + drand48(). */
uint64_t rtb_benchc_timeout_ms(void);

#endif
