//! cli.rs: the command line and stdout protocol of the Rust anchors (see bench/WORKLOADS.md).
//!
//! `rtb-X WORKLOAD [--flavor ct|mt] [--workers N] key=value ...`; stdout carries only
//! `metric=... unit=... value=...` lines and `check=ok`. Exit 0 ok, 1 check failed
//! (`check=fail <why>`, no metrics), 2 bad arguments, 3 no equivalent (`unsupported: <why>`).
//! Metrics are buffered and printed only once the run has passed its check.

use std::io::Write;
use std::process;
use std::sync::Mutex;

/// Every workload name the bench knows: outside this list is a typo (2), inside but not
/// implemented is "no equivalent" (3).
pub const WORKLOADS: [&str; 13] = [
    "sock_ping_pong", "bench_c", "million_timers", "timer_churn", "spawn_many", "yield_many",
    "chained_spawn", "task_ping_pong", "cross_thread_wake", "tcp_echo", "http_hello",
    "blocking_hazard", "idle_task_memory",
];

static METRICS: Mutex<Vec<(String, String, f64)>> = Mutex::new(Vec::new());

/// The parsed command line.
pub struct Args {
    pub runtime: &'static str,
    pub workload: String,
    pub flavor: Option<String>,
    pub workers: Option<usize>,
    params: Vec<(String, String, bool)>,
}

/// Print the usage and the valid workload names, then exit 2 having run nothing.
pub fn bad_args(runtime: &str, msg: &str) -> ! {
    eprintln!("rtb-{runtime}: {msg}");
    eprintln!("usage: rtb-{runtime} WORKLOAD [--flavor ct|mt] [--workers N] key=value ...");
    eprintln!("workloads: {}", WORKLOADS.join(" "));
    eprintln!("sizes and keys: bench/WORKLOADS.md");
    process::exit(2)
}

impl Args {
    /// Parse std::env::args(); exits 2 on anything malformed. The workload is the first word
    /// that is neither a flag nor key=value (the protocol puts it first; flags may come anywhere).
    /// Also installs the panic hook: a panic anywhere, on any thread, fails the run (exit 1)
    /// instead of leaving a runtime hung on a task that will never finish.
    pub fn parse(runtime: &'static str) -> Args {
        std::panic::set_hook(Box::new(|info| {
            fail(&format!("panic: {info}"));
        }));
        let argv: Vec<String> = std::env::args().skip(1).collect();
        let mut a = Args { runtime, workload: String::new(), flavor: None, workers: None, params: Vec::new() };
        let mut i = 0;
        while i < argv.len() {
            let arg = &argv[i];
            if arg == "--flavor" || arg == "--workers" {
                let Some(v) = argv.get(i + 1) else { bad_args(runtime, &format!("{arg} needs a value")) };
                if arg == "--flavor" {
                    if v != "ct" && v != "mt" {
                        bad_args(runtime, &format!("--flavor must be ct or mt, not '{v}'"));
                    }
                    a.flavor = Some(v.clone());
                } else {
                    match v.parse::<usize>() {
                        Ok(n) if (1..=1024).contains(&n) => a.workers = Some(n),
                        _ => bad_args(runtime, &format!("--workers needs a number in [1, 1024], not '{v}'")),
                    }
                }
                i += 2;
                continue;
            }
            i += 1;
            if let Some((k, v)) = arg.split_once('=') {
                if k.is_empty() || a.params.iter().any(|p| p.0 == k) {
                    bad_args(runtime, &format!("empty or repeated key in '{arg}'"));
                }
                a.params.push((k.to_string(), v.to_string(), false));
            } else if a.workload.is_empty() && !arg.starts_with('-') {
                if !WORKLOADS.contains(&arg.as_str()) {
                    bad_args(runtime, &format!("unknown workload '{arg}'"));
                }
                a.workload = arg.clone();
            } else {
                bad_args(runtime, &format!("unexpected argument '{arg}'"));
            }
        }
        if a.workload.is_empty() {
            bad_args(runtime, "missing WORKLOAD");
        }
        a
    }

    /// The unsigned param `key`, present and within [min, max]; else exit 2.
    pub fn u64(&mut self, key: &str, min: u64, max: u64) -> u64 {
        let runtime = self.runtime;
        let Some(p) = self.params.iter_mut().find(|p| p.0 == key) else {
            bad_args(runtime, &format!("missing {key}=<number> (the harness passes every size)"))
        };
        p.2 = true;
        // Plain digits only: no sign, no blanks, no hex.
        if p.1.is_empty() || !p.1.bytes().all(|b| b.is_ascii_digit()) {
            bad_args(runtime, &format!("not a number: {key}={}", p.1));
        }
        match p.1.parse::<u64>() {
            Ok(v) if v >= min && v <= max => v,
            _ => bad_args(runtime, &format!("{key}={} is outside [{min}, {max}]", p.1)),
        }
    }

    /// The same as `u64`, as a usize.
    pub fn usize(&mut self, key: &str, min: u64, max: u64) -> usize {
        self.u64(key, min, max) as usize
    }

    /// Exit 2 if a key=value was given that the workload never read.
    pub fn done(&self) {
        if let Some(p) = self.params.iter().find(|p| !p.2) {
            bad_args(self.runtime, &format!("unknown key '{}'", p.0));
        }
    }
}

/// Record one metric; printed only if the run passes.
pub fn metric(name: &str, unit: &str, value: f64) {
    METRICS.lock().unwrap().push((name.to_string(), unit.to_string(), value));
}

/// The self-check failed: `check=fail <why>` on stdout (one line), details on stderr, exit 1.
pub fn fail(why: &str) -> ! {
    let line = why.replace('\n', " ");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "check=fail {line}");
    let _ = out.flush();
    eprintln!("check failed: {line}");
    process::exit(1)
}

/// No equivalent in this runtime: `unsupported: <why>`, exit 3.
pub fn unsupported(why: &str) -> ! {
    println!("unsupported: {why}");
    process::exit(3)
}

/// The run passed: print the buffered metrics and `check=ok`, exit 0 (without waiting for
/// anything the runtime still holds, which is not part of the measurement).
pub fn finish() -> ! {
    let mut out = std::io::stdout().lock();
    for (name, unit, value) in METRICS.lock().unwrap().iter() {
        let _ = writeln!(out, "metric={name} unit={unit} value={value:.3}");
    }
    let _ = writeln!(out, "check=ok");
    let _ = out.flush();
    process::exit(0)
}
