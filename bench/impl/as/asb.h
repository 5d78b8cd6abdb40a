/* asb.h: the workloads of rtb-as (the async-std-style flavour on its one global runtime). */
#ifndef ASB_H
#define ASB_H

#include <stddef.h>
#include <stdint.h>

#include "as.h"
#include "rtb_cli.h"

/*
 * rtb-as is the C twin of the async-std anchor (bench/anchors/rust/src/bin/rtb-async-std/):
 * every workload has the anchor's shape -- the same tasks, the same channels, the same place
 * where the clock starts and stops -- written with the as flavour's futures (RT_BEGIN/RT_AWAIT
 * state machines, as_spawn, as_sleep, as_timeout, as_read/as_write on as_io handles, as
 * channels). The set-up and the checks come from bench/impl/common/ like every other C
 * executable, so a ratio against async-std compares runtimes, not programs.
 *
 * There is no runtime object to build: as, like async-std, starts one global runtime on first
 * use and tears it down at exit. The only knob is the thread count, which main.c turns from
 * --workers N into AS_THREAD_COUNT before anything can start the runtime -- exactly what the
 * anchor does with ASYNC_STD_THREAD_COUNT.
 */

/*
 * async-std's `task::block_on(task::spawn(body))`: spawn the (unpolled) future `body` of
 * `size` bytes as a task on the runtime's workers, wait for it from as_block_on, and copy the
 * finished future back over *body so the caller reads its output fields. The task's own copy
 * is released by the runtime; the copy handed back must not be dropped or polled again. A task
 * that panicked or was cancelled fails the run.
 */
void asb_block_on_task(rt_future *body, size_t size);

/* as_spawn, or fail the run (out of memory, or a runtime that could not start). */
void asb_spawn(const rt_future *fut, size_t size, as_task *t);
/* as_spawn and detach at once: async-std's `task::spawn(...);` with the JoinHandle dropped. */
void asb_spawn_detached(const rt_future *fut, size_t size);
/* After awaiting as_task_join(t): fail the run unless the task finished normally. */
void asb_joined(as_task *t, const char *what);

/* The worker count the runtime runs with (starts it; fails the run if it cannot start). */
unsigned asb_workers(void);

/* The workloads (bench/WORKLOADS.md); each returns 0 when it passed its check. */
int asb_sock_ping_pong(rtb_args *args);
int asb_bench_c(rtb_args *args);
int asb_million_timers(rtb_args *args);
int asb_timer_churn(rtb_args *args);
int asb_spawn_many(rtb_args *args);
int asb_yield_many(rtb_args *args);
int asb_chained_spawn(rtb_args *args);
int asb_task_ping_pong(rtb_args *args);
int asb_cross_thread_wake(rtb_args *args);
int asb_tcp_echo(rtb_args *args);
int asb_http_hello(rtb_args *args);
int asb_blocking_hazard(rtb_args *args);
int asb_idle_task_memory(rtb_args *args);

#endif
