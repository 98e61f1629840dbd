//! A webhook receiver for owner notifications: it fails its first request
//! with 500 (so a retry is needed), answers each after `delay`, and records
//! every body with whether it was accepted.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
use serde_json::Value;

/// The bodies received, each with whether it was accepted.
pub type Seen = Arc<Mutex<Vec<(Value, bool)>>>;

/// Starts the receiver on a free port; its URL and what it has seen.
pub async fn webhook_receiver(delay: Duration) -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route(
            "/hook",
            post(
                move |State(seen): State<Seen>, Json(body): Json<Value>| async move {
                    tokio::time::sleep(delay).await;
                    let mut seen = seen.lock().expect("lock");
                    let accepted = !seen.is_empty();
                    seen.push((body, accepted));
                    if accepted {
                        StatusCode::OK
                    } else {
                        StatusCode::INTERNAL_SERVER_ERROR
                    }
                },
            ),
        )
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (url, seen)
}
