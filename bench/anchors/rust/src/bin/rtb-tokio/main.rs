//! main.rs (rtb-tokio): the bench workloads on the real tokio, current_thread (ct) or multi_thread (mt).
//!
//! Everything is written the way a tokio user would: tasks spawned with tokio::spawn, channels
//! from tokio::sync, sockets from tokio::net, timers from tokio::time. The runtime is built with
//! the Builder so the flavour and the worker count are explicit (`--flavor`, `--workers`).

mod io;
mod serve;
mod tasks;
mod timers;
mod wake;

use rtb_anchors::cli::{self, Args};
use tokio::runtime::{Builder, Runtime};

/// The runtime the flags ask for; exits 2 on a missing flavour or workers with ct.
fn runtime(args: &Args) -> Runtime {
    let built = match args.flavor.as_deref() {
        Some("ct") => {
            if args.workers.is_some_and(|w| w != 1) {
                cli::bad_args("tokio", "--flavor ct runs on one thread: --workers must be 1 or absent");
            }
            Builder::new_current_thread().enable_all().build()
        }
        Some(_) => {
            let mut b = Builder::new_multi_thread();
            if let Some(w) = args.workers {
                b.worker_threads(w);
            }
            b.enable_all().build()
        }
        None => cli::bad_args("tokio", "--flavor ct|mt is required"),
    };
    built.unwrap_or_else(|e| cli::fail(&format!("building the tokio runtime: {e}")))
}

/// Parse, dispatch to the workload, print the verdict (see bench/WORKLOADS.md, "The protocol").
fn main() {
    let mut args = Args::parse("tokio");
    if args.workload == "bench_c" {
        cli::unsupported(
            "bench.c drives raw readiness callbacks; tokio offers readiness only as AsyncFd \
             futures, so a port would be a different program (bench_c runs on the C loops and \
             the two C flavours)",
        );
    }
    let rt = runtime(&args);
    let a = &mut args;
    match a.workload.clone().as_str() {
        "sock_ping_pong" => io::sock_ping_pong(&rt, a),
        "tcp_echo" => io::tcp_echo(&rt, a),
        "http_hello" => serve::http_hello(&rt, a),
        "million_timers" => timers::million_timers(&rt, a),
        "timer_churn" => timers::timer_churn(&rt, a),
        "spawn_many" => tasks::spawn_many(&rt, a),
        "yield_many" => tasks::yield_many(&rt, a),
        "chained_spawn" => tasks::chained_spawn(&rt, a),
        "task_ping_pong" => tasks::task_ping_pong(&rt, a),
        "idle_task_memory" => tasks::idle_task_memory(&rt, a),
        "blocking_hazard" => tasks::blocking_hazard(&rt, a),
        "cross_thread_wake" => wake::cross_thread_wake(&rt, a),
        other => cli::bad_args("tokio", &format!("unknown workload '{other}'")),
    }
    cli::finish();
}
