/* demo_as_in_tk.c: lesson 12 -- an as sleep and an as socket work inside a tk runtime, because a thread you never asked for drives them. */
#include <stdio.h>
#include <string.h>

#include "../11-blocking/threads.h"
#include "as.h"
#include "tk_runtime.h"

/*
 * The Rust this stands for:
 *
 *     #[tokio::main(flavor = "current_thread")]
 *     async fn main() {
 *         async_std::task::sleep(Duration::from_millis(20)).await;        // works
 *         let (a, b) = async_std::os::unix::net::UnixStream::pair().unwrap();     // works too
 *         ...
 *     }
 *
 * async-std's reactor is global and has its own thread, so its futures need no context: the
 * first one polled starts the whole async-std runtime, and its "async-io" thread fires the
 * timer and reports the socket. It works -- but the program now runs two runtimes, and every
 * wake crosses from one to the other. The demo lists the process's threads before and after.
 */

typedef struct main_fut {
    rt_future base;
    rt_async co;
    as_sleep_fut nap;
    as_io *a, *b;
    as_write_all_fut w;
    as_read_exact_fut r;
    char in[5];
} main_fut;

/* main_poll: an as sleep, then an as socket round trip, all polled by tk. */
static rt_poll main_poll(rt_future *f, rt_context *cx)
{
    main_fut *m = (main_fut *)f;
    RT_BEGIN(&m->co);
    threads_print(stdout, "threads inside tk_runtime_block_on, before any as future");
    m->nap = as_sleep(20);
    RT_AWAIT(&m->co, &m->nap, cx);
    printf("as_sleep(20) finished under the tk runtime\n");
    if (as_unix_pair(&m->a, &m->b) != 0)
        rt_panic("as_unix_pair failed");
    m->w = as_write_all(m->a, "hello", 5);
    RT_AWAIT(&m->co, &m->w, cx);
    m->r = as_read_exact(m->b, m->in, 5);
    RT_AWAIT(&m->co, &m->r, cx);
    printf("an as socket pair carried \"%.5s\" under the tk runtime\n",
           m->r.err == 0 ? m->in : "(error)");
    as_io_close(m->a);
    as_io_close(m->b);
    threads_print(stdout, "threads after");
    printf("the as futures worked because the as runtime started itself, with a reactor "
           "thread, as-io, that %s\n", threads_count("as-io") == 1 ? "is running now"
                                                                   : "is MISSING?");
    RT_END(&m->co);
}

static const rt_future_vtable main_vtable = { main_poll, NULL, "main" };

/* main: #[tokio::main(flavor = "current_thread")], expanded. */
int main(void)
{
    threads_print(stdout, "threads at start");
    tk_builder b = tk_builder_new_current_thread();
    tk_builder_enable_all(&b);
    tk_runtime *rt = NULL;
    if (tk_builder_build(&b, &rt) != 0) {
        fprintf(stderr, "demo_as_in_tk: cannot build the runtime\n");
        return 1;
    }
    main_fut m = { .base = { &main_vtable } };
    tk_runtime_block_on(rt, &m.base);
    rt_future_drop(&m.base);
    tk_runtime_free(rt);
    return 0;
}
