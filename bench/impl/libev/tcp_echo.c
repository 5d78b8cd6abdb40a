/* tcp_echo.c (rtb-libev): loopback TCP echo with ev_io read and write watchers. */
#include "evb.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_alloc.h"
#include "rt_qnode.h"
#include "rtb_echo.h"
#include "rtb_util.h"

/*
 * libev watches, the callback does the IO. libev's epoll backend is level-triggered, so the
 * idiom is one read or one write per callback, with the loop calling again while the socket
 * stays ready; a write watcher is started only while there is something to write, because a
 * level-triggered write watcher on a writable socket would fire on every iteration.
 *
 * The echo server stops its read watcher while an echo is pending and restarts it once the
 * buffer is written out: at most one buffer per connection, the same backpressure as the floor.
 */

typedef struct evb__client {
    ev_io rd, wr;
    unsigned idx;
    uint64_t sent, received;
} evb__client;

typedef struct evb__server {
    ev_io rd, wr;
    unsigned char *buf;
    size_t have, off;
    int peer_eof;
} evb__server;

static rtb_echo evb__e;
static unsigned char *evb__rbuf;

/* evb__client_wr: write the next piece of the pattern; at the end shut down and stop writing. */
static void evb__client_wr(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    evb__client *c = rt_container_of(w, evb__client, wr);
    uint64_t left = evb__e.bytes - c->sent;
    size_t n = left < evb__e.buf ? (size_t)left : evb__e.buf;
    ssize_t r = write(w->fd, rtb_pattern_at(c->sent, c->idx), n);
    if (r < 0) {
        if (errno == EAGAIN)
            return;
        rtb_fail_errno("client write");
    }
    c->sent += (uint64_t)r;
    if (c->sent == evb__e.bytes) {
        ev_io_stop(loop, w);
        if (shutdown(w->fd, SHUT_WR) != 0)
            rtb_fail_errno("client shutdown");
    }
}

/* evb__client_rd: read and verify one buffer of echo; end-of-stream finishes the client. */
static void evb__client_rd(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    evb__client *c = rt_container_of(w, evb__client, rd);
    ssize_t r = read(w->fd, evb__rbuf, evb__e.buf);
    if (r < 0) {
        if (errno == EAGAIN)
            return;
        rtb_fail_errno("client read");
    }
    if (r == 0) {
        ev_io_stop(loop, w);
        rtb_echo_client_eof(&evb__e, c->idx, c->received);
        return;
    }
    rtb_echo_verify(&evb__e, c->idx, c->received, evb__rbuf, (size_t)r);
    c->received += (uint64_t)r;
}

/* evb__server_flush: write what is pending; 1 when the buffer is empty. */
static int evb__server_flush(evb__server *s)
{
    while (s->off < s->have) {
        ssize_t r = write(s->wr.fd, s->buf + s->off, s->have - s->off);
        if (r < 0) {
            if (errno == EAGAIN)
                return 0;
            rtb_fail_errno("server write");
        }
        s->off += (size_t)r;
    }
    s->have = s->off = 0;
    return 1;
}

/* evb__server_idle: the buffer is empty: read again, or after the peer's end shut down ours. */
static void evb__server_idle(struct ev_loop *loop, evb__server *s)
{
    if (!s->peer_eof) {
        ev_io_start(loop, &s->rd);
    } else if (shutdown(s->rd.fd, SHUT_WR) != 0) {
        rtb_fail_errno("server shutdown");
    }
}

/* evb__server_rd: read one buffer and echo it; if it does not all go out, wait for writable. */
static void evb__server_rd(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    evb__server *s = rt_container_of(w, evb__server, rd);
    ssize_t r = read(w->fd, s->buf, evb__e.buf);
    if (r < 0) {
        if (errno == EAGAIN)
            return;
        rtb_fail_errno("server read");
    }
    ev_io_stop(loop, w);
    if (r == 0) {
        s->peer_eof = 1;
        evb__server_idle(loop, s);
        return;
    }
    s->have = (size_t)r;
    if (evb__server_flush(s))
        evb__server_idle(loop, s);
    else
        ev_io_start(loop, &s->wr);
}

/* evb__server_wr: the socket drained: write the rest, then go back to reading. */
static void evb__server_wr(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    evb__server *s = rt_container_of(w, evb__server, wr);
    if (!evb__server_flush(s))
        return;
    ev_io_stop(loop, w);
    evb__server_idle(loop, s);
}

/* evb_tcp_echo: the workload; ev_run returns when every watcher has stopped. */
int evb_tcp_echo(rtb_args *args)
{
    rtb_echo_params(&evb__e, args);
    rtb_echo_open(&evb__e);
    uint64_t nc = evb__e.conns;
    evb__client *cl = rt_calloc(nc, sizeof *cl);
    evb__server *sv = rt_calloc(nc, sizeof *sv);
    unsigned char *bufs = rt_malloc(nc * evb__e.buf);
    evb__rbuf = rt_malloc(evb__e.buf);
    if (cl == NULL || sv == NULL || bufs == NULL || evb__rbuf == NULL)
        rtb_fail("out of memory for %llu connections", (unsigned long long)nc);
    struct ev_loop *loop = evb_loop_new();
    for (uint64_t i = 0; i < nc; i++) {
        cl[i].idx = (unsigned)i;
        ev_io_init(&cl[i].rd, evb__client_rd, evb__e.client[i], EV_READ);
        ev_io_init(&cl[i].wr, evb__client_wr, evb__e.client[i], EV_WRITE);
        sv[i].buf = bufs + i * evb__e.buf;
        ev_io_init(&sv[i].rd, evb__server_rd, evb__e.server[i], EV_READ);
        ev_io_init(&sv[i].wr, evb__server_wr, evb__e.server[i], EV_WRITE);
        ev_io_start(loop, &cl[i].rd);
        ev_io_start(loop, &sv[i].rd);
    }
    ev_run(loop, EVRUN_NOWAIT);

    uint64_t t0 = rtb_now_ns();
    for (uint64_t i = 0; i < nc; i++)
        ev_io_start(loop, &cl[i].wr);
    ev_run(loop, 0);
    uint64_t t1 = rtb_now_ns();
    rtb_echo_report(&evb__e, t0, t1);

    ev_loop_destroy(loop);
    for (uint64_t i = 0; i < nc; i++) {
        close(evb__e.client[i]);
        close(evb__e.server[i]);
    }
    rtb_echo_free(&evb__e);
    rt_free(bufs);
    rt_free(evb__rbuf);
    rt_free(cl);
    rt_free(sv);
    return 0;
}
