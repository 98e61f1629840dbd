//! One webhook request in: verify the signature over the raw body, read the
//! CloudEvent, check its type and data, store it durably. Only then is it
//! acknowledged (202); every refusal changes nothing and maps to one status.

use chrono::{DateTime, Utc};

use super::{
    CloudEvent, EventError, FormatError, SignatureError, SignedHeaders, TenureEvent, WebhookKey,
};
use crate::state::{InboundEvent, Intake, StateError, StateStore};

/// One request, as the HTTP layer hands it over.
pub struct Request<'a> {
    /// `content-type`.
    pub content_type: Option<&'a str>,
    /// Looks up a header by lower-case name.
    pub header: &'a (dyn Fn(&str) -> Option<&'a str> + Sync),
    /// The raw body.
    pub body: &'a [u8],
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// Unsigned, wrongly signed or stale: 401.
    #[error("signature refused: {0}")]
    Signature(#[from] SignatureError),
    /// Not a readable CloudEvent: 400 (415 for an unsupported content type).
    #[error("malformed event: {0}")]
    Format(#[from] FormatError),
    /// Well formed but not actionable: 422.
    #[error("event refused: {0}")]
    Event(#[from] EventError),
    /// This event (or this delivery) was accepted before: 409.
    #[error("event {0} was already received")]
    Replay(String),
    /// The state store failed: 503 (the sender retries).
    #[error("cannot store the event: {0}")]
    Store(#[from] StateError),
}

impl IntakeError {
    /// The HTTP status that answers it.
    pub fn status(&self) -> u16 {
        match self {
            Self::Signature(_) => 401,
            Self::Format(FormatError::UnsupportedMediaType(_) | FormatError::BinaryModeRefused) => {
                415
            }
            Self::Format(_) => 400,
            Self::Event(_) => 422,
            Self::Replay(_) => 409,
            Self::Store(_) => 503,
        }
    }

    /// The `outcome` label under which it is counted.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Signature(_) => "unauthorized",
            Self::Format(FormatError::UnsupportedMediaType(_) | FormatError::BinaryModeRefused) => {
                "unsupported_media_type"
            }
            Self::Format(_) => "malformed",
            Self::Event(EventError::UnknownType(_)) => "unknown_type",
            Self::Event(EventError::InvalidData { .. }) => "invalid_data",
            Self::Replay(_) => "replay",
            Self::Store(_) => "store_failed",
        }
    }
}

/// Where an event came in. Ids are unique per channel: a sender on one
/// channel cannot pre-occupy (and so silence) an id another channel's
/// sender will use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// `POST /v1/events`, signed per Standard Webhooks.
    Webhook,
    /// `POST /v1/eventgrid`.
    EventGrid,
    /// The NATS JetStream subject.
    Nats,
    /// The admin API (`POST /v1/reviews`).
    Api,
    /// A file imported from the command line (`tenure review import`).
    Import,
    /// A SCIM user's change (`/scim/v2`): the event it means.
    Scim,
}

impl Channel {
    /// The stable name, the prefix of the ids it stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::EventGrid => "eventgrid",
            Self::Nats => "nats",
            Self::Api => "api",
            Self::Import => "import",
            Self::Scim => "scim",
        }
    }
}

/// The event as it is stored, once its type and data are checked: its id
/// is `<channel>:<source> <id>`. Stored by [`store_event`], or by a caller
/// that stores it in its own transaction (SCIM).
pub fn inbound(
    channel: Channel,
    event: CloudEvent,
    delivery_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<InboundEvent, EventError> {
    TenureEvent::parse(&event.kind, &event.data)?;
    let channel = channel.as_str();
    Ok(InboundEvent {
        id: format!("{channel}:{} {}", event.source, event.id),
        delivery_id: delivery_id.map(|d| format!("{channel}:{d}")),
        kind: event.kind,
        data: event.data,
        // A sender's clock may run ahead: never later than receipt.
        occurred_at: event.time.map(|t| t.min(now)),
        received_at: now,
    })
}

/// Stores an already-authenticated CloudEvent (Event Grid, NATS, or a
/// verified webhook): checks its type and data first, so a refusal stores
/// nothing. The stored id is `<channel>:<source> <id>`.
pub async fn store_event(
    store: &dyn StateStore,
    channel: Channel,
    event: CloudEvent,
    delivery_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<InboundEvent, IntakeError> {
    let inbound = inbound(channel, event, delivery_id, now)?;
    match store.insert_event(&inbound).await? {
        Intake::Stored => Ok(inbound),
        Intake::Duplicate => Err(IntakeError::Replay(inbound.id)),
    }
}

/// Verifies, reads, checks and stores one signed webhook request.
pub async fn accept(
    key: &WebhookKey,
    store: &dyn StateStore,
    request: Request<'_>,
    now: DateTime<Utc>,
) -> Result<InboundEvent, IntakeError> {
    let header = request.header;
    let signed = SignedHeaders {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
    };
    let delivery = key.verify(signed, request.body, now.timestamp())?;
    // Structured mode only: the signature covers the body, not ce-* headers.
    let event = super::cloudevent::parse_structured(request.content_type, request.body)?;
    store_event(store, Channel::Webhook, event, Some(delivery), now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str) -> CloudEvent {
        CloudEvent {
            id: id.to_owned(),
            source: "/hr".to_owned(),
            kind: "io.tenure.owner.left".to_owned(),
            time: None,
            data: serde_json::json!({ "owner": "dana@example.com" }),
        }
    }

    #[tokio::test]
    async fn ids_are_unique_per_channel_and_replays_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = crate::state::SqliteStore::open(&dir.path().join("state.db"))
            .await
            .expect("store");
        let now = Utc::now();
        let webhook = store_event(&store, Channel::Webhook, event("e1"), Some("msg_1"), now)
            .await
            .expect("webhook");
        assert_eq!(webhook.id, "webhook:/hr e1");
        // The same source, id and delivery id on another channel is another event.
        for channel in [Channel::Nats, Channel::EventGrid] {
            let other = store_event(&store, channel, event("e1"), Some("msg_1"), now)
                .await
                .expect("not pre-occupied");
            assert_eq!(other.id, format!("{}:/hr e1", channel.as_str()));
        }
        assert!(matches!(
            store_event(&store, Channel::Webhook, event("e1"), Some("msg_2"), now).await,
            Err(IntakeError::Replay(_))
        ));
    }
}
