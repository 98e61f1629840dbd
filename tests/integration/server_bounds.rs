//! The HTTP server is bounded: stalled clients (half-sent headers, a body
//! that never finishes, nothing at all) are closed within the timeouts and
//! cannot take the file descriptors rotations need; each route caps its
//! requests in flight; an oversized body is refused before it is read.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::Deadline;
use crate::common::service::{EVENTGRID_KEY, Service};

/// A record on the demo's spare secret that rotates every second.
const TICKER: &str = r#"
[[records]]
id = "ticker"
secrets = "local:tmp/forgotten-key"
target = "generated"
owner = "alice@example.com"
purpose = "Rotates every second, to show rotations go on under load"
max_age = "30d"
grace = "1s"
schedule = "* * * * * *"
approval = { by = "ciso@example.com", at = 2026-11-01T09:00:00Z, ticket = "SEC-900" }
"#;

/// Opens a connection, sends `prefix`, and reports how long until the
/// server closed it (and what it answered, if anything).
async fn stall(addr: String, prefix: &'static [u8]) -> (Duration, String) {
    let started = Instant::now();
    let Ok(mut stream) = TcpStream::connect(&addr).await else {
        return (started.elapsed(), "refused".to_owned());
    };
    let connected = started.elapsed();
    let local = stream.local_addr().map(|a| a.port()).unwrap_or(0);
    let _ = stream.write_all(prefix).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer)).await;
    (
        started.elapsed(),
        format!(
            "{} (connected after {connected:?}, port {local})",
            String::from_utf8_lossy(&answer)
                .lines()
                .next()
                .unwrap_or("")
        ),
    )
}

/// Rotations of the ticker that reached `promote`: the new value is current.
fn rotations_completed(service: &Service) -> usize {
    service
        .audit()
        .lines()
        .filter(|l| l.contains("\"secret\":\"local:tmp/forgotten-key\""))
        .filter(|l| l.contains("\"phase\":\"promote\"") && l.contains("\"result\":\"ok\""))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_are_closed_in_time_and_rotations_go_on() {
    let service = Service::start_with_nofile(
        "max_connections = 32\nheader_timeout = \"1s\"\nrequest_timeout = \"2s\"",
        TICKER,
        160,
    )
    .await;
    let addr = service.base.trim_start_matches("http://").to_owned();
    // Let the ticker rotate at least once before the stall.
    let deadline = Deadline::after(Duration::from_secs(20), Duration::from_millis(100));
    while rotations_completed(&service) == 0 {
        deadline
            .wait(|| format!("no rotation before the stall:\n{}", service.log()))
            .await;
    }

    // 300 stalled clients of three kinds: far more than the descriptors
    // the process may open.
    let before = rotations_completed(&service);
    let mut clients = Vec::new();
    for i in 0..300 {
        let prefix: &'static [u8] = match i % 3 {
            0 => b"POST /v1/events HTTP/1.1\r\nHost: tenure\r\ncontent-type: applic",
            1 => b"POST /v1/events HTTP/1.1\r\nHost: tenure\r\ncontent-type: application/cloudevents+json\r\ncontent-length: 5000\r\n\r\n{\"specversion\":",
            _ => b"",
        };
        clients.push(tokio::spawn(stall(addr.clone(), prefix)));
    }
    // Rotations go on meanwhile.
    let deadline = Deadline::after(Duration::from_secs(20), Duration::from_millis(100));
    while rotations_completed(&service) < before + 2 {
        deadline
            .wait(|| format!("rotations stopped under the stall:\n{}", service.log()))
            .await;
    }
    let mut closed = Vec::new();
    for client in clients {
        closed.push(client.await.expect("client"));
    }
    // Each is closed within its timeout once accepted: the first batch (as
    // many as max_connections) within about 2 s; all of them in rounds of
    // 32, about 10 rounds of at most 2 s.
    let mut times: Vec<Duration> = closed.iter().map(|(t, _)| *t).collect();
    times.sort();
    assert!(
        times[31] < Duration::from_secs(4),
        "first batch: {:?}",
        &times[..32]
    );
    let slowest_of_kind = |kind: usize| {
        closed
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 == kind)
            .map(|(_, (t, line))| (*t, line.clone()))
            .max()
    };
    assert!(
        times[299] < Duration::from_secs(40),
        "all stalled clients are closed: the slowest of each kind {:?} {:?} {:?}",
        slowest_of_kind(0),
        slowest_of_kind(1),
        slowest_of_kind(2)
    );
    let timed_out_bodies = closed
        .iter()
        .filter(|(_, line)| line.contains(" 408"))
        .count();
    assert!(
        timed_out_bodies > 0,
        "a body that never finishes gets 408: {closed:?}"
    );
    assert!(
        !service.log().contains("Too many open files"),
        "{}",
        service.log()
    );
    // The service answers again once the stall is over.
    assert_eq!(service.get("/healthz").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_route_caps_its_requests_in_flight_and_bodies_are_limited_before_reading() {
    let service = Service::start_with("max_in_flight = 2\nrequest_timeout = \"3s\"").await;
    let addr = service.base.trim_start_matches("http://").to_owned();
    // Two requests in flight on /v1/events, each waiting for the rest of its body.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(&addr).await.expect("connect");
        stream
            .write_all(b"POST /v1/events HTTP/1.1\r\nHost: tenure\r\ncontent-type: application/cloudevents+json\r\ncontent-length: 100\r\n\r\n{")
            .await
            .expect("write");
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let third = service
        .post_signed(
            "cap-1",
            Service::event(
                "cap-1",
                "io.tenure.governance.updated",
                serde_json::Value::Null,
            ),
        )
        .await;
    assert_eq!(third.status(), 503, "a third request on the route is shed");
    assert_eq!(
        third
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    // Other routes are not affected.
    assert_eq!(service.get("/healthz").await.status(), 200);
    drop(held);

    // A body larger than max_body_bytes is refused from its Content-Length,
    // on both routes that read one, before a byte of it is sent.
    let eventgrid = format!("/v1/eventgrid?key={EVENTGRID_KEY}");
    for path in ["/v1/events", eventgrid.as_str()] {
        let mut stream = TcpStream::connect(&addr).await.expect("connect");
        stream
            .write_all(
                format!("POST {path} HTTP/1.1\r\nHost: tenure\r\ncontent-type: application/json\r\ncontent-length: 10000000\r\n\r\n")
                    .as_bytes(),
            )
            .await
            .expect("write");
        let mut answer = vec![0u8; 64];
        let read = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut answer))
            .await
            .expect("answered at once")
            .expect("read");
        let line = String::from_utf8_lossy(&answer[..read]).into_owned();
        assert!(line.starts_with("HTTP/1.1 413"), "{path}: {line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let service = Service::start_with("header_timeout = \"1s\"").await;
    let addr = service.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: tenure\r\n\r\n")
        .await
        .expect("write");
    let started = Instant::now();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the idle connection is closed")
        .expect("read");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}
