/* rtb_wake.c: cross_thread_wake's sender threads, answers, completion test and metrics. */
#include "rtb_wake.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rtb_util.h"

/* rtb_wake_params: threads in [1, 64], wakes per thread in [1, 10^9]. */
void rtb_wake_params(rtb_wake *w, rtb_args *args)
{
    w->threads = rtb_param_u64(args, "threads", 1, 64);
    w->per_thread = rtb_param_u64(args, "wakes", 1, 1000000000);
    rtb_params_done(args);
    w->total = w->threads * w->per_thread;
    w->answered_total = 0;
    atomic_init(&w->go, 0);
    w->callbacks = 0;
    w->finished = 0;
    w->slots = NULL;
    w->started = 0;
}

/* rtb__wait_answer: block until the loop answers (an eventfd read of one or more answers). */
static void rtb__wait_answer(rtb_wake_slot *s)
{
    uint64_t v;
    while (read(s->efd, &v, sizeof v) != (ssize_t)sizeof v)
        if (errno != EINTR)
            rtb_fail_errno("sender eventfd read");
}

/* rtb__sender: wait for the start line, then M rounds of announce, wake, wait for the answer. */
static void *rtb__sender(void *arg)
{
    rtb_wake_slot *s = arg;
    rtb_wake *w = s->w;
    while (!atomic_load_explicit(&w->go, memory_order_acquire))
        sched_yield();
    for (uint64_t r = 1; r <= w->per_thread; r++) {
        /* Release: the callback that reads r also sees everything this thread did before. */
        atomic_store_explicit(&s->sent, r, memory_order_release);
        w->wake(w->ctx);
        rtb__wait_answer(s);
    }
    return NULL;
}

/* rtb_wake_spawn: one slot, eventfd and thread per sender, all parked on the start line. */
void rtb_wake_spawn(rtb_wake *w, rtb_wake_fn wake, void *ctx)
{
    w->wake = wake;
    w->ctx = ctx;
    w->slots = rt_calloc(w->threads, sizeof *w->slots);
    if (w->slots == NULL)
        rtb_fail("out of memory for %llu threads", (unsigned long long)w->threads);
    for (uint64_t i = 0; i < w->threads; i++) {
        rtb_wake_slot *s = &w->slots[i];
        atomic_init(&s->sent, 0);
        s->w = w;
        s->efd = eventfd(0, EFD_CLOEXEC);  /* blocking: the sender sleeps in read */
        if (s->efd < 0)
            rtb_fail_errno("eventfd");
    }
    for (uint64_t i = 0; i < w->threads; i++) {
        int err = pthread_create(&w->slots[i].tid, NULL, rtb__sender, &w->slots[i]);
        if (err != 0)
            rtb_fail("pthread_create: %s", strerror(err));  /* exit ends the parked threads */
        w->started++;
    }
}

/* rtb_wake_go: t0, then open the start line. */
void rtb_wake_go(rtb_wake *w)
{
    w->t0 = rtb_now_ns();
    atomic_store_explicit(&w->go, 1, memory_order_release);
}

/* rtb_wake_on_callback: answer every thread with a new round; done when all K * M are answered. */
int rtb_wake_on_callback(rtb_wake *w)
{
    if (w->finished)
        return 1;
    w->callbacks++;
    for (uint64_t i = 0; i < w->threads; i++) {
        rtb_wake_slot *s = &w->slots[i];
        uint64_t r = atomic_load_explicit(&s->sent, memory_order_acquire);
        if (r == s->answered)
            continue;
        /* A thread waits for each answer before its next round, so r is answered + 1. */
        if (r != s->answered + 1)
            rtb_fail("thread %llu announced round %llu while %llu was unanswered",
                     (unsigned long long)i, (unsigned long long)r,
                     (unsigned long long)s->answered);
        s->answered = r;
        w->answered_total++;
        uint64_t one = 1;
        if (write(s->efd, &one, sizeof one) != (ssize_t)sizeof one)
            rtb_fail_errno("answer eventfd write");
    }
    if (w->answered_total != w->total)
        return 0;
    w->t1 = rtb_now_ns();
    w->finished = 1;
    return 1;
}

/* rtb_wake_join: join every started sender, close the eventfds and free the slots. */
void rtb_wake_join(rtb_wake *w)
{
    for (uint64_t i = 0; i < w->started; i++)
        pthread_join(w->slots[i].tid, NULL);
    w->started = 0;
    for (uint64_t i = 0; w->slots != NULL && i < w->threads; i++)
        close(w->slots[i].efd);
}

/* rtb_wake_report: every round answered, in no more callbacks than wakes; the two figures. */
void rtb_wake_report(rtb_wake *w)
{
    if (!w->finished || w->answered_total != w->total)
        rtb_fail("cross_thread_wake answered %llu of %llu wakes",
                 (unsigned long long)w->answered_total, (unsigned long long)w->total);
    for (uint64_t i = 0; i < w->threads; i++)
        if (w->slots[i].answered != w->per_thread)
            rtb_fail("thread %llu got %llu of %llu answers", (unsigned long long)i,
                     (unsigned long long)w->slots[i].answered,
                     (unsigned long long)w->per_thread);
    if (w->callbacks == 0 || w->callbacks > w->total)
        rtb_fail("cross_thread_wake ran %llu callbacks for %llu wakes",
                 (unsigned long long)w->callbacks, (unsigned long long)w->total);
    double secs = (double)(w->t1 - w->t0) / 1e9;
    rtb_metric("wakes", "wakes/s", (double)w->total / secs);
    rtb_metric("coalescing", "wakes/callback", (double)w->total / (double)w->callbacks);
    rt_free(w->slots);
    w->slots = NULL;
}
