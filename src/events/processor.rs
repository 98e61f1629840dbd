//! Stored events become signals, exactly once: each event's signals are
//! written in the same transaction that marks it processed (one transaction
//! per batch), so a crash
//! between the two leaves it pending and a second processor finds it done.

use chrono::{DateTime, Utc};
use serde_json::json;
use tracing::{info, warn};

use super::{TenureEvent, signals_for};
use crate::audit::{AuditLog, Event};
use crate::state::StateStore;

/// Why processing stopped: the state store or the audit trail failed, as
/// when the engine drives a run.
pub type ProcessError = crate::workflow::EngineError;

/// What one call processed.
#[derive(Debug, Default)]
pub struct Processed {
    /// Events applied, with when each was received.
    pub applied: Vec<(String, DateTime<Utc>)>,
    /// Whether one asked for the governance files to be read again.
    pub reload: bool,
}

/// Processes up to `limit` pending events, oldest first.
pub async fn process_pending(
    store: &dyn StateStore,
    audit: &AuditLog,
    limit: u32,
) -> Result<Processed, ProcessError> {
    let mut processed = Processed::default();
    let events = store.pending_events(limit).await?;
    let mut done = Vec::with_capacity(events.len());
    for event in &events {
        let at = event.occurred_at.unwrap_or(event.received_at);
        let (outcome, signals) = match TenureEvent::parse(&event.kind, &event.data) {
            Ok(parsed) => {
                if parsed == TenureEvent::GovernanceUpdated {
                    processed.reload = true;
                }
                ("applied", signals_for(&parsed, at, &event.id))
            }
            // Checked at intake; only a stored event from an older version gets here.
            Err(err) => {
                warn!(event = %event.id, error = %err, "Skipped an event that cannot be applied.");
                ("skipped", Vec::new())
            }
        };
        done.push((event.id.clone(), outcome, signals));
    }
    // One transaction and one audit batch for the whole batch.
    let flags = store.complete_events(&done).await?;
    let mut entries = Vec::new();
    for ((event, (_, outcome, signals)), completed) in events.into_iter().zip(&done).zip(flags) {
        if !completed {
            continue; // Another processor got there first.
        }
        let summary: Vec<_> = signals
            .iter()
            .map(|s| json!({ "kind": s.kind.as_str(), "key": s.key, "value": s.value }))
            .collect();
        entries.push(Event::new(
            "event",
            None,
            None,
            json!({
                "id": event.id,
                "type": event.kind,
                "outcome": outcome,
                "signals": summary,
                "received_at": event.received_at.to_rfc3339(),
            }),
        ));
        info!(event = %event.id, kind = %event.kind, outcome, "Processed event {} ({}).", event.id, event.kind);
        processed.applied.push((event.id, event.received_at));
    }
    if !entries.is_empty() {
        audit.append_all(entries).await?;
    }
    Ok(processed)
}
