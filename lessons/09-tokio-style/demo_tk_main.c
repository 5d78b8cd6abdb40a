/* demo_tk_main.c: lesson 09 -- the seed's "Basic Tokio runtime", with TK_MAIN's real expansion printed and then run. */
#include <stdio.h>

#include "rt_async.h"
#include "tk_runtime.h"
#include "tk_time.h"
#include "threads.h"

/*
 * The Rust original (the seed's "Basic Tokio runtime"):
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
 * #[tokio::main] is a procedural macro: it rewrites `async fn main` into a plain `fn main` that
 * builds a runtime and blocks on the body. TK_MAIN is its C stand-in, a preprocessor macro that
 * writes main() for us. This program shows the expansion the compiler really sees -- the text
 * below is made by the preprocessor itself, with the # operator -- and then runs that very
 * expansion: TK_MAIN is expanded a second time under another name, and main() calls it.
 */

// region: hello
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
// endregion

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

/* SHOW(x): x after macro expansion, as a string (the extra level makes the expansion happen
 * before the # operator turns it into text). */
#define SHOW_(x) #x
#define SHOW(x) SHOW_(x)

static const char expansion[] = SHOW(TK_MAIN(hello_main_new));

/* The same expansion, compiled as a function we can call: while TK_MAIN expands, the name
 * `main` means tk_main_expanded. */
int tk_main_expanded(void);
#define main tk_main_expanded
TK_MAIN(hello_main_new)
#undef main

/* print_code: lay out one line of C -- a newline after each `{`, `;` and `}`, indented. */
static void print_code(const char *s)
{
    int depth = 0, at_line_start = 1;
    for (; *s; s++) {
        if (at_line_start) {
            if (*s == ' ')
                continue;
            if (*s == '}')
                depth--;
            printf("    %*s", depth * 4, "");
            at_line_start = 0;
        }
        putchar(*s);
        if (*s == '{')
            depth++;
        if (*s == '{' || *s == ';' || *s == '}') {
            putchar('\n');
            at_line_start = 1;
        }
    }
    if (!at_line_start)
        putchar('\n');
}

/* main: print the expansion, then run it. */
int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("TK_MAIN(hello_main_new), as the preprocessor expands it:\n");
    print_code(expansion);
    char threads[256];
    threads_describe(threads, sizeof threads);
    printf("threads before: %s\n", threads);
    printf("running that expansion:\n");
    int rc = tk_main_expanded();
    threads_wait_gone("tk-worker", 10000); /* joined threads leave /proc a moment later */
    threads_describe(threads, sizeof threads);
    printf("it returned %d; threads after: %s\n", rc, threads);
    return rc;
}
