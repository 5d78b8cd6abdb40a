//! io.rs (rtb-async-std): sock_ping_pong over UnixStream pairs and tcp_echo over loopback TcpStreams.

use std::net::Shutdown;
use std::time::Instant;

use async_std::net::{TcpListener, TcpStream};
use async_std::os::unix::net::UnixStream;
use async_std::prelude::*;
use async_std::task;
use rtb_anchors::cli::{self, Args};
use rtb_anchors::util;

/// sock_ping_pong: P socketpairs, a pinger and a ponger task per pair, R round trips of a
/// 4-byte counter each; ns per round trip. The pinger checks every counter that comes back.
pub fn sock_ping_pong(a: &mut Args) {
    let pairs = a.usize("pairs", 1, 100_000);
    let rounds = a.u64("rounds", 1, 1_000_000_000);
    a.done();
    let elapsed = task::block_on(async move {
        let mut socks = Vec::with_capacity(pairs);
        for _ in 0..pairs {
            socks.push(UnixStream::pair().unwrap_or_else(|e| cli::fail(&format!("socketpair: {e}"))));
        }
        let t0 = Instant::now();
        let mut pingers = Vec::with_capacity(pairs);
        for (mut ping, mut pong) in socks {
            task::spawn(async move {
                let mut m = [0u8; 4];
                while pong.read_exact(&mut m).await.is_ok() {
                    if pong.write_all(&m).await.is_err() {
                        break;
                    }
                }
            });
            pingers.push(task::spawn(async move {
                let mut m = [0u8; 4];
                for r in 0..rounds {
                    ping.write_all(&(r as u32).to_ne_bytes()).await.unwrap();
                    ping.read_exact(&mut m).await.unwrap();
                    if u32::from_ne_bytes(m) != r as u32 {
                        cli::fail(&format!("round trip carried {}, expected {r}", u32::from_ne_bytes(m)));
                    }
                }
                rounds
            }));
        }
        let mut done = 0;
        for p in pingers {
            done += p.await;
        }
        if done != pairs as u64 * rounds {
            cli::fail(&format!("{done} round trips, expected {}", pairs as u64 * rounds));
        }
        t0.elapsed()
    });
    cli::metric("round_trip", "ns", elapsed.as_nanos() as f64 / (pairs as u64 * rounds) as f64);
}

/// The echo server's side of one connection: read a buffer, write it back, until end-of-stream.
async fn echo(mut s: TcpStream, buf: usize) {
    let mut b = vec![0u8; buf];
    loop {
        match s.read(&mut b).await {
            Ok(0) => break,
            Ok(n) => s.write_all(&b[..n]).await.unwrap_or_else(|e| cli::fail(&format!("echo write: {e}"))),
            Err(e) => cli::fail(&format!("echo read: {e}")),
        }
    }
    let _ = s.shutdown(Shutdown::Write);
}

/// tcp_echo: C loopback connections stream `kib` KiB each through the in-process echo server,
/// writing from one task and reading back from another (an async-std TcpStream is shared by
/// cloning it); MB/s echoed. Every byte is checked.
pub fn tcp_echo(a: &mut Args) {
    let conns = a.usize("conns", 1, 10_000);
    let bytes = a.u64("kib", 1, 1 << 24) * 1024;
    let buf = a.usize("buf", 1, util::PATTERN_SPAN as u64);
    a.done();
    let elapsed = task::block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| cli::fail(&format!("bind: {e}")));
        let addr = listener.local_addr().unwrap();
        let mut clients = Vec::with_capacity(conns);
        for _ in 0..conns {
            let c = TcpStream::connect(addr).await.unwrap_or_else(|e| cli::fail(&format!("connect: {e}")));
            let (s, _) = listener.accept().await.unwrap_or_else(|e| cli::fail(&format!("accept: {e}")));
            c.set_nodelay(true).unwrap();
            s.set_nodelay(true).unwrap();
            task::spawn(echo(s, buf));
            clients.push(c);
        }
        let t0 = Instant::now();
        let mut readers = Vec::with_capacity(conns);
        for (i, c) in clients.into_iter().enumerate() {
            let mut wr = c.clone();
            let mut rd = c;
            task::spawn(async move {
                let mut sent = 0u64;
                while sent < bytes {
                    let n = (bytes - sent).min(buf as u64) as usize;
                    wr.write_all(&util::pattern_at(sent, i as u64)[..n]).await.unwrap();
                    sent += n as u64;
                }
                wr.shutdown(Shutdown::Write).unwrap();
            });
            readers.push(task::spawn(async move {
                let mut b = vec![0u8; buf];
                let mut got = 0u64;
                loop {
                    let n = rd.read(&mut b).await.unwrap_or_else(|e| cli::fail(&format!("client read: {e}")));
                    if n == 0 {
                        break;
                    }
                    if got + n as u64 > bytes || b[..n] != util::pattern_at(got, i as u64)[..n] {
                        cli::fail(&format!("connection {i}: echoed bytes differ near offset {got}"));
                    }
                    got += n as u64;
                }
                got
            }));
        }
        for (i, r) in readers.into_iter().enumerate() {
            let got = r.await;
            if got != bytes {
                cli::fail(&format!("connection {i} closed after {got} of {bytes} bytes"));
            }
        }
        t0.elapsed()
    });
    let total = conns as u64 * bytes;
    cli::metric("throughput", "MB/s", total as f64 / elapsed.as_secs_f64() / 1e6);
}
