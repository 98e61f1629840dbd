//! The tables and indexes, for both backends (SQLite reads BIGINT and
//! BOOLEAN as integer affinities).

/// Applied in order when a store opens; every statement is idempotent.
pub(in crate::state) const SCHEMA: &[&str] = &[
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
    "CREATE TABLE IF NOT EXISTS audit_checkpoints (
        id BIGINT PRIMARY KEY,
        trail TEXT NOT NULL,
        seq BIGINT NOT NULL,
        hash TEXT NOT NULL,
        sig TEXT,
        at BIGINT NOT NULL,
        prev TEXT NOT NULL,
        row_hash TEXT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS approvals (
        id TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        action TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        reasons TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        requested_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        status TEXT NOT NULL,
        decided_by TEXT,
        decided_at BIGINT
    )",
    "CREATE UNIQUE INDEX IF NOT EXISTS approvals_open ON approvals (subject, action)
        WHERE status IN ('pending', 'approved')",
    "CREATE TABLE IF NOT EXISTS scim_resources (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        external_id TEXT,
        version BIGINT NOT NULL,
        body TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (kind, id)
    )",
    "CREATE UNIQUE INDEX IF NOT EXISTS scim_resources_name ON scim_resources (kind, name_key)",
];
