//! The real server on a real socket: slow clients are cut off by the header-read timeout
//! while others are served, and shutdown is graceful.

mod common;

use std::time::{Duration, Instant};

use common::*;
use pingxuan::server;
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[sqlx::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected(pool: PgPool) {
    let app = spawn(pool).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(
        listener,
        app.router.clone(),
        Duration::from_secs(1),
        async {
            stopped.await.ok();
        },
    ));

    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /login HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    // Meanwhile, others are served.
    assert!(get(addr, "/healthz").await.starts_with("HTTP/1.1 200"));
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut buf)).await;
    let closed = match read {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        Ok(Ok(n)) => String::from_utf8_lossy(&buf[..n]).contains("408"),
        Err(_) => false,
    };
    assert!(closed, "the slow connection was closed");
    assert!(started.elapsed() < Duration::from_secs(4));

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(12), server)
        .await
        .expect("server stops")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}
