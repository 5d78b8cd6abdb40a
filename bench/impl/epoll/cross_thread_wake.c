/* cross_thread_wake.c (rtb-epoll): K threads write one eventfd; the epoll loop reads it. */
#include "epb.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "rtb_util.h"
#include "rtb_wake.h"

/*
 * The floor's wake primitive is what every loop here is built on: an eventfd. Each wake is one
 * 8-byte write of 1; the kernel adds the writes into the counter, and one read returns the sum
 * and resets it, which is coalescing in its barest form. Because the counter is exact, the floor
 * can check more than the libraries can: the sum of all reads must be exactly K * M.
 */

static int epb__efd = -1;

/* epb__wake: one eventfd write; EAGAIN would need 2^64 - 1 unread wakes, so it is an error. */
static void epb__wake(void *ctx)
{
    (void)ctx;
    uint64_t one = 1;
    if (write(epb__efd, &one, sizeof one) != (ssize_t)sizeof one)
        rtb_fail_errno("eventfd write");
}

/* epb__drain: read and reset the counter; the number of wakes it held (0 when none). */
static uint64_t epb__drain(void)
{
    uint64_t v;
    if (read(epb__efd, &v, sizeof v) == (ssize_t)sizeof v)
        return v;
    if (errno != EAGAIN)
        rtb_fail_errno("eventfd read");
    return 0;
}

/* epb_cross_thread_wake: the loop ends at the callback that has seen all K * M wakes. */
int epb_cross_thread_wake(rtb_args *args)
{
    rtb_wake w;
    rtb_wake_params(&w, args);
    epb__efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (epb__efd < 0 || ep < 0)
        rtb_fail_errno("eventfd/epoll_create1");
    struct epoll_event ev = { .events = EPOLLIN };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, epb__efd, &ev) != 0)
        rtb_fail_errno("epoll_ctl");
    rtb_wake_spawn(&w, epb__wake, NULL);
    uint64_t counted = 0;
    rtb_wake_go(&w);
    int done = 0;
    while (!done) {
        int n = epoll_wait(ep, &ev, 1, -1);
        if (n < 0 && errno != EINTR)
            rtb_fail_errno("epoll_wait");
        if (n <= 0)
            continue;
        uint64_t v = epb__drain();
        if (v == 0)
            continue;  /* readiness with nothing to read is not a callback */
        counted += v;
        done = rtb_wake_on_callback(&w);
    }
    rtb_wake_join(&w);
    counted += epb__drain();  /* the last writes may land after the callback that saw the total */
    if (counted != w.total)
        rtb_fail("eventfd counted %llu wakes, %llu were sent", (unsigned long long)counted,
                 (unsigned long long)w.total);
    rtb_wake_report(&w);
    close(ep);
    close(epb__efd);
    return 0;
}
