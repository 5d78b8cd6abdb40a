/* rtb_benchc.c: bench.c's pairs, kick-off writes, read callback body and checks for the C loops. */
#include "rtb_benchc.h"

#include <errno.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rtb_net.h"
#include "rtb_util.h"

static rtb_rng rtb__jitter = { 0x6265636863 };

/* rtb_benchc_params: n >= 1, 1 <= a <= n, w >= 0, timeouts 0 or 1. */
void rtb_benchc_params(rtb_benchc *b, rtb_args *args)
{
    b->n = rtb_param_u64(args, "n", 1, 500000);
    b->active = rtb_param_u64(args, "a", 1, b->n);
    b->writes_per_iter = rtb_param_u64(args, "w", 0, 100000000);
    b->timeouts = (int)rtb_param_u64(args, "timeouts", 0, 1);
    rtb_params_done(args);
    b->fds = NULL;
    b->process_ns = b->events = b->timeout_fired = 0;
}

/* rtb_benchc_open: n socketpairs, with the fd limit bench.c asks for (n * 2 + 50). */
void rtb_benchc_open(rtb_benchc *b)
{
    rtb_need_fds(b->n * 2 + 50, "bench_c");
    b->fds = rt_malloc(b->n * 2 * sizeof *b->fds);
    if (b->fds == NULL)
        rtb_fail("out of memory for %llu socketpairs", (unsigned long long)b->n);
    for (uint64_t i = 0; i < b->n; i++)
        if (rtb_socketpair(b->fds + 2 * i) != 0)
            rtb_fail_errno("socketpair");
}

/* rtb__write_byte: one byte into pair idx's write end; it cannot block on an almost empty socket. */
static void rtb__write_byte(rtb_benchc *b, uint64_t idx)
{
    if (write(b->fds[2 * idx + 1], "e", 1) != 1)
        rtb_fail_errno("bench_c write");
    b->fired++;
}

/* rtb_benchc_kick: the a evenly spaced first writes, as run_once does. */
void rtb_benchc_kick(rtb_benchc *b)
{
    uint64_t space = b->n / b->active;
    b->fired = 0;
    b->count = 0;
    b->writes_left = b->writes_per_iter;
    for (uint64_t i = 0; i < b->active; i++)
        rtb__write_byte(b, i * space);
}

/* rtb_benchc_on_read: read one byte; while writes remain, pass the event on to the next pair. */
void rtb_benchc_on_read(rtb_benchc *b, uint64_t idx)
{
    unsigned char ch;
    ssize_t r = read(b->fds[2 * idx], &ch, 1);
    if (r < 0) {
        /* A wake-up with nothing to read is legal for a readiness API; it must not chain. */
        if (errno == EAGAIN)
            return;
        rtb_fail_errno("bench_c read");
    }
    if (r == 0)
        rtb_fail("bench_c: pair %llu closed", (unsigned long long)idx);
    b->count++;
    if (b->writes_left > 0) {
        b->writes_left--;
        rtb__write_byte(b, idx + 1 == b->n ? 0 : idx + 1);
    }
}

/* rtb_benchc_done: every byte written this iteration has been read. */
int rtb_benchc_done(const rtb_benchc *b)
{
    return b->count == b->fired;
}

/* rtb_benchc_end: add the iteration's time; its count must be exactly a + w, and no timeout fired. */
void rtb_benchc_end(rtb_benchc *b, uint64_t t0, uint64_t t1)
{
    uint64_t want = b->active + b->writes_per_iter;
    if (b->count != want || b->fired != want || b->writes_left != 0)
        rtb_fail("bench_c iteration read %llu and wrote %llu bytes, expected %llu",
                 (unsigned long long)b->count, (unsigned long long)b->fired,
                 (unsigned long long)want);
    if (b->timeout_fired != 0)
        rtb_fail("bench_c: %llu 10 s timeouts fired", (unsigned long long)b->timeout_fired);
    b->process_ns += t1 - t0;
    b->events += want;
}

/* rtb_benchc_report: mean processing time per iteration (us) and per event (ns). */
void rtb_benchc_report(rtb_benchc *b)
{
    rtb_metric("process", "us", (double)b->process_ns / 1e3 / RTB_BENCHC_ITERATIONS);
    rtb_metric("event", "ns", (double)b->process_ns / (double)b->events);
}

/* rtb_benchc_close: close every pair and free the table. */
void rtb_benchc_close(rtb_benchc *b)
{
    if (b->fds != NULL)
        rtb_close_all(b->fds, b->n * 2);
    rt_free(b->fds);
    b->fds = NULL;
}

/* rtb_benchc_timeout_ms: 10000 ms plus a seeded draw in [0, 1000) ms. */
uint64_t rtb_benchc_timeout_ms(void)
{
    return 10000 + rtb_rng_next(&rtb__jitter) % 1000;
}
