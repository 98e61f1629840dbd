//! The checks of one secret, read-only toward the target and the vault:
//! logins, catalog reads and vault reads, never a change.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tenure_plugin_api::{
    ErrorKind, PluginError, Provider, SecretAddress, SecretMetadata, SecretValue, Stage, Target,
    TargetContext,
};

use super::{Attestation, Outcome};
use crate::governance::Record;
use crate::workflow::{Login, login, logins_disabled, stale_versions, vault_refuses};

/// What attesting one secret needs.
pub struct Subject<'a> {
    /// The secret.
    pub address: &'a SecretAddress,
    /// Its metadata, from the inventory.
    pub meta: &'a SecretMetadata,
    /// The record that governs it.
    pub record: &'a Record,
    /// Its vault.
    pub provider: &'a dyn Provider,
    /// The record's target.
    pub target: &'a dyn Target,
    /// The logins its revocation disabled, if it was revoked.
    pub revoked_logins: &'a [String],
    /// The logins its last retirement left with the current credential only.
    pub retired_logins: &'a [String],
    /// A rotation of it is in its grace period: the previous version is
    /// still meant to work, and its retirement will prove it dead.
    pub in_grace: bool,
    /// Now.
    pub now: DateTime<Utc>,
}

fn failure(err: &PluginError) -> Value {
    json!({ "error": err.message(), "kind": err.kind().as_str() })
}

/// A secret whose vault could not list it: nothing could be checked.
pub fn unreachable(secret: SecretAddress, err: &PluginError, now: DateTime<Utc>) -> Attestation {
    let mut attestation = Attestation::new(secret, now);
    attestation.check("vault_inventory", Outcome::Unavailable, failure(err));
    attestation
}

/// Attests one secret.
pub async fn attest_secret(subject: Subject<'_>) -> Attestation {
    let mut a = Attestation::new(subject.address.clone(), subject.now);
    let ctx = TargetContext {
        address: subject.address,
        run_id: "attest",
        scopes: &subject.record.scopes,
    };
    if subject.meta.enabled {
        attest_active(&subject, ctx, &mut a).await;
    } else {
        attest_revoked(&subject, ctx, &mut a).await;
    }
    attest_versions(&subject, ctx, &mut a).await;
    a
}

/// An active secret: the current value works, holds exactly its scopes, and
/// the logins retired before accept nothing else.
async fn attest_active(subject: &Subject<'_>, ctx: TargetContext<'_>, a: &mut Attestation) {
    let target = subject.target;
    let caps = target.capabilities();
    let current = match subject
        .provider
        .read(subject.address.path(), Stage::Current)
        .await
    {
        Ok(value) => value,
        // No current version: the decision rotates it; nothing to check.
        Err(err) if err.kind() == ErrorKind::NotFound => return,
        Err(err) => {
            a.check("vault_read", Outcome::Unavailable, failure(&err));
            return;
        }
    };
    // The account first: a value naming an account the record does not
    // approve is not logged in with, nor read about, at all.
    match target.account(&current) {
        Ok(Some(name)) if !subject.record.approves_account(&name) => {
            a.attested.account_mismatch = true;
            a.check(
                "account",
                Outcome::Drift,
                json!({ "value_names": name, "record_approves": subject.record.account }),
            );
            return;
        }
        Ok(Some(name)) => a.check("account", Outcome::Ok, json!({ "account": name })),
        Ok(None) => {}
        Err(err) => {
            a.check("account", Outcome::Unavailable, failure(&err));
            return;
        }
    }
    if caps.logins {
        match target.logins(&current) {
            Ok(logins) => a.logins = logins,
            Err(err) => a.check("logins", Outcome::Unavailable, failure(&err)),
        }
    }
    if caps.login {
        match login(target, ctx, &current).await {
            Ok(Login::Accepted(proof)) => a.check("credential_works", Outcome::Ok, proof),
            Ok(Login::Refused(proof)) => {
                a.attested.credential_rejected = true;
                a.check("credential_works", Outcome::Drift, proof);
            }
            Err(err) => a.check("credential_works", Outcome::Unavailable, failure(&err)),
        }
    } else {
        // Nothing outside the vault accepts it, so nothing can reject it:
        // only its format is checked, and a value set by hand in another
        // format is not drift.
        match target.test(ctx, &current).await {
            Ok(proof) => a.check("format_check", Outcome::Ok, json!(proof)),
            Err(err) if err.kind().is_retryable() => {
                a.check("format_check", Outcome::Unavailable, failure(&err));
            }
            Err(err) => a.check(
                "format_check",
                Outcome::NotApplicable,
                json!({ "reason": "no_external_acceptor", "detail": err.message() }),
            ),
        }
    }
    if caps.narrow && !subject.record.scopes.is_empty() {
        attest_privileges(subject, ctx, &current, a).await;
    }
    if caps.logins && !subject.retired_logins.is_empty() {
        match logins_disabled(target, ctx, subject.retired_logins, Some(&current)).await {
            Ok((states, None)) => a.check("retired_logins", Outcome::Ok, states),
            Ok((states, Some(_))) => {
                a.attested.retired_credential_alive = true;
                a.check("retired_logins", Outcome::Drift, states);
            }
            Err(err) => a.check("retired_logins", Outcome::Unavailable, failure(&err)),
        }
    }
}

/// The privileges held, against the approved scopes: excess is narrowed,
/// a missing scope escalated (Tenure never grants).
async fn attest_privileges(
    subject: &Subject<'_>,
    ctx: TargetContext<'_>,
    current: &SecretValue,
    a: &mut Attestation,
) {
    match subject.target.privileges(ctx, current).await {
        Ok(Some(held)) => {
            let scopes = &subject.record.scopes;
            let excess: Vec<&String> = held.iter().filter(|p| !scopes.contains(p)).collect();
            let missing: Vec<&String> = scopes.iter().filter(|s| !held.contains(s)).collect();
            a.scope_excess = !excess.is_empty();
            a.attested.scope_missing = !missing.is_empty();
            let outcome = if excess.is_empty() && missing.is_empty() {
                Outcome::Ok
            } else {
                Outcome::Drift
            };
            a.check(
                "privileges",
                outcome,
                json!({ "method": "catalog", "held": held, "excess": excess, "missing": missing }),
            );
            a.privileges = Some(held);
        }
        Ok(None) => a.check(
            "privileges",
            Outcome::NotApplicable,
            json!({ "reason": "the target cannot report privileges" }),
        ),
        Err(err) => a.check("privileges", Outcome::Unavailable, failure(&err)),
    }
}

/// A revoked secret: its logins stay disabled, and the vault refuses a
/// consumer's read.
async fn attest_revoked(subject: &Subject<'_>, ctx: TargetContext<'_>, a: &mut Attestation) {
    match vault_refuses(subject.provider, subject.address.path()).await {
        Ok(Ok(proof)) => a.check("vault_refuses_read", Outcome::Ok, proof),
        Ok(Err(served)) => {
            a.attested.revocation_undone = true;
            a.check(
                "vault_refuses_read",
                Outcome::Drift,
                json!({ "detail": served }),
            );
        }
        Err(err) => a.check("vault_refuses_read", Outcome::Unavailable, failure(&err)),
    }
    let target = subject.target;
    let caps = target.capabilities();
    if !caps.logins {
        let reason = if caps.login {
            "the vault no longer serves the revoked value and the target names no logins: the vault's refusal is what can be checked"
        } else {
            "no_external_acceptor"
        };
        a.check(
            "revoked_logins",
            Outcome::NotApplicable,
            json!({ "reason": reason }),
        );
        return;
    }
    if subject.revoked_logins.is_empty() {
        a.check(
            "revoked_logins",
            Outcome::Unavailable,
            json!({ "error": "no logins are on record for this revoked secret (revoked before Tenure recorded them): its target account cannot be checked" }),
        );
        return;
    }
    match logins_disabled(target, ctx, subject.revoked_logins, None).await {
        Ok((states, None)) => a.check("revoked_logins", Outcome::Ok, states),
        Ok((states, Some(_))) => {
            a.attested.revocation_undone = true;
            a.check("revoked_logins", Outcome::Drift, states);
        }
        Err(err) => a.check("revoked_logins", Outcome::Unavailable, failure(&err)),
    }
}

/// The vault side: no old version still serves a retired or revoked value;
/// where one does and the target has a login, that value must be refused.
async fn attest_versions(subject: &Subject<'_>, ctx: TargetContext<'_>, a: &mut Attestation) {
    let path = subject.address.path();
    let caps = subject.target.capabilities();
    let mut seen = serde_json::Map::new();
    let mut outcome = Outcome::Ok;
    let versions = stale_versions(subject.meta, subject.record.grace, subject.now)
        .into_iter()
        .filter(|v| !(subject.in_grace && v.has(Stage::Previous)));
    for version in versions {
        let id = version.id.0.clone();
        let value = match subject.provider.read_version(path, &version.id).await {
            Ok(value) => value,
            Err(err) if err.kind() == ErrorKind::Retryable => {
                a.check("retired_versions", Outcome::Unavailable, failure(&err));
                return;
            }
            Err(err) => {
                seen.insert(
                    id,
                    json!({ "readable": false, "refused": err.kind().as_str() }),
                );
                continue;
            }
        };
        a.attested.retired_value_readable = true;
        outcome = Outcome::Drift;
        let mut entry = json!({ "readable": true });
        let approved = match subject.target.account(&value) {
            Ok(Some(name)) if !subject.record.approves_account(&name) => {
                entry["login"] = json!({ "not_tried": format!("it names the account {name}, which the record does not approve") });
                false
            }
            _ => true,
        };
        if caps.login && approved {
            match login(subject.target, ctx, &value).await {
                Ok(Login::Refused(proof)) => entry["login"] = json!({ "refused": proof }),
                Ok(Login::Accepted(proof)) => {
                    a.attested.retired_credential_alive = true;
                    entry["login"] = json!({ "accepted": proof });
                }
                Err(err) => {
                    a.check("retired_versions", Outcome::Unavailable, failure(&err));
                    return;
                }
            }
        }
        seen.insert(id, entry);
    }
    if !seen.is_empty() {
        a.check("retired_versions", outcome, Value::Object(seen));
    }
}
