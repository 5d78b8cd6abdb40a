/* main.c (rtb-uring): the io_uring floor's table and ring helpers; two workloads, by design. */
#include "urb.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

/*
 * The io_uring floor answers one question: how fast is the same IO when the kernel completes
 * requests instead of reporting readiness? It is written for the two IO workloads where that
 * question is sharp (sock_ping_pong, tcp_echo). Everything else is not a floor's business.
 */
static const char urb__io_only[] =
    "the io_uring floor is written for sock_ping_pong and tcp_echo only";
static const char urb__no_tasks[] =
    "the io_uring floor has no task abstraction: it is a loop over completions";

static const rtb_entry urb__table[] = {
    { "sock_ping_pong", urb_sock_ping_pong, NULL },
    { "bench_c", NULL, urb__io_only },
    { "million_timers", NULL, urb__io_only },
    { "timer_churn", NULL, urb__io_only },
    { "spawn_many", NULL, urb__no_tasks },
    { "yield_many", NULL, urb__no_tasks },
    { "chained_spawn", NULL, urb__no_tasks },
    { "task_ping_pong", NULL, urb__no_tasks },
    { "cross_thread_wake", NULL, urb__io_only },
    { "tcp_echo", urb_tcp_echo, NULL },
    { "http_hello", NULL, urb__io_only },
    { "blocking_hazard", NULL, urb__no_tasks },
    { "idle_task_memory", NULL, urb__no_tasks },
};

/* urb_ring_init: try single-issuer + deferred task running (6.1+), then cooperative, then none. */
void urb_ring_init(struct io_uring *ring, unsigned entries)
{
    /*
     * DEFER_TASKRUN runs completion work only when this thread enters the kernel to wait, and
     * SINGLE_ISSUER promises only this thread submits: together they remove the interrupts
     * and locking a shared ring pays for. A floor should use the fastest mode available.
     */
    static const unsigned tries[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    int rc = -EINVAL;
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        rc = io_uring_queue_init(entries, ring, tries[i]);
        if (rc == 0)
            return;
        if (rc != -EINVAL)
            break;
    }
    rtb_fail("io_uring_queue_init: %s", strerror(-rc));
}

/* urb_sqe: get an SQE; a full submission queue is flushed to the kernel first. */
struct io_uring_sqe *urb_sqe(struct io_uring *ring)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (sqe == NULL) {
        int rc = io_uring_submit(ring);
        if (rc < 0)
            rtb_fail("io_uring_submit: %s", strerror(-rc));
        sqe = io_uring_get_sqe(ring);
        if (sqe == NULL)
            rtb_fail("io_uring: no submission slot after a submit");
    }
    return sqe;
}

/* urb_blocking: clear O_NONBLOCK, or io_uring would hand -EAGAIN back instead of waiting. */
void urb_blocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0)
        rtb_fail_errno("fcntl");
}

/* main: run one repetition of one workload per the protocol in bench/WORKLOADS.md. */
int main(int argc, char **argv)
{
    return rtb_main(argc, argv, "uring", urb__table, sizeof urb__table / sizeof urb__table[0]);
}
