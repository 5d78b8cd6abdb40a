//! serve.rs (rtb-tokio): the http_hello responder: a TcpListener, a task per connection.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rtb_anchors::cli::{self, Args};
use rtb_anchors::http::Conn;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::signal::unix::{signal, SignalKind};

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
            // FIN after the reply, then let the client's pending bytes go (see rtb_http_linger).
            let _ = s.shutdown().await;
            while let Ok(n) = s.try_read(&mut buf) {
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
pub fn http_hello(rt: &Runtime, a: &mut Args) {
    let port = a.u64("port", 0, 65535) as u16;
    let duration = a.u64("duration", 0, 86400);
    a.done();
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| cli::fail(&format!("listen on 127.0.0.1:{port}: {e}")));
        let mut term = signal(SignalKind::terminate()).unwrap();
        let mut intr = signal(SignalKind::interrupt()).unwrap();
        println!("ready port={}", listener.local_addr().unwrap().port());
        let limit = async move {
            if duration > 0 {
                tokio::time::sleep(Duration::from_secs(duration)).await
            } else {
                std::future::pending::<()>().await
            }
        };
        let accept = async move {
            loop {
                if let Ok((s, _)) = listener.accept().await {
                    ACCEPTED.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(serve(s));
                }
            }
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = intr.recv() => {}
            _ = limit => {}
            _ = accept => {}
        }
    });
    eprintln!(
        "rtb-tokio http_hello: {} connections, {} replies 200, {} replies 400 (open connections not counted)",
        ACCEPTED.load(Ordering::Relaxed),
        SERVED.load(Ordering::Relaxed),
        REFUSED.load(Ordering::Relaxed)
    );
}
