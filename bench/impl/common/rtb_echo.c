/* rtb_echo.c: tcp_echo's parameters, loopback pairs, per-byte check and MB/s, for the C loops. */
#include "rtb_echo.h"

#include <string.h>

#include "rt_alloc.h"
#include "rtb_net.h"
#include "rtb_util.h"

/* rtb_echo_params: conns in [1, 10000], kib in [1, 2^24], buf in [1, RTB_PATTERN_SPAN]. */
void rtb_echo_params(rtb_echo *e, rtb_args *args)
{
    e->conns = rtb_param_u64(args, "conns", 1, 10000);
    e->bytes = rtb_param_u64(args, "kib", 1, (uint64_t)1 << 24) * 1024;
    e->buf = (size_t)rtb_param_u64(args, "buf", 1, RTB_PATTERN_SPAN);
    rtb_params_done(args);
    e->client = e->server = NULL;
    e->received = e->closed = 0;
}

/* rtb_echo_open: conns connected loopback pairs. */
void rtb_echo_open(rtb_echo *e)
{
    rtb_need_fds(2 * e->conns + 64, "tcp_echo");
    e->client = rt_malloc(e->conns * sizeof *e->client);
    e->server = rt_malloc(e->conns * sizeof *e->server);
    if (e->client == NULL || e->server == NULL)
        rtb_fail("out of memory for %llu connections", (unsigned long long)e->conns);
    if (rtb_tcp_pairs(e->conns, e->client, e->server) != 0)
        rtb_fail_errno("loopback connect/accept");
}

/* rtb_echo_verify: the echoed bytes must be the pattern at their offset, and not beyond the end. */
void rtb_echo_verify(rtb_echo *e, unsigned conn, uint64_t offset, const void *data, size_t n)
{
    if (offset + n > e->bytes)
        rtb_fail("connection %u got %llu bytes back, sent only %llu", conn,
                 (unsigned long long)(offset + n), (unsigned long long)e->bytes);
    const unsigned char *got = data;
    /* The pattern pointer is valid for RTB_PATTERN_SPAN bytes; check longer reads in steps. */
    while (n > 0) {
        size_t step = n < RTB_PATTERN_SPAN ? n : RTB_PATTERN_SPAN;
        if (memcmp(got, rtb_pattern_at(offset, conn), step) != 0)
            rtb_fail("connection %u: echoed bytes differ near offset %llu", conn,
                     (unsigned long long)offset);
        got += step;
        offset += step;
        n -= step;
        e->received += step;
    }
}

/* rtb_echo_client_eof: clean end-of-stream only after every byte came back. */
void rtb_echo_client_eof(rtb_echo *e, unsigned conn, uint64_t got)
{
    if (got != e->bytes)
        rtb_fail("connection %u closed after %llu of %llu bytes", conn, (unsigned long long)got,
                 (unsigned long long)e->bytes);
    e->closed++;
}

/* rtb_echo_report: all clients closed cleanly with conns * bytes echoed; record MB/s. */
void rtb_echo_report(rtb_echo *e, uint64_t t0, uint64_t t1)
{
    if (e->closed != e->conns || e->received != e->conns * e->bytes)
        rtb_fail("tcp_echo: %llu of %llu connections done, %llu of %llu bytes echoed",
                 (unsigned long long)e->closed, (unsigned long long)e->conns,
                 (unsigned long long)e->received, (unsigned long long)(e->conns * e->bytes));
    rtb_metric("throughput", "MB/s", (double)e->received / ((double)(t1 - t0) / 1e9) / 1e6);
}

/* rtb_echo_free: release the fd tables. */
void rtb_echo_free(rtb_echo *e)
{
    rt_free(e->client);
    rt_free(e->server);
    e->client = e->server = NULL;
}
