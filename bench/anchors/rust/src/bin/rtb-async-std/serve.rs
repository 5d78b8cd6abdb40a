//! serve.rs (rtb-async-std): the http_hello responder: a TcpListener, a task per connection.

use std::net::Shutdown;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_std::channel::bounded;
use async_std::net::{TcpListener, TcpStream};
use async_std::prelude::*;
use async_std::task;
use rtb_anchors::cli::{self, Args};
use rtb_anchors::http::Conn;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

static ACCEPTED: AtomicU64 = AtomicU64::new(0);
static SERVED: AtomicU64 = AtomicU64::new(0);
static REFUSED: AtomicU64 = AtomicU64::new(0);

/// One connection: read, answer everything complete, write, until the client or a reply closes it.
async fn serve(mut s: TcpStream) {
    let mut c = Conn::default();
    let mut buf = vec![0u8; rtb_anchors::http::MAX_REQUEST];
    loop {
        c.process();
        if !c.out.is_empty() {
            if s.write_all(&c.out).await.is_err() {
                break;
            }
            c.out.clear();
        }
        if c.close_after {
            // FIN after the reply, then take what the client already sent (see rtb_http_linger):
            // a zero timeout still polls the read once, which is a non-blocking read here.
            let _ = s.shutdown(Shutdown::Write);
            while let Ok(Ok(n)) = async_std::future::timeout(Duration::ZERO, s.read(&mut buf)).await {
                if n == 0 {
                    break;
                }
            }
            break;
        }
        let room = c.room();
        match s.read(&mut buf[..room]).await {
            Ok(0) | Err(_) => break,
            Ok(n) => c.input.extend_from_slice(&buf[..n]),
        }
    }
    SERVED.fetch_add(c.served, Ordering::Relaxed);
    REFUSED.fetch_add(c.refused, Ordering::Relaxed);
}

/// http_hello: serve on 127.0.0.1:port until SIGTERM/SIGINT or duration= seconds (0: no limit).
/// async-std has no signal API; a signal-hook thread turns the signal into a channel message.
pub fn http_hello(a: &mut Args) {
    let port = a.u64("port", 0, 65535) as u16;
    let duration = a.u64("duration", 0, 86400);
    a.done();
    let (stop_tx, stop_rx) = bounded::<()>(1);
    let mut signals = Signals::new([SIGTERM, SIGINT]).unwrap_or_else(|e| cli::fail(&format!("signals: {e}")));
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            let _ = stop_tx.try_send(());
        }
    });
    task::block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| cli::fail(&format!("listen on 127.0.0.1:{port}: {e}")));
        println!("ready port={}", listener.local_addr().unwrap().port());
        task::spawn(async move {
            loop {
                if let Ok((s, _)) = listener.accept().await {
                    ACCEPTED.fetch_add(1, Ordering::Relaxed);
                    task::spawn(serve(s));
                }
            }
        });
        if duration > 0 {
            let _ = async_std::future::timeout(Duration::from_secs(duration), stop_rx.recv()).await;
        } else {
            let _ = stop_rx.recv().await;
        }
    });
    eprintln!(
        "rtb-async-std http_hello: {} connections, {} replies 200, {} replies 400 (open connections not counted)",
        ACCEPTED.load(Ordering::Relaxed),
        SERVED.load(Ordering::Relaxed),
        REFUSED.load(Ordering::Relaxed)
    );
}
