/* demo_poll_order.c: lesson 01 -- a plain function runs when called, a future's body when it is polled. */
#include <stdio.h>

#include "rt_future.h"

/*
 * Rust:
 *
 *     fn greet_now(name: &str) { println!("hello, {name}"); }          // runs at the call
 *     async fn greet(name: &str) { println!("hello, {name}"); }        // runs at the first poll
 *
 *     greet_now("Ada");                    // prints now
 *     let (a, b, c) = (greet("Ada"), greet("Grace"), greet("Linus"));   // prints nothing
 *     // poll c, then a, and never b: prints Linus, then Ada
 *
 * The order of the output is the order of the polls, not of the calls. Whoever polls --
 * the executor -- decides when, and whether, an async fn's body runs.
 */

/* greet_now: an ordinary C function; its body runs before it returns. */
static void greet_now(const char *name)
{
    printf("hello, %s\n", name);
}

// region: greet
typedef struct greet_fut {
    rt_future base;
    const char *name;  /* the argument, saved for the body: it runs later */
    int ran;           /* 1 once the body has run */
} greet_fut;

/* greet_poll: the body of `async fn greet(name)`. */
static rt_poll greet_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    greet_fut *self = (greet_fut *)f;
    printf("hello, %s\n", self->name);
    self->ran = 1;
    return RT_READY;
}

static const rt_future_vtable greet_vtable = { .poll = greet_poll, .name = "greet" };

/* greet: the call `greet(name)` -- store the argument, run nothing. */
static greet_fut greet(const char *name)
{
    return (greet_fut){ .base = { &greet_vtable }, .name = name, .ran = 0 };
}
// endregion

/* poll_once: poll a future once with a waker that does nothing (enough for futures that never wait). */
static rt_poll poll_once(rt_future *f)
{
    rt_waker noop = rt_waker_noop();
    rt_context cx = { .waker = &noop };
    return rt_future_poll(f, &cx);
}

/* main: call a plain function, then create three futures and poll two of them out of order. */
int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);

    printf("main: calling greet_now(\"Ada\"), a plain C function\n");
    greet_now("Ada");

    printf("main: a = greet(\"Ada\"), b = greet(\"Grace\"), c = greet(\"Linus\")\n");
    greet_fut a = greet("Ada"), b = greet("Grace"), c = greet("Linus");
    printf("main: three futures exist and nothing was printed; polling c, then a\n");
    poll_once(&c.base);
    poll_once(&a.base);
    printf("main: a.ran=%d b.ran=%d c.ran=%d -- b was never polled, so its body never ran\n",
           a.ran, b.ran, c.ran);
    rt_future_drop(&a.base);
    rt_future_drop(&b.base);
    rt_future_drop(&c.base);
    return 0;
}
