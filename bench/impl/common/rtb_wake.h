/* rtb_wake.h: the sender threads and bookkeeping of cross_thread_wake, shared by the C loops. */
#ifndef RTB_WAKE_H
#define RTB_WAKE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "rtb_cli.h"

/*
 * After libuv's test/benchmark-async.c: K threads each wake the loop M times, and each waits
 * for the loop to answer before waking it again. Unlike the original, all K threads wake ONE
 * handle of the loop (uv_async_t, ev_async, an event made active, an eventfd), because that is
 * where a runtime coalesces: wakes that arrive while one is already pending cost no extra
 * callback. With K = 1 every wake gets its own callback; with K threads a callback can answer
 * up to K of them.
 *
 * The protocol per thread i, round r (1..M): store sent[i] = r (release), call the runtime's
 * wake primitive, then block until the loop has answered round r. The loop's callback reads
 * every sent[i] (acquire), and for each thread with a new round records it and answers it (one
 * eventfd write to that thread). A wake is never lost: the thread stores before it wakes, and
 * the runtime promises a callback after every wake, which then sees the store. The run ends at
 * the callback that answers the last of the K * M rounds.
 *
 * The waiting side (a blocking eventfd read per thread) is the same plain code for every
 * runtime; only the loop side is each runtime's own. The figures: wakes per second (K * M over
 * the whole run) and coalescing (K * M wakes per callback run, between 1 and K).
 */

/* The runtime's wake primitive, called from the sender threads. */
typedef void (*rtb_wake_fn)(void *ctx);

/* One sender thread's state: written by the thread (sent) or only by the loop (answered). */
typedef struct rtb_wake_slot {
    _Atomic uint64_t sent;  /* the round this thread has announced */
    uint64_t answered;      /* the round the loop has answered (loop thread only) */
    int efd;                /* the thread blocks reading it; the loop writes to answer */
    pthread_t tid;
    struct rtb_wake *w;
} rtb_wake_slot;

typedef struct rtb_wake {
    uint64_t threads, per_thread, total;
    uint64_t answered_total;
    _Atomic int go;         /* the start line */
    uint64_t callbacks;     /* callbacks run, up to the one that answered the last round */
    uint64_t t0, t1;
    int finished;
    rtb_wake_fn wake;
    void *ctx;
    rtb_wake_slot *slots;
    uint64_t started;       /* threads actually created (joined on the way out) */
} rtb_wake;

/* Read threads= and wakes= (then rtb_params_done). */
void rtb_wake_params(rtb_wake *w, rtb_args *args);
/* Create the sender threads, waiting on the start line; exits 1 if one cannot start. */
void rtb_wake_spawn(rtb_wake *w, rtb_wake_fn wake, void *ctx);
/* Take t0 and release the senders. */
void rtb_wake_go(rtb_wake *w);
/* The loop callback's body: answer new rounds; returns 1 (and takes t1) when all are answered. */
int rtb_wake_on_callback(rtb_wake *w);
/* Join the sender threads and free them. */
void rtb_wake_join(rtb_wake *w);
/* Check the run finished and record wakes/s and coalescing. */
void rtb_wake_report(rtb_wake *w);

#endif
