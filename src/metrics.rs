//! Process metrics in the OpenMetrics text format (`/metrics`): actions by
//! result, decisions by kind, events by outcome, each secret's next expiry
//! and last attestation, attestations by result, unmanaged accounts by
//! target, phase durations and event-to-enforcement latency.
//!
//! One set of metrics per process ([`global`]), as Prometheus clients keep;
//! the engine, the reconciler and the HTTP layer record into it. The
//! per-secret series (whose labels name every address) are served only to a
//! scraper with the admin or metrics token; the aggregate ones to anyone.

use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// `action`, `result`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabels {
    /// rotate, revoke or narrow.
    pub action: String,
    /// succeeded, failed, retry_later, busy, ...
    pub result: String,
}

/// `decision`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    /// compliant, rotate, narrow, revoke or escalate.
    pub decision: String,
}

/// `source`, `outcome`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    /// webhook, eventgrid or nats.
    pub source: String,
    /// accepted, unauthorized, malformed, replay, ...
    pub outcome: String,
}

/// `kind`, `result`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NotificationLabels {
    /// rotation_failed, escalation, revocation or expiry_upcoming.
    pub kind: String,
    /// delivered, failed or dropped.
    pub result: String,
}

/// `secret`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SecretLabels {
    /// The address.
    pub secret: String,
}

/// `result`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// ok, drift or unavailable.
    pub result: String,
}

/// `target`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TargetLabels {
    /// The target's name.
    pub target: String,
}

/// `action`, `phase`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PhaseLabels {
    /// rotate, revoke or narrow.
    pub action: String,
    /// The phase's name.
    pub phase: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn seconds_histogram() -> Histogram {
    // 1 ms .. ~65 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

/// Every metric Tenure exports.
pub struct Metrics {
    public: Registry,
    full: Registry,
    /// Actions taken, by action and result.
    pub actions: Family<ActionLabels, Counter>,
    /// Decisions made in passes, by kind.
    pub decisions: Family<DecisionLabels, Counter>,
    /// Events received, by source and outcome.
    pub events: Family<EventLabels, Counter>,
    /// Owner notifications, by kind and result.
    pub notifications: Family<NotificationLabels, Counter>,
    /// When each secret next expires or is due, as Unix seconds.
    pub expiry: Family<SecretLabels, Gauge>,
    /// When each secret was last attested, as Unix seconds.
    pub last_attested: Family<SecretLabels, Gauge>,
    /// Attestations made, by result.
    pub attestations: Family<ResultLabels, Counter>,
    /// Accounts no governed secret names, by target.
    pub unmanaged: Family<TargetLabels, Gauge>,
    /// How long each workflow phase took.
    pub phase_seconds: HistogramFamily<PhaseLabels>,
    /// From receiving an event to the end of the pass that enforced it.
    pub event_to_enforcement_seconds: Histogram,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Two registries over the same metrics: `public` holds the aggregate
/// series anyone may scrape; `full` adds the per-secret ones (`secret`
/// labels name every address), served only with a token.
struct Registries {
    public: Registry,
    full: Registry,
}

impl Registries {
    /// Registers `metric` in both, or only in `full` when it has a series
    /// per secret.
    fn register<M>(&mut self, name: &str, help: &str, metric: M, per_secret: bool)
    where
        M: prometheus_client::registry::Metric + Clone,
    {
        if !per_secret {
            self.public.register(name, help, metric.clone());
        }
        self.full.register(name, help, metric);
    }
}

impl Metrics {
    fn new() -> Self {
        let mut r = Registries {
            public: Registry::with_prefix("tenure"),
            full: Registry::with_prefix("tenure"),
        };
        let actions = Family::<ActionLabels, Counter>::default();
        r.register(
            "actions",
            "Rotations, revocations, narrowings and retirements, by result",
            actions.clone(),
            false,
        );
        let decisions = Family::<DecisionLabels, Counter>::default();
        r.register(
            "decisions",
            "Decisions made by reconcile passes, by kind",
            decisions.clone(),
            false,
        );
        let events = Family::<EventLabels, Counter>::default();
        r.register(
            "events",
            "Events received, by source and outcome",
            events.clone(),
            false,
        );
        let notifications = Family::<NotificationLabels, Counter>::default();
        r.register(
            "notifications",
            "Owner notifications, by kind and result",
            notifications.clone(),
            false,
        );
        let expiry = Family::<SecretLabels, Gauge>::default();
        r.register(
            "secret_expiry_timestamp_seconds",
            "When each secret expires or is next due for action, as a Unix timestamp",
            expiry.clone(),
            true,
        );
        let last_attested = Family::<SecretLabels, Gauge>::default();
        r.register(
            "secret_last_attested_timestamp_seconds",
            "When each secret was last attested, as a Unix timestamp",
            last_attested.clone(),
            true,
        );
        let attestations = Family::<ResultLabels, Counter>::default();
        r.register(
            "attestations",
            "Secrets attested, by result (ok, drift, unavailable)",
            attestations.clone(),
            false,
        );
        let unmanaged = Family::<TargetLabels, Gauge>::default();
        r.register(
            "unmanaged_accounts",
            "Accounts discovery found that no governed secret names, by target",
            unmanaged.clone(),
            false,
        );
        let phase_seconds: HistogramFamily<PhaseLabels> =
            Family::new_with_constructor(seconds_histogram);
        r.register(
            "phase_duration_seconds",
            "Duration of each workflow phase",
            phase_seconds.clone(),
            false,
        );
        let event_to_enforcement_seconds = seconds_histogram();
        r.register(
            "event_to_enforcement_seconds",
            "From receiving an event to the end of the pass that acted on it",
            event_to_enforcement_seconds.clone(),
            false,
        );
        Self {
            public: r.public,
            full: r.full,
            actions,
            decisions,
            events,
            notifications,
            expiry,
            last_attested,
            attestations,
            unmanaged,
            phase_seconds,
            event_to_enforcement_seconds,
        }
    }

    /// Counts one event outcome.
    pub fn event(&self, source: &str, outcome: &str) {
        self.events
            .get_or_create(&EventLabels {
                source: source.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Counts one notification result.
    pub fn notification(&self, kind: &str, result: &str) {
        self.notifications
            .get_or_create(&NotificationLabels {
                kind: kind.to_owned(),
                result: result.to_owned(),
            })
            .inc();
    }

    /// Counts one action result.
    pub fn action(&self, action: &str, result: &str) {
        self.actions
            .get_or_create(&ActionLabels {
                action: action.to_owned(),
                result: result.to_owned(),
            })
            .inc();
    }

    /// Records one phase's duration.
    pub fn phase(&self, action: &str, phase: &str, seconds: f64) {
        self.phase_seconds
            .get_or_create(&PhaseLabels {
                action: action.to_owned(),
                phase: phase.to_owned(),
            })
            .observe(seconds);
    }

    /// The aggregate series, in the OpenMetrics text format: no secret's
    /// address, for anyone who can reach `/metrics`.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.public)?;
        Ok(out)
    }

    /// Every series, the per-secret ones too (for a scraper with a token).
    pub fn encode_all(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.full)?;
        Ok(out)
    }
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
