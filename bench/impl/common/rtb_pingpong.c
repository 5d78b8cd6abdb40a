/* rtb_pingpong.c: sock_ping_pong's socketpairs, the pinger/ponger state machine and its check. */
#include "rtb_pingpong.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rtb_net.h"
#include "rtb_util.h"

/* rtb_pp_params: pairs in [1, 100000], rounds in [1, 10^9]. */
void rtb_pp_params(rtb_pp *pp, rtb_args *args)
{
    pp->npairs = rtb_param_u64(args, "pairs", 1, 100000);
    pp->rounds = rtb_param_u64(args, "rounds", 1, 1000000000);
    rtb_params_done(args);
    pp->pairs = NULL;
    pp->running = pp->npairs;
}

/* rtb_pp_open: npairs non-blocking socketpairs, zeroed state. */
void rtb_pp_open(rtb_pp *pp)
{
    rtb_need_fds(2 * pp->npairs + 64, "sock_ping_pong");
    pp->pairs = rt_calloc(pp->npairs, sizeof *pp->pairs);
    if (pp->pairs == NULL)
        rtb_fail("out of memory for %llu pairs", (unsigned long long)pp->npairs);
    for (uint64_t i = 0; i < pp->npairs; i++)
        if (rtb_socketpair(pp->pairs[i].fd) != 0)
            rtb_fail_errno("socketpair");
}

/* rtb_pp_take: collect a message; the ponger echoes it, the pinger checks it and sends the next. */
rtb_pp_action rtb_pp_take(rtb_pp *pp, uint64_t pair, unsigned end, const void *data, size_t n,
                          uint32_t *reply)
{
    rtb_pp_pair *p = &pp->pairs[pair];
    if (n > 4 - p->have[end])
        rtb_fail("pair %llu end %u got %zu bytes with one 4-byte message in flight",
                 (unsigned long long)pair, end, n);
    memcpy(p->buf[end] + p->have[end], data, n);
    p->have[end] += (unsigned)n;
    if (p->have[end] < 4)
        return RTB_PP_NOTHING;
    p->have[end] = 0;
    uint32_t value;
    memcpy(&value, p->buf[end], sizeof value);
    if (end == 1) {
        *reply = value;
        return RTB_PP_SEND;
    }
    if (value != p->next)
        rtb_fail("round trip carried %u, expected %u", value, p->next);
    if (++p->done == pp->rounds) {
        pp->running--;
        return RTB_PP_FINISHED;
    }
    *reply = ++p->next;
    return RTB_PP_SEND;
}

/* rtb_pp_write: one 4-byte write; with one message in flight the socket always has room. */
void rtb_pp_write(int fd, uint32_t value)
{
    ssize_t n = write(fd, &value, sizeof value);
    if (n != (ssize_t)sizeof value)
        rtb_fail("write of 4 bytes returned %zd (%s)", n, n < 0 ? strerror(errno) : "short");
}

/* rtb_pp_readable: read at most the rest of one message, take it, write the reply. */
int rtb_pp_readable(rtb_pp *pp, uint64_t pair, unsigned end)
{
    rtb_pp_pair *p = &pp->pairs[pair];
    unsigned char in[4];
    ssize_t n = read(p->fd[end], in, 4 - p->have[end]);
    if (n < 0) {
        if (errno == EAGAIN)
            return 0;  /* a readiness API may report a descriptor with nothing to read */
        rtb_fail_errno("read");
    }
    if (n == 0)
        rtb_fail("peer closed a socketpair mid-run");
    uint32_t reply;
    rtb_pp_action a = rtb_pp_take(pp, pair, end, in, (size_t)n, &reply);
    if (a == RTB_PP_SEND)
        rtb_pp_write(p->fd[end], reply);
    return a == RTB_PP_FINISHED;
}

/* rtb_pp_report: every pair exactly R round trips, nothing half-received; ns per round trip. */
void rtb_pp_report(rtb_pp *pp, uint64_t t0, uint64_t t1)
{
    for (uint64_t i = 0; i < pp->npairs; i++) {
        rtb_pp_pair *p = &pp->pairs[i];
        if (p->done != pp->rounds || p->have[0] != 0 || p->have[1] != 0)
            rtb_fail("pair %llu finished %llu of %llu round trips", (unsigned long long)i,
                     (unsigned long long)p->done, (unsigned long long)pp->rounds);
    }
    if (pp->running != 0)
        rtb_fail("%llu pairs still running", (unsigned long long)pp->running);
    rtb_metric("round_trip", "ns", (double)(t1 - t0) / (double)(pp->npairs * pp->rounds));
}

/* rtb_pp_close: close both ends of every pair and free the table. */
void rtb_pp_close(rtb_pp *pp)
{
    for (uint64_t i = 0; pp->pairs != NULL && i < pp->npairs; i++)
        rtb_close_all(pp->pairs[i].fd, 2);
    rt_free(pp->pairs);
    pp->pairs = NULL;
}
