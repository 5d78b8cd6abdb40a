/* tk_context.c: which runtime this thread is in -- the context spawn and every leaf future consult. */
#include <stddef.h>

#include "rt_panic.h"
#include "tk_internal.h"

/*
 * tokio keeps a thread-local CONTEXT holding the current runtime handle; spawning and every
 * leaf future (a sleep, a socket) look it up. That is exactly why a tokio future polled by
 * some other executor panics with "there is no reactor running": the thread-local is empty.
 * We do the same, on purpose, because lesson 12 demonstrates it.
 */
static _Thread_local tk__context tk__context_tls;

/* tk__ctx: this thread's context record. */
tk__context *tk__ctx(void)
{
    return &tk__context_tls;
}

/* tk_handle_try_current: NULL outside any tk runtime. */
tk_handle *tk_handle_try_current(void)
{
    return tk__context_tls.handle;
}

/* tk_handle_current: Handle::current(), with its panic. */
tk_handle *tk_handle_current(void)
{
    tk_handle *h = tk__context_tls.handle;
    if (!h)
        rt_panic(TK_MSG_NO_REACTOR);
    return h;
}

/* tk_handle_enter: an EnterGuard; nesting restores in reverse order. */
tk_enter_guard tk_handle_enter(tk_handle *h)
{
    tk_enter_guard g = { .previous = tk__context_tls.handle };
    tk__context_tls.handle = h;
    return g;
}

/* tk_enter_guard_drop: leave the handle entered with tk_handle_enter. */
void tk_enter_guard_drop(tk_enter_guard *g)
{
    tk__context_tls.handle = g->previous;
}

// region: leaf
/* tk__handle_for_leaf: the reactor check every tk leaf future does on its first poll. */
tk_handle *tk__handle_for_leaf(void)
{
    tk_handle *h = tk__context_tls.handle;
    if (!h)
        rt_panic(TK_MSG_NO_REACTOR);
    return h;
}
// endregion

/* tk__driver_for_io: the IO driver of the current runtime, or tokio's panic. */
tk__driver *tk__driver_for_io(void)
{
    tk_handle *h = tk__handle_for_leaf();
    if (!h->driver.poller)
        rt_panic(TK_MSG_IO_DISABLED);
    return &h->driver;
}

/* tk__driver_for_time: the time driver of the current runtime, or tokio's panic. */
tk__driver *tk__driver_for_time(void)
{
    tk_handle *h = tk__handle_for_leaf();
    if (!h->driver.wheel)
        rt_panic(TK_MSG_TIME_DISABLED);
    return &h->driver;
}
