//! Evidence without bloat: an attestation pass becomes the latest row of
//! each secret it covered (the facts the planner reads), one audit entry
//! for each secret whose result changed, and one audit entry for the pass
//! carrying its counts and the SHA-256 digest of its leaves, which the
//! state store keeps.
//!
//! The leaves of a pass (format `tenure-attest-leaves/1`) are one line per
//! secret, sorted by address: `<address> TAB <result> TAB <findings>` and a
//! newline, where `<result>` is `ok`, `drift` or `unavailable` and
//! `<findings>` the reason names joined by commas (`-` when none). The
//! digest is the SHA-256 of those bytes, in hex. To show a secret was
//! attested at a given time, read the pass from the state store, hash its
//! leaves, compare with the digest in the hash-chained audit entry, and find
//! the secret's line.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::Attestation;
use crate::audit::Event;
use crate::governance::Attested;
use crate::policy::Reason;
use crate::state::{AttestationPass, AttestationRow};

/// The name of the leaves format, carried by every pass entry.
pub const FORMAT: &str = "tenure-attest-leaves/1";

/// What one pass writes: rows and the pass to the state store, entries to
/// the audit trail.
#[derive(Debug)]
pub struct Ledger {
    /// Each covered secret's latest result.
    pub rows: Vec<AttestationRow>,
    /// The pass, with its leaves and digest.
    pub pass: AttestationPass,
    /// One entry per changed result, then the pass entry.
    pub events: Vec<Event>,
}

/// The leaves of a set of results (see the module docs), sorted by address.
pub fn leaves<'a>(rows: impl IntoIterator<Item = &'a AttestationRow>) -> String {
    let mut lines: Vec<String> = rows
        .into_iter()
        .map(|row| {
            let findings = if row.findings.is_empty() {
                "-".to_owned()
            } else {
                row.findings.join(",")
            };
            format!("{}\t{}\t{findings}\n", row.secret, row.result)
        })
        .collect();
    lines.sort();
    lines.concat()
}

fn row_of(attestation: &Attestation) -> AttestationRow {
    AttestationRow {
        secret: attestation.secret.to_string(),
        at: attestation.at,
        result: attestation.result().to_owned(),
        findings: attestation
            .findings()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        detail: json!({
            "checks": attestation.checks,
            "privileges": attestation.privileges,
            "logins": attestation.logins,
        }),
    }
}

impl Ledger {
    /// The ledger of one pass over `attestations`, ended at `at`;
    /// `previous` holds each secret's result before it.
    pub fn of(
        attestations: &[Attestation],
        previous: &HashMap<String, AttestationRow>,
        at: DateTime<Utc>,
    ) -> Self {
        let rows: Vec<AttestationRow> = attestations.iter().map(row_of).collect();
        let leaves = leaves(&rows);
        let digest = hex::encode(Sha256::digest(leaves.as_bytes()));
        let count = |result: &str| rows.iter().filter(|r| r.result == result).count() as u64;
        let pass = AttestationPass {
            id: uuid::Uuid::new_v4().to_string(),
            at,
            attested: rows.len() as u64,
            ok: count("ok"),
            drift: count("drift"),
            unavailable: count("unavailable"),
            leaves,
            digest,
        };
        let mut events: Vec<Event> = attestations
            .iter()
            .zip(&rows)
            .filter(|(_, row)| {
                previous.get(&row.secret).is_none_or(|before| {
                    before.result != row.result || before.findings != row.findings
                })
            })
            .map(|(attestation, row)| {
                Event::new(
                    "attestation",
                    Some(&attestation.secret),
                    None,
                    json!({
                        "pass": pass.id,
                        "result": row.result,
                        "was": previous.get(&row.secret).map(|b| &b.result),
                        "findings": row.findings,
                        "checks": attestation.checks,
                    }),
                )
            })
            .collect();
        events.push(Event::new(
            "attestation_pass",
            None,
            None,
            json!({
                "pass": pass.id,
                "format": FORMAT,
                "attested": pass.attested,
                "ok": pass.ok,
                "drift": pass.drift,
                "unavailable": pass.unavailable,
                "digest": pass.digest,
            }),
        ));
        Self { rows, pass, events }
    }
}

/// The facts a stored result gives the decision: what it found, and the
/// privileges it read.
pub fn facts_of(row: &AttestationRow) -> (Attested, Option<Vec<String>>) {
    let found = |reason: Reason| row.findings.iter().any(|f| f == reason.as_str());
    let attested = Attested {
        at: row.at,
        credential_rejected: found(Reason::CredentialRejected),
        revocation_undone: found(Reason::RevocationUndone),
        retired_credential_alive: found(Reason::RetiredCredentialAlive),
        retired_value_readable: found(Reason::RetiredValueReadable),
        scope_missing: found(Reason::ScopeMissing),
        unavailable: found(Reason::AttestationUnavailable),
        account_mismatch: found(Reason::AccountMismatch),
    };
    let privileges = row
        .detail
        .get("privileges")
        .and_then(|p| serde_json::from_value(p.clone()).ok())
        .flatten();
    (attested, privileges)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(secret: &str, result: &str, findings: &[&str]) -> AttestationRow {
        AttestationRow {
            secret: secret.to_owned(),
            at: Utc::now(),
            result: result.to_owned(),
            findings: findings.iter().map(|f| (*f).to_owned()).collect(),
            detail: json!({}),
        }
    }

    #[test]
    fn leaves_are_sorted_lines_and_the_digest_is_their_hash() {
        let rows = [
            row(
                "local:b",
                "drift",
                &["credential_rejected", "scope_missing"],
            ),
            row("local:a", "ok", &[]),
        ];
        let text = leaves(&rows);
        assert_eq!(
            text,
            "local:a\tok\t-\nlocal:b\tdrift\tcredential_rejected,scope_missing\n"
        );
        let (attested, _) = facts_of(&rows[0]);
        assert!(attested.credential_rejected && attested.scope_missing);
        assert!(!attested.unavailable);
    }
}
