/* demo_flavors.c: lesson 09 -- the builder's options, and current_thread against multi_thread: which threads exist, and who runs the tasks. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_async.h"
#include "rt_panic.h"
#include "tk_runtime.h"
#include "threads.h"

/*
 * #[tokio::main] takes arguments, and each one becomes a builder call:
 *
 *     #[tokio::main(flavor = "current_thread")]                 Builder::new_current_thread()
 *     #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
 *                                                               Builder::new_multi_thread()
 *                                                                   .worker_threads(2)
 * and then, in every case, .enable_all().build().expect(...).block_on(body).
 *
 * Part 1 builds both flavours (the multi_thread one with named threads, which the attribute
 * cannot do but the builder can) and runs the same main on each: it spawns four tasks, each of
 * which notes the thread it ran on. Part 2 shows the difference that matters most: a
 * multi_thread runtime runs tasks on its own threads, block_on or not; a current_thread runtime
 * runs nothing unless some thread is inside its block_on. Part 3 shows the defaults and what a
 * bad setting does.
 */

#define TASKS 4

/* A task that notes the name of the thread it ran on. */
typedef struct note_fut {
    rt_future base;
    char (*name)[16];
    _Atomic int *ran;
} note_fut;

/* note_poll: record our thread's name, then finish. */
static rt_poll note_poll(rt_future *f, rt_context *cx)
{
    (void)cx;
    note_fut *n = (note_fut *)f;
    rt_thread_name(*n->name, sizeof *n->name);
    atomic_store(n->ran, 1);
    return RT_READY;
}

static const rt_future_vtable note_vtable = { note_poll, NULL, "note" };

/* The async main of part 1: spawn TASKS notes, await them all. */
typedef struct flavors_main {
    rt_future base;
    rt_async co;
    int i, spawned;
    tk_join_handle handles[TASKS];
    char names[TASKS][16];
    _Atomic int ran[TASKS];
    char main_thread[16];
} flavors_main;

/* flavors_main_poll: spawn, then join in order. */
static rt_poll flavors_main_poll(rt_future *f, rt_context *cx)
{
    flavors_main *m = (flavors_main *)f;
    RT_BEGIN(&m->co);
    rt_thread_name(m->main_thread, sizeof m->main_thread);
    for (m->spawned = 0; m->spawned < TASKS; m->spawned++) {
        note_fut n = { .base = { &note_vtable }, .name = &m->names[m->spawned], .ran = &m->ran[m->spawned] };
        if (tk_spawn(&n.base, sizeof n, &m->handles[m->spawned]) != 0)
            rt_panic("out of memory spawning a task");
    }
    for (m->i = 0; m->i < TASKS; m->i++) {
        RT_AWAIT(&m->co, &m->handles[m->i], cx);
        rt_join_handle_detach(&m->handles[m->i]);
    }
    RT_END(&m->co);
}

/* flavors_main_drop: detach what is still held. */
static void flavors_main_drop(rt_future *f)
{
    flavors_main *m = (flavors_main *)f;
    rt_async_drop(&m->co);
    for (int i = 0; i < m->spawned; i++)
        rt_join_handle_detach(&m->handles[i]);
}

static const rt_future_vtable flavors_main_vtable = { flavors_main_poll, flavors_main_drop, "main" };

/* tasks_ran_on: "crew x4" -- the distinct thread names of the tasks, with counts. */
static void tasks_ran_on(flavors_main *m, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < TASKS; i++) {
        int seen = 0, count = 0;
        for (int j = 0; j < i; j++)
            seen |= strcmp(m->names[j], m->names[i]) == 0;
        if (seen)
            continue;
        for (int j = i; j < TASKS; j++)
            count += strcmp(m->names[j], m->names[i]) == 0;
        used += (size_t)snprintf(buf + used, len - used, "%s%s x%d", used ? ", " : "", m->names[i], count);
    }
}

/* run_flavor: build, show the threads, run the main, show who ran what, free. */
static void run_flavor(const char *title, tk_builder *b, const char *worker_name, int workers)
{
    printf("%s\n", title);
    tk_runtime *rt;
    int rc = tk_builder_build(b, &rt);
    if (rc != 0) {
        printf("  build failed: %s\n", strerror(-rc));
        return;
    }
    char threads[256];
    if (worker_name)
        threads_wait_named(worker_name, workers, 10000); /* workers name themselves on start */
    threads_describe(threads, sizeof threads);
    printf("  threads after build:   %s\n", threads);
    flavors_main m = { .base = { &flavors_main_vtable } };
    tk_runtime_block_on(rt, &m.base);
    rt_future_drop(&m.base);
    tasks_ran_on(&m, threads, sizeof threads);
    printf("  main future polled on: %s\n", m.main_thread);
    printf("  the %d tasks ran on:   %s\n", TASKS, threads);
    tk_runtime_free(rt);
    if (worker_name)
        threads_wait_gone(worker_name, 10000);
    threads_describe(threads, sizeof threads);
    printf("  threads after free:    %s\n", threads);
}

/* spawn_outside: spawn one note onto rt from this thread, which is not inside the runtime. */
static void spawn_outside(tk_runtime *rt, note_fut *n, tk_join_handle *jh)
{
    if (tk_spawn_on(tk_runtime_handle(rt), &n->base, sizeof *n, jh) != 0)
        rt_panic("out of memory spawning a task");
}

// region: no-block-on
/* part2: spawn from outside, with nobody in block_on; who runs the task? */
static void part2(tk_builder *b, const char *title)
{
    tk_runtime *rt;
    if (tk_builder_build(b, &rt) != 0)
        return;
    char name[16] = "";
    _Atomic int ran = 0;
    note_fut n = { .base = { &note_vtable }, .name = &name, .ran = &ran };
    tk_join_handle jh;
    spawn_outside(rt, &n, &jh);
    /* Give it a fair chance to run by itself: half a second on current_thread (no thread
     * exists that could run it, so waiting longer would change nothing), and on multi_thread
     * as long as it takes, up to 10 s (a worker picks it up at once unless the machine is
     * very loaded). */
    int patience = tk_runtime_flavor(rt) == TK_CURRENT_THREAD ? 500 : 10000;
    for (int waited = 0; !atomic_load(&ran) && waited < patience; waited += 2)
        threads__nap_ms(2);
    printf("%s: spawned from main, no block_on: %s\n", title,
           atomic_load(&ran) ? "the task ran" : "the task has NOT run");
    if (atomic_load(&ran))
        printf("  ... on thread %s\n", name);
    tk_runtime_block_on(rt, &jh.base);            /* rt.block_on(handle) */
    printf("  after block_on(its JoinHandle): ran on %s, outcome %s\n", name,
           rt_join_outcome_name(jh.outcome));
    rt_join_handle_detach(&jh);
    tk_runtime_free(rt);
}
// endregion

/* main: parts 1 to 3. */
int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    unsetenv("TK_WORKER_THREADS"); /* part 3 sets it on purpose; start from the default */

    printf("== part 1: the same main on two flavours\n");
    // region: builders
    tk_builder ct = tk_builder_new_current_thread();   /* flavor = "current_thread" */
    tk_builder_enable_all(&ct);
    run_flavor("#[tokio::main(flavor = \"current_thread\")]", &ct, NULL, 0);

    tk_builder mt = tk_builder_new_multi_thread();     /* flavor = "multi_thread" */
    tk_builder_worker_threads(&mt, 2);                 /* worker_threads = 2 */
    tk_builder_thread_name(&mt, "crew");               /* Builder::thread_name("crew") */
    tk_builder_enable_all(&mt);
    run_flavor("#[tokio::main(flavor = \"multi_thread\", worker_threads = 2)] + thread_name(\"crew\")",
               &mt, "crew", 2);
    // endregion

    printf("\n== part 2: who runs a task when nobody is in block_on?\n");
    part2(&ct, "current_thread");
    part2(&mt, "multi_thread");

    printf("\n== part 3: defaults, and bad settings\n");
    tk_builder d = tk_builder_new_multi_thread();
    printf("Builder::new_multi_thread():   worker_threads %u (0 = CPUs or TK_WORKER_THREADS), "
           "global_queue_interval %u, event_interval %u, max_blocking_threads %u, "
           "keep-alive %llu ms, io %s, time %s\n",
           d.worker_threads, d.global_queue_interval, d.event_interval, d.max_blocking_threads,
           (unsigned long long)d.blocking_keep_alive_ms, d.enable_io ? "on" : "off",
           d.enable_time ? "on" : "off");
    printf("Builder::new_current_thread(): global_queue_interval %u, event_interval %u\n",
           ct.global_queue_interval, ct.event_interval);
    tk_builder bad = tk_builder_new_multi_thread();
    tk_builder_event_interval(&bad, 0);
    tk_runtime *rt;
    int rc = tk_builder_build(&bad, &rt);
    printf("event_interval(0): build returned %d (%s)\n", rc, strerror(-rc));
    setenv("TK_WORKER_THREADS", "lots", 1);
    rc = tk_builder_build(&d, &rt);
    printf("TK_WORKER_THREADS=lots: build returned %d (%s)\n", rc, strerror(-rc));
    setenv("TK_WORKER_THREADS", "3", 1);
    rc = tk_builder_build(&d, &rt);
    if (rc == 0) {
        printf("TK_WORKER_THREADS=3: build returned 0, %u workers\n", tk_runtime_worker_count(rt));
        tk_runtime_free(rt);
    }
    return 0;
}
