/* tcp_echo.c (rtb-libevent): loopback TCP echo with bufferevents, the library's stream idiom. */
#include "leb.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <sys/socket.h>

#include "rt_alloc.h"
#include "rtb_echo.h"
#include "rtb_util.h"

/*
 * A bufferevent owns a socket plus an input and an output evbuffer and does the reads and writes
 * itself; the program sees data, not readiness. The echo server is the textbook one:
 * evbuffer_add_buffer(output, input) moves the received chains to the output without copying.
 * Backpressure is explicit: past 4 buffers of unsent echo the server disables reading, and the
 * write callback (output drained) enables it again. The client adds the pattern to its output
 * by reference (no copy) and tops it up from the write callback. Single reads and writes are
 * capped at buf= bytes, so "8 KiB buffers" means the same here as in the other runtimes.
 */

typedef struct leb__client {
    struct bufferevent *bev;
    unsigned idx;
    uint64_t queued, received;  /* pattern bytes handed to the output; echo bytes verified */
    int shut;
} leb__client;

typedef struct leb__server {
    struct bufferevent *bev;
    int peer_eof, shut;
} leb__server;

static rtb_echo leb__e;
static unsigned char *leb__rbuf;
static struct event_base *leb__base;

/* leb__client_fill: keep up to 8 buffers of pattern queued; once all is out, shut down writing. */
static void leb__client_fill(leb__client *c)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    size_t window = 8 * leb__e.buf;
    while (c->queued < leb__e.bytes && evbuffer_get_length(out) < window) {
        uint64_t left = leb__e.bytes - c->queued;
        size_t n = left < leb__e.buf ? (size_t)left : leb__e.buf;
        if (evbuffer_add_reference(out, rtb_pattern_at(c->queued, c->idx), n, NULL, NULL) != 0)
            rtb_fail("evbuffer_add_reference failed");
        c->queued += n;
    }
    if (c->queued == leb__e.bytes && evbuffer_get_length(out) == 0 && !c->shut) {
        if (shutdown(bufferevent_getfd(c->bev), SHUT_WR) != 0)
            rtb_fail_errno("client shutdown");
        c->shut = 1;
    }
}

/* leb__client_write_cb: the output fell to its low watermark: top it up. */
static void leb__client_write_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    leb__client_fill(arg);
}

/* leb__client_read_cb: verify and drop everything that has arrived. */
static void leb__client_read_cb(struct bufferevent *bev, void *arg)
{
    leb__client *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n;
    while ((n = evbuffer_get_length(in)) > 0) {
        if (n > leb__e.buf)
            n = leb__e.buf;
        if (evbuffer_remove(in, leb__rbuf, n) != (int)n)
            rtb_fail("evbuffer_remove came up short");
        rtb_echo_verify(&leb__e, c->idx, c->received, leb__rbuf, n);
        c->received += n;
    }
}

/* leb__client_event_cb: end-of-stream finishes the client; an error fails the run. */
static void leb__client_event_cb(struct bufferevent *bev, short what, void *arg)
{
    leb__client *c = arg;
    if (!(what & BEV_EVENT_EOF))
        rtb_fail("client bufferevent error (events 0x%x)", (unsigned)what);
    leb__client_read_cb(bev, c);
    rtb_echo_client_eof(&leb__e, c->idx, c->received);
    bufferevent_disable(bev, EV_READ | EV_WRITE);
    if (leb__e.closed == leb__e.conns)
        event_base_loopbreak(leb__base);
}

/* leb__server_read_cb: move input to output; stop reading while 4 buffers wait to go out. */
static void leb__server_read_cb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *out = bufferevent_get_output(bev);
    if (evbuffer_add_buffer(out, bufferevent_get_input(bev)) != 0)
        rtb_fail("evbuffer_add_buffer failed");
    if (evbuffer_get_length(out) >= 4 * leb__e.buf)
        bufferevent_disable(bev, EV_READ);
}

/* leb__server_write_cb: output drained: read again, or after the peer's end shut down ours. */
static void leb__server_write_cb(struct bufferevent *bev, void *arg)
{
    leb__server *s = arg;
    if (!s->peer_eof) {
        bufferevent_enable(bev, EV_READ);
    } else if (!s->shut) {
        if (shutdown(bufferevent_getfd(bev), SHUT_WR) != 0)
            rtb_fail_errno("server shutdown");
        s->shut = 1;
    }
}

/* leb__server_event_cb: the client's end-of-stream; shut down at once if nothing is pending. */
static void leb__server_event_cb(struct bufferevent *bev, short what, void *arg)
{
    leb__server *s = arg;
    if (!(what & BEV_EVENT_EOF))
        rtb_fail("server bufferevent error (events 0x%x)", (unsigned)what);
    s->peer_eof = 1;
    leb__server_read_cb(bev, s);
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        leb__server_write_cb(bev, s);
}

/* leb__bev: a bufferevent on fd with single reads and writes capped at buf= bytes. */
static struct bufferevent *leb__bev(int fd)
{
    struct bufferevent *bev = bufferevent_socket_new(leb__base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL || bufferevent_set_max_single_read(bev, leb__e.buf) != 0
        || bufferevent_set_max_single_write(bev, leb__e.buf) != 0)
        rtb_fail("bufferevent_socket_new failed");
    return bev;
}

/* leb_tcp_echo: the workload; metric MB/s echoed. */
int leb_tcp_echo(rtb_args *args)
{
    rtb_echo_params(&leb__e, args);
    rtb_echo_open(&leb__e);
    uint64_t nc = leb__e.conns;
    leb__client *cl = rt_calloc(nc, sizeof *cl);
    leb__server *sv = rt_calloc(nc, sizeof *sv);
    leb__rbuf = rt_malloc(leb__e.buf);
    if (cl == NULL || sv == NULL || leb__rbuf == NULL)
        rtb_fail("out of memory for %llu connections", (unsigned long long)nc);
    leb__base = leb_base_new();
    for (uint64_t i = 0; i < nc; i++) {
        cl[i].idx = (unsigned)i;
        cl[i].bev = leb__bev(leb__e.client[i]);
        sv[i].bev = leb__bev(leb__e.server[i]);
        bufferevent_setcb(cl[i].bev, leb__client_read_cb, leb__client_write_cb,
                          leb__client_event_cb, &cl[i]);
        bufferevent_setcb(sv[i].bev, leb__server_read_cb, leb__server_write_cb,
                          leb__server_event_cb, &sv[i]);
        /* The client's write callback runs when its output falls to half the window. */
        bufferevent_setwatermark(cl[i].bev, EV_WRITE, 4 * leb__e.buf, 0);
        bufferevent_enable(cl[i].bev, EV_READ | EV_WRITE);
        bufferevent_enable(sv[i].bev, EV_READ | EV_WRITE);
    }
    event_base_loop(leb__base, EVLOOP_ONCE | EVLOOP_NONBLOCK);

    uint64_t t0 = rtb_now_ns();
    for (uint64_t i = 0; i < nc; i++)
        leb__client_fill(&cl[i]);
    event_base_dispatch(leb__base);
    uint64_t t1 = rtb_now_ns();
    rtb_echo_report(&leb__e, t0, t1);

    for (uint64_t i = 0; i < nc; i++) {
        bufferevent_free(cl[i].bev);  /* BEV_OPT_CLOSE_ON_FREE closes the sockets */
        bufferevent_free(sv[i].bev);
    }
    event_base_free(leb__base);
    rtb_echo_free(&leb__e);
    rt_free(leb__rbuf);
    rt_free(cl);
    rt_free(sv);
    return 0;
}
