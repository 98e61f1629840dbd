//! Completed access reviews from people: `POST /v1/reviews` and
//! `tenure review import`. Each is checked against the configuration (the
//! record exists, a narrow's scopes are valid for its target, the next
//! review is later) and stored as an `io.tenure.review.completed` event, so
//! it is processed exactly once, the same way as one from a review tool.
//! Its id names the record, the reviewer and the time, so the same review
//! submitted twice is a replay, not a second review.

use chrono::{DateTime, Utc};

use super::{Channel, CloudEvent, IntakeError, store_event};
use crate::config::Config;
use crate::governance::{ReviewData, ReviewError};
use crate::state::{InboundEvent, StateStore};

/// The event type a review is stored as.
pub const REVIEW_COMPLETED: &str = "io.tenure.review.completed";

/// Why a review was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ReviewIntakeError {
    /// The review itself is incomplete or contradictory.
    #[error("{0}")]
    Invalid(#[from] ReviewError),
    /// No record has this id.
    #[error("no record {0:?} in the governance files")]
    UnknownRecord(String),
    /// A narrow's scope the record's target does not accept.
    #[error("scope {scope:?}: {why}")]
    Scope {
        /// The scope as written.
        scope: String,
        /// The target's objection.
        why: String,
    },
    /// Storing it failed, or it was taken before (a replay).
    #[error(transparent)]
    Intake(#[from] IntakeError),
}

/// Checks `data` against `config`: the review event it becomes, from
/// `channel`, handed over by `actor`; `now` is when it was submitted (the
/// review's time when it names none). Stores nothing.
pub fn prepare_review(
    config: &Config,
    channel: Channel,
    actor: &str,
    mut data: ReviewData,
    now: DateTime<Utc>,
) -> Result<CloudEvent, ReviewIntakeError> {
    data.submitted_by = Some(actor.to_owned());
    let review = data.review(now)?;
    review.check_next_review()?;
    let record = config
        .governance
        .records
        .iter()
        .find(|r| r.id == data.record)
        .ok_or_else(|| ReviewIntakeError::UnknownRecord(data.record.clone()))?;
    if let Some(target) = config.targets.get(&record.target) {
        for scope in &data.scopes {
            target
                .canonical_scope(scope)
                .map_err(|why| ReviewIntakeError::Scope {
                    scope: scope.clone(),
                    why,
                })?;
        }
    }
    data.reviewed_at = Some(review.at);
    Ok(CloudEvent {
        id: format!(
            "{} {} {}",
            data.record,
            review.reviewer,
            tenure_plugin_api::stamp(review.at)
        ),
        source: format!("/{}", channel.as_str()),
        kind: REVIEW_COMPLETED.to_owned(),
        time: Some(review.at),
        data: serde_json::to_value(&data)
            .map_err(|e| ReviewIntakeError::Invalid(ReviewError::Unreadable(e.to_string())))?,
    })
}

/// [`prepare_review`], then stores the event (a replay is refused).
pub async fn submit_review(
    store: &dyn StateStore,
    config: &Config,
    channel: Channel,
    actor: &str,
    data: ReviewData,
    now: DateTime<Utc>,
) -> Result<InboundEvent, ReviewIntakeError> {
    let event = prepare_review(config, channel, actor, data, now)?;
    Ok(store_event(store, channel, event, None, now).await?)
}
