//! `GET /ui/audit`: the audit trail verified now, as `tenure audit verify`
//! does it: every line's hash chained to the one before, the head file
//! (nothing cut from the end), and every checkpoint signature checked
//! against the configured signing key's public half. A check that could
//! not be made (no key) is said so, never shown as passed.

use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};

use super::layout::{self, Tab, badge};
use super::session::SignedIn;
use super::{AuditKey, ConsoleError};
use crate::audit::{AuditPublicKey, VerifyOptions, VerifyReport};
use crate::server::AppState;

/// `GET /ui/audit`.
pub async fn page(State(app): State<AppState>, who: SignedIn) -> Response {
    let config = app.inner.reconciler.config();
    let path = config.audit_log.clone();
    let key = &app.inner.console.key;
    let keys: Vec<AuditPublicKey> = match key {
        AuditKey::Found(key) => vec![key.clone()],
        _ => Vec::new(),
    };
    let checked = tokio::task::spawn_blocking(move || {
        crate::audit::verify_with(&path, VerifyOptions { keys: &keys })
    })
    .await;
    let result = match checked {
        Ok(result) => result,
        Err(err) => return ConsoleError::from(err).page(),
    };
    let body = html! {
        section.card {
            h2 { "Verification" }
            @match &result {
                Ok(report) => (passed(report, key)),
                Err(err) => {
                    p.error role="alert" { (badge("failed")) " " (err.to_string()) }
                    @if let Some(line) = err.line() { p { "The first bad line is line " (line) "." } }
                }
            }
            dl.facts {
                dt { "Trail" } dd.mono { (config.audit_log.display()) }
                dt { "Signing key" } dd {
                    @match key {
                        AuditKey::Found(key) => span.mono { (key.id()) },
                        AuditKey::Missing => "none yet (nothing is signed)",
                        AuditKey::Unreadable(why) => { "unreadable: " (why) }
                    }
                }
            }
        }
        section.card {
            h2 { "Check it elsewhere" }
            p { "An auditor needs only the trail, its head file and the public key:" }
            pre { "tenure audit pubkey > tenure-audit.pub\ntenure audit verify --pubkey tenure-audit.pub --trail audit.jsonl" }
        }
    };
    layout::page(&who, Tab::Audit, "Audit trail", body)
}

fn passed(report: &VerifyReport, key: &AuditKey) -> Markup {
    html! {
        p.ok role="status" {
            (badge("ok")) " The chain holds: " (report.entries) " entries, every hash linked to the one before."
        }
        dl.facts {
            dt { "Head" } dd.mono { (report.head) }
            dt { "Head file" } dd {
                @if report.head_checked { "matches the last entry" } @else { "missing: lines cut from the end would go unnoticed" }
            }
            dt { "Signatures" } dd {
                @if report.signatures_checked {
                    (report.checkpoints) " signed entries verified"
                    @if let AuditKey::Found(key) = key { " with key " span.mono { (key.id()) } }
                } @else {
                    (badge("unavailable")) " not checked: no public key"
                }
            }
            @if report.unsigned_prefix > 0 && report.checkpoints > 0 {
                dt { "Before signing" } dd { "the first " (report.unsigned_prefix) " entries predate signing and are covered by the first signature" }
            }
        }
    }
}
