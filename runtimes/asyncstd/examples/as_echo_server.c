/* as_echo_server.c: a TCP echo server on 127.0.0.1:PORT -- one task per connection, errors are results, not crashes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
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
 *   - many connections: each costs a descriptor, so at start the soft RLIMIT_NOFILE is raised
 *     to the hard limit (the default soft limit is often only 1024);
 *   - running out of file descriptors (EMFILE) on accept: the pending connection stays in the
 *     kernel's queue, so we say so once, sleep 100 ms (retrying at once would spin, the queue
 *     still being "readable") and accept again;
 *   - SIGINT or SIGTERM: a graceful shutdown, as in the async-std book's chat server, built
 *     from channels whose closing is the message:
 *       1. the accept loop stops and the listener is closed: new connections are refused;
 *       2. the `stop` channel is closed: every connection waiting on it wakes up at once,
 *          and any that looks later finds it closed -- none can miss it;
 *       3. each connection stops reading, but first echoes every byte it has already read
 *          (the data we acknowledged), then shuts down its write side, so the peer sees
 *          end-of-file right after the last echoed byte;
 *       4. main waits, at most DRAIN_MS, for every connection to end: each holds a sender of
 *          the `alive` channel, and the receiver sees "closed" when the last one is dropped.
 *     Whatever is left after DRAIN_MS is cancelled by the runtime's exit handler.
 */

/* How long a draining connection waits for its peer to close, and main for them all. */
#define LINGER_MS 2000
#define DRAIN_MS 5000

static as_sender stop_tx;    /* closed to say "stop"; nothing is ever sent */
static as_receiver stop_rx;  /* each connection waits on a clone */
static as_sender alive_tx;   /* each connection holds a clone while it runs */
static as_receiver alive_rx; /* closed once every clone is gone */
static _Atomic unsigned long long total_read, total_echoed; /* bytes, over all connections */
static _Atomic long live_conns;

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
    as_receiver stop;           /* our clone of stop_rx */
    as_sender alive;            /* our clone of alive_tx */
    unsigned long long nread, nechoed;
    int draining;               /* 1: told to stop while we waited */
    uint64_t linger_deadline;
    as_read_fut rd;
    as_recv_fut stopped;
    as_sleep_fut linger;
    rt_future *race[2];
    rt_select_fut sel;
    as_write_all_fut wr;
    char buf[4096];
} conn_fut;

/* conn_poll: read, write back, until EOF, an error or the stop channel closes. */
static rt_poll conn_poll(rt_future *f, rt_context *cx)
{
    conn_fut *self = (conn_fut *)f;
    RT_BEGIN(&self->co);
    for (;;) {
        /* A connection that is always readable never waits on `stop` below: look first. */
        if (as_channel_is_closed(&self->stop)) {
            self->draining = 1;
            break;
        }
        /* Read, or stop. The read is first so it wins a tie; if `stop` wins, select drops
         * the read, which had consumed nothing -- all we did read is already echoed. */
        self->rd = as_read(self->stream, self->buf, sizeof self->buf);
        self->stopped = as_recv(&self->stop);
        self->race[0] = &self->rd.base;
        self->race[1] = &self->stopped.base;
        self->sel = rt_select(self->race, 2);
        RT_AWAIT(&self->co, &self->sel, cx);
        if (self->sel.winner == 1) {
            self->draining = 1;
            break;
        }
        if (self->rd.result == 0)
            break; /* EOF: the peer is done */
        if (self->rd.result < 0) {
            fprintf(stderr, "as_echo_server: %s: read: %s\n", self->peer,
                    strerror((int)-self->rd.result));
            break;
        }
        self->nread += (unsigned long long)self->rd.result;
        self->wr = as_write_all(self->stream, self->buf, (size_t)self->rd.result);
        RT_AWAIT(&self->co, &self->wr, cx);
        self->nechoed += self->wr.done;
        if (self->wr.result < 0) {
            fprintf(stderr, "as_echo_server: %s: write: %s\n", self->peer,
                    strerror((int)-self->wr.result));
            break;
        }
    }
    if (self->draining) {
        /* Send our FIN after the last echoed byte, then "linger": read and discard until the
         * peer closes too. Closing at once would be wrong: closing a socket with unread
         * input makes the kernel send a reset, which throws away the echoed bytes still on
         * their way to the peer. What we read now is not echoed, so it is not counted. */
        as_io_shutdown(self->stream, SHUT_WR);
        self->linger_deadline = as_now_ns() + (uint64_t)LINGER_MS * 1000000u;
        for (;;) {
            self->rd = as_read(self->stream, self->buf, sizeof self->buf);
            self->linger = as_sleep_until(self->linger_deadline);
            self->race[0] = &self->rd.base;
            self->race[1] = &self->linger.base;
            self->sel = rt_select(self->race, 2);
            RT_AWAIT(&self->co, &self->sel, cx);
            if (self->sel.winner == 1 || self->rd.result <= 0)
                break; /* the peer closed (or failed), or it took too long */
        }
    }
    as_io_close(self->stream);
    self->stream = NULL;
    RT_END(&self->co);
}

/* conn_drop: finished or cancelled: close the socket, count ourselves out. The figures are
 * added before our `alive` sender goes, and main reads them only after the last one went. */
static void conn_drop(rt_future *f)
{
    conn_fut *self = (conn_fut *)f;
    rt_async_drop(&self->co);
    as_io_close(self->stream);
    self->stream = NULL;
    atomic_fetch_add(&total_read, self->nread);
    atomic_fetch_add(&total_echoed, self->nechoed);
    atomic_fetch_sub(&live_conns, 1);
    as_receiver_drop(&self->stop);
    as_sender_drop(&self->alive);
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
    int out_of_fds;         /* 1 while accept fails for want of descriptors */
    unsigned long served;
} server_fut;

/* fd_limit: the soft RLIMIT_NOFILE now, for messages. */
static unsigned long long fd_limit(void)
{
    struct rlimit rl;
    return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (unsigned long long)rl.rlim_cur : 0;
}

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
            if (!self->out_of_fds)
                fprintf(stderr, "as_echo_server: accept: %s (%ld connections open, fd limit "
                        "%llu); retrying every 100 ms -- raise `ulimit -n` to serve more\n",
                        strerror(-self->acc.err), atomic_load(&live_conns), fd_limit());
            self->out_of_fds = 1;
            self->backoff = as_sleep(100);
            RT_AWAIT(&self->co, &self->backoff, cx);
            continue;
        }
        if (self->acc.err != 0) {
            fprintf(stderr, "as_echo_server: accept: %s\n", strerror(-self->acc.err));
            continue;
        }
        if (self->out_of_fds)
            fprintf(stderr, "as_echo_server: descriptors are free again; accepting\n");
        self->out_of_fds = 0;
        conn_fut c = { .base = { &conn_vtable }, .stream = self->acc.stream };
        as_addr_format((struct sockaddr *)&self->acc.peer, self->acc.peer_len, c.peer,
                       sizeof c.peer);
        c.stop = as_receiver_clone(&stop_rx);
        c.alive = as_sender_clone(&alive_tx);
        atomic_fetch_add(&live_conns, 1);
        as_task t;
        if (AS_SPAWN(c, &t) != 0) {
            fprintf(stderr, "as_echo_server: out of memory; dropping %s\n", c.peer);
            conn_drop(&c.base); /* closes the stream, counts it out */
            continue;
        }
        as_task_detach(&t);
        self->served++;
    }
    RT_END(&self->co);
}

/* The drain: wait until the `alive` channel closes, or DRAIN_MS pass. */
typedef struct drain_fut {
    rt_future base;
    rt_async co;
    as_recv_fut gone;
    as_timeout_fut deadline;
    int timed_out;          /* the output */
} drain_fut;

/* drain_poll: the receive fails with -EPIPE once every connection's sender is dropped. */
static rt_poll drain_poll(rt_future *f, rt_context *cx)
{
    drain_fut *self = (drain_fut *)f;
    RT_BEGIN(&self->co);
    self->gone = as_recv(&alive_rx);
    self->deadline = as_timeout(&self->gone.base, DRAIN_MS);
    RT_AWAIT(&self->co, &self->deadline, cx);
    self->timed_out = self->deadline.timed_out;
    RT_END(&self->co);
}

/* drain_drop: only the coroutine's pending await to release. */
static void drain_drop(rt_future *f)
{
    rt_async_drop(&((drain_fut *)f)->co);
}

static const rt_future_vtable drain_vtable = { drain_poll, drain_drop, "drain" };

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

/* raise_fd_limit: one descriptor per connection, so take all the kernel lets us have. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == rl.rlim_max)
        return;
    rlim_t want = rl.rlim_max;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        fprintf(stderr, "as_echo_server: cannot raise the fd limit to %llu: %s; serving at "
                "most about %llu connections\n", (unsigned long long)want, strerror(errno),
                fd_limit());
}

/* main: check the port, listen, serve until SIGINT/SIGTERM, drain, close what we opened. */
int main(int argc, char **argv)
{
    int port = argc == 2 ? parse_port(argv[1]) : -1;
    if (port < 0) {
        fprintf(stderr, "usage: as_echo_server PORT   (PORT is 0..65535; 0 picks a free one)\n");
        if (argc == 2)
            fprintf(stderr, "as_echo_server: invalid port '%s'\n", argv[1]);
        return 2;
    }
    raise_fd_limit();
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
    if ((err = as_io_open(stop_pipe[0], &s.stop)) != 0 ||
        (err = as_channel_unbounded(&stop_tx, &stop_rx)) != 0 ||
        (err = as_channel_unbounded(&alive_tx, &alive_rx)) != 0) {
        fprintf(stderr, "as_echo_server: %s\n", strerror(-err));
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", as_io_local_port(s.listener));
    fflush(stdout);

    as_block_on(&s.base);
    rt_future_drop(&s.base);

    /* Graceful shutdown: refuse new connections, tell the rest, wait for them. */
    fprintf(stderr, "as_echo_server: draining %ld connection(s)\n", atomic_load(&live_conns));
    as_io_close(s.listener);
    as_sender_close(&stop_tx);
    as_sender_drop(&alive_tx);
    drain_fut d = { .base = { &drain_vtable } };
    as_block_on(&d.base);
    rt_future_drop(&d.base);
    int code = 0;
    if (d.timed_out) {
        /* main returns: the runtime's exit handler cancels the stragglers. */
        fprintf(stderr, "as_echo_server: %ld connection(s) still open after %d ms; "
                "cancelling them\n", atomic_load(&live_conns), DRAIN_MS);
        code = 1;
    } else {
        /* The two differ only if a peer vanished while we were echoing to it. */
        fprintf(stderr, "as_echo_server: drained: %llu bytes read, %llu echoed\n",
                atomic_load(&total_read), atomic_load(&total_echoed));
    }
    as_receiver_drop(&alive_rx);
    as_sender_drop(&stop_tx);
    as_receiver_drop(&stop_rx);
    as_io_close(s.stop);
    close(stop_pipe[1]);
    return code;
}
