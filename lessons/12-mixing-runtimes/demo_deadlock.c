/* demo_deadlock.c: lesson 12 -- a tk read awaited under as_block_on, with a tk runtime entered but never run: a deadlock, caught by a watchdog. */
// expect-exit: 70
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "../11-blocking/lateness.h"
#include "as.h"
#include "tk_net.h"
#include "watchdog.h"

/*
 * The Rust this stands for -- it compiles, it does not panic, and it hangs for ever:
 *
 *     let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
 *     let _guard = rt.enter();                       // "we are in a tokio context" -- are we?
 *     let (mut a, b) = tokio::net::UnixStream::pair().unwrap();
 *     std::thread::spawn(move || { sleep(100ms); b.try_write(b"hello") });
 *     async_std::task::block_on(async {
 *         let mut buf = [0u8; 16];
 *         a.read(&mut buf).await                     // never returns
 *     });
 *
 * rt.enter() sets the thread-local context, so the tokio read finds a reactor and registers
 * its fd there: no panic this time. But a current_thread runtime's reactor is driven only by
 * the thread inside rt.block_on, and nobody calls it. async-std's block_on drives ITS reactor,
 * a different epoll instance. The bytes arrive, epoll records the event, and no thread ever
 * asks epoll for it.
 */

#define WATCHDOG_EXIT 70   /* EX_SOFTWARE in sysexits.h: "an internal software error" */

static watchdog wd;

/* The async block given to as_block_on: read from `a`, watched. */
typedef struct main_fut {
    rt_future base;
    rt_async co;
    tk_unix_stream *a;
    char buf[16];
    tk_read_fut rd;
    watched_fut w;
} main_fut;

/* main_poll: await the tk read through the watchdog's wrapper. */
static rt_poll main_poll(rt_future *f, rt_context *cx)
{
    main_fut *m = (main_fut *)f;
    RT_BEGIN(&m->co);
    m->rd = tk_unix_read(m->a, m->buf, sizeof m->buf);
    m->w = watched(&wd, "main (under as_block_on)", &m->rd.base, m->a->fd, POLLIN,
                   "the tk current_thread runtime, whose reactor runs only inside "
                   "tk_runtime_block_on -- and no thread called it");
    RT_AWAIT(&m->co, &m->w, cx);
    printf("read %zd bytes -- unreachable: nothing drives the tk reactor\n", m->rd.result);
    RT_END(&m->co);
}

static const rt_future_vtable main_vtable = { main_poll, NULL, "main" };

/* writer: the peer sends "hello" 100 ms later, with a plain write(2). */
static void *writer(void *arg)
{
    tk_unix_stream *b = arg;
    block_thread_ms(100);
    ssize_t n = write(b->fd, "hello", 5);
    printf("the peer wrote %zd bytes to the socket\n", n);
    fflush(stdout);
    return NULL;
}

/* main: build a runtime, enter it, never run it; await a read on it from as_block_on. */
int main(void)
{
    tk_builder b = tk_builder_new_current_thread();
    tk_builder_enable_all(&b);
    tk_runtime *rt = NULL;
    if (tk_builder_build(&b, &rt) != 0) {
        fprintf(stderr, "demo_deadlock: cannot build the runtime\n");
        return 1;
    }
    tk_enter_guard guard = tk_handle_enter(tk_runtime_handle(rt)); /* let _guard = rt.enter() */
    tk_unix_stream a, peer;
    if (tk_unix_stream_pair(&a, &peer) != 0) {
        fprintf(stderr, "demo_deadlock: cannot make a socket pair\n");
        return 1;
    }
    printf("a tk current_thread runtime is built and entered, but never run\n");
    printf("as_block_on awaits a tk read on fd %d; the peer writes to it in 100 ms\n", a.fd);
    fflush(stdout);
    if (watchdog_start(&wd, 1000, WATCHDOG_EXIT) != 0) {
        fprintf(stderr, "demo_deadlock: cannot start the watchdog\n");
        return 1;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, writer, &peer) != 0) {
        fprintf(stderr, "demo_deadlock: cannot start the writer thread\n");
        return 1;
    }
    pthread_detach(t); /* nobody joins it: the process ends in the watchdog */
    main_fut m = { .base = { &main_vtable }, .a = &a };
    as_block_on(&m.base); /* never returns: the watchdog ends the process */
    watchdog_stop(&wd);
    tk_unix_stream_close(&a);
    tk_unix_stream_close(&peer);
    tk_enter_guard_drop(&guard);
    tk_runtime_free(rt);
    return 0;
}
