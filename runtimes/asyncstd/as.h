/* as.h: the async-std-style runtime, all of it -- include this one header. */
#ifndef AS_H
#define AS_H

/*
 * The std-like flavour: no builder and no runtime object. A global runtime starts on first
 * use (as_runtime.h); tasks are spawned and joined like threads (as_task.h); time, sockets,
 * channels and locks are futures you build with a function and await with RT_AWAIT, exactly
 * like the core's combinators:
 *
 *     typedef struct { rt_future base; rt_async co; as_sleep_fut nap; } work_fut;
 *
 *     static rt_poll work_poll(rt_future *f, rt_context *cx) {
 *         work_fut *self = (work_fut *)f;
 *         RT_BEGIN(&self->co);
 *         printf("working...\n");
 *         self->nap = as_sleep(1000);
 *         RT_AWAIT(&self->co, &self->nap, cx);
 *         printf("done\n");
 *         RT_END(&self->co);
 *     }
 *
 *     work_fut w = { .base = { &work_vtable } };
 *     as_block_on(&w.base);
 *
 * Design notes are at the top of each .c file: as_executor.c (smol's scheduler), as_reactor.c
 * (the as-io thread and oneshot epoll), as_block_on.c (driving the reactor while idle).
 */
#include "rt_async.h"
#include "rt_combinators.h"

#include "as_blocking.h"
#include "as_channel.h"
#include "as_io.h"
#include "as_metrics.h"
#include "as_mutex.h"
#include "as_net.h"
#include "as_runtime.h"
#include "as_semaphore.h"
#include "as_task.h"
#include "as_time.h"

#endif
