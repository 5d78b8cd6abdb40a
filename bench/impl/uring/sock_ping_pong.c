/* sock_ping_pong.c (rtb-uring): P socketpairs trade a 4-byte counter as io_uring recv/send. */
#include "urb.h"

#include <errno.h>
#include <string.h>

#include "rt_alloc.h"
#include "rtb_pingpong.h"
#include "rtb_util.h"

/*
 * Every end always has one recv in the ring; a completion is handed to the shared state
 * machine, answered with a send if needed, and the recv is queued again. All the new requests
 * of one batch of completions go to the kernel in the same io_uring_submit_and_wait that waits
 * for the next batch: one system call per batch, however many pairs were served, which is the
 * point of the io_uring floor. The user_data of a request is (pair << 2) | (end << 1) | is_send.
 */

typedef struct urb__end {
    unsigned char rbuf[4];
    uint32_t reply;  /* a send's buffer: valid until its completion, and one is in flight at most */
} urb__end;

static rtb_pp urb__pp;
static urb__end *urb__ends;

/* urb__recv: queue a recv for the rest of end's current message. */
static void urb__recv(struct io_uring *ring, uint64_t pair, unsigned end)
{
    unsigned have = urb__pp.pairs[pair].have[end];
    struct io_uring_sqe *sqe = urb_sqe(ring);
    io_uring_prep_recv(sqe, urb__pp.pairs[pair].fd[end], urb__ends[2 * pair + end].rbuf,
                       4 - have, 0);
    io_uring_sqe_set_data64(sqe, pair << 2 | end << 1);
}

/* urb__send: queue a 4-byte send of value from one end. */
static void urb__send(struct io_uring *ring, uint64_t pair, unsigned end, uint32_t value)
{
    urb__end *e = &urb__ends[2 * pair + end];
    e->reply = value;
    struct io_uring_sqe *sqe = urb_sqe(ring);
    io_uring_prep_send(sqe, urb__pp.pairs[pair].fd[end], &e->reply, sizeof e->reply, 0);
    io_uring_sqe_set_data64(sqe, pair << 2 | end << 1 | 1);
}

/* urb__complete: one completion: a send must have sent 4 bytes; a recv feeds the state machine. */
static void urb__complete(struct io_uring *ring, uint64_t tag, int res)
{
    uint64_t pair = tag >> 2;
    unsigned end = (unsigned)(tag >> 1 & 1);
    if (tag & 1) {
        if (res != 4)
            rtb_fail("send of 4 bytes completed with %d (%s)", res, res < 0 ? strerror(-res) : "short");
        return;
    }
    if (res < 0)
        rtb_fail("recv: %s", strerror(-res));
    if (res == 0)
        rtb_fail("peer closed a socketpair mid-run");
    uint32_t reply;
    rtb_pp_action a = rtb_pp_take(&urb__pp, pair, end, urb__ends[2 * pair + end].rbuf,
                                  (size_t)res, &reply);
    if (a == RTB_PP_FINISHED)
        return;
    if (a == RTB_PP_SEND)
        urb__send(ring, pair, end, reply);
    urb__recv(ring, pair, end);
}

/* urb_sock_ping_pong: the workload; metric ns per round trip over all pairs. */
int urb_sock_ping_pong(rtb_args *args)
{
    rtb_pp_params(&urb__pp, args);
    rtb_pp_open(&urb__pp);
    uint64_t nends = 2 * urb__pp.npairs;
    urb__ends = rt_calloc(nends, sizeof *urb__ends);
    if (urb__ends == NULL)
        rtb_fail("out of memory for %llu ends", (unsigned long long)nends);
    unsigned entries = 64;
    while (entries < nends && entries < 32768)
        entries *= 2;
    struct io_uring ring;
    urb_ring_init(&ring, entries);
    for (uint64_t i = 0; i < nends; i++) {
        urb_blocking(urb__pp.pairs[i >> 1].fd[i & 1]);
        urb__recv(&ring, i >> 1, (unsigned)(i & 1));
    }
    io_uring_submit(&ring);

    uint64_t t0 = rtb_now_ns();
    for (uint64_t i = 0; i < urb__pp.npairs; i++)
        urb__send(&ring, i, 0, urb__pp.pairs[i].next);
    while (urb__pp.running > 0) {
        int rc = io_uring_submit_and_wait(&ring, 1);
        if (rc < 0 && rc != -EINTR)
            rtb_fail("io_uring_submit_and_wait: %s", strerror(-rc));
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            urb__complete(&ring, io_uring_cqe_get_data64(cqe), cqe->res);
            seen++;
        }
        io_uring_cq_advance(&ring, seen);
    }
    uint64_t t1 = rtb_now_ns();

    rtb_pp_report(&urb__pp, t0, t1);
    io_uring_queue_exit(&ring);  /* cancels the recvs still queued on the pongers */
    rt_free(urb__ends);
    rtb_pp_close(&urb__pp);
    return 0;
}
