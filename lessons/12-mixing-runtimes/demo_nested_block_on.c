/* demo_nested_block_on.c: lesson 12 -- block_on inside a task: async-std lets it stall a thread, tk panics. */
// expect-exit: 101
#include <stdio.h>

#include "as.h"
#include "tk_runtime.h"
#include "tk_time.h"

/*
 * The Rust this stands for:
 *
 *     #[tokio::main]
 *     async fn main() {
 *         let rt = tokio::runtime::Runtime::new().unwrap();
 *         rt.block_on(async { 42 });     // panics: "Cannot start a runtime from within a runtime"
 *     }
 *
 * A block_on makes the calling thread wait, and inside an async fn that thread is a runtime
 * thread: every task queued behind it would stop, and if the inner future needs one of those
 * tasks, nothing can ever finish. tokio refuses up front. async-std lets it happen (it is
 * "std-like": block_on is allowed anywhere) and warns once on stderr. Part 1 shows as, part 2
 * tk, whose panic ends the program with exit code 101.
 */

/* The inner async block: sleep 10 ms (as or tk). */
typedef struct inner_fut {
    rt_future base;
    rt_async co;
    int use_tk;
    as_sleep_fut as_nap;
    tk_sleep_fut tk_nap;
} inner_fut;

static rt_poll inner_poll(rt_future *f, rt_context *cx)
{
    inner_fut *in = (inner_fut *)f;
    RT_BEGIN(&in->co);
    if (in->use_tk) {
        in->tk_nap = tk_sleep(10);
        RT_AWAIT(&in->co, &in->tk_nap, cx);
    } else {
        in->as_nap = as_sleep(10);
        RT_AWAIT(&in->co, &in->as_nap, cx);
    }
    RT_END(&in->co);
}

static const rt_future_vtable inner_vtable = { inner_poll, NULL, "inner" };

/* The outer async main: a block_on inside it (the flavour picks which). */
typedef struct outer_fut {
    rt_future base;
    tk_runtime *second;   /* tk only: the runtime the nested block_on runs */
} outer_fut;

/* as_outer_poll: as_block_on inside an as task -- allowed, and it holds the thread. */
static rt_poll as_outer_poll(rt_future *f, rt_context *cx)
{
    (void)f, (void)cx;
    inner_fut in = { .base = { &inner_vtable } };
    as_block_on(&in.base);
    printf("as: a nested as_block_on returned (this executor thread was stuck for 10 ms)\n");
    return RT_READY;
}

static const rt_future_vtable as_outer_vtable = { as_outer_poll, NULL, "as_outer" };

/* tk_outer_poll: tk_runtime_block_on inside tk's block_on -- refused with a panic. */
static rt_poll tk_outer_poll(rt_future *f, rt_context *cx)
{
    outer_fut *o = (outer_fut *)f;
    (void)cx;
    printf("tk: calling tk_runtime_block_on from inside the tk runtime...\n");
    fflush(stdout);
    inner_fut in = { .base = { &inner_vtable }, .use_tk = 1 };
    tk_runtime_block_on(o->second, &in.base);
    printf("tk: the nested block_on returned -- unreachable\n");
    return RT_READY;
}

static const rt_future_vtable tk_outer_vtable = { tk_outer_poll, NULL, "tk_outer" };

/* main: part 1 (as), then part 2 (tk), which panics. */
int main(void)
{
    outer_fut as_main = { .base = { &as_outer_vtable } };
    as_task t;
    if (AS_SPAWN(as_main, &t) != 0)
        return 1;
    as_block_on(as_task_join(&t)); /* the nested block_on runs inside a task, on a worker */
    as_task_detach(&t);
    fflush(stderr);

    tk_runtime *rt = tk_runtime_new();   /* #[tokio::main] */
    tk_builder b = tk_builder_new_current_thread();
    tk_builder_enable_all(&b);
    outer_fut tk_main = { .base = { &tk_outer_vtable } };
    if (tk_builder_build(&b, &tk_main.second) != 0)
        return 1;
    tk_runtime_block_on(rt, &tk_main.base); /* panics inside: exit 101 */
    tk_runtime_free(tk_main.second);
    tk_runtime_free(rt);
    return 0;
}
