//! tasks.rs (rtb-async-std): the task workloads: spawn, yield, chains, ping-pong, idle memory, blocking.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_std::channel::{bounded, Sender};
use async_std::task;
use rtb_anchors::cli::{self, Args};
use rtb_anchors::util;

/// spawn_many: one task spawns N tasks; each decrements a counter and the last one signals.
/// ns per task, from the first spawn to the signal. Checks the counter ended at exactly 0.
pub fn spawn_many(a: &mut Args) {
    let n = a.usize("tasks", 1, 100_000_000);
    a.done();
    let (elapsed, left) = task::block_on(task::spawn(async move {
        let remaining = Arc::new(AtomicUsize::new(n));
        let (done_tx, done_rx) = bounded::<()>(1);
        let t0 = Instant::now();
        for _ in 0..n {
            let remaining = remaining.clone();
            let done_tx = done_tx.clone();
            task::spawn(async move {
                if remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
                    done_tx.send(()).await.unwrap();
                }
            });
        }
        done_rx.recv().await.unwrap();
        (t0.elapsed(), remaining.load(Ordering::Acquire))
    }));
    if left != 0 {
        cli::fail(&format!("spawn_many: {left} of {n} tasks did not run"));
    }
    cli::metric("spawn", "ns", elapsed.as_nanos() as f64 / n as f64);
}

/// yield_many: T tasks each yield Y times; ns per yield. Checks every task yielded Y times.
pub fn yield_many(a: &mut Args) {
    let tasks = a.usize("tasks", 1, 1_000_000);
    let yields = a.u64("yields", 1, 1_000_000_000);
    a.done();
    let (elapsed, total) = task::block_on(task::spawn(async move {
        let t0 = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                task::spawn(async move {
                    let mut done = 0u64;
                    for _ in 0..yields {
                        task::yield_now().await;
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let mut total = 0;
        for h in handles {
            total += h.await;
        }
        (t0.elapsed(), total)
    }));
    if total != tasks as u64 * yields {
        cli::fail(&format!("yield_many: {total} yields, expected {}", tasks as u64 * yields));
    }
    cli::metric("yield", "ns", elapsed.as_nanos() as f64 / total as f64);
}

/// One link of a chain: spawn the next link, or signal at the end.
fn chain(left: u64, count: Arc<AtomicU64>, done: Sender<()>) {
    count.fetch_add(1, Ordering::Relaxed);
    if left == 0 {
        let _ = done.try_send(());
    } else {
        task::spawn(async move { chain(left - 1, count, done) });
    }
}

/// chained_spawn: C chains, one after another, of D tasks each spawning the next; ns per spawn.
pub fn chained_spawn(a: &mut Args) {
    let depth = a.u64("depth", 1, 100_000_000);
    let chains = a.u64("chains", 1, 1_000_000);
    a.done();
    let count = Arc::new(AtomicU64::new(0));
    let c2 = count.clone();
    let elapsed = task::block_on(task::spawn(async move {
        let t0 = Instant::now();
        for _ in 0..chains {
            let (tx, rx) = bounded(1);
            let c = c2.clone();
            task::spawn(async move { chain(depth - 1, c, tx) });
            rx.recv().await.unwrap();
        }
        t0.elapsed()
    }));
    let spawned = count.load(Ordering::Acquire);
    if spawned != depth * chains {
        cli::fail(&format!("chained_spawn: {spawned} links ran, expected {}", depth * chains));
    }
    cli::metric("spawn", "ns", elapsed.as_nanos() as f64 / spawned as f64);
}

/// task_ping_pong: R rounds of T tasks; each spawns a peer and they trade two one-slot channels
/// (async-std has no oneshot; a bounded(1) channel is its idiom). ns per ping-pong.
pub fn task_ping_pong(a: &mut Args) {
    let tasks = a.usize("tasks", 1, 10_000_000);
    let rounds = a.u64("rounds", 1, 1_000_000);
    a.done();
    let pongs = Arc::new(AtomicU64::new(0));
    let p2 = pongs.clone();
    let elapsed = task::block_on(task::spawn(async move {
        let t0 = Instant::now();
        for _ in 0..rounds {
            let remaining = Arc::new(AtomicUsize::new(tasks));
            let (done_tx, done_rx) = bounded::<()>(1);
            for _ in 0..tasks {
                let (remaining, done_tx, pongs) = (remaining.clone(), done_tx.clone(), p2.clone());
                task::spawn(async move {
                    let (ping_tx, ping_rx) = bounded::<()>(1);
                    let (pong_tx, pong_rx) = bounded::<()>(1);
                    task::spawn(async move {
                        ping_rx.recv().await.unwrap();
                        pong_tx.send(()).await.unwrap();
                    });
                    ping_tx.send(()).await.unwrap();
                    pong_rx.recv().await.unwrap();
                    pongs.fetch_add(1, Ordering::Relaxed);
                    if remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
                        done_tx.send(()).await.unwrap();
                    }
                });
            }
            done_rx.recv().await.unwrap();
        }
        t0.elapsed()
    }));
    let n = pongs.load(Ordering::Acquire);
    if n != tasks as u64 * rounds {
        cli::fail(&format!("task_ping_pong: {n} ping-pongs, expected {}", tasks as u64 * rounds));
    }
    cli::metric("ping_pong", "ns", elapsed.as_nanos() as f64 / n as f64);
}

/// idle_task_memory: N tasks each parked on its own one-slot channel; bytes of RSS per task
/// (task plus its channel). Then every task is released and must finish.
pub fn idle_task_memory(a: &mut Args) {
    let n = a.usize("tasks", 1, 100_000_000);
    a.done();
    let (grown, finished) = task::block_on(task::spawn(async move {
        let started = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        let mut senders = Vec::with_capacity(n);
        let before = util::rss_bytes();
        for _ in 0..n {
            let (tx, rx) = bounded::<()>(1);
            senders.push(tx);
            let (s, f) = (started.clone(), finished.clone());
            task::spawn(async move {
                s.fetch_add(1, Ordering::Relaxed);
                rx.recv().await.unwrap();
                f.fetch_add(1, Ordering::Relaxed);
            });
        }
        while started.load(Ordering::Acquire) < n {
            task::sleep(Duration::from_millis(1)).await;
        }
        let after = util::rss_bytes();
        for tx in senders {
            tx.send(()).await.unwrap();
        }
        while finished.load(Ordering::Acquire) < n {
            task::sleep(Duration::from_millis(1)).await;
        }
        (after.saturating_sub(before), finished.load(Ordering::Acquire))
    }));
    if finished != n {
        cli::fail(&format!("idle_task_memory: {finished} of {n} tasks finished"));
    }
    if grown == 0 {
        cli::fail("idle_task_memory: RSS did not grow, so the measurement says nothing");
    }
    cli::metric("per_task", "B", grown as f64 / n as f64);
}

/// One phase of blocking_hazard: a 1 ms ticker's lateness (us) while another task blocks for
/// `block` every `every`, on an executor thread or (offload) through spawn_blocking. async-std
/// has no interval with scheduled instants in its stable API, so the ticker sleeps until each
/// due time itself, and a late tick fires at once (tokio's Burst behaviour).
async fn hazard_phase(ticks: usize, block: Duration, every: Duration, offload: bool) -> (f64, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let blocks = Arc::new(AtomicU64::new(0));
    let (st, bl) = (stop.clone(), blocks.clone());
    let hazard = task::spawn(async move {
        while !st.load(Ordering::Acquire) {
            task::sleep(every).await;
            if offload {
                task::spawn_blocking(move || std::thread::sleep(block)).await;
            } else {
                std::thread::sleep(block);  // the hazard: an executor thread held hostage
            }
            bl.fetch_add(1, Ordering::Relaxed);
        }
    });
    let ticker = task::spawn(async move {
        let mut late = Vec::with_capacity(ticks);
        let start = Instant::now();
        for k in 1..=ticks as u32 {
            let due = start + Duration::from_millis(1) * k;
            let now = Instant::now();
            if due > now {
                task::sleep(due - now).await;
            }
            late.push(due.elapsed().as_secs_f64() * 1e6);
        }
        late
    });
    let mut late = ticker.await;
    stop.store(true, Ordering::Release);
    hazard.await;
    if late.len() != ticks {
        cli::fail(&format!("blocking_hazard: {} of {ticks} ticks", late.len()));
    }
    (util::percentile(&mut late, 99.0), blocks.load(Ordering::Acquire))
}

/// blocking_hazard: the ticker's p99 lateness with the hazard on an executor thread, then offloaded.
pub fn blocking_hazard(a: &mut Args) {
    let ticks = a.usize("ticks", 10, 10_000_000);
    let block = Duration::from_millis(a.u64("block_ms", 1, 10_000));
    let every = Duration::from_millis(a.u64("every_ms", 1, 10_000));
    a.done();
    let (p_in, n_in) = task::block_on(hazard_phase(ticks, block, every, false));
    let (p_off, n_off) = task::block_on(hazard_phase(ticks, block, every, true));
    if n_in == 0 || n_off == 0 {
        cli::fail("blocking_hazard: the blocking task never ran, so nothing was measured");
    }
    cli::metric("p99_blocked", "us", p_in);
    cli::metric("p99_spawn_blocking", "us", p_off);
}
