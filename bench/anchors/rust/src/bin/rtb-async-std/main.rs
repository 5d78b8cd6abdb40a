//! main.rs (rtb-async-std): the bench workloads on the real async-std 1.12.
//!
//! Written the way an async-std user would: task::spawn and task::block_on, channels from
//! async_std::channel, sockets from async_std::net, task::sleep and future::timeout. async-std
//! has one global runtime with one flavour; `--workers N` sets its thread count through the
//! documented ASYNC_STD_THREAD_COUNT before the runtime starts, and `--flavor` does not apply.

mod io;
mod serve;
mod tasks;
mod timers;
mod wake;

use rtb_anchors::cli::{self, Args};

/// Parse, dispatch to the workload, print the verdict (see bench/WORKLOADS.md, "The protocol").
fn main() {
    let mut args = Args::parse("async-std");
    if args.workload == "bench_c" {
        cli::unsupported(
            "bench.c drives raw readiness callbacks; async-std offers readiness only as futures \
             (async-io's Async), so a port would be a different program (bench_c runs on the C \
             loops and the two C flavours)",
        );
    }
    if args.flavor.is_some() {
        cli::bad_args("async-std", "async-std has one runtime flavour: --flavor does not apply");
    }
    if let Some(w) = args.workers {
        // Read once, when the global runtime first starts (async_std::rt::RUNTIME).
        std::env::set_var("ASYNC_STD_THREAD_COUNT", w.to_string());
    }
    let a = &mut args;
    match a.workload.clone().as_str() {
        "sock_ping_pong" => io::sock_ping_pong(a),
        "tcp_echo" => io::tcp_echo(a),
        "http_hello" => serve::http_hello(a),
        "million_timers" => timers::million_timers(a),
        "timer_churn" => timers::timer_churn(a),
        "spawn_many" => tasks::spawn_many(a),
        "yield_many" => tasks::yield_many(a),
        "chained_spawn" => tasks::chained_spawn(a),
        "task_ping_pong" => tasks::task_ping_pong(a),
        "idle_task_memory" => tasks::idle_task_memory(a),
        "blocking_hazard" => tasks::blocking_hazard(a),
        "cross_thread_wake" => wake::cross_thread_wake(a),
        other => cli::bad_args("async-std", &format!("unknown workload '{other}'")),
    }
    cli::finish();
}
