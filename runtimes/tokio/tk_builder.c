/* tk_builder.c: tk_builder -- describe a runtime before building it, as tokio's Builder does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tk_runtime.h"

/* tk__builder_defaults: tokio 1.24's defaults; nothing enabled until asked. */
static tk_builder tk__builder_defaults(tk_flavor flavor)
{
    tk_builder b;
    memset(&b, 0, sizeof b);
    b.flavor = flavor;
    b.worker_threads = 0;
    snprintf(b.thread_name, sizeof b.thread_name, "tk-worker");
    /* tokio: 31 ticks for current_thread, 61 for multi_thread; 61 for events in both. */
    b.global_queue_interval = flavor == TK_CURRENT_THREAD ? 31 : 61;
    b.event_interval = 61;
    b.max_blocking_threads = 512;
    b.blocking_keep_alive_ms = 10000;
    return b;
}

/* tk_builder_new_current_thread: Builder::new_current_thread(). */
tk_builder tk_builder_new_current_thread(void)
{
    return tk__builder_defaults(TK_CURRENT_THREAD);
}

/* tk_builder_new_multi_thread: Builder::new_multi_thread(). */
tk_builder tk_builder_new_multi_thread(void)
{
    return tk__builder_defaults(TK_MULTI_THREAD);
}

/* tk_builder_worker_threads: 0 means "decide at build time". */
void tk_builder_worker_threads(tk_builder *b, unsigned n)
{
    b->worker_threads = n;
}

/* tk_builder_enable_io: the IO driver. */
void tk_builder_enable_io(tk_builder *b)
{
    b->enable_io = true;
}

/* tk_builder_enable_time: the time driver. */
void tk_builder_enable_time(tk_builder *b)
{
    b->enable_time = true;
}

/* tk_builder_enable_all: both drivers. */
void tk_builder_enable_all(tk_builder *b)
{
    b->enable_io = b->enable_time = true;
}

/* tk_builder_thread_name: pthread names are at most 15 characters; longer ones are cut. */
void tk_builder_thread_name(tk_builder *b, const char *name)
{
    snprintf(b->thread_name, sizeof b->thread_name, "%s", name ? name : "tk-worker");
}

/* tk_builder_global_queue_interval: ticks between forced looks at the global queue. */
void tk_builder_global_queue_interval(tk_builder *b, unsigned ticks)
{
    b->global_queue_interval = ticks;
}

/* tk_builder_event_interval: ticks between non-blocking driver polls. */
void tk_builder_event_interval(tk_builder *b, unsigned ticks)
{
    b->event_interval = ticks;
}

/* tk_builder_max_blocking_threads: the spawn_blocking cap. */
void tk_builder_max_blocking_threads(tk_builder *b, unsigned n)
{
    b->max_blocking_threads = n;
}
