/* tcp_echo.c (rtb-libuv): loopback TCP echo on uv_tcp_t streams. */
#include "uvb.h"

#include "rt_alloc.h"
#include "rt_qnode.h"
#include "rtb_echo.h"
#include "rtb_util.h"

/*
 * The libuv streaming idiom: uv_try_write while the kernel takes the bytes, and when it says
 * EAGAIN queue the rest with uv_write and continue from its callback (Node does the same). The
 * client writes straight out of the pattern, so nothing is copied. The server reads into its
 * own buffer, echoes with uv_try_write, and if that does not take everything, queues the rest
 * with uv_write and stops reading until the write completes: one buffer per connection.
 * End-of-stream is uv_shutdown, which libuv issues after the queued writes.
 */

typedef struct uvb__client {
    uv_tcp_t tcp;
    uv_write_t wreq;
    uv_shutdown_t sreq;
    unsigned idx;
    uint64_t sent, received;  /* sent counts bytes written or queued */
} uvb__client;

typedef struct uvb__server {
    uv_tcp_t tcp;
    uv_write_t wreq;
    uv_shutdown_t sreq;
    char *buf;
} uvb__server;

static rtb_echo uvb__e;
static char *uvb__rbuf;

/* uvb__shutdown_cb: a write side is closed; nothing to do but check it worked. */
static void uvb__shutdown_cb(uv_shutdown_t *req, int status)
{
    (void)req;
    if (status < 0)
        uvb_fail("uv_shutdown", status);
}

static void uvb__client_written(uv_write_t *req, int status);

/* uvb__client_fill: try_write the pattern until EAGAIN, then queue one buffer; shut down at the end. */
static void uvb__client_fill(uvb__client *c)
{
    uv_stream_t *s = (uv_stream_t *)&c->tcp;
    while (c->sent < uvb__e.bytes) {
        uint64_t left = uvb__e.bytes - c->sent;
        size_t n = left < uvb__e.buf ? (size_t)left : uvb__e.buf;
        uv_buf_t b = uv_buf_init((char *)rtb_pattern_at(c->sent, c->idx), (unsigned)n);
        int r = uv_try_write(s, &b, 1);
        if (r >= 0) {
            c->sent += (uint64_t)r;
            continue;
        }
        if (r != UV_EAGAIN)
            uvb_fail("uv_try_write", r);
        if ((r = uv_write(&c->wreq, s, &b, 1, uvb__client_written)) < 0)
            uvb_fail("uv_write", r);
        c->sent += n;
        return;
    }
    int r = uv_shutdown(&c->sreq, s, uvb__shutdown_cb);
    if (r < 0)
        uvb_fail("uv_shutdown", r);
}

/* uvb__client_written: the queued buffer went out: carry on filling. */
static void uvb__client_written(uv_write_t *req, int status)
{
    if (status < 0)
        uvb_fail("client uv_write", status);
    uvb__client_fill(rt_container_of(req, uvb__client, wreq));
}

/* uvb__client_alloc: clients read into the one shared buffer (one loop thread). */
static void uvb__client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h, (void)suggested;
    *buf = uv_buf_init(uvb__rbuf, (unsigned)uvb__e.buf);
}

/* uvb__client_read: verify the echo; end-of-stream finishes the client. */
static void uvb__client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    uvb__client *c = rt_container_of((uv_tcp_t *)s, uvb__client, tcp);
    if (nread == UV_EOF) {
        uv_read_stop(s);
        rtb_echo_client_eof(&uvb__e, c->idx, c->received);
        return;
    }
    if (nread < 0)
        uvb_fail("client read", (int)nread);
    rtb_echo_verify(&uvb__e, c->idx, c->received, buf->base, (size_t)nread);
    c->received += (uint64_t)nread;
}

static void uvb__server_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* uvb__server_alloc: a server reads into its own buffer, never in use by a pending write. */
static void uvb__server_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    uvb__server *sv = rt_container_of((uv_tcp_t *)h, uvb__server, tcp);
    *buf = uv_buf_init(sv->buf, (unsigned)uvb__e.buf);
}

/* uvb__server_written: the queued rest of an echo went out: read again. */
static void uvb__server_written(uv_write_t *req, int status)
{
    if (status < 0)
        uvb_fail("server uv_write", status);
    uvb__server *sv = rt_container_of(req, uvb__server, wreq);
    int r = uv_read_start((uv_stream_t *)&sv->tcp, uvb__server_alloc, uvb__server_read);
    if (r < 0)
        uvb_fail("uv_read_start", r);
}

/* uvb__server_read: echo what came in; what try_write did not take is queued, reading paused. */
static void uvb__server_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    uvb__server *sv = rt_container_of((uv_tcp_t *)s, uvb__server, tcp);
    if (nread == UV_EOF) {
        int r = uv_shutdown(&sv->sreq, s, uvb__shutdown_cb);
        if (r < 0)
            uvb_fail("uv_shutdown", r);
        return;
    }
    if (nread < 0)
        uvb_fail("server read", (int)nread);
    uv_buf_t b = uv_buf_init(buf->base, (unsigned)nread);
    int r = uv_try_write(s, &b, 1);
    if (r == (int)nread)
        return;
    if (r < 0 && r != UV_EAGAIN)
        uvb_fail("uv_try_write", r);
    size_t done = r > 0 ? (size_t)r : 0;
    b = uv_buf_init(buf->base + done, (unsigned)((size_t)nread - done));
    uv_read_stop(s);
    if ((r = uv_write(&sv->wreq, s, &b, 1, uvb__server_written)) < 0)
        uvb_fail("uv_write", r);
}

/* uvb_tcp_echo: the workload; metric MB/s echoed. */
int uvb_tcp_echo(rtb_args *args)
{
    rtb_echo_params(&uvb__e, args);
    rtb_echo_open(&uvb__e);
    uint64_t nc = uvb__e.conns;
    uvb__client *cl = rt_calloc(nc, sizeof *cl);
    uvb__server *sv = rt_calloc(nc, sizeof *sv);
    char *bufs = rt_malloc(nc * uvb__e.buf);
    uvb__rbuf = rt_malloc(uvb__e.buf);
    if (cl == NULL || sv == NULL || bufs == NULL || uvb__rbuf == NULL)
        rtb_fail("out of memory for %llu connections", (unsigned long long)nc);
    uv_loop_t loop;
    int rc = uv_loop_init(&loop);
    if (rc < 0)
        uvb_fail("uv_loop_init", rc);
    for (uint64_t i = 0; i < nc; i++) {
        cl[i].idx = (unsigned)i;
        sv[i].buf = bufs + i * uvb__e.buf;
        /* uv_tcp_open takes the descriptors over; uv_close closes them. */
        if ((rc = uv_tcp_init(&loop, &cl[i].tcp)) < 0
            || (rc = uv_tcp_open(&cl[i].tcp, uvb__e.client[i])) < 0
            || (rc = uv_tcp_init(&loop, &sv[i].tcp)) < 0
            || (rc = uv_tcp_open(&sv[i].tcp, uvb__e.server[i])) < 0
            || (rc = uv_read_start((uv_stream_t *)&cl[i].tcp, uvb__client_alloc,
                                   uvb__client_read)) < 0
            || (rc = uv_read_start((uv_stream_t *)&sv[i].tcp, uvb__server_alloc,
                                   uvb__server_read)) < 0)
            uvb_fail("uv_tcp set-up", rc);
    }
    uv_run(&loop, UV_RUN_NOWAIT);

    uint64_t t0 = rtb_now_ns();
    for (uint64_t i = 0; i < nc; i++)
        uvb__client_fill(&cl[i]);
    uv_run(&loop, UV_RUN_DEFAULT);
    uint64_t t1 = rtb_now_ns();
    rtb_echo_report(&uvb__e, t0, t1);

    for (uint64_t i = 0; i < nc; i++) {
        uv_close((uv_handle_t *)&cl[i].tcp, NULL);
        uv_close((uv_handle_t *)&sv[i].tcp, NULL);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0)
        rtb_fail("uv_loop_close: handles left open");
    rtb_echo_free(&uvb__e);
    rt_free(bufs);
    rt_free(uvb__rbuf);
    rt_free(cl);
    rt_free(sv);
    return 0;
}
