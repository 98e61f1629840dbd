//! What the SQLite and PostgreSQL state stores share: one schema, one set of
//! statements (`$n` placeholders, which both accept) and one implementation
//! of [`StateStore`](super::StateStore), written once in [`sql_store!`] and
//! expanded per backend (sqlx pools and rows are typed by database).

use chrono::{DateTime, TimeZone, Utc};

use super::{Run, StateError};

/// The tables, for both backends (SQLite reads BIGINT and BOOLEAN as
/// integer affinities).
pub(super) const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        secret TEXT NOT NULL,
        kind TEXT NOT NULL,
        phase TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts BIGINT NOT NULL,
        last_error TEXT,
        reasons TEXT NOT NULL,
        record TEXT,
        target TEXT,
        pending_version TEXT,
        previous_version TEXT,
        not_before BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        seq BIGINT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS runs_active ON runs (status, created_at)",
    "CREATE INDEX IF NOT EXISTS runs_secret ON runs (secret, created_at)",
    "CREATE TABLE IF NOT EXISTS leases (
        secret TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS queue (
        secret TEXT PRIMARY KEY,
        due BIGINT NOT NULL,
        reason TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS queue_due ON queue (due)",
    "CREATE TABLE IF NOT EXISTS secret_state (
        secret TEXT PRIMARY KEY,
        failures BIGINT NOT NULL,
        quarantined BOOLEAN NOT NULL,
        last_error TEXT,
        last_rotated_at BIGINT,
        revoked_at BIGINT,
        last_decision TEXT
    )",
    "CREATE TABLE IF NOT EXISTS events (
        id TEXT PRIMARY KEY,
        delivery_id TEXT UNIQUE,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        occurred_at BIGINT,
        received_at BIGINT NOT NULL,
        processed_at BIGINT,
        outcome TEXT
    )",
    "CREATE INDEX IF NOT EXISTS events_pending ON events (processed_at, received_at)",
    "CREATE TABLE IF NOT EXISTS notifications (
        key TEXT PRIMARY KEY,
        at BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS attestations (
        secret TEXT PRIMARY KEY,
        at BIGINT NOT NULL,
        result TEXT NOT NULL,
        findings TEXT NOT NULL,
        detail TEXT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS attestation_passes (
        id TEXT PRIMARY KEY,
        at BIGINT NOT NULL,
        attested BIGINT NOT NULL,
        ok BIGINT NOT NULL,
        drift BIGINT NOT NULL,
        unavailable BIGINT NOT NULL,
        leaves TEXT NOT NULL,
        digest TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS attestation_passes_at ON attestation_passes (at)",
    "CREATE TABLE IF NOT EXISTS logins (
        secret TEXT NOT NULL,
        role TEXT NOT NULL,
        names TEXT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (secret, role)
    )",
    "CREATE TABLE IF NOT EXISTS unmanaged (
        target TEXT NOT NULL,
        login TEXT NOT NULL,
        first_seen BIGINT NOT NULL,
        last_seen BIGINT NOT NULL,
        state TEXT NOT NULL,
        detail TEXT NOT NULL,
        PRIMARY KEY (target, login)
    )",
    "CREATE TABLE IF NOT EXISTS signals (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        at BIGINT NOT NULL,
        event TEXT NOT NULL,
        PRIMARY KEY (kind, key)
    )",
];

pub(super) fn db(err: sqlx::Error) -> StateError {
    StateError::Database(err.to_string())
}

pub(super) fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub(super) fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

pub(super) fn corrupt(detail: impl Into<String>) -> StateError {
    StateError::Corrupt {
        table: "runs",
        detail: detail.into(),
    }
}

pub(super) fn reasons_json(run: &Run) -> String {
    serde_json::to_string(&run.reasons).unwrap_or_else(|_| "[]".into())
}

/// Implements `StateStore` for `$store` (a struct with a `pool` field and an
/// `async fn durable(&self)` that returns once its committed writes are on
/// disk) over the sqlx database `$db` whose rows are `$row`.
macro_rules! sql_store {
    ($store:ident, $db:ty, $row:ty) => {
        /// The shared implementation, expanded for this backend.
        mod shared_impl {
            use std::collections::HashMap;
            use std::time::Duration;

            use chrono::{DateTime, Utc};
            use sqlx::Row as _;
            use tenure_plugin_api::SecretAddress;

            use crate::state::sql::{corrupt, db, from_millis, millis, reasons_json};
            use crate::state::{
                AttestationPass, AttestationRow, InboundEvent, Intake, LoginRole, LoginsRow, Phase,
                QueueItem, Run, RunKind, RunStatus, SecretState, Signal, SignalKind, StateError,
                StateStore, UnmanagedRow,
            };

            fn run_from_row(row: &$row) -> Result<Run, StateError> {
                let get_text = |name: &str| row.try_get::<String, _>(name).map_err(db);
                let secret: SecretAddress = get_text("secret")?
                    .parse()
                    .map_err(|e| corrupt(format!("secret: {e}")))?;
                let kind = RunKind::from_name(&get_text("kind")?).ok_or_else(|| corrupt("kind"))?;
                let phase = Phase::from_name(&get_text("phase")?).ok_or_else(|| corrupt("phase"))?;
                let status = RunStatus::from_name(&get_text("status")?).ok_or_else(|| corrupt("status"))?;
                let reasons: Vec<String> = serde_json::from_str(&get_text("reasons")?)
                    .map_err(|e| corrupt(format!("reasons: {e}")))?;
                Ok(Run {
                    id: get_text("id")?,
                    secret,
                    kind,
                    phase,
                    status,
                    attempts: row
                        .try_get::<i64, _>("attempts")
                        .map_err(db)?
                        .try_into()
                        .unwrap_or(u32::MAX),
                    last_error: row.try_get("last_error").map_err(db)?,
                    reasons,
                    record: row.try_get("record").map_err(db)?,
                    target: row.try_get("target").map_err(db)?,
                    pending_version: row.try_get("pending_version").map_err(db)?,
                    previous_version: row.try_get("previous_version").map_err(db)?,
                    not_before: from_millis(row.try_get("not_before").map_err(db)?),
                    created_at: from_millis(row.try_get("created_at").map_err(db)?),
                    updated_at: from_millis(row.try_get("updated_at").map_err(db)?),
                    seq: row.try_get("seq").map_err(db)?,
                })
            }

            #[async_trait::async_trait]
            impl StateStore for super::$store {
                async fn insert_run(&self, run: &Run) -> Result<(), StateError> {
                    sqlx::query(
                        "INSERT INTO runs (id, secret, kind, phase, status, attempts, last_error, reasons, record,
                            target, pending_version, previous_version, not_before, created_at, updated_at, seq)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                    )
                    .bind(&run.id)
                    .bind(run.secret.to_string())
                    .bind(run.kind.as_str())
                    .bind(run.phase.as_str())
                    .bind(run.status.as_str())
                    .bind(i64::from(run.attempts))
                    .bind(&run.last_error)
                    .bind(reasons_json(run))
                    .bind(&run.record)
                    .bind(&run.target)
                    .bind(&run.pending_version)
                    .bind(&run.previous_version)
                    .bind(millis(run.not_before))
                    .bind(millis(run.created_at))
                    .bind(millis(run.updated_at))
                    .bind(run.seq)
                    .execute(&self.pool)
                    .await
                    .map_err(db)?;
                    self.durable().await?;
                    Ok(())
                }

                async fn update_run(&self, run: &mut Run) -> Result<(), StateError> {
                    let result = sqlx::query(
                        "UPDATE runs SET phase = $1, status = $2, attempts = $3, last_error = $4, pending_version = $5,
                            previous_version = $6, not_before = $7, updated_at = $8, seq = seq + 1
                         WHERE id = $9 AND seq = $10",
                    )
                    .bind(run.phase.as_str())
                    .bind(run.status.as_str())
                    .bind(i64::from(run.attempts))
                    .bind(&run.last_error)
                    .bind(&run.pending_version)
                    .bind(&run.previous_version)
                    .bind(millis(run.not_before))
                    .bind(millis(run.updated_at))
                    .bind(&run.id)
                    .bind(run.seq)
                    .execute(&self.pool)
                    .await
                    .map_err(db)?;
                    self.durable().await?;
                    if result.rows_affected() != 1 {
                        return Err(StateError::Conflict {
                            run: run.id.clone(),
                        });
                    }
                    run.seq += 1;
                    Ok(())
                }

                async fn get_run(&self, id: &str) -> Result<Option<Run>, StateError> {
                    let row = sqlx::query("SELECT * FROM runs WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                    row.as_ref().map(run_from_row).transpose()
                }

                async fn active_runs(&self) -> Result<Vec<Run>, StateError> {
                    let rows =
                        sqlx::query("SELECT * FROM runs WHERE status = 'active' ORDER BY created_at, id")
                            .fetch_all(&self.pool)
                            .await
                            .map_err(db)?;
                    rows.iter().map(run_from_row).collect()
                }

                async fn runs_for(&self, secret: &SecretAddress, limit: u32) -> Result<Vec<Run>, StateError> {
                    let rows = sqlx::query(
                        "SELECT * FROM runs WHERE secret = $1 ORDER BY created_at DESC, id LIMIT $2",
                    )
                    .bind(secret.to_string())
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                    rows.iter().map(run_from_row).collect()
                }

                async fn try_lease(
                    &self,
                    secret: &SecretAddress,
                    holder: &str,
                    ttl: Duration,
                ) -> Result<bool, StateError> {
                    let now = Utc::now();
                    let expires = now + chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX);
                    let result = sqlx::query(
                        "INSERT INTO leases (secret, holder, expires_at) VALUES ($1, $2, $3)
                         ON CONFLICT (secret) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                         WHERE leases.holder = excluded.holder OR leases.expires_at <= $4",
                    )
                    .bind(secret.to_string())
                    .bind(holder)
                    .bind(millis(expires))
                    .bind(millis(now))
                    .execute(&self.pool)
                    .await
                    .map_err(db)?;
                    self.durable().await?;
                    Ok(result.rows_affected() == 1)
                }

                async fn lease_holder(&self, secret: &SecretAddress) -> Result<Option<String>, StateError> {
                    sqlx::query_scalar("SELECT holder FROM leases WHERE secret = $1")
                        .bind(secret.to_string())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)
                }

                async fn take_over_lease(
                    &self,
                    secret: &SecretAddress,
                    from: &str,
                    to: &str,
                    ttl: Duration,
                ) -> Result<bool, StateError> {
                    let expires =
                        Utc::now() + chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX);
                    let result = sqlx::query(
                        "UPDATE leases SET holder = $1, expires_at = $2 WHERE secret = $3 AND holder = $4",
                    )
                    .bind(to)
                    .bind(millis(expires))
                    .bind(secret.to_string())
                    .bind(from)
                    .execute(&self.pool)
                    .await
                    .map_err(db)?;
                    self.durable().await?;
                    Ok(result.rows_affected() == 1)
                }

                async fn release_lease(&self, secret: &SecretAddress, holder: &str) -> Result<(), StateError> {
                    sqlx::query("DELETE FROM leases WHERE secret = $1 AND holder = $2")
                        .bind(secret.to_string())
                        .bind(holder)
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    self.durable().await?;
                    Ok(())
                }

                async fn enqueue(
                    &self,
                    secret: &SecretAddress,
                    due: DateTime<Utc>,
                    reason: &str,
                ) -> Result<(), StateError> {
                    sqlx::query(
                        "INSERT INTO queue (secret, due, reason) VALUES ($1, $2, $3)
                         ON CONFLICT (secret) DO UPDATE SET due = excluded.due, reason = excluded.reason
                         WHERE excluded.due < queue.due",
                    )
                    .bind(secret.to_string())
                    .bind(millis(due))
                    .bind(reason)
                    .execute(&self.pool)
                    .await
                    .map_err(db)?;
                    self.durable().await?;
                    Ok(())
                }

                async fn due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<QueueItem>, StateError> {
                    let rows = sqlx::query(
                        "SELECT secret, due, reason FROM queue WHERE due <= $1 ORDER BY due, secret LIMIT $2",
                    )
                    .bind(millis(now))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                    rows.iter()
                        .map(|row| {
                            let secret: String = row.try_get("secret").map_err(db)?;
                            Ok(QueueItem {
                                secret: secret.parse().map_err(|e| StateError::Corrupt {
                                    table: "queue",
                                    detail: format!("secret: {e}"),
                                })?,
                                due: from_millis(row.try_get("due").map_err(db)?),
                                reason: row.try_get("reason").map_err(db)?,
                            })
                        })
                        .collect()
                }

                async fn dequeue(&self, secret: &SecretAddress) -> Result<(), StateError> {
                    sqlx::query("DELETE FROM queue WHERE secret = $1")
                        .bind(secret.to_string())
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    self.durable().await?;
                    Ok(())
                }

                async fn secret_state(&self, secret: &SecretAddress) -> Result<SecretState, StateError> {
                    let row = sqlx::query("SELECT * FROM secret_state WHERE secret = $1")
                        .bind(secret.to_string())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                    row.as_ref()
                        .map_or(Ok(SecretState::default()), state_from_row)
                }

                async fn secret_states(&self) -> Result<HashMap<String, SecretState>, StateError> {
                    let rows = sqlx::query("SELECT * FROM secret_state")
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    rows.iter()
                        .map(|row| {
                            Ok((
                                row.try_get::<String, _>("secret").map_err(db)?,
                                state_from_row(row)?,
                            ))
                        })
                        .collect()
                }

                async fn put_secret_state(
                    &self,
                    secret: &SecretAddress,
                    state: &SecretState,
                ) -> Result<(), StateError> {
                    sqlx::query(
                        "INSERT INTO secret_state (secret, failures, quarantined, last_error, last_rotated_at, revoked_at, last_decision)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)
                         ON CONFLICT (secret) DO UPDATE SET failures = excluded.failures, quarantined = excluded.quarantined,
                            last_error = excluded.last_error, last_rotated_at = excluded.last_rotated_at,
                            revoked_at = excluded.revoked_at, last_decision = excluded.last_decision",
                    )
                    .bind(secret.to_string())
                    .bind(i64::from(state.failures))
                    .bind(state.quarantined)
                    .bind(&state.last_error)
                    .bind(state.last_rotated_at.map(millis))
                    .bind(state.revoked_at.map(millis))
                    .bind(&state.last_decision)
                    .execute(&self.pool)
                    .await
                    .map_err(db)?;
                    self.durable().await?;
                    Ok(())
                }

                async fn insert_event(&self, event: &InboundEvent) -> Result<Intake, StateError> {
                    let data = serde_json::to_string(&event.data)
                        .map_err(|e| StateError::Database(format!("event data: {e}")))?;
                    let result = sqlx::query(
                        "INSERT INTO events (id, delivery_id, kind, data, occurred_at, received_at)
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                    )
                    .bind(&event.id)
                    .bind(&event.delivery_id)
                    .bind(&event.kind)
                    .bind(data)
                    .bind(event.occurred_at.map(millis))
                    .bind(millis(event.received_at))
                    .execute(&self.pool)
                    .await
                    .map_err(db)?;
                    self.durable().await?;
                    Ok(if result.rows_affected() == 1 {
                        Intake::Stored
                    } else {
                        Intake::Duplicate
                    })
                }

                async fn pending_events(&self, limit: u32) -> Result<Vec<InboundEvent>, StateError> {
                    let rows = sqlx::query(
                        "SELECT id, delivery_id, kind, data, occurred_at, received_at FROM events
                         WHERE processed_at IS NULL ORDER BY received_at, id LIMIT $1",
                    )
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                    rows.iter().map(event_from_row).collect()
                }

                async fn complete_event(
                    &self,
                    id: &str,
                    outcome: &str,
                    signals: &[Signal],
                ) -> Result<bool, StateError> {
                    let mut tx = self.pool.begin().await.map_err(db)?;
                    let done = complete_in(&mut tx, id, outcome, signals).await?;
                    tx.commit().await.map_err(db)?;
                    self.durable().await?;
                    Ok(done)
                }

                async fn complete_events(
                    &self,
                    done: &[(String, &'static str, Vec<Signal>)],
                ) -> Result<Vec<bool>, StateError> {
                    let mut tx = self.pool.begin().await.map_err(db)?;
                    let mut flags = Vec::with_capacity(done.len());
                    for (id, outcome, signals) in done {
                        flags.push(complete_in(&mut tx, id, outcome, signals).await?);
                    }
                    tx.commit().await.map_err(db)?;
                    self.durable().await?;
                    Ok(flags)
                }

                async fn signals(&self) -> Result<Vec<Signal>, StateError> {
                    let rows =
                        sqlx::query("SELECT kind, key, value, at, event FROM signals ORDER BY at, kind, key")
                            .fetch_all(&self.pool)
                            .await
                            .map_err(db)?;
                    rows.iter()
                        .map(|row| {
                            let kind: String = row.try_get("kind").map_err(db)?;
                            Ok(Signal {
                                kind: SignalKind::from_name(&kind).ok_or_else(|| StateError::Corrupt {
                                    table: "signals",
                                    detail: format!("unknown kind {kind:?}"),
                                })?,
                                key: row.try_get("key").map_err(db)?,
                                value: row.try_get("value").map_err(db)?,
                                at: from_millis(row.try_get("at").map_err(db)?),
                                event: row.try_get("event").map_err(db)?,
                            })
                        })
                        .collect()
                }

                async fn remove_signal(
                    &self,
                    kind: SignalKind,
                    key: &str,
                ) -> Result<Option<Signal>, StateError> {
                    let row = sqlx::query(
                        "DELETE FROM signals WHERE kind = $1 AND key = $2 RETURNING value, at, event",
                    )
                    .bind(kind.as_str())
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                    self.durable().await?;
                    row.map(|row| {
                        Ok(Signal {
                            kind,
                            key: key.to_owned(),
                            value: row.try_get("value").map_err(db)?,
                            at: from_millis(row.try_get("at").map_err(db)?),
                            event: row.try_get("event").map_err(db)?,
                        })
                    })
                    .transpose()
                }

                async fn mark_notified(&self, key: &str) -> Result<bool, StateError> {
                    let result = sqlx::query(
                        "INSERT INTO notifications (key, at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(key)
                    .bind(millis(Utc::now()))
                    .execute(&self.pool)
                    .await
                    .map_err(db)?;
                    self.durable().await?;
                    Ok(result.rows_affected() == 1)
                }

                async fn forget_notified(&self, key: &str) -> Result<(), StateError> {
                    sqlx::query("DELETE FROM notifications WHERE key = $1")
                        .bind(key)
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    self.durable().await
                }

                async fn attestations(&self) -> Result<HashMap<String, AttestationRow>, StateError> {
                    let rows = sqlx::query("SELECT secret, at, result, findings, detail FROM attestations")
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    rows.iter()
                        .map(|row| {
                            let findings: String = row.try_get("findings").map_err(db)?;
                            let detail: String = row.try_get("detail").map_err(db)?;
                            let bad = |e: serde_json::Error| StateError::Corrupt {
                                table: "attestations",
                                detail: e.to_string(),
                            };
                            let secret: String = row.try_get("secret").map_err(db)?;
                            Ok((
                                secret.clone(),
                                AttestationRow {
                                    secret,
                                    at: from_millis(row.try_get("at").map_err(db)?),
                                    result: row.try_get("result").map_err(db)?,
                                    findings: serde_json::from_str(&findings).map_err(bad)?,
                                    detail: serde_json::from_str(&detail).map_err(bad)?,
                                },
                            ))
                        })
                        .collect()
                }

                async fn record_attestations(
                    &self,
                    rows: &[AttestationRow],
                    pass: &AttestationPass,
                ) -> Result<(), StateError> {
                    let mut tx = self.pool.begin().await.map_err(db)?;
                    for row in rows {
                        let findings = serde_json::to_string(&row.findings)
                            .map_err(|e| StateError::Database(format!("findings: {e}")))?;
                        let detail = serde_json::to_string(&row.detail)
                            .map_err(|e| StateError::Database(format!("detail: {e}")))?;
                        sqlx::query(
                            "INSERT INTO attestations (secret, at, result, findings, detail) VALUES ($1, $2, $3, $4, $5)
                             ON CONFLICT (secret) DO UPDATE SET at = excluded.at, result = excluded.result,
                                findings = excluded.findings, detail = excluded.detail",
                        )
                        .bind(&row.secret)
                        .bind(millis(row.at))
                        .bind(&row.result)
                        .bind(findings)
                        .bind(detail)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    }
                    sqlx::query(
                        "INSERT INTO attestation_passes (id, at, attested, ok, drift, unavailable, leaves, digest)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&pass.id)
                    .bind(millis(pass.at))
                    .bind(i64::try_from(pass.attested).unwrap_or(i64::MAX))
                    .bind(i64::try_from(pass.ok).unwrap_or(i64::MAX))
                    .bind(i64::try_from(pass.drift).unwrap_or(i64::MAX))
                    .bind(i64::try_from(pass.unavailable).unwrap_or(i64::MAX))
                    .bind(&pass.leaves)
                    .bind(&pass.digest)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                    tx.commit().await.map_err(db)?;
                    self.durable().await
                }

                async fn attestation_pass(&self, id: &str) -> Result<Option<AttestationPass>, StateError> {
                    let row = sqlx::query("SELECT * FROM attestation_passes WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                    row.as_ref().map(pass_from_row).transpose()
                }

                async fn attestation_passes(
                    &self,
                    from: DateTime<Utc>,
                    until: DateTime<Utc>,
                ) -> Result<Vec<AttestationPass>, StateError> {
                    let rows = sqlx::query(
                        "SELECT * FROM attestation_passes WHERE at >= $1 AND at <= $2 ORDER BY at, id",
                    )
                    .bind(millis(from))
                    .bind(millis(until))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                    rows.iter().map(pass_from_row).collect()
                }

                async fn prune_attestation_passes(&self, before: DateTime<Utc>) -> Result<u64, StateError> {
                    let result = sqlx::query("DELETE FROM attestation_passes WHERE at < $1")
                        .bind(millis(before))
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    self.durable().await?;
                    Ok(result.rows_affected())
                }

                async fn put_logins(&self, row: &LoginsRow) -> Result<(), StateError> {
                    let names = serde_json::to_string(&row.names)
                        .map_err(|e| StateError::Database(format!("logins: {e}")))?;
                    sqlx::query(
                        "INSERT INTO logins (secret, role, names, at) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (secret, role) DO UPDATE SET names = excluded.names, at = excluded.at",
                    )
                    .bind(&row.secret)
                    .bind(row.role.as_str())
                    .bind(names)
                    .bind(millis(row.at))
                    .execute(&self.pool)
                    .await
                    .map_err(db)?;
                    self.durable().await
                }

                async fn logins(&self) -> Result<Vec<LoginsRow>, StateError> {
                    let rows = sqlx::query("SELECT secret, role, names, at FROM logins ORDER BY secret, role")
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    rows.iter()
                        .map(|row| {
                            let role: String = row.try_get("role").map_err(db)?;
                            let names: String = row.try_get("names").map_err(db)?;
                            let bad = |detail: String| StateError::Corrupt { table: "logins", detail };
                            Ok(LoginsRow {
                                secret: row.try_get("secret").map_err(db)?,
                                role: LoginRole::from_name(&role)
                                    .ok_or_else(|| bad(format!("unknown role {role:?}")))?,
                                names: serde_json::from_str(&names).map_err(|e| bad(e.to_string()))?,
                                at: from_millis(row.try_get("at").map_err(db)?),
                            })
                        })
                        .collect()
                }

                async fn logins_of(&self, secret: &str, role: LoginRole) -> Result<Vec<String>, StateError> {
                    let names: Option<String> =
                        sqlx::query_scalar("SELECT names FROM logins WHERE secret = $1 AND role = $2")
                            .bind(secret)
                            .bind(role.as_str())
                            .fetch_optional(&self.pool)
                            .await
                            .map_err(db)?;
                    names
                        .map(|n| {
                            serde_json::from_str(&n).map_err(|e| StateError::Corrupt {
                                table: "logins",
                                detail: e.to_string(),
                            })
                        })
                        .transpose()
                        .map(Option::unwrap_or_default)
                }

                async fn put_unmanaged(&self, target: &str, rows: &[UnmanagedRow]) -> Result<(), StateError> {
                    let mut tx = self.pool.begin().await.map_err(db)?;
                    sqlx::query("DELETE FROM unmanaged WHERE target = $1")
                        .bind(target)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    for row in rows {
                        sqlx::query(
                            "INSERT INTO unmanaged (target, login, first_seen, last_seen, state, detail)
                             VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(target)
                        .bind(&row.login)
                        .bind(millis(row.first_seen))
                        .bind(millis(row.last_seen))
                        .bind(&row.state)
                        .bind(&row.detail)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    }
                    tx.commit().await.map_err(db)?;
                    self.durable().await
                }

                async fn unmanaged(&self) -> Result<Vec<UnmanagedRow>, StateError> {
                    let rows = sqlx::query("SELECT * FROM unmanaged ORDER BY target, login")
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    rows.iter()
                        .map(|row| {
                            Ok(UnmanagedRow {
                                target: row.try_get("target").map_err(db)?,
                                login: row.try_get("login").map_err(db)?,
                                first_seen: from_millis(row.try_get("first_seen").map_err(db)?),
                                last_seen: from_millis(row.try_get("last_seen").map_err(db)?),
                                state: row.try_get("state").map_err(db)?,
                                detail: row.try_get("detail").map_err(db)?,
                            })
                        })
                        .collect()
                }

                async fn ping(&self) -> Result<(), StateError> {
                    sqlx::query("SELECT 1")
                        .execute(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(())
                }
            }

            /// Marks one event processed and upserts its signals inside `tx`; false
            /// (and nothing written) when it was already processed.
            async fn complete_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: &str,
                outcome: &str,
                signals: &[Signal],
            ) -> Result<bool, StateError> {
                let marked = sqlx::query(
                    "UPDATE events SET processed_at = $1, outcome = $2 WHERE id = $3 AND processed_at IS NULL",
                )
                .bind(millis(Utc::now()))
                .bind(outcome)
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(db)?;
                if marked.rows_affected() != 1 {
                    return Ok(false);
                }
                for signal in signals {
                    sqlx::query(
                        "INSERT INTO signals (kind, key, value, at, event) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, at = excluded.at,
                            event = excluded.event
                         WHERE excluded.at >= signals.at",
                    )
                    .bind(signal.kind.as_str())
                    .bind(&signal.key)
                    .bind(&signal.value)
                    .bind(millis(signal.at))
                    .bind(&signal.event)
                    .execute(&mut **tx)
                    .await
                    .map_err(db)?;
                }
                Ok(true)
            }

            fn event_from_row(row: &$row) -> Result<InboundEvent, StateError> {
                let data: String = row.try_get("data").map_err(db)?;
                let occurred: Option<i64> = row.try_get("occurred_at").map_err(db)?;
                Ok(InboundEvent {
                    id: row.try_get("id").map_err(db)?,
                    delivery_id: row.try_get("delivery_id").map_err(db)?,
                    kind: row.try_get("kind").map_err(db)?,
                    data: serde_json::from_str(&data).map_err(|e| StateError::Corrupt {
                        table: "events",
                        detail: e.to_string(),
                    })?,
                    occurred_at: occurred.map(from_millis),
                    received_at: from_millis(row.try_get("received_at").map_err(db)?),
                })
            }

            fn pass_from_row(row: &$row) -> Result<AttestationPass, StateError> {
                let count = |name: &str| -> Result<u64, StateError> {
                    Ok(u64::try_from(row.try_get::<i64, _>(name).map_err(db)?).unwrap_or(0))
                };
                Ok(AttestationPass {
                    id: row.try_get("id").map_err(db)?,
                    at: from_millis(row.try_get("at").map_err(db)?),
                    attested: count("attested")?,
                    ok: count("ok")?,
                    drift: count("drift")?,
                    unavailable: count("unavailable")?,
                    leaves: row.try_get("leaves").map_err(db)?,
                    digest: row.try_get("digest").map_err(db)?,
                })
            }

            fn state_from_row(row: &$row) -> Result<SecretState, StateError> {
                Ok(SecretState {
                    failures: row
                        .try_get::<i64, _>("failures")
                        .map_err(db)?
                        .try_into()
                        .unwrap_or(u32::MAX),
                    quarantined: row.try_get("quarantined").map_err(db)?,
                    last_error: row.try_get("last_error").map_err(db)?,
                    last_rotated_at: row
                        .try_get::<Option<i64>, _>("last_rotated_at")
                        .map_err(db)?
                        .map(from_millis),
                    revoked_at: row
                        .try_get::<Option<i64>, _>("revoked_at")
                        .map_err(db)?
                        .map(from_millis),
                    last_decision: row.try_get("last_decision").map_err(db)?,
                })
            }
        }
    };
}

pub(super) use sql_store;
