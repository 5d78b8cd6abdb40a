//! wake.rs (rtb-async-std): cross_thread_wake: K plain threads wake one task through its Waker.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Poll, Waker};
use std::thread;
use std::time::Instant;

use rtb_anchors::cli::{self, Args};
use async_std::task;

/// One sender thread's state: it announces rounds, the task answers them.
struct Slot {
    sent: AtomicU64,
    answered: AtomicU64,
    thread: OnceLock<thread::Thread>,
}

/// cross_thread_wake: as the C loops do it (bench/impl/common/rtb_wake.h): each of K threads,
/// M times, announces a round, wakes the task (Waker::wake_by_ref, async-std's cross-thread wake:
/// async-task schedules the task unless it is already scheduled, which is the coalescing) and parks
/// until the task has answered. Each poll of the task answers every new round. Wakes/s and
/// wakes per poll.
pub fn cross_thread_wake(a: &mut Args) {
    let k = a.usize("threads", 1, 64);
    let m = a.u64("wakes", 1, 1_000_000_000);
    a.done();
    let total = k as u64 * m;
    let slots: Arc<Vec<Slot>> = Arc::new((0..k).map(|_| Slot {
        sent: AtomicU64::new(0), answered: AtomicU64::new(0), thread: OnceLock::new() }).collect());
    let waker: Arc<OnceLock<Waker>> = Arc::new(OnceLock::new());
    let go = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..k)
        .map(|i| {
            let (slots, waker, go) = (slots.clone(), waker.clone(), go.clone());
            thread::spawn(move || {
                slots[i].thread.set(thread::current()).unwrap();
                while !go.load(Ordering::Acquire) {
                    thread::yield_now();
                }
                let w = waker.get().unwrap().clone();
                for r in 1..=m {
                    slots[i].sent.store(r, Ordering::Release);
                    w.wake_by_ref();
                    while slots[i].answered.load(Ordering::Acquire) < r {
                        thread::park();
                    }
                }
            })
        })
        .collect();
    let s2 = slots.clone();
    let (elapsed, polls) = task::block_on(async move {
        task::spawn(async move {
            let mut t0 = None;
            let (mut polls, mut answered) = (0u64, 0u64);
            poll_fn(|cx| {
                let Some(start) = t0 else {
                    // First poll: publish the waker, then open the start line.
                    while s2.iter().any(|s| s.thread.get().is_none()) {
                        thread::yield_now();
                    }
                    waker.set(cx.waker().clone()).unwrap();
                    t0 = Some(Instant::now());
                    go.store(true, Ordering::Release);
                    return Poll::Pending;
                };
                polls += 1;
                for s in s2.iter() {
                    let r = s.sent.load(Ordering::Acquire);
                    let prev = s.answered.load(Ordering::Relaxed);
                    if r != prev {
                        if r != prev + 1 {
                            cli::fail(&format!("a thread announced round {r} with {prev} answered"));
                        }
                        s.answered.store(r, Ordering::Release);
                        answered += 1;
                        s.thread.get().unwrap().unpark();
                    }
                }
                if answered == total { Poll::Ready((start.elapsed(), polls)) } else { Poll::Pending }
            })
            .await
        })
        .await
    });
    for t in threads {
        t.join().unwrap();
    }
    if slots.iter().any(|s| s.answered.load(Ordering::Acquire) != m) || polls == 0 || polls > total {
        cli::fail(&format!("cross_thread_wake: not every round answered ({polls} polls)"));
    }
    cli::metric("wakes", "wakes/s", total as f64 / elapsed.as_secs_f64());
    cli::metric("coalescing", "wakes/callback", total as f64 / polls as f64);
}
