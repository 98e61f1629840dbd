//! NATS JetStream as an event source: a durable pull consumer on the
//! configured subject. A message is acknowledged only after its event is
//! stored (or found already stored, so redelivery is harmless); a message
//! that is not a valid event is terminated (never redelivered) and counted;
//! a store failure is negatively acknowledged, so JetStream redelivers it.
//!
//! Publishing rights on the subject are the authority here: restrict them
//! with NATS accounts and permissions.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::pull, stream};
use chrono::Utc;
use futures_util::StreamExt;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::{IntakeError, store_event};
use crate::config::NatsConfig;
use crate::state::StateStore;

const SOURCE: &str = "nats";

/// Why the NATS source stopped or could not start.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    /// The token could not be read.
    #[error("nats.token: {0}")]
    Token(#[from] tenure_plugin_api::SourceError),
    /// Connecting, or setting up the stream or consumer, failed.
    #[error("nats {url}: {detail}")]
    Setup {
        /// The server.
        url: String,
        /// What failed.
        detail: String,
    },
}

/// Connects and returns the durable consumer's message stream.
async fn consumer(config: &NatsConfig) -> Result<pull::Stream, NatsError> {
    let setup = |detail: String| NatsError::Setup {
        url: config.url.clone(),
        detail,
    };
    let mut options = async_nats::ConnectOptions::new().name("tenure");
    if let Some(token) = &config.token {
        options = options.token(token.resolve()?.expose().to_owned());
    }
    let client = options
        .connect(config.url.as_str())
        .await
        .map_err(|e| setup(format!("connect: {e}")))?;
    let js = jetstream::new(client);
    let stream = js
        .get_or_create_stream(stream::Config {
            name: config.stream.clone(),
            subjects: vec![config.subject.clone()],
            ..Default::default()
        })
        .await
        .map_err(|e| setup(format!("stream {}: {e}", config.stream)))?;
    let consumer = stream
        .get_or_create_consumer(
            &config.durable,
            pull::Config {
                durable_name: Some(config.durable.clone()),
                filter_subject: config.subject.clone(),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(30),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| setup(format!("consumer {}: {e}", config.durable)))?;
    consumer
        .messages()
        .await
        .map_err(|e| setup(format!("messages: {e}")))
}

/// Stores one message's event; returns how to acknowledge it.
async fn handle(store: &dyn StateStore, message: &jetstream::Message, wake: &Notify) -> AckKind {
    let metrics = crate::metrics::global();
    let header = |name: &str| {
        message
            .headers
            .as_ref()
            .and_then(|h| h.get(name))
            .map(|v| -> &str { v.as_ref() })
    };
    // Structured mode is the default: a JSON CloudEvent as the payload.
    let content_type = header("content-type").or(if header("ce-specversion").is_some() {
        Some("application/json")
    } else {
        Some("application/cloudevents+json")
    });
    let event = match super::cloudevent::parse(content_type, header, &message.payload) {
        Ok(event) => event,
        Err(err) => {
            metrics.event(SOURCE, IntakeError::from(err.clone()).outcome());
            warn!(subject = %message.subject, "Terminated a NATS message that is not a CloudEvent: {err}.");
            return AckKind::Term;
        }
    };
    match store_event(store, super::Channel::Nats, event, None, Utc::now()).await {
        Ok(stored) => {
            metrics.event(SOURCE, "accepted");
            info!(event = %stored.id, kind = %stored.kind, "Accepted event {} ({}) from NATS.", stored.id, stored.kind);
            wake.notify_one();
            AckKind::Ack
        }
        Err(IntakeError::Replay(id)) => {
            metrics.event(SOURCE, "replay");
            info!(event = %id, "A redelivered NATS event was already stored.");
            AckKind::Ack
        }
        Err(IntakeError::Store(err)) => {
            metrics.event(SOURCE, "store_failed");
            warn!(error = %err, "Could not store a NATS event; JetStream redelivers it.");
            AckKind::Nak(Some(Duration::from_secs(5)))
        }
        Err(err) => {
            metrics.event(SOURCE, err.outcome());
            warn!("Terminated a NATS message: {err}.");
            AckKind::Term
        }
    }
}

/// Consumes until `stop` is cancelled; reconnects with backoff after failures.
pub async fn run(
    config: NatsConfig,
    store: Arc<dyn StateStore>,
    wake: Arc<Notify>,
    stop: CancellationToken,
) {
    let mut backoff = Duration::from_millis(500);
    loop {
        let connected = tokio::select! {
            result = consumer(&config) => result,
            () = stop.cancelled() => return,
        };
        let mut messages = match connected {
            Ok(messages) => {
                info!(subject = %config.subject, stream = %config.stream, durable = %config.durable, "Consuming events from NATS.");
                backoff = Duration::from_millis(500);
                messages
            }
            Err(err) => {
                warn!(error = %err, retry_in = ?backoff, "NATS event source unavailable.");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
                continue;
            }
        };
        loop {
            let next = tokio::select! {
                next = messages.next() => next,
                () = stop.cancelled() => return,
            };
            match next {
                Some(Ok(message)) => {
                    let ack = handle(store.as_ref(), &message, &wake).await;
                    if let Err(err) = message.ack_with(ack).await {
                        warn!(error = %err, "Could not acknowledge a NATS message; it will be redelivered.");
                    }
                }
                Some(Err(err)) => {
                    warn!(error = %err, "NATS consumer error; reconnecting.");
                    break;
                }
                None => break,
            }
        }
    }
}
