//! The connection loop against real sockets on 127.0.0.1, with short limits.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::{Instant, sleep};

use super::*;

fn app() -> Router {
    Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route(
            "/brief",
            get(|| async {
                sleep(Duration::from_millis(300)).await;
                "done"
            }),
        )
        .route(
            "/slow",
            get(|| async {
                sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
        .route(
            "/endless",
            get(|| async {
                let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
                Body::from_stream(futures_util::stream::repeat_with(move || {
                    Ok::<_, std::io::Error>(chunk.clone())
                }))
            }),
        )
}

struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(limits: Limits) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(run(listener, app(), limits, async {
        let _ = stopped.await;
    }));
    Running {
        addr,
        stop: Some(stop),
        task,
    }
}

fn limits(max_connections: usize, client_ms: u64, request_ms: u64) -> Limits {
    Limits {
        max_connections,
        client_timeout: Duration::from_millis(client_ms),
        request_timeout: Duration::from_millis(request_ms),
    }
}

/// A connection that has sent `GET path`.
async fn send(addr: SocketAddr, path: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes())
        .await
        .unwrap();
    s
}

/// Reads until the response so far contains `want`; false if the connection
/// ended or 3 s passed first.
async fn read_until(s: &mut TcpStream, want: &str) -> bool {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(3);
    while !String::from_utf8_lossy(&seen).contains(want) {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buf[..n]),
            _ => return false,
        }
    }
    true
}

/// Reads (and discards) until the peer closes; how long that took, or None if
/// still open after `within`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout_at(started + within, s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// Lets the server accept what was connected and settle its bookkeeping.
async fn settle() {
    sleep(Duration::from_millis(50)).await;
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_client_timeout_and_kept_before() {
    let server = start(limits(64, 400, 5_000)).await;
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    let mut answered = send(server.addr, "/ok").await;
    assert!(read_until(&mut answered, "ok").await);
    let (idle, kept_alive) = tokio::join!(
        closed_within(&mut idle, Duration::from_secs(4)),
        closed_within(&mut answered, Duration::from_secs(4))
    );
    for took in [idle, kept_alive] {
        let took = took.expect("closed");
        assert!(
            took >= Duration::from_millis(250) && took < Duration::from_millis(2500),
            "{took:?}"
        );
    }
}

#[tokio::test]
async fn a_request_running_past_request_timeout_is_cut() {
    let server = start(limits(64, 30_000, 500)).await;
    let mut slow = send(server.addr, "/slow").await;
    let took = closed_within(&mut slow, Duration::from_secs(3)).await;
    let took = took.expect("the 30 s request was cut");
    assert!(took >= Duration::from_millis(400), "{took:?}");
    // A request within its time is answered.
    let mut brief = send(server.addr, "/brief").await;
    assert!(read_until(&mut brief, "done").await);
}

#[tokio::test]
async fn a_client_that_stops_reading_is_cut_at_request_timeout() {
    let server = start(limits(64, 30_000, 500)).await;
    let mut reader = send(server.addr, "/endless").await;
    assert!(read_until(&mut reader, "xxxx").await, "the body started");
    // Stops reading: the server's writes block on full socket buffers.
    sleep(Duration::from_millis(1_000)).await;
    // What was buffered drains, then the connection ends (the body never would).
    let took = closed_within(&mut reader, Duration::from_secs(5)).await;
    assert!(took.is_some(), "a slow reader holds its connection");
}

#[tokio::test]
async fn at_the_cap_a_new_connection_closes_the_longest_idle_one() {
    let server = start(limits(4, 30_000, 30_000)).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(server.addr).await.unwrap());
        settle().await;
    }
    let mut new = send(server.addr, "/ok").await;
    assert!(read_until(&mut new, "ok").await, "answered at the cap");
    assert!(
        closed_within(&mut held[0], Duration::from_secs(1))
            .await
            .is_some(),
        "the oldest idle connection made room"
    );
    for s in &mut held[1..] {
        assert!(
            closed_within(s, Duration::from_millis(200)).await.is_none(),
            "the others stay"
        );
    }
}

#[tokio::test]
async fn requests_in_flight_are_evicted_only_when_no_connection_is_idle() {
    let server = start(limits(3, 30_000, 30_000)).await;
    let mut first_busy = send(server.addr, "/slow").await;
    settle().await;
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    settle().await;
    let mut second_busy = send(server.addr, "/slow").await;
    settle().await;
    // At the cap: the idle connection goes, though it is younger than a busy one.
    let mut third_busy = send(server.addr, "/slow").await;
    settle().await;
    assert!(
        closed_within(&mut idle, Duration::from_secs(1))
            .await
            .is_some()
    );
    assert!(
        closed_within(&mut first_busy, Duration::from_millis(200))
            .await
            .is_none()
    );
    // Nothing idle is left: the request that has run longest goes.
    let mut new = send(server.addr, "/ok").await;
    assert!(read_until(&mut new, "ok").await, "answered");
    assert!(
        closed_within(&mut first_busy, Duration::from_secs(1))
            .await
            .is_some()
    );
    for s in [&mut second_busy, &mut third_busy] {
        assert!(
            closed_within(s, Duration::from_millis(200)).await.is_none(),
            "younger requests go on"
        );
    }
}

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_and_closes_idle_connections() {
    let mut server = start(limits(64, 30_000, 30_000)).await;
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    let mut brief = send(server.addr, "/brief").await;
    settle().await;
    server.stop.take().unwrap().send(()).unwrap();
    assert!(
        closed_within(&mut idle, Duration::from_millis(500))
            .await
            .is_some(),
        "idle connections close at once"
    );
    assert!(read_until(&mut brief, "done").await, "in flight: finished");
    let result = tokio::time::timeout(Duration::from_secs(2), server.task).await;
    result.expect("run returns").unwrap().unwrap();
    assert!(
        TcpStream::connect(server.addr).await.is_err(),
        "not listening"
    );
}

#[test]
fn the_connection_cap_stays_below_the_open_file_limit() {
    let config = crate::config::parse("", std::path::Path::new("t.toml")).unwrap();
    let daemon = &config.daemon;
    assert_eq!(Limits::of(daemon, None).max_connections, 1024);
    // A quarter of the descriptors is kept for the database, fetches and metrics.
    assert_eq!(Limits::of(daemon, Some(1024)).max_connections, 768);
    assert_eq!(Limits::of(daemon, Some(65_536)).max_connections, 1024);
    // Never below a handful, even under a tiny limit.
    assert_eq!(Limits::of(daemon, Some(50)).max_connections, 16);
    let busy = crate::config::parse("[daemon]\nconcurrency = 200\n", "t.toml".as_ref()).unwrap();
    assert_eq!(
        Limits::of(&busy.daemon, Some(1024)).max_connections,
        1024 - 64 - 800
    );
}
