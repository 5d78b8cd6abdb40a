/* http_hello.c (rtb-libuv): the HTTP/1.1 hello responder on uv_tcp_t, uv_signal_t and uv_timer_t. */
#include "uvb.h"

#include <netinet/in.h>
#include <signal.h>

#include "rt_alloc.h"
#include "rt_qnode.h"
#include "rtb_http.h"

/*
 * Each connection is a uv_tcp_t whose alloc_cb hands libuv the free tail of the parser's input
 * buffer, so bytes land where they are parsed. Replies go out with uv_try_write; what the kernel
 * does not take is queued with uv_write and reading pauses until its callback, so a pipelining
 * client is throttled by its own reading. Shutdown is libuv's idiom: uv_walk over every handle
 * and uv_close each; the loop then runs out of handles and uv_run returns.
 */

typedef struct uvb__hconn {
    uv_tcp_t tcp;
    uv_write_t wreq;
    int writing;
    rtb_http_conn http;
} uvb__hconn;

static uint64_t uvb__accepted, uvb__served, uvb__refused;

static void uvb__conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* uvb__conn_closed: the close callback of a connection: tally and free. */
static void uvb__conn_closed(uv_handle_t *h)
{
    uvb__hconn *c = h->data;
    uvb__served += c->http.served;
    uvb__refused += c->http.refused;
    rt_free(c);
}

/* uvb__conn_close: close a connection, unless already closing (shutdown may race a close). */
static void uvb__conn_close(uvb__hconn *c, int linger)
{
    if (uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    uv_os_fd_t fd;
    if (linger && uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0)
        rtb_http_linger(fd);
    uv_close((uv_handle_t *)&c->tcp, uvb__conn_closed);
}

/* uvb__conn_alloc: read into the parser's free space (0 bytes when closing: libuv then says ENOBUFS). */
static void uvb__conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    uvb__hconn *c = h->data;
    size_t room;
    char *space = rtb_http_in_space(&c->http, &room);
    *buf = uv_buf_init(space, (unsigned)room);
}

static void uvb__answer(uvb__hconn *c);

/* uvb__conn_written: a queued reply went out: resume reading and answering. */
static void uvb__conn_written(uv_write_t *req, int status)
{
    uvb__hconn *c = rt_container_of(req, uvb__hconn, wreq);
    c->writing = 0;
    if (status < 0) {
        uvb__conn_close(c, 0);  /* ECANCELED from a close, or the client went away */
        return;
    }
    rtb_http_out_commit(&c->http, c->http.out_len - c->http.out_off);
    if (uv_is_closing((uv_handle_t *)&c->tcp))
        return;
    uv_read_start((uv_stream_t *)&c->tcp, uvb__conn_alloc, uvb__conn_read);
    uvb__answer(c);
}

/* uvb__answer: answer what is parsed; write with try_write, queue the rest and pause reading. */
static void uvb__answer(uvb__hconn *c)
{
    rtb_http_conn *h = &c->http;
    for (;;) {
        size_t queued = rtb_http_process(h);
        while (h->out_off < h->out_len) {
            uv_buf_t b = uv_buf_init(h->out + h->out_off, (unsigned)(h->out_len - h->out_off));
            int r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
            if (r >= 0) {
                rtb_http_out_commit(h, (size_t)r);
                continue;
            }
            if (r != UV_EAGAIN || uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1,
                                           uvb__conn_written) < 0) {
                uvb__conn_close(c, 0);
                return;
            }
            c->writing = 1;
            uv_read_stop((uv_stream_t *)&c->tcp);
            return;
        }
        if (rtb_http_done(h)) {
            uvb__conn_close(c, 1);
            return;
        }
        if (queued == 0)
            return;
    }
}

/* uvb__conn_read: bytes arrived (or end-of-stream / an error: close). */
static void uvb__conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    uvb__hconn *c = s->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        uvb__conn_close(c, 0);
        return;
    }
    rtb_http_in_commit(&c->http, (size_t)nread);
    uvb__answer(c);
}

/* uvb__accept: a connection is waiting: accept it into a new uv_tcp_t and start reading. */
static void uvb__accept(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    uvb__hconn *c = rt_malloc(sizeof *c);
    if (c == NULL)
        return;  /* it stays in the backlog; libuv calls again */
    if (uv_tcp_init(server->loop, &c->tcp) < 0) {
        rt_free(c);
        return;
    }
    c->tcp.data = c;
    c->writing = 0;
    rtb_http_conn_init(&c->http);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0
        || uv_read_start((uv_stream_t *)&c->tcp, uvb__conn_alloc, uvb__conn_read) < 0) {
        uv_close((uv_handle_t *)&c->tcp, uvb__conn_closed);
        return;
    }
    uvb__accepted++;
}

/* uvb__close_any: uv_walk's callback: close every handle still open. */
static void uvb__close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (uv_is_closing(h))
        return;
    if (h->type == UV_TCP && h->data != NULL)
        uvb__conn_close(h->data, 0);
    else
        uv_close(h, NULL);
}

/* uvb__stop_sig: SIGTERM or SIGINT: close everything. */
static void uvb__stop_sig(uv_signal_t *h, int signum)
{
    (void)signum;
    uv_walk(h->loop, uvb__close_any, NULL);
}

/* uvb__stop_timer: duration= elapsed: close everything. */
static void uvb__stop_timer(uv_timer_t *h)
{
    uv_walk(h->loop, uvb__close_any, NULL);
}

/* uvb_http_hello: serve until a signal or the duration; no metrics (wrk measures). */
int uvb_http_hello(rtb_args *args)
{
    rtb_http_opts o;
    rtb_http_setup(args, &o);
    uv_loop_t loop;
    uv_tcp_t server;
    uv_signal_t term, intr;
    uv_timer_t limit;
    struct sockaddr_in sa;
    int rc;
    if ((rc = uv_loop_init(&loop)) < 0 || (rc = uv_tcp_init(&loop, &server)) < 0
        || (rc = uv_ip4_addr("127.0.0.1", o.port, &sa)) < 0
        || (rc = uv_tcp_bind(&server, (const struct sockaddr *)&sa, 0)) < 0
        || (rc = uv_listen((uv_stream_t *)&server, 1024, uvb__accept)) < 0)
        uvb_fail("listen on 127.0.0.1", rc);
    server.data = NULL;
    int len = sizeof sa;
    if ((rc = uv_tcp_getsockname(&server, (struct sockaddr *)&sa, &len)) < 0)
        uvb_fail("uv_tcp_getsockname", rc);
    if ((rc = uv_signal_init(&loop, &term)) < 0 || (rc = uv_signal_init(&loop, &intr)) < 0
        || (rc = uv_signal_start(&term, uvb__stop_sig, SIGTERM)) < 0
        || (rc = uv_signal_start(&intr, uvb__stop_sig, SIGINT)) < 0)
        uvb_fail("uv_signal", rc);
    if (o.duration_s > 0
        && ((rc = uv_timer_init(&loop, &limit)) < 0
            || (rc = uv_timer_start(&limit, uvb__stop_timer, o.duration_s * 1000, 0)) < 0))
        uvb_fail("uv_timer", rc);
    rtb_http_ready(ntohs(sa.sin_port));
    uv_run(&loop, UV_RUN_DEFAULT);
    rtb_http_summary("libuv", uvb__accepted, uvb__served, uvb__refused);
    if (uv_loop_close(&loop) != 0)
        rtb_fail("uv_loop_close: handles left open");
    return 0;
}
