/* demo_lazy.c: lesson 01 -- the seed's `hello()` in C: calling an async fn makes a future and runs nothing. */
#include <stdio.h>

#include "rt_block_on.h"
#include "rt_future.h"

/*
 * The Rust original, from the tutorial this toolkit grew out of:
 *
 *     async fn hello() {
 *         println!("hello");
 *     }
 *
 *     fn main() {
 *         hello(); // creates a future, does not run it
 *     }
 *
 * rustc turns `async fn hello()` into two things: a type (the future, a struct holding
 * whatever the body needs) and a function `hello()` that fills in that struct and returns
 * it. The body itself becomes the future's `poll`. In C we write both by hand.
 */

// region: hello
/* The future `hello()` returns: it needs no fields of its own, only the vtable. */
typedef struct hello_fut {
    rt_future base;   /* first member: a pointer to this struct is an rt_future pointer */
    int polls;        /* only so that the demo can show how often the body ran */
} hello_fut;

/* hello_poll: the body of `async fn hello`. It runs when -- and only when -- someone polls. */
static rt_poll hello_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    hello_fut *self = (hello_fut *)f;
    self->polls++;
    printf("hello\n");
    return RT_READY;
}

static const rt_future_vtable hello_vtable = { .poll = hello_poll, .drop = NULL, .name = "hello" };

/* hello: what calling `hello()` does -- build the future and return it. Nothing is printed. */
static hello_fut hello(void)
{
    return (hello_fut){ .base = { &hello_vtable }, .polls = 0 };
}
// endregion

/* main: the seed's main, then the two ways the future can actually run. */
int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0); /* keep printf order exact even through a pipe */

    // region: main
    printf("main: calling hello()\n");
    hello_fut fut = hello();                       /* hello(); -- a future, not a call */
    printf("main: got a %zu-byte future; its body ran %d times\n", sizeof fut, fut.polls);
    rt_future_drop(&fut.base);                     /* end of main in Rust: the future is dropped */
    printf("main: dropped it unpolled, so \"hello\" was never printed\n");
    // endregion

    // region: poll-by-hand
    printf("main: now a second future, polled once by hand with a no-op waker\n");
    hello_fut second = hello();
    rt_waker noop = rt_waker_noop();
    rt_context cx = { .waker = &noop };
    rt_poll result = rt_future_poll(&second.base, &cx);
    printf("main: poll returned %s; the body ran %d time\n",
           result == RT_READY ? "RT_READY" : "RT_PENDING", second.polls);
    rt_future_drop(&second.base);
    // endregion

    // region: runtime
    printf("main: and a third, handed to an executor: rt_block_on polls it for us\n");
    hello_fut third = hello();
    rt_block_on(&third.base);
    printf("main: rt_block_on returned after %d poll\n", third.polls);
    rt_future_drop(&third.base);
    // endregion
    return 0;
}
