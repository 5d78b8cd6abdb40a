/* tk_hello.c: the smallest tk program -- #[tokio::main], print, sleep a second, print. */
/*
 * The Rust original (the tutorial's "Basic Tokio runtime"):
 *
 *     use tokio::time::{sleep, Duration};
 *
 *     #[tokio::main]
 *     async fn main() {
 *         println!("start");
 *         sleep(Duration::from_secs(1)).await;
 *         println!("end");
 *     }
 *
 * Output:
 *     start
 *     end
 *
 * An `async fn` becomes a struct (its state machine) plus a poll function. The sleep lives in
 * the struct because it must survive the return of RT_PENDING while the second passes.
 * TK_MAIN writes main() for us: build a runtime, block_on this future, free the runtime.
 */
#include <stdio.h>

#include "rt_async.h"
#include "tk_runtime.h"
#include "tk_time.h"

typedef struct hello_main {
    rt_future base;    /* first: this struct is a future */
    rt_async co;       /* where to resume */
    tk_sleep_fut sleep;
} hello_main;

/* hello_main_poll: the body of `async fn main`. */
static rt_poll hello_main_poll(rt_future *f, rt_context *cx)
{
    hello_main *m = (hello_main *)f;
    RT_BEGIN(&m->co);
    printf("start\n");
    m->sleep = tk_sleep(1000);            /* sleep(Duration::from_secs(1)) */
    RT_AWAIT(&m->co, &m->sleep, cx);      /* .await */
    printf("end\n");
    RT_END(&m->co);
}

/* hello_main_drop: cancelled mid-sleep, the sleep goes too. */
static void hello_main_drop(rt_future *f)
{
    rt_async_drop(&((hello_main *)f)->co);
}

static const rt_future_vtable hello_main_vtable = { hello_main_poll, hello_main_drop, "main" };

/* hello_main_new: calling `main()` -- makes the future, runs nothing yet. */
static hello_main hello_main_new(void)
{
    return (hello_main){ .base = { &hello_main_vtable } };
}

TK_MAIN(hello_main_new)
