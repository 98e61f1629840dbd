//! Owners are told: a webhook notifier for rotation failures, escalations,
//! revocations and upcoming expiries. JSON with a Slack-compatible `text`
//! field; delivered from a background queue with retries (exponential
//! backoff on 5xx, 429 and network errors). A notification carries
//! addresses, reasons and errors, never a secret value.
//!
//! The sender runs under the app's task tracker (see `crate::app`): when
//! the app's token is cancelled it stops taking new notifications, delivers
//! the ones already queued, and ends, so the app can wait for it at exit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::config::NotifyConfig;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A rotation, revocation or narrowing failed (or rolled back).
    RotationFailed,
    /// A person must decide.
    Escalation,
    /// The credential was revoked, and the revocation verified.
    Revocation,
    /// The credential expires soon.
    ExpiryUpcoming,
    /// A decided action waits for an approver (`[approvals]`).
    ApprovalRequested,
}

impl NotificationKind {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RotationFailed => "rotation_failed",
            Self::Escalation => "escalation",
            Self::Revocation => "revocation",
            Self::ExpiryUpcoming => "expiry_upcoming",
            Self::ApprovalRequested => "approval_requested",
        }
    }
}

/// One notification, as posted.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// What happened.
    pub kind: NotificationKind,
    /// The secret's address.
    pub secret: String,
    /// The accountable owner, if a record names one.
    pub owner: Option<String>,
    /// The governing record.
    pub record: Option<String>,
    /// The action, for failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Why (reason names).
    pub reasons: Vec<String>,
    /// An error or an expiry time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Where a person acts on it (an approval request's API address).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// When Tenure noticed.
    pub at: DateTime<Utc>,
}

impl Notification {
    /// A notification stamped now.
    pub fn new(kind: NotificationKind, secret: impl Into<String>) -> Self {
        Self {
            kind,
            secret: secret.into(),
            owner: None,
            record: None,
            action: None,
            reasons: Vec::new(),
            detail: None,
            link: None,
            at: Utc::now(),
        }
    }

    /// The one-line message (Slack's `text`).
    pub fn text(&self) -> String {
        let owner = self.owner.as_deref().unwrap_or("no owner on record");
        let reasons = if self.reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.reasons.join(", "))
        };
        let detail = self
            .detail
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        let what = match self.kind {
            NotificationKind::RotationFailed => format!(
                "the {} of {} failed{reasons}{detail}",
                self.action.as_deref().unwrap_or("action"),
                self.secret
            ),
            NotificationKind::Escalation => format!("{} needs a person{reasons}", self.secret),
            NotificationKind::Revocation => {
                format!("{} was revoked and verified{reasons}", self.secret)
            }
            NotificationKind::ExpiryUpcoming => format!("{} expires soon{detail}", self.secret),
            NotificationKind::ApprovalRequested => format!(
                "the {} of {} waits for an approver{reasons}{detail}{}",
                self.action.as_deref().unwrap_or("action"),
                self.secret,
                self.link
                    .as_deref()
                    .map(|l| format!("; approve or reject at {l}"))
                    .unwrap_or_default()
            ),
        };
        format!("Tenure: {what}. Owner: {owner}.")
    }
}

#[derive(Serialize)]
struct Payload<'a> {
    text: String,
    #[serde(flatten)]
    notification: &'a Notification,
}

/// Why the notifier could not start.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The URL could not be read.
    #[error("notify.url: {0}")]
    Url(#[from] tenure_plugin_api::SourceError),
    /// The HTTP client could not be built.
    #[error("notify: cannot build the HTTP client: {0}")]
    Client(String),
}

/// Queues notifications for the background sender.
#[derive(Debug, Clone)]
pub struct Notifier {
    queue: mpsc::Sender<Notification>,
    /// Queued or being delivered (not yet delivered nor given up on).
    undelivered: Arc<AtomicUsize>,
}

enum Failure {
    Retry(String),
    Final(String),
}

impl Notifier {
    /// Reads the URL and starts the sender on `tasks`. Once `stop` is
    /// cancelled the sender takes no new notifications, delivers the queued
    /// ones (with their retries) and ends.
    pub fn start(
        config: &NotifyConfig,
        tasks: &TaskTracker,
        stop: CancellationToken,
    ) -> Result<Self, NotifyError> {
        let url = config.url.resolve()?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| NotifyError::Client(e.to_string()))?;
        let (queue, mut inbox) = mpsc::channel::<Notification>(1024);
        let attempts = config.max_attempts;
        let undelivered = Arc::new(AtomicUsize::new(0));
        let pending = Arc::clone(&undelivered);
        tasks.spawn(async move {
            let mut stopping = false;
            loop {
                let next = tokio::select! {
                    next = inbox.recv() => next,
                    () = stop.cancelled(), if !stopping => {
                        stopping = true;
                        inbox.close();
                        let queued = inbox.len();
                        if queued > 0 {
                            info!(queued, "Delivering {queued} queued owner notifications before exit.");
                        }
                        continue;
                    }
                };
                let Some(notification) = next else { break };
                let kind = notification.kind.as_str();
                let payload = Payload {
                    text: notification.text(),
                    notification: &notification,
                };
                let post = || async {
                    let response = client
                        .post(url.expose())
                        .json(&payload)
                        .send()
                        .await
                        // Without the URL: a Slack webhook URL is a credential.
                        .map_err(|e| Failure::Retry(e.without_url().to_string()))?;
                    let status = response.status();
                    if status.is_success() {
                        Ok(())
                    } else if status.is_server_error() || status.as_u16() == 429 {
                        Err(Failure::Retry(format!("HTTP {status}")))
                    } else {
                        Err(Failure::Final(format!("HTTP {status}")))
                    }
                };
                let result = post
                    .retry(
                        ExponentialBuilder::default()
                            .with_min_delay(Duration::from_millis(200))
                            .with_max_delay(Duration::from_secs(30))
                            .with_max_times(attempts.saturating_sub(1) as usize)
                            .with_jitter(),
                    )
                    .when(|e| matches!(e, Failure::Retry(_)))
                    .await;
                let metrics = crate::metrics::global();
                match result {
                    Ok(()) => {
                        metrics.notification(kind, "delivered");
                        debug!(kind, secret = %notification.secret, "Notified the owner.");
                    }
                    Err(Failure::Retry(e) | Failure::Final(e)) => {
                        metrics.notification(kind, "failed");
                        warn!(kind, secret = %notification.secret, error = %e, "Could not notify the owner.");
                    }
                }
                pending.fetch_sub(1, Ordering::AcqRel);
            }
        });
        Ok(Self { queue, undelivered })
    }

    /// Queues a notification; never waits (a full queue drops it, counted and logged).
    pub fn send(&self, notification: Notification) {
        let kind = notification.kind.as_str();
        // Counted before it is queued, so the sender never sees it uncounted.
        self.undelivered.fetch_add(1, Ordering::AcqRel);
        if let Err(err) = self.queue.try_send(notification) {
            self.undelivered.fetch_sub(1, Ordering::AcqRel);
            crate::metrics::global().notification(kind, "dropped");
            warn!(kind, "Dropped an owner notification: {err}.");
        }
    }

    /// Notifications queued or being delivered: neither delivered nor given
    /// up on yet.
    pub fn undelivered(&self) -> usize {
        self.undelivered.load(Ordering::Acquire)
    }
}

pub use tenure_plugin_api::stamp;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_one_readable_line() {
        let mut n = Notification::new(NotificationKind::Revocation, "local:demo/reports-token");
        n.owner = Some("dana@example.com".into());
        n.reasons = vec!["owner_left".into()];
        assert_eq!(
            n.text(),
            "Tenure: local:demo/reports-token was revoked and verified (owner_left). Owner: dana@example.com."
        );
        let mut failed = Notification::new(NotificationKind::RotationFailed, "pg:app");
        failed.action = Some("rotate".into());
        failed.detail = Some("login test failed".into());
        assert_eq!(
            failed.text(),
            "Tenure: the rotate of pg:app failed: login test failed. Owner: no owner on record."
        );
        let mut asked = Notification::new(NotificationKind::ApprovalRequested, "pg:app");
        asked.action = Some("revoke".into());
        asked.reasons = vec!["review_revoked".into()];
        asked.detail = Some("asked by tenure, until 2026-12-02T10:00:00Z".into());
        asked.link = Some("https://tenure.example.com/v1/approvals/a1".into());
        assert_eq!(
            asked.text(),
            "Tenure: the revoke of pg:app waits for an approver (review_revoked): asked by tenure, until 2026-12-02T10:00:00Z; approve or reject at https://tenure.example.com/v1/approvals/a1. Owner: no owner on record."
        );
    }
}
