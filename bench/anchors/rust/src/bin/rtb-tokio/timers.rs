//! timers.rs (rtb-tokio): million_timers on tokio's timer wheel, and timer_churn with timeout().

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use rtb_anchors::cli::{self, Args};
use rtb_anchors::util;
use tokio::runtime::Runtime;
use tokio::time::Sleep;

/// million_timers: N sleeps, the i-th of i/1000 + 1 ms. init: create each and poll it once,
/// which is when tokio puts it into the wheel; dispatch: await them in deadline order until the
/// last has fired; cleanup: drop them. All figures in ns per timer, plus dispatch CPU time.
pub fn million_timers(rt: &Runtime, a: &mut Args) {
    let n = a.usize("timers", 1, 100_000_000);
    a.done();
    let (init, dispatch, cleanup, cpu, fired) = rt.block_on(async move {
        tokio::spawn(async move {
            let mut sleeps: Vec<Pin<Box<Sleep>>> = Vec::with_capacity(n);
            let t_init = Instant::now();
            for i in 0..n {
                sleeps.push(Box::pin(tokio::time::sleep(Duration::from_millis(i as u64 / 1000 + 1))));
            }
            // One poll each registers the entries; none can be due yet, a millisecond is far.
            // unconstrained: tokio's cooperative budget would otherwise make every poll after
            // the 128th return Pending without registering, and move the work into dispatch.
            tokio::task::unconstrained(poll_fn(|cx| {
                for s in sleeps.iter_mut() {
                    let _ = s.as_mut().poll(cx);
                }
                Poll::Ready(())
            }))
            .await;
            let t_run = Instant::now();
            let cpu0 = util::process_cpu_ns();
            let mut fired = 0u64;
            for s in sleeps.iter_mut() {
                s.as_mut().await;
                fired += 1;
            }
            let cpu = util::process_cpu_ns() - cpu0;
            let t_ran = Instant::now();
            let all_elapsed = sleeps.iter().all(|s| s.is_elapsed());
            drop(sleeps);
            let t_done = Instant::now();
            if !all_elapsed {
                cli::fail("million_timers: a sleep completed without being elapsed");
            }
            (t_run - t_init, t_ran - t_run, t_done - t_ran, cpu, fired)
        })
        .await
        .unwrap()
    });
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
/// timeout, so every event inserts one timer entry and cancels it. ns per re-arm.
pub fn timer_churn(rt: &Runtime, a: &mut Args) {
    let watchers = a.u64("watchers", 1, 10_000_000);
    let rounds = a.u64("rounds", 1, 10_000_000);
    a.done();
    let rearms = Arc::new(AtomicU64::new(0));
    let r2 = rearms.clone();
    let elapsed = rt.block_on(async move {
        tokio::spawn(async move {
            let t0 = Instant::now();
            let handles: Vec<_> = (0..watchers)
                .map(|k| {
                    let rearms = r2.clone();
                    tokio::spawn(async move {
                        let mut rng = util::Rng::new(k + 1);
                        for _ in 0..rounds {
                            let d = Duration::from_millis(10_000 + rng.next() % 1000);
                            if tokio::time::timeout(d, tokio::task::yield_now()).await.is_err() {
                                cli::fail("timer_churn: a 10 s timeout fired");
                            }
                            rearms.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
            t0.elapsed()
        })
        .await
        .unwrap()
    });
    let n = rearms.load(Ordering::Acquire);
    if n != watchers * rounds {
        cli::fail(&format!("timer_churn: {n} re-arms, expected {}", watchers * rounds));
    }
    cli::metric("rearm", "ns", elapsed.as_nanos() as f64 / n as f64);
}
