/* tk_echo_server.c: tokio's echo server -- accept on 127.0.0.1:PORT, one task per connection echoing bytes back. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_async.h"
#include "rt_combinators.h"
#include "tk_net.h"
#include "tk_runtime.h"
#include "tk_time.h"

/*
 * The Rust original (tokio's examples/echo.rs) is a loop around listener.accept().await that
 * spawns one task per connection; each task reads into a buffer and writes it back until the
 * peer closes. Here the same program is spelled out as two state machines, and two things a
 * production server needs are added:
 *   - running out of file descriptors (EMFILE/ENFILE) is not fatal: accept keeps failing
 *     until some connection closes, so we say so, sleep 100 ms and try again, instead of
 *     spinning or exiting;
 *   - SIGINT/SIGTERM stop it cleanly: a signal thread turns the signal into a byte on a
 *     socketpair (a self-pipe), and the accept loop races accept against reading that byte
 *     with rt_select, like tokio::select! with tokio::signal::ctrl_c(). Freeing the runtime
 *     then cancels every connection task, whose drop closes its socket.
 *
 *     usage: tk_echo_server PORT     (0 lets the OS choose; the port is printed)
 */

/* ---- one connection ---------------------------------------------------------------------- */

typedef struct conn_task {
    rt_future base;
    rt_async co;
    tk_tcp_stream s;
    tk_sockaddr peer;
    tk_read_fut rd;
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

/* conn_poll: read what arrives, write it all back, until end-of-file or an error. */
static rt_poll conn_poll(rt_future *f, rt_context *cx)
{
    conn_task *c = (conn_task *)f;
    RT_BEGIN(&c->co);
    for (;;) {
        c->rd = tk_tcp_read(&c->s, c->buf, sizeof c->buf);
        RT_AWAIT(&c->co, &c->rd, cx);
        if (c->rd.result == 0)
            break; /* the peer closed its side: we are done */
        if (c->rd.result < 0) {
            conn_report(c, "read", (int)c->rd.result);
            break;
        }
        c->wr = tk_tcp_write_all(&c->s, c->buf, (size_t)c->rd.result);
        RT_AWAIT(&c->co, &c->wr, cx);
        if (c->wr.result != 0) {
            conn_report(c, "write", c->wr.result);
            break;
        }
    }
    tk_tcp_stream_close(&c->s);
    RT_END(&c->co);
}

/* conn_drop: cancelled (the server is shutting down) or finished: the socket goes either way. */
static void conn_drop(rt_future *f)
{
    conn_task *c = (conn_task *)f;
    rt_async_drop(&c->co);
    tk_tcp_stream_close(&c->s);
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
    tk_read_fut sig;
    tk_accept_fut acc;
    rt_future *race[2];
    rt_select_fut sel;
    tk_sleep_fut backoff;
    char sig_byte;
} server;

/* server_spawn_conn: hand the accepted stream to a new task (which then owns it). */
static void server_spawn_conn(server *s)
{
    conn_task c = { .base = { &conn_vtable }, .s = s->acc.stream, .peer = s->acc.peer };
    tk_join_handle jh;
    if (tk_spawn(&c.base, sizeof c, &jh) != 0) {
        fprintf(stderr, "tk_echo_server: out of memory; dropping a connection\n");
        tk_tcp_stream_close(&c.s);
        return;
    }
    rt_join_handle_detach(&jh); /* the task runs on its own, like a dropped JoinHandle */
}

/* server_poll: bind, announce, then accept forever -- or until a signal byte arrives. */
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
            server_spawn_conn(s);
            continue;
        }
        /* Out of descriptors (or another accept failure): the pending connection stays in
         * the backlog, so retrying at once would spin. Wait for some connection to end. */
        fprintf(stderr, "tk_echo_server: accept failed: %s; retrying in 100 ms\n",
                strerror(-s->acc.result));
        s->backoff = tk_sleep(100);
        RT_AWAIT(&s->co, &s->backoff, cx);
    }
    fprintf(stderr, "tk_echo_server: shutting down\n");
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

/* main: check the argument, build the runtime explicitly, run the server, free everything. */
int main(int argc, char **argv)
{
    unsigned port;
    if (argc != 2 || parse_port(argv[1], &port) != 0) {
        fprintf(stderr, "usage: tk_echo_server PORT\n"
                        "  PORT: 0 to 65535 (0 lets the OS pick a free port)\n"
                        "  serves a TCP echo on 127.0.0.1:PORT until SIGINT or SIGTERM\n");
        return 2;
    }
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL); /* before any thread exists */
    tk_builder b = tk_builder_new_multi_thread();
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
    tk_runtime_block_on(rt, &s.base);
    int code = s.exit_code;
    if (s.sig_thread_started)
        pthread_join(s.sig_thread, NULL);
    rt_future_drop(&s.base);
    tk_runtime_free(rt);
    return code;
}
