/* demo_tk_under_as.c: lesson 12 -- a tk sleep awaited under as_block_on panics: no tk reactor on this thread. */
// expect-exit: 101
#include <stdio.h>

#include "as.h"
#include "tk_time.h"

/*
 * The Rust this stands for:
 *
 *     fn main() {
 *         async_std::task::block_on(async {
 *             tokio::time::sleep(Duration::from_millis(10)).await;   // panics
 *         });
 *     }
 *
 * which ends with
 *
 *     thread 'main' panicked at ...:
 *     there is no reactor running, must be called from the context of a Tokio 1.x runtime
 *
 * and exit code 101. as_block_on is a perfectly good executor: it polls the future and hands
 * it a waker. But a tk sleep needs more than a waker: it needs the tk runtime's timer wheel to
 * put itself in, and it finds that wheel through a thread-local that only a tk runtime sets.
 */

typedef struct main_fut {
    rt_future base;
    rt_async co;
    tk_sleep_fut nap;
} main_fut;

/* main_poll: await a tk sleep from the as executor. */
static rt_poll main_poll(rt_future *f, rt_context *cx)
{
    main_fut *m = (main_fut *)f;
    RT_BEGIN(&m->co);
    printf("as_block_on polls a future that awaits tk_sleep(10)...\n");
    fflush(stdout);
    m->nap = tk_sleep(10);          /* building it is fine: the deadline is just a number */
    RT_AWAIT(&m->co, &m->nap, cx);  /* the first poll looks for the tk runtime, and panics */
    printf("the sleep finished -- unreachable\n");
    RT_END(&m->co);
}

static const rt_future_vtable main_vtable = { main_poll, NULL, "main" };

/* main: async_std::task::block_on(async { tokio::time::sleep(10ms).await }) */
int main(void)
{
    main_fut m = { .base = { &main_vtable } };
    as_block_on(&m.base);
    rt_future_drop(&m.base);
    return 0;
}
