/* as_echo_server.c: a TCP echo server on 127.0.0.1:PORT -- one task per connection, errors are results, not crashes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "as.h"

/*
 * The async-std book's echo server:
 *
 *     let listener = TcpListener::bind("127.0.0.1:PORT").await?;
 *     let mut incoming = listener.incoming();
 *     while let Some(stream) = incoming.next().await {
 *         let stream = stream?;
 *         task::spawn(async move {
 *             let (reader, writer) = &mut (&stream, &stream);
 *             io::copy(reader, writer).await
 *         });
 *     }
 *
 * Run it with a port (0 picks a free one); it prints "listening on 127.0.0.1:N". Each
 * connection gets its own task, which copies what it reads back to the peer until EOF. What a
 * real server must survive, and this one does:
 *   - a peer that resets the connection or vanishes: that connection's task sees an error
 *     result, logs one line and closes it; nobody else notices;
 *   - running out of file descriptors (EMFILE) on accept: the pending connection stays in the
 *     kernel's queue, so we log, sleep 100 ms (retrying at once would spin, the queue still
 *     being "readable") and accept again;
 *   - SIGINT or SIGTERM: the accept loop stops, main returns, and the runtime's exit handler
 *     cancels the connection tasks still running, closing their sockets.
 */

static int stop_pipe[2] = { -1, -1 };

/* on_signal: async-signal-safe: one byte into the self-pipe the accept loop watches. */
static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    ssize_t n = write(stop_pipe[1], "x", 1);
    (void)n;
    errno = saved;
}

/* ---- one connection --------------------------------------------------------------------- */

typedef struct conn_fut {
    rt_future base;
    rt_async co;
    as_io *stream;
    char peer[64];
    as_read_fut rd;
    as_write_all_fut wr;
    char buf[4096];
} conn_fut;

/* conn_poll: read, write back, until EOF or an error. */
static rt_poll conn_poll(rt_future *f, rt_context *cx)
{
    conn_fut *self = (conn_fut *)f;
    RT_BEGIN(&self->co);
    for (;;) {
        self->rd = as_read(self->stream, self->buf, sizeof self->buf);
        RT_AWAIT(&self->co, &self->rd, cx);
        if (self->rd.result == 0)
            break; /* EOF: the peer is done */
        if (self->rd.result < 0) {
            fprintf(stderr, "as_echo_server: %s: read: %s\n", self->peer,
                    strerror((int)-self->rd.result));
            break;
        }
        self->wr = as_write_all(self->stream, self->buf, (size_t)self->rd.result);
        RT_AWAIT(&self->co, &self->wr, cx);
        if (self->wr.result < 0) {
            fprintf(stderr, "as_echo_server: %s: write: %s\n", self->peer,
                    strerror((int)-self->wr.result));
            break;
        }
    }
    as_io_close(self->stream);
    self->stream = NULL;
    RT_END(&self->co);
}

/* conn_drop: cancelled (at exit): drop the pending read or write, then close the socket. */
static void conn_drop(rt_future *f)
{
    conn_fut *self = (conn_fut *)f;
    rt_async_drop(&self->co);
    as_io_close(self->stream);
    self->stream = NULL;
}

static const rt_future_vtable conn_vtable = { conn_poll, conn_drop, "echo connection" };

/* ---- the accept loop -------------------------------------------------------------------- */

typedef struct server_fut {
    rt_future base;
    rt_async co;
    as_io *listener;
    as_io *stop;            /* the self-pipe's read end */
    as_accept_fut acc;
    as_ready_fut stop_ready;
    rt_future *race[2];
    rt_select_fut sel;
    as_sleep_fut backoff;
    unsigned long served;
} server_fut;

/* server_poll: accept (or stop), spawn a task per connection, back off on EMFILE. */
static rt_poll server_poll(rt_future *f, rt_context *cx)
{
    server_fut *self = (server_fut *)f;
    RT_BEGIN(&self->co);
    for (;;) {
        self->acc = as_tcp_accept(self->listener);
        self->stop_ready = as_readable(self->stop);
        self->race[0] = &self->acc.base;
        self->race[1] = &self->stop_ready.base;
        self->sel = rt_select(self->race, 2);
        RT_AWAIT(&self->co, &self->sel, cx);
        if (self->sel.winner == 1) {
            fprintf(stderr, "as_echo_server: stopping after %lu connection(s)\n", self->served);
            break;
        }
        if (self->acc.err == -EMFILE || self->acc.err == -ENFILE) {
            fprintf(stderr, "as_echo_server: accept: %s; backing off 100 ms\n",
                    strerror(-self->acc.err));
            self->backoff = as_sleep(100);
            RT_AWAIT(&self->co, &self->backoff, cx);
            continue;
        }
        if (self->acc.err != 0) {
            fprintf(stderr, "as_echo_server: accept: %s\n", strerror(-self->acc.err));
            continue;
        }
        conn_fut c = { .base = { &conn_vtable }, .stream = self->acc.stream };
        as_addr_format((struct sockaddr *)&self->acc.peer, self->acc.peer_len, c.peer,
                       sizeof c.peer);
        as_task t;
        if (AS_SPAWN(c, &t) != 0) {
            fprintf(stderr, "as_echo_server: out of memory; dropping %s\n", c.peer);
            as_io_close(c.stream);
            continue;
        }
        as_task_detach(&t);
        self->served++;
    }
    RT_END(&self->co);
}

/* server_drop: release whatever the loop was waiting on. */
static void server_drop(rt_future *f)
{
    rt_async_drop(&((server_fut *)f)->co);
}

static const rt_future_vtable server_vtable = { server_poll, server_drop, "echo server" };

/* parse_port: 0..65535, digits only. */
static int parse_port(const char *s)
{
    if (s == NULL || s[0] == '\0' || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
        return -1;
    long v = strtol(s, NULL, 10);
    return v <= 65535 ? (int)v : -1;
}

/* main: check the port, listen, serve until SIGINT/SIGTERM, close what we opened. */
int main(int argc, char **argv)
{
    int port = argc == 2 ? parse_port(argv[1]) : -1;
    if (port < 0) {
        fprintf(stderr, "usage: as_echo_server PORT   (PORT is 0..65535; 0 picks a free one)\n");
        if (argc == 2)
            fprintf(stderr, "as_echo_server: invalid port '%s'\n", argv[1]);
        return 2;
    }
    if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        perror("as_echo_server: pipe");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    server_fut s = { .base = { &server_vtable } };
    int err = as_tcp_listen(addr, &s.listener);
    if (err != 0) {
        fprintf(stderr, "as_echo_server: cannot listen on %s: %s\n", addr, strerror(-err));
        return 1;
    }
    if ((err = as_io_open(stop_pipe[0], &s.stop)) != 0) {
        fprintf(stderr, "as_echo_server: %s\n", strerror(-err));
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", as_io_local_port(s.listener));
    fflush(stdout);

    as_block_on(&s.base);
    rt_future_drop(&s.base);
    as_io_close(s.listener);
    as_io_close(s.stop);
    close(stop_pipe[1]);
    return 0;
}
