//! An evidence document built from a real signed trail verifies with the
//! public key, as JSON and as a page, and any change to it is named.

use std::sync::Arc;

use serde_json::json;
use tenure_plugin_api::{SecretAddress, SecretSource};

use super::*;
use crate::audit::{AuditLog, AuditPublicKey, AuditSigner, Event, TrailFilter, read_trail};

const SECRET: &str = "local:api/token";

/// A signed trail with entries about the secret (by address, by approval
/// subject, by an exposure signal, one with markup in its data) and one
/// about another; the evidence for the secret, and the public key.
async fn evidence() -> (Evidence, AuditPublicKey, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let signer = AuditSigner::load_or_create(&SecretSource::File(dir.path().join("audit.key")))
        .expect("key");
    let public = signer.public_key().clone();
    let path = dir.path().join("audit.jsonl");
    let log = AuditLog::signed(&path, Arc::new(signer));
    let a: SecretAddress = SECRET.parse().expect("address");
    let b: SecretAddress = "local:other".parse().expect("address");
    let events = vec![
        Event::new(
            "decision",
            Some(&a),
            None,
            json!({"decision": "revoke", "reasons": ["owner_left"], "record": "r", "waived": []}),
        ),
        Event::new(
            "decision",
            Some(&b),
            None,
            json!({"decision": "compliant", "reasons": [], "record": "s"}),
        ),
        Event::new(
            "approval",
            None,
            None,
            json!({"event": "requested", "subject": SECRET, "action": "revoke"}),
        ),
        Event::new(
            "event",
            None,
            None,
            json!({"type": "io.tenure.secret.exposed", "signals": [{"kind": "secret_exposed", "key": SECRET, "value": "exposed"}]}),
        ),
        Event::new(
            "phase",
            Some(&a),
            Some("run-1"),
            json!({"phase": "p", "result": "ok", "next": "done", "evidence": {"detail": "</script><b>x</b> & y"}}),
        ),
        Event::new("decision", Some(&b), None, json!({"decision": "compliant"})),
    ];
    log.append_all(events).await.expect("append");
    let all = read_trail(&path, TrailFilter::default()).expect("read");
    let entries: Vec<EvidenceEntry> = all
        .iter()
        .filter_map(|e| relation(e, SECRET, None).map(|r| EvidenceEntry::of(e, r)))
        .collect();
    let last = all.last().expect("entries");
    let evidence = Evidence {
        format: FORMAT.to_owned(),
        generator: generator(),
        generated_at: "2026-12-01T00:00:00Z".to_owned(),
        secret: SECRET.to_owned(),
        window: Window::default(),
        record: None,
        lineage: None,
        record_source: "test".to_owned(),
        entries,
        chain: ChainView {
            result: ChainView::VERIFIED.to_owned(),
            problem: None,
            entries: all.len() as u64,
            head: Some(last.hash.clone()),
            checkpoints: all.len() as u64,
            unsigned_prefix: 0,
            signatures_checked: true,
            head_checked: true,
            key: Some(public.id()),
            checkpoint: Some(Checkpoint {
                seq: last.seq,
                hash: last.hash.clone(),
                sig: last.line["sig"].clone(),
                line: last.line.clone(),
            }),
        },
    };
    (evidence, public, dir)
}

fn json_of(evidence: &Evidence) -> String {
    write(evidence, Format::Json)
}

#[tokio::test]
async fn the_secrets_entries_are_found_by_address_subject_and_signal() {
    let (evidence, _, _dir) = evidence().await;
    let found: Vec<(u64, &str)> = evidence
        .entries
        .iter()
        .map(|e| (e.seq, e.relation.as_str()))
        .collect();
    assert_eq!(
        found,
        [(1, "secret"), (3, "subject"), (4, "signal"), (5, "secret")]
    );
}

#[tokio::test]
async fn json_and_page_verify_with_the_public_key() {
    let (evidence, key, _dir) = evidence().await;
    let verified = verify(&json_of(&evidence), std::slice::from_ref(&key)).expect("json verifies");
    assert_eq!(verified.entries, 4);
    assert_eq!(verified.span, Some((1, 5)));
    assert_eq!(verified.checkpoint, Some(6));
    assert_eq!(verified.page_checked, None);

    let page = render(&evidence);
    assert!(!page.contains("http://") && !page.contains("https://"));
    assert!(
        !page.contains("</script><b>"),
        "markup in the data is escaped, in the table and in the embedded JSON"
    );
    let verified = verify(&page, std::slice::from_ref(&key)).expect("page verifies");
    assert_eq!(verified.page_checked, Some(true));

    // The visible table alone (the embedded document untouched).
    let edited = page.replace(r#"<td>Decided revoke"#, r#"<td>Decided rotate"#);
    assert_ne!(edited, page);
    assert_eq!(
        verify(&edited, std::slice::from_ref(&key)),
        Err(CheckError::Page)
    );
}

#[tokio::test]
async fn any_change_is_named() {
    let (evidence, key, _dir) = evidence().await;
    let keys = std::slice::from_ref(&key);
    let entry_error = |result: Result<Verified, CheckError>| match result {
        Err(CheckError::Entry { seq, problem, .. }) => (seq, problem),
        other => panic!("expected an entry error, got {other:?}"),
    };

    // The data shown, or the signed line itself.
    let mut shown = evidence.clone();
    shown.entries[1].data["action"] = json!("rotate");
    let (seq, problem) = entry_error(verify(&json_of(&shown), keys));
    assert_eq!(seq, 3);
    assert!(
        problem.contains("differs from its signed line"),
        "{problem}"
    );
    let mut written = evidence.clone();
    written.entries[3].line["data"]["result"] = json!("failed");
    let (seq, problem) = entry_error(verify(&json_of(&written), keys));
    assert_eq!(seq, 5);
    assert!(problem.contains("the entry was changed"), "{problem}");

    // Reordered, or an entry about another secret slipped in.
    let mut reordered = evidence.clone();
    reordered.entries.swap(0, 1);
    let (seq, problem) = entry_error(verify(&json_of(&reordered), keys));
    assert_eq!(seq, 1);
    assert!(problem.contains("reordered"), "{problem}");

    // Another key does not vouch for it.
    let dir = tempfile::tempdir().expect("tempdir");
    let other = AuditSigner::load_or_create(&SecretSource::File(dir.path().join("k")))
        .expect("key")
        .public_key()
        .clone();
    let (seq, problem) = entry_error(verify(&json_of(&evidence), &[other]));
    assert_eq!(seq, 1);
    assert!(problem.contains("not among the public keys"), "{problem}");

    // The checkpoint: removed, or before the entries.
    let mut uncovered = evidence.clone();
    uncovered.chain.checkpoint = None;
    assert!(matches!(
        verify(&json_of(&uncovered), keys),
        Err(CheckError::Checkpoint(_))
    ));
    let mut early = evidence.clone();
    early.entries.truncate(1);
    early.entries.push(evidence.entries[3].clone());
    let mut cp = early.chain.checkpoint.clone().expect("checkpoint");
    cp.line = evidence.entries[0].line.clone();
    cp.seq = 1;
    cp.hash = evidence.entries[0].hash.clone();
    cp.sig = cp.line["sig"].clone();
    early.chain.checkpoint = Some(cp);
    let err = verify(&json_of(&early), keys).expect_err("not covered");
    assert!(err.to_string().contains("does not cover"), "{err}");

    // A failed chain is reported, not passed.
    let mut failed = evidence.clone();
    failed.chain.result = ChainView::FAILED.to_owned();
    failed.chain.problem = Some("audit.jsonl:2: hash does not match".into());
    assert!(matches!(
        verify(&json_of(&failed), keys),
        Err(CheckError::ChainFailed(_))
    ));
    assert!(matches!(
        verify("<html>nothing</html>", keys),
        Err(CheckError::NotEvidence(_))
    ));
}
