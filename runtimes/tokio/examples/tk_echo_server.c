/* tk_echo_server.c: tokio's echo server -- accept on 127.0.0.1:PORT, one task per connection echoing bytes back. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "rt_async.h"
#include "rt_clock.h"
#include "rt_combinators.h"
#include "tk_net.h"
#include "tk_runtime.h"
#include "tk_sync.h"
#include "tk_time.h"

/*
 * The Rust original (tokio's examples/echo.rs) is a loop around listener.accept().await that
 * spawns one task per connection; each task reads into a buffer and writes it back until the
 * peer closes. Here the same program is spelled out as two state machines, and what a
 * production server needs is added:
 *   - many connections: at start the soft RLIMIT_NOFILE is raised to the hard limit, since
 *     every connection costs one descriptor (the default soft limit is often 1024);
 *   - running out of file descriptors (EMFILE/ENFILE) is not fatal: accept keeps failing
 *     until some connection closes, so we say so once, sleep 100 ms and try again, instead
 *     of spinning or exiting;
 *   - SIGINT/SIGTERM stop it gracefully (tokio's "graceful shutdown" recipe): a signal
 *     thread turns the signal into a byte on a socketpair (a self-pipe), and the accept loop
 *     races accept against reading that byte with rt_select, like tokio::select! with
 *     tokio::signal::ctrl_c(). Then:
 *       1. the listener is closed: new connections are refused;
 *       2. a shutdown token is fired: a semaphore with no permits, closed -- closing wakes
 *          every connection waiting on it and fails every later acquire, so none can miss it;
 *       3. each connection stops reading, but first echoes every byte it has already read
 *          (that is the data we acknowledged), then shuts down its write side, so the peer
 *          sees end-of-file right after the last echoed byte;
 *       4. the server waits, at most DRAIN_MS, until every connection is gone: each holds a
 *          clone of an mpsc sender, and the receiver sees "closed" when the last is dropped.
 *     It prints how many bytes it read and echoed in all, and exits 0 if it drained.
 *
 *     usage: tk_echo_server PORT [current_thread|multi_thread]
 *            (PORT 0 lets the OS choose; the port is printed. The default is multi_thread.)
 */

/* How long a draining connection waits for its peer to close, and the server for them all. */
#define LINGER_MS 2000
#define DRAIN_MS 5000

/* ---- what every task shares -------------------------------------------------------------- */

static tk_semaphore shutdown_token;        /* no permits ever; closed = "stop now" */
static _Atomic unsigned long long total_read, total_echoed; /* bytes, over all connections */
static _Atomic long live_conns;            /* connections not yet closed */

/* ---- one connection ---------------------------------------------------------------------- */

typedef struct conn_task {
    rt_future base;
    rt_async co;
    tk_tcp_stream s;
    tk_sockaddr peer;
    tk_mpsc_tx alive;                 /* dropped when the connection is gone */
    unsigned long long nread, nechoed;
    int draining;                     /* 1: the shutdown token fired while we waited */
    uint64_t linger_deadline;
    tk_read_fut rd;
    tk_semaphore_acquire_fut stop;
    tk_sleep_fut linger;
    rt_future *race[2];
    rt_select_fut sel;
    tk_write_all_fut wr;
    char buf[8192];
} conn_task;

/* conn_report: a connection's error ends that connection only; the server carries on. */
static void conn_report(conn_task *c, const char *what, int err)
{
    char who[TK_SOCKADDR_STRLEN];
    fprintf(stderr, "tk_echo_server: %s: %s failed: %s\n",
            tk_sockaddr_format(&c->peer, who, sizeof who), what, strerror(-err));
}

/* conn_poll: read what arrives, write it all back, until end-of-file, an error or shutdown. */
static rt_poll conn_poll(rt_future *f, rt_context *cx)
{
    conn_task *c = (conn_task *)f;
    RT_BEGIN(&c->co);
    for (;;) {
        /* A connection that is always readable never waits on the token below: look first. */
        if (tk_semaphore_is_closed(&shutdown_token)) {
            c->draining = 1;
            break;
        }
        /* Read, or stop. The read is first so that it wins a tie (and a connection with data
         * waiting never queues on the token at all); if the token wins, select drops the
         * read, which had consumed nothing -- every byte we did read is echoed by now. */
        c->rd = tk_tcp_read(&c->s, c->buf, sizeof c->buf);
        c->stop = tk_semaphore_acquire(&shutdown_token, 1);
        c->race[0] = &c->rd.base;
        c->race[1] = &c->stop.base;
        c->sel = rt_select(c->race, 2);
        RT_AWAIT(&c->co, &c->sel, cx);
        if (c->sel.winner == 1) {
            c->draining = 1;
            break;
        }
        if (c->rd.result == 0)
            break; /* the peer closed its side: we are done */
        if (c->rd.result < 0) {
            conn_report(c, "read", (int)c->rd.result);
            break;
        }
        c->nread += (unsigned long long)c->rd.result;
        c->wr = tk_tcp_write_all(&c->s, c->buf, (size_t)c->rd.result);
        RT_AWAIT(&c->co, &c->wr, cx);
        c->nechoed += c->wr.done;
        if (c->wr.result != 0) {
            conn_report(c, "write", c->wr.result);
            break;
        }
    }
    if (c->draining) {
        /* Everything we read is echoed. Send our FIN after it, then "linger": read and
         * discard until the peer closes too. Closing at once would be wrong: closing a
         * socket with unread input makes the kernel send a reset, and a reset throws away
         * the echoed bytes still on their way to the peer. Bytes read here are not echoed
         * (we said we would stop), so they are not counted as read. */
        tk_tcp_shutdown(&c->s, SHUT_WR);
        c->linger_deadline = rt_monotonic_ns() + (uint64_t)LINGER_MS * 1000000u;
        for (;;) {
            c->rd = tk_tcp_read(&c->s, c->buf, sizeof c->buf);
            c->linger = tk_sleep_until(c->linger_deadline);
            c->race[0] = &c->rd.base;
            c->race[1] = &c->linger.base;
            c->sel = rt_select(c->race, 2);
            RT_AWAIT(&c->co, &c->sel, cx);
            if (c->sel.winner == 1 || c->rd.result <= 0)
                break; /* the peer closed (or failed), or it took too long */
        }
    }
    tk_tcp_stream_close(&c->s);
    RT_END(&c->co);
}

/* conn_drop: cancelled or finished: the socket goes either way, and we count ourselves out.
 * The counters are added before the sender is dropped, so the server, which reads them only
 * after the last sender is gone, sees every connection's figures. */
static void conn_drop(rt_future *f)
{
    conn_task *c = (conn_task *)f;
    rt_async_drop(&c->co);
    tk_tcp_stream_close(&c->s);
    atomic_fetch_add(&total_read, c->nread);
    atomic_fetch_add(&total_echoed, c->nechoed);
    atomic_fetch_sub(&live_conns, 1);
    tk_mpsc_sender_drop(&c->alive);
}

static const rt_future_vtable conn_vtable = { conn_poll, conn_drop, "echo_conn" };

/* ---- SIGINT/SIGTERM: a signal thread and a socketpair ----------------------------------- */

/*
 * main blocks SIGINT and SIGTERM before the runtime starts, so every runtime thread inherits
 * the mask and none of them is ever interrupted. One plain thread waits for them with
 * sigwait(2) -- synchronously, so it may do anything, unlike a handler -- and writes one byte
 * into a socketpair that the accept loop is reading. The byte is the shutdown request.
 */
static sigset_t stop_signals;

/* signal_thread: wait for the first SIGINT/SIGTERM, then poke the accept loop and exit. */
static void *signal_thread(void *arg)
{
    int fd = (int)(intptr_t)arg;
    int sig = 0;
    sigwait(&stop_signals, &sig);
    char b = (char)sig;
    if (write(fd, &b, 1) < 0)
        perror("tk_echo_server: signal thread");
    return NULL;
}

/* ---- the accept loop --------------------------------------------------------------------- */

typedef struct server {
    rt_future base;
    rt_async co;
    unsigned port;
    int exit_code;                    /* the output */
    tk_tcp_listener listener;
    tk_unix_stream sig_rx, sig_tx;
    pthread_t sig_thread;
    int sig_thread_started;
    int out_of_fds;                   /* 1 while accept fails for want of descriptors */
    tk_mpsc_tx alive;                 /* every connection gets a clone */
    tk_mpsc_rx all_gone;              /* -EPIPE once every clone is dropped */
    char unused;                      /* nothing is ever sent on that channel */
    tk_read_fut sig;
    tk_accept_fut acc;
    rt_future *race[2];
    rt_select_fut sel;
    tk_sleep_fut backoff;
    tk_mpsc_recv_fut gone;
    tk_timeout_fut drain;
    char sig_byte;
} server;

/* server_spawn_conn: hand the accepted stream to a new task (which then owns it). */
static void server_spawn_conn(server *s)
{
    conn_task c = { .base = { &conn_vtable }, .s = s->acc.stream, .peer = s->acc.peer };
    c.alive = tk_mpsc_sender_clone(&s->alive);
    atomic_fetch_add(&live_conns, 1);
    tk_join_handle jh;
    if (tk_spawn(&c.base, sizeof c, &jh) != 0) {
        fprintf(stderr, "tk_echo_server: out of memory; dropping a connection\n");
        conn_drop(&c.base); /* closes the stream and counts it out */
        return;
    }
    rt_join_handle_detach(&jh); /* the task runs on its own, like a dropped JoinHandle */
}

/* fd_limit: the soft RLIMIT_NOFILE now, for messages. */
static unsigned long long fd_limit(void)
{
    struct rlimit rl;
    return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (unsigned long long)rl.rlim_cur : 0;
}

/* server_poll: bind, announce, accept until a signal byte arrives, then drain. */
static rt_poll server_poll(rt_future *f, rt_context *cx)
{
    server *s = (server *)f;
    RT_BEGIN(&s->co);
    int rc = tk_tcp_listener_bind("127.0.0.1", s->port, &s->listener);
    if (rc == 0)
        rc = tk_unix_stream_pair(&s->sig_rx, &s->sig_tx);
    if (rc != 0) {
        fprintf(stderr, "tk_echo_server: cannot listen on 127.0.0.1:%u: %s\n", s->port,
                strerror(-rc));
        s->exit_code = 1;
        RT_RETURN(&s->co);
    }
    rc = pthread_create(&s->sig_thread, NULL, signal_thread, (void *)(intptr_t)s->sig_tx.fd);
    if (rc != 0) {
        fprintf(stderr, "tk_echo_server: cannot start the signal thread: %s\n", strerror(rc));
        s->exit_code = 1;
        RT_RETURN(&s->co);
    }
    s->sig_thread_started = 1;
    printf("listening on 127.0.0.1:%d\n", tk_tcp_listener_local_port(&s->listener));
    fflush(stdout);

    for (;;) {
        /* The signal comes first: select is biased, so a flood of connections cannot keep
         * the shutdown request waiting. */
        s->sig = tk_unix_read(&s->sig_rx, &s->sig_byte, 1);
        s->acc = tk_tcp_accept(&s->listener);
        s->race[0] = &s->sig.base;
        s->race[1] = &s->acc.base;
        s->sel = rt_select(s->race, 2);
        RT_AWAIT(&s->co, &s->sel, cx);
        if (s->sel.winner == 0)
            break;
        if (s->acc.result == 0) {
            if (s->out_of_fds)
                fprintf(stderr, "tk_echo_server: descriptors are free again; accepting\n");
            s->out_of_fds = 0;
            server_spawn_conn(s);
            continue;
        }
        /* Out of descriptors (or another accept failure): the pending connection stays in
         * the backlog, so retrying at once would spin. Wait for some connection to end. */
        if (s->acc.result == -EMFILE || s->acc.result == -ENFILE) {
            if (!s->out_of_fds)
                fprintf(stderr, "tk_echo_server: accept: %s (%ld connections open, fd limit "
                        "%llu); retrying every 100 ms -- raise `ulimit -n` to serve more\n",
                        strerror(-s->acc.result), atomic_load(&live_conns), fd_limit());
            s->out_of_fds = 1;
        } else {
            fprintf(stderr, "tk_echo_server: accept failed: %s; retrying in 100 ms\n",
                    strerror(-s->acc.result));
        }
        s->backoff = tk_sleep(100);
        RT_AWAIT(&s->co, &s->backoff, cx);
    }

    /* Graceful shutdown: refuse new connections, fire the token, wait for the rest. */
    fprintf(stderr, "tk_echo_server: shutting down: draining %ld connection(s)\n",
            atomic_load(&live_conns));
    tk_tcp_listener_close(&s->listener);
    tk_semaphore_close(&shutdown_token);
    tk_mpsc_sender_drop(&s->alive);
    s->gone = tk_mpsc_recv(&s->all_gone, &s->unused);
    s->drain = tk_timeout(&s->gone.base, DRAIN_MS);
    RT_AWAIT(&s->co, &s->drain, cx);
    if (s->drain.elapsed) {
        /* Freeing the runtime will cancel the stragglers; what they held back is lost. */
        fprintf(stderr, "tk_echo_server: %ld connection(s) still open after %d ms; "
                "cancelling them\n", atomic_load(&live_conns), DRAIN_MS);
        s->exit_code = 1;
        RT_RETURN(&s->co);
    }
    /* The two differ only if a peer vanished while we were echoing to it. */
    fprintf(stderr, "tk_echo_server: drained: %llu bytes read, %llu echoed\n",
            atomic_load(&total_read), atomic_load(&total_echoed));
    s->exit_code = 0;
    RT_END(&s->co);
}

/* server_drop: close what the loop opened. The signal thread is done with sig_tx by now: the
 * loop only ends when its byte has arrived, and main joins the thread before dropping us. */
static void server_drop(rt_future *f)
{
    server *s = (server *)f;
    rt_async_drop(&s->co);
    tk_tcp_listener_close(&s->listener);
    tk_unix_stream_close(&s->sig_rx);
    tk_unix_stream_close(&s->sig_tx);
    tk_mpsc_sender_drop(&s->alive);
    tk_mpsc_receiver_drop(&s->all_gone);
}

static const rt_future_vtable server_vtable = { server_poll, server_drop, "echo_server" };

/* parse_port: a whole decimal number from 0 to 65535, nothing else. */
static int parse_port(const char *text, unsigned *port)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || end == text || *end != '\0' || text[0] == '-' || text[0] == '+' || v > 65535)
        return -1;
    *port = (unsigned)v;
    return 0;
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
        fprintf(stderr, "tk_echo_server: cannot raise the fd limit to %llu: %s; serving at "
                "most about %llu connections\n", (unsigned long long)want, strerror(errno),
                fd_limit());
}

/* main: check the arguments, build the runtime explicitly, run the server, free everything. */
int main(int argc, char **argv)
{
    unsigned port;
    int current = argc == 3 && strcmp(argv[2], "current_thread") == 0;
    int multi = argc == 2 || (argc == 3 && strcmp(argv[2], "multi_thread") == 0);
    if (argc < 2 || parse_port(argv[1], &port) != 0 || !(current || multi)) {
        fprintf(stderr, "usage: tk_echo_server PORT [current_thread|multi_thread]\n"
                        "  PORT: 0 to 65535 (0 lets the OS pick a free port)\n"
                        "  serves a TCP echo on 127.0.0.1:PORT until SIGINT or SIGTERM,\n"
                        "  on a multi-thread runtime unless current_thread is given\n");
        return 2;
    }
    raise_fd_limit();
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL); /* before any thread exists */
    tk_builder b = current ? tk_builder_new_current_thread() : tk_builder_new_multi_thread();
    tk_builder_enable_all(&b);
    tk_runtime *rt = NULL;
    int rc = tk_builder_build(&b, &rt);
    if (rc != 0) {
        fprintf(stderr, "tk_echo_server: cannot build the runtime: %s\n", strerror(-rc));
        return 1;
    }
    server s;
    memset(&s, 0, sizeof s);
    s.base.vtable = &server_vtable;
    s.port = port;
    if ((rc = tk_semaphore_init(&shutdown_token, 0)) != 0 ||
        (rc = tk_mpsc_unbounded_channel(1, &s.alive, &s.all_gone)) != 0) {
        fprintf(stderr, "tk_echo_server: %s\n", strerror(-rc));
        return 1;
    }
    tk_runtime_block_on(rt, &s.base);
    int code = s.exit_code;
    if (s.sig_thread_started)
        pthread_join(s.sig_thread, NULL);
    rt_future_drop(&s.base);
    tk_runtime_free(rt); /* cancels any connection still running: each closes its socket */
    tk_semaphore_destroy(&shutdown_token);
    return code;
}
