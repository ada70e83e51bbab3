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
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server stops")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

/// How a slow client behaves.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Slow {
    /// Connects and sends nothing.
    Silent,
    /// Sends its request line, then one header byte a second, never finishing.
    Headers,
    /// Sends a whole sign-in request head (with the form's cookie) declaring a body of
    /// 1,000 bytes, then one body byte a second.
    Body,
    /// Makes one request on a kept-alive connection, then goes silent.
    Idle,
}

/// Whether the server has closed the connection (or answered it with 408/503 and closed):
/// reads until the end or `wait` passes, while the client keeps dripping its bytes.
async fn closed_by_server(mut s: TcpStream, kind: Slow, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    let mut buf = [0u8; 4096];
    let mut answered = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let step = left.min(Duration::from_secs(1));
        match tokio::time::timeout(step, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(n)) => {
                let text = String::from_utf8_lossy(&buf[..n]);
                answered |= text.contains(" 408 ")
                    || text.contains(" 503 ")
                    || (kind == Slow::Idle && text.starts_with("HTTP/1.1 200"));
                if !answered {
                    // Any other answer is wrong: the request was never complete.
                    return false;
                }
            }
            Err(_) => {
                // Still open: drip one more byte, as a slow client does.
                let byte: &[u8] = match kind {
                    Slow::Silent | Slow::Idle => continue,
                    Slow::Headers => b"x",
                    Slow::Body => b"a",
                };
                if s.write_all(byte).await.is_err() {
                    return true;
                }
            }
        }
    }
}

#[sqlx::test]
async fn hundreds_of_slow_clients_are_cut_off_while_others_are_served(pool: PgPool) {
    let config = pingxuan::config::Config {
        request_timeout: Duration::from_secs(3),
        ..Default::default()
    };
    let app = spawn_with(pool, config).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve(
        listener,
        app.router.clone(),
        Duration::from_secs(2),
        std::future::pending(),
    ));
    // The sign-in form's cookie, so that a slow body is really read (without it the request
    // is refused before its body).
    let form = get(addr, "/login").await;
    let cookie = form
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("the sign-in form sets its cookie")
        .to_string();

    let per_kind = 100;
    let mut clients = Vec::new();
    for kind in [Slow::Silent, Slow::Headers, Slow::Body, Slow::Idle] {
        for _ in 0..per_kind {
            let mut s = TcpStream::connect(addr).await.unwrap();
            match kind {
                Slow::Silent => {}
                Slow::Idle => s
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    .await
                    .unwrap(),
                Slow::Headers => s
                    .write_all(b"GET /login HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    .await
                    .unwrap(),
                Slow::Body => s
                    .write_all(
                        format!(
                            "POST /login HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\
                             Content-Type: application/x-www-form-urlencoded\r\n\
                             Content-Length: 1000\r\n\r\nusername=",
                        )
                        .as_bytes(),
                    )
                    .await
                    .unwrap(),
            }
            clients.push((
                kind,
                tokio::spawn(closed_by_server(s, kind, Duration::from_secs(15))),
            ));
        }
    }

    // Meanwhile, normal requests are served, one after another, for five seconds.
    let started = Instant::now();
    let mut served = 0;
    let mut failed = Vec::new();
    while started.elapsed() < Duration::from_secs(5) {
        let path = if served % 2 == 0 {
            "/healthz"
        } else {
            "/login"
        };
        match tokio::time::timeout(Duration::from_secs(5), get(addr, path)).await {
            Ok(answer) if answer.starts_with("HTTP/1.1 200") => served += 1,
            other => failed.push(format!(
                "{path}: {:?}",
                other.map(|a| a.lines().next().map(str::to_string))
            )),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "{served} normal requests served during the flood, {} failed",
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "normal requests failed during the flood: {failed:?}"
    );
    assert!(
        served >= 20,
        "only {served} normal requests were served in 5 s"
    );

    let mut still_open = Vec::new();
    for (kind, client) in clients {
        if !client.await.unwrap() {
            still_open.push(kind);
        }
    }
    assert!(
        still_open.is_empty(),
        "{} of {} slow connections were not closed by the server: {:?}",
        still_open.len(),
        4 * per_kind,
        still_open.iter().take(5).collect::<Vec<_>>()
    );
}
