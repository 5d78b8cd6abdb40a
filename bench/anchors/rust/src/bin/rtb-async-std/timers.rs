//! timers.rs (rtb-async-std): million_timers on async-io's timer map, and timer_churn with timeout().

use std::future::{poll_fn, Future};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use async_std::task;
use rtb_anchors::cli::{self, Args};
use rtb_anchors::util;

/// million_timers: N sleeps, the i-th of i/1000 + 1 ms. init: create each and poll it once,
/// which is when async-io registers the timer with its reactor; dispatch: await them in
/// deadline order until the last has fired; cleanup: drop them. ns per timer, plus dispatch CPU.
pub fn million_timers(a: &mut Args) {
    let n = a.usize("timers", 1, 100_000_000);
    a.done();
    let (init, dispatch, cleanup, cpu, fired) = task::block_on(task::spawn(async move {
        let mut sleeps = Vec::with_capacity(n);
        let t_init = Instant::now();
        for i in 0..n {
            sleeps.push(Box::pin(task::sleep(Duration::from_millis(i as u64 / 1000 + 1))));
        }
        // A sleep may already be due during this first pass (init of 100k timers takes longer
        // than the first deadlines' 1 ms); async-std's sleep is an async fn, which panics if
        // polled again after Ready, so remember which ones finished here.
        let mut done = vec![false; n];
        poll_fn(|cx| {
            for (s, d) in sleeps.iter_mut().zip(done.iter_mut()) {
                *d = s.as_mut().poll(cx).is_ready();
            }
            Poll::Ready(())
        })
        .await;
        let t_run = Instant::now();
        let cpu0 = util::process_cpu_ns();
        let mut fired = 0u64;
        for (s, d) in sleeps.iter_mut().zip(done.iter()) {
            if !*d {
                s.as_mut().await;
            }
            fired += 1;
        }
        let cpu = util::process_cpu_ns() - cpu0;
        let t_ran = Instant::now();
        drop(sleeps);
        let t_done = Instant::now();
        (t_run - t_init, t_ran - t_run, t_done - t_ran, cpu, fired)
    }));
    if fired != n as u64 {
        cli::fail(&format!("million_timers: {fired} of {n} timers fired"));
    }
    let n = n as f64;
    cli::metric("init", "ns", init.as_nanos() as f64 / n);
    cli::metric("dispatch", "ns", dispatch.as_nanos() as f64 / n);
    cli::metric("cleanup", "ns", cleanup.as_nanos() as f64 / n);
    cli::metric("dispatch_cpu", "ns", cpu as f64 / n);
}

/// timer_churn: W tasks; each, R times, waits for an event (a yield) under a fresh 10 s + jitter
/// timeout, so every event inserts one timer and cancels it. ns per re-arm.
pub fn timer_churn(a: &mut Args) {
    let watchers = a.u64("watchers", 1, 10_000_000);
    let rounds = a.u64("rounds", 1, 10_000_000);
    a.done();
    let rearms = Arc::new(AtomicU64::new(0));
    let r2 = rearms.clone();
    let elapsed = task::block_on(task::spawn(async move {
        let t0 = Instant::now();
        let handles: Vec<_> = (0..watchers)
            .map(|k| {
                let rearms = r2.clone();
                task::spawn(async move {
                    let mut rng = util::Rng::new(k + 1);
                    for _ in 0..rounds {
                        let d = Duration::from_millis(10_000 + rng.next() % 1000);
                        if async_std::future::timeout(d, task::yield_now()).await.is_err() {
                            cli::fail("timer_churn: a 10 s timeout fired");
                        }
                        rearms.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
        t0.elapsed()
    }));
    let n = rearms.load(Ordering::Acquire);
    if n != watchers * rounds {
        cli::fail(&format!("timer_churn: {n} re-arms, expected {}", watchers * rounds));
    }
    cli::metric("rearm", "ns", elapsed.as_nanos() as f64 / n as f64);
}
