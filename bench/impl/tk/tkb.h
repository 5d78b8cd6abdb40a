/* tkb.h: the workloads of rtb-tk (the tokio-style flavour on current_thread or multi_thread). */
#ifndef TKB_H
#define TKB_H

#include <stddef.h>
#include <stdint.h>

#include "rt_async.h"
#include "rtb_cli.h"
#include "tk_runtime.h"

/*
 * rtb-tk is the C twin of the tokio anchor (bench/anchors/rust/src/bin/rtb-tokio/): every
 * workload has the anchor's shape -- the same tasks, the same channels, the same place where
 * the clock starts and stops -- written with tk's futures (RT_BEGIN/RT_AWAIT state machines,
 * tk_spawn, tk_sleep, tk_timeout, tk streams, tk oneshots). The set-up and the checks come from
 * bench/impl/common/ like every other C executable, so a ratio against tokio compares runtimes,
 * not programs.
 *
 * The flavour (--flavor ct|mt) and the worker count (--workers N) are parsed by main.c before
 * the shared command line sees the rest; each workload builds its runtime with
 * tkb_runtime_new() once its own parameters have been read, and frees it at the end.
 */

/* The runtime the command line asked for, everything enabled; a failure to build fails the run. */
tk_runtime *tkb_runtime_new(void);

/*
 * tokio's `rt.block_on(async { tokio::spawn(fut).await.unwrap() })`: spawn the (unpolled)
 * future `fut` of `size` bytes as a task, wait for it from block_on, and copy the finished
 * future back over *fut so the caller reads its output fields. The task's own copy is dropped by
 * the runtime; the copy handed back must not be dropped or polled again. A task that panicked
 * or was cancelled fails the run.
 */
void tkb_block_on_task(tk_runtime *rt, rt_future *fut, size_t size);

/* tk_spawn, or fail the run (out of memory). */
void tkb_spawn(const rt_future *fut, size_t size, tk_join_handle *jh);
/* tk_spawn and detach at once: tokio's `tokio::spawn(...);` with the JoinHandle dropped. */
void tkb_spawn_detached(const rt_future *fut, size_t size);
/* After awaiting jh: fail the run unless the task finished normally (`.await.unwrap()`). */
void tkb_joined(tk_join_handle *jh, const char *what);

/* The workloads (bench/WORKLOADS.md); each returns 0 when it passed its check. */
int tkb_sock_ping_pong(rtb_args *args);
int tkb_bench_c(rtb_args *args);
int tkb_million_timers(rtb_args *args);
int tkb_timer_churn(rtb_args *args);
int tkb_spawn_many(rtb_args *args);
int tkb_yield_many(rtb_args *args);
int tkb_chained_spawn(rtb_args *args);
int tkb_task_ping_pong(rtb_args *args);
int tkb_cross_thread_wake(rtb_args *args);
int tkb_tcp_echo(rtb_args *args);
int tkb_http_hello(rtb_args *args);
int tkb_blocking_hazard(rtb_args *args);
int tkb_idle_task_memory(rtb_args *args);

#endif
