/* demo_hello.c: lesson 10 -- the seed's async-std example, and the global runtime that the first block_on starts behind your back. */
#include <stdio.h>
#include <stdlib.h>

#include "as.h"
#include "rt_panic.h"
#include "../09-tokio-style/threads.h"

/*
 * The Rust original (the seed's "async-std example"):
 *
 *     use async_std::task;
 *     use std::time::Duration;
 *
 *     async fn work() {
 *         println!("working...");
 *         task::sleep(Duration::from_secs(1)).await;
 *         println!("done");
 *     }
 *
 *     fn main() {
 *         task::block_on(work());
 *     }
 *
 * The seed says: "no macros required; block_on explicitly starts runtime". Half true: nothing
 * in main names a runtime, yet one starts -- a global one, on first use, with its own threads.
 * This program looks at the process's threads before and after to show it.
 */

/* say: a line tagged with the thread that printed it. */
static void say(const char *text)
{
    char name[32];
    rt_thread_name(name, sizeof name);
    printf("[%s] %s\n", name, text);
}

// region: work
typedef struct work_fut {
    rt_future base;
    rt_async co;
    as_sleep_fut nap;
} work_fut;

/* work_poll: the body of `async fn work`. */
static rt_poll work_poll(rt_future *f, rt_context *cx)
{
    work_fut *self = (work_fut *)f;
    RT_BEGIN(&self->co);
    say("working...");                       /* println!("working...");          */
    self->nap = as_sleep(1000);              /* task::sleep(Duration::from_secs(1)) */
    RT_AWAIT(&self->co, &self->nap, cx);     /*   .await;                         */
    say("done");                             /* println!("done");                */
    RT_END(&self->co);
}
// endregion

/* work_drop: cancellation drops the sleep we may be suspended on. */
static void work_drop(rt_future *f)
{
    rt_async_drop(&((work_fut *)f)->co);
}

static const rt_future_vtable work_vtable = { work_poll, work_drop, "work" };

/* work: calling `work()` builds the future; nothing runs yet. */
static work_fut work(void)
{
    return (work_fut){ .base = { &work_vtable } };
}

/* main: task::block_on(work()), with the threads shown around it. */
int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    char threads[256];
    const char *count = getenv("AS_THREAD_COUNT");
    printf("AS_THREAD_COUNT is %s\n", count ? count : "not set (one worker per CPU)");
    threads_describe(threads, sizeof threads);
    printf("before block_on: runtime started? %s; threads: %s\n",
           as_runtime_is_started() ? "yes" : "no", threads);
    // region: block-on
    work_fut w = work();
    as_block_on(&w.base);                    /* task::block_on(work()); */
    rt_future_drop(&w.base);
    // endregion
    threads_describe(threads, sizeof threads);
    printf("after block_on:  runtime started? %s; threads: %s\n",
           as_runtime_is_started() ? "yes" : "no", threads);
    printf("worker threads: %u; the runtime stops when the process exits\n", as_thread_count());
    return 0;
}
