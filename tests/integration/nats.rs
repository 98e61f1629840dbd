//! NATS JetStream as an event source, against the real nats-server
//! (scripts/services): events published on the subject are stored before
//! they are acknowledged, redeliveries and duplicates are applied once, and
//! a message that is not an event is terminated and counted.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::service::{Service, counter};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_events_are_stored_before_ack_and_applied_once() {
    let Some(url) = tenure_testkit::service_url("TENURE_TEST_NATS_URL") else {
        return;
    };
    let run = uuid::Uuid::new_v4().simple().to_string();
    let subject = format!("tenure.test.{run}");
    let stream = format!("TENURE_TEST_{run}");
    let service = Service::start_edited(
        "",
        &format!("[nats]\nurl = {url:?}\nsubject = {subject:?}\nstream = {stream:?}\ndurable = \"tenure-test\"\n"),
    )
    .await;

    let client = async_nats::connect(url.as_str()).await.expect("connect");
    let js = async_nats::jetstream::new(client);
    // The service creates the stream; wait for it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while js.get_stream(&stream).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "stream not created:\n{}",
            service.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let publish = |body: Vec<u8>, headers: Option<async_nats::HeaderMap>| {
        let js = js.clone();
        let subject = subject.clone();
        async move {
            let ack = match headers {
                Some(headers) => js.publish_with_headers(subject, headers, body.into()).await,
                None => js.publish(subject, body.into()).await,
            };
            ack.expect("publish").await.expect("stored by JetStream");
        }
    };

    let left = Service::event(
        "nats-dana",
        "io.tenure.owner.left",
        json!({ "owner": "dana@example.com" }),
    );
    publish(left.clone(), None).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while service.status_of("local:demo/reports-token").await != "revoked" {
        assert!(Instant::now() < deadline, "not revoked:\n{}", service.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The same event again (as a redelivery would bring it), a message that
    // is not an event, and a binary-mode event.
    publish(left.clone(), None).await;
    publish(left, None).await;
    publish(b"not an event".to_vec(), None).await;
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("ce-specversion", "1.0");
    headers.insert("ce-id", "nats-review");
    headers.insert("ce-source", "/tests/grc");
    headers.insert("ce-type", "io.tenure.review.completed");
    headers.insert("content-type", "application/json");
    publish(
        br#"{"record":"reports-token","reviewer":"rita@example.com","decision":"keep"}"#.to_vec(),
        Some(headers),
    )
    .await;

    let deadline = Instant::now() + Duration::from_secs(10);
    let consumer_drained = || async {
        let mut consumer: async_nats::jetstream::consumer::PullConsumer = js
            .get_stream(&stream)
            .await
            .expect("stream")
            .get_consumer("tenure-test")
            .await
            .expect("consumer");
        let info = consumer.info().await.expect("info");
        info.num_pending == 0 && info.num_ack_pending == 0 && info.delivered.stream_sequence == 5
    };
    while !consumer_drained().await {
        assert!(
            Instant::now() < deadline,
            "consumer not drained:\n{}",
            service.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let applied = service.wait_applied(2).await;
    assert_eq!(
        applied,
        vec!["nats:/tests/hr nats-dana", "nats:/tests/grc nats-review"]
    );
    let metrics = service.metrics().await;
    assert_eq!(
        counter(
            &metrics,
            "tenure_events_total{source=\"nats\",outcome=\"accepted\"}"
        ),
        2
    );
    assert_eq!(
        counter(
            &metrics,
            "tenure_events_total{source=\"nats\",outcome=\"replay\"}"
        ),
        2
    );
    assert_eq!(
        counter(
            &metrics,
            "tenure_events_total{source=\"nats\",outcome=\"malformed\"}"
        ),
        1
    );
    js.delete_stream(&stream).await.expect("delete stream");
}
