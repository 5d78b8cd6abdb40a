/* sock_ping_pong.c (rtb-libuv): each socket end a uv_pipe_t stream; uv_read_start and uv_write. */
#include "uvb.h"

#include "rt_alloc.h"
#include "rt_qnode.h"
#include "rtb_pingpong.h"
#include "rtb_util.h"

/*
 * libuv reads for you: uv_read_start asks alloc_cb for a buffer, reads into it and hands the
 * bytes to read_cb. Writes are requests: uv_write tries to write at once and, either way,
 * reports completion through write_cb on a later loop turn. Each end owns one uv_write_t and
 * one 4-byte reply, which is enough because a pair never has two messages in flight; the
 * `writing` flag turns that reasoning into a check.
 */

typedef struct uvb__end {
    uv_pipe_t pipe;
    uv_write_t req;
    uint32_t reply;          /* must stay valid until the write completes */
    int writing;
    uint64_t pair;
    unsigned end;
    char rbuf[64];
} uvb__end;

static rtb_pp uvb__pp;
static uvb__end *uvb__ends;

/* uvb__alloc: every read goes into the end's small buffer; messages are 4 bytes. */
static void uvb__alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    uvb__end *e = rt_container_of((uv_pipe_t *)h, uvb__end, pipe);
    *buf = uv_buf_init(e->rbuf, sizeof e->rbuf);
}

/* uvb__written: a reply went out; the end may write again. */
static void uvb__written(uv_write_t *req, int status)
{
    if (status < 0)
        uvb_fail("uv_write", status);
    rt_container_of(req, uvb__end, req)->writing = 0;
}

/* uvb__send: send 4 bytes from end e with uv_write. */
static void uvb__send(uvb__end *e, uint32_t value)
{
    if (e->writing)
        rtb_fail("pair %llu end %u: a second write while one is in flight",
                 (unsigned long long)e->pair, e->end);
    e->reply = value;
    e->writing = 1;
    uv_buf_t b = uv_buf_init((char *)&e->reply, sizeof e->reply);
    int rc = uv_write(&e->req, (uv_stream_t *)&e->pipe, &b, 1, uvb__written);
    if (rc < 0)
        uvb_fail("uv_write", rc);
}

/* uvb__read: bytes arrived; reply, or on the last round trip stop reading on both ends. */
static void uvb__read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    uvb__end *e = rt_container_of((uv_pipe_t *)s, uvb__end, pipe);
    if (nread == 0)
        return;  /* EAGAIN in libuv's words: nothing this time */
    if (nread < 0)
        uvb_fail("read", (int)nread);
    uint32_t reply;
    rtb_pp_action a = rtb_pp_take(&uvb__pp, e->pair, e->end, buf->base, (size_t)nread, &reply);
    if (a == RTB_PP_SEND) {
        uvb__send(e, reply);
    } else if (a == RTB_PP_FINISHED) {
        uv_read_stop((uv_stream_t *)&uvb__ends[2 * e->pair].pipe);
        uv_read_stop((uv_stream_t *)&uvb__ends[2 * e->pair + 1].pipe);
    }
}

/* uvb_sock_ping_pong: the workload; uv_run returns when no end is reading or writing. */
int uvb_sock_ping_pong(rtb_args *args)
{
    rtb_pp_params(&uvb__pp, args);
    rtb_pp_open(&uvb__pp);
    uv_loop_t loop;
    int rc = uv_loop_init(&loop);
    if (rc < 0)
        uvb_fail("uv_loop_init", rc);
    uint64_t nends = 2 * uvb__pp.npairs;
    uvb__ends = rt_calloc(nends, sizeof *uvb__ends);
    if (uvb__ends == NULL)
        rtb_fail("out of memory for %llu pipes", (unsigned long long)nends);
    for (uint64_t i = 0; i < nends; i++) {
        uvb__end *e = &uvb__ends[i];
        e->pair = i >> 1;
        e->end = (unsigned)(i & 1);
        /* uv_pipe_open takes the fd over; uv_close will close it, so rtb_pp_close must not. */
        if ((rc = uv_pipe_init(&loop, &e->pipe, 0)) < 0
            || (rc = uv_pipe_open(&e->pipe, uvb__pp.pairs[e->pair].fd[e->end])) < 0
            || (rc = uv_read_start((uv_stream_t *)&e->pipe, uvb__alloc, uvb__read)) < 0)
            uvb_fail("uv_pipe set-up", rc);
        uvb__pp.pairs[e->pair].fd[e->end] = -1;
    }
    uv_run(&loop, UV_RUN_NOWAIT);

    uint64_t t0 = rtb_now_ns();
    for (uint64_t i = 0; i < uvb__pp.npairs; i++)
        uvb__send(&uvb__ends[2 * i], uvb__pp.pairs[i].next);
    uv_run(&loop, UV_RUN_DEFAULT);
    uint64_t t1 = rtb_now_ns();

    rtb_pp_report(&uvb__pp, t0, t1);
    for (uint64_t i = 0; i < nends; i++)
        uv_close((uv_handle_t *)&uvb__ends[i].pipe, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0)
        rtb_fail("uv_loop_close: handles left open");
    rt_free(uvb__ends);
    rtb_pp_close(&uvb__pp);
    return 0;
}
