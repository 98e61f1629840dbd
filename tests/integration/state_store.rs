//! One behaviour, two state stores: the same scenario runs against the
//! embedded SQLite store and the PostgreSQL store replicas share (runs with
//! compare-and-swap, leases, the queue, events, signals, notifications,
//! attestations and their passes, recorded logins, unmanaged accounts,
//! approval requests).

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use serde_json::json;
use tenure::approvals::{Approval, ApprovalAction, ApprovalStatus};
use tenure::state::{
    AttestationPass, AttestationRow, InboundEvent, Intake, LoginRole, LoginsRow, PgStore, Phase,
    Run, RunKind, SecretState, Signal, SignalKind, SqliteStore, StateError, StateStore,
    UnmanagedRow,
};
use tenure_plugin_api::SecretAddress;

use crate::common::sql::{new_database, pg_admin_url};

fn address(path: &str) -> SecretAddress {
    SecretAddress::new("local", path).expect("address")
}

async fn scenario(store: &dyn StateStore) {
    store.ping().await.expect("ping");
    // Runs: compare-and-swap on seq.
    let mut run = Run::new(
        address("a"),
        RunKind::Rotate,
        vec!["max_age_exceeded".into()],
        Some("r".into()),
        Some("t".into()),
        Utc::now(),
    );
    store.insert_run(&run).await.expect("insert");
    let mut stale = run.clone();
    run.phase = Phase::SetInTarget;
    store.update_run(&mut run).await.expect("update");
    stale.phase = Phase::Test;
    assert!(matches!(
        store.update_run(&mut stale).await,
        Err(StateError::Conflict { .. })
    ));
    assert_eq!(
        store.get_run(&run.id).await.expect("get"),
        Some(run.clone())
    );
    assert_eq!(store.active_runs().await.expect("active").len(), 1);
    assert_eq!(
        store.runs_for(&address("a"), 5).await.expect("runs").len(),
        1
    );

    // Leases: one holder until expiry; take-over; release.
    let secret = address("a");
    // (holder, whether it gets the lease): h1 takes it, renews it; h2 waits.
    for (holder, granted) in [("h1", true), ("h1", true), ("h2", false)] {
        let lease = store
            .try_lease(&secret, holder, Duration::from_secs(60))
            .await;
        assert_eq!(lease.expect("lease"), granted, "{holder}");
    }
    assert_eq!(
        store
            .lease_holder(&secret)
            .await
            .expect("holder")
            .as_deref(),
        Some("h1")
    );
    assert!(
        store
            .take_over_lease(&secret, "h1", "h2", Duration::from_millis(1))
            .await
            .expect("take")
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(
        store
            .try_lease(&secret, "h3", Duration::from_secs(60))
            .await
            .expect("expired lease")
    );
    store.release_lease(&secret, "h3").await.expect("release");
    assert_eq!(store.lease_holder(&secret).await.expect("holder"), None);

    // Queue: one entry per secret, at the earliest time.
    let now = Utc::now();
    for (due, reason) in [
        (now + TimeDelta::hours(1), "later"),
        (now, "sooner"),
        (now + TimeDelta::hours(2), "latest"),
    ] {
        store.enqueue(&secret, due, reason).await.expect("enqueue");
    }
    let due = store.due(now, 10).await.expect("due");
    assert_eq!((due.len(), due[0].reason.as_str()), (1, "sooner"));
    store.dequeue(&secret).await.expect("dequeue");
    assert!(store.due(now, 10).await.expect("due").is_empty());

    // Secret state.
    let state = SecretState {
        failures: 2,
        quarantined: true,
        last_error: Some("boom".into()),
        last_rotated_at: Some(chrono::SubsecRound::trunc_subsecs(now, 3)),
        revoked_at: None,
        last_decision: Some("rotate:max_age_exceeded".into()),
    };
    store.put_secret_state(&secret, &state).await.expect("put");
    assert_eq!(store.secret_state(&secret).await.expect("state"), state);
    assert_eq!(store.secret_states().await.expect("states").len(), 1);

    // Events: stored once by id and by delivery id; completed once, with signals.
    let event = |id: &str, delivery: &str| InboundEvent {
        id: id.into(),
        delivery_id: Some(delivery.into()),
        kind: "io.tenure.owner.left".into(),
        data: json!({ "owner": "dana" }),
        occurred_at: None,
        received_at: chrono::SubsecRound::trunc_subsecs(now, 3),
    };
    for (id, delivery, intake) in [
        ("s 1", "m1", Intake::Stored),
        ("s 1", "m2", Intake::Duplicate),
        ("s 2", "m1", Intake::Duplicate),
        ("s 3", "m3", Intake::Stored),
    ] {
        let stored = store.insert_event(&event(id, delivery)).await;
        assert_eq!(stored.expect("insert"), intake, "{id} {delivery}");
    }
    assert_eq!(store.pending_events(10).await.expect("pending").len(), 2);
    let signal = Signal {
        kind: SignalKind::OwnerStatus,
        key: "dana".into(),
        value: "left".into(),
        at: chrono::SubsecRound::trunc_subsecs(now, 3),
        event: "s 1".into(),
    };
    let done = store
        .complete_events(&[
            ("s 1".into(), "applied", vec![signal.clone()]),
            ("s 3".into(), "applied", Vec::new()),
        ])
        .await
        .expect("complete");
    assert_eq!(done, vec![true, true]);
    assert!(
        !store
            .complete_event("s 1", "applied", &[])
            .await
            .expect("again")
    );
    assert!(store.pending_events(10).await.expect("pending").is_empty());
    assert_eq!(
        store.signals().await.expect("signals"),
        vec![signal.clone()]
    );

    // A later signal for the same fact replaces it; an older one does not.
    for id in ["s 4", "s 5"] {
        store
            .insert_event(&event(id, &format!("m-{id}")))
            .await
            .expect("insert");
    }
    let older = Signal {
        value: "active".into(),
        at: signal.at - TimeDelta::seconds(1),
        event: "s 4".into(),
        ..signal.clone()
    };
    assert!(
        store
            .complete_event("s 4", "applied", &[older])
            .await
            .expect("complete")
    );
    assert_eq!(
        store.signals().await.expect("signals"),
        vec![signal.clone()]
    );
    let newer = Signal {
        value: "active".into(),
        at: signal.at + TimeDelta::seconds(1),
        event: "s 5".into(),
        ..signal
    };
    assert!(
        store
            .complete_event("s 5", "applied", std::slice::from_ref(&newer))
            .await
            .expect("complete")
    );
    assert_eq!(store.signals().await.expect("signals"), vec![newer]);

    assert!(store.mark_notified("expiry:a:1").await.expect("mark"));
    assert!(!store.mark_notified("expiry:a:1").await.expect("mark again"));
    store.forget_notified("expiry:a:1").await.expect("forget");
    assert!(store.mark_notified("expiry:a:1").await.expect("mark anew"));

    // Attestations: the latest row per secret, and every pass with its leaves.
    let at = chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).expect("ms");
    let row = |result: &str, findings: &[&str]| AttestationRow {
        secret: "local:a".into(),
        at,
        result: result.into(),
        findings: findings.iter().map(|f| (*f).to_owned()).collect(),
        detail: json!({ "logins": ["app"], "privileges": ["SELECT ON public.t"] }),
    };
    let pass = |id: &str, at| AttestationPass {
        id: id.into(),
        at,
        attested: 1,
        ok: 0,
        drift: 1,
        unavailable: 0,
        leaves: "local:a\tdrift\tcredential_rejected\n".into(),
        digest: "d".repeat(64),
    };
    let old = pass("p1", at - TimeDelta::days(100));
    store
        .record_attestations(&[row("ok", &[])], &old)
        .await
        .expect("first pass");
    let drift = row("drift", &["credential_rejected"]);
    store
        .record_attestations(std::slice::from_ref(&drift), &pass("p2", at))
        .await
        .expect("second pass");
    let latest = store.attestations().await.expect("attestations");
    assert_eq!(latest.len(), 1);
    assert_eq!(latest["local:a"], drift);
    assert_eq!(
        store.attestation_pass("p1").await.expect("pass"),
        Some(old.clone())
    );
    let recent = store
        .attestation_passes(at - TimeDelta::days(1), at)
        .await
        .expect("passes");
    assert_eq!(
        recent.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["p2"]
    );
    assert_eq!(
        store
            .prune_attestation_passes(at - TimeDelta::days(90))
            .await
            .expect("prune"),
        1
    );
    assert_eq!(store.attestation_pass("p1").await.expect("pass"), None);

    // Logins a revocation or retirement disabled.
    let logins = |role, names: &[&str]| LoginsRow {
        secret: "local:a".into(),
        role,
        names: names.iter().map(|n| (*n).to_owned()).collect(),
        at,
    };
    // The second replaces the first.
    for (role, names) in [
        (LoginRole::Revoked, &["app", "app_b"][..]),
        (LoginRole::Revoked, &["app"]),
        (LoginRole::Retired, &["app_a"]),
    ] {
        store
            .put_logins(&logins(role, names))
            .await
            .expect("logins");
    }
    assert_eq!(
        store
            .logins_of("local:a", LoginRole::Revoked)
            .await
            .expect("of"),
        vec!["app"]
    );
    assert!(
        store
            .logins_of("local:b", LoginRole::Retired)
            .await
            .expect("none")
            .is_empty()
    );
    assert_eq!(store.logins().await.expect("all").len(), 2);

    // Unmanaged accounts, replaced per target.
    let account = |login: &str, state: &str| UnmanagedRow {
        target: "pg".into(),
        login: login.into(),
        first_seen: at,
        last_seen: at,
        state: state.into(),
        detail: String::new(),
    };
    store
        .put_unmanaged("pg", &[account("rogue", "found"), account("old", "found")])
        .await
        .expect("unmanaged");
    store
        .put_unmanaged("pg", &[account("rogue", "disabled")])
        .await
        .expect("replace");
    assert_eq!(
        store.unmanaged().await.expect("unmanaged"),
        vec![account("rogue", "disabled")]
    );
    approvals(store).await;
    checkpoints(store).await;
}

/// The audit checkpoint registry: a number is taken once; rows read back
/// in order, whole.
async fn checkpoints(store: &dyn StateStore) {
    use tenure::audit::{Checkpoint, TrailHead};
    assert!(store.last_checkpoint().await.expect("last").is_none());
    let head = |trail: &str, seq: u64| TrailHead {
        trail: trail.into(),
        seq,
        hash: format!("{seq:064}"),
        sig: Some(serde_json::json!({ "key": "k1", "ed25519": "c2ln" })),
    };
    let first = Checkpoint::next(None, &head("a", 3), 1_000);
    assert!(store.insert_checkpoint(&first).await.expect("insert"));
    // Another replica chained onto the same last row: its number is taken.
    let racing = Checkpoint::next(None, &head("b", 5), 1_001);
    assert!(!store.insert_checkpoint(&racing).await.expect("taken"));
    let last = store.last_checkpoint().await.expect("last");
    assert_eq!(last.as_ref(), Some(&first));
    let second = Checkpoint::next(last.as_ref(), &head("b", 5), 1_002);
    assert!(store.insert_checkpoint(&second).await.expect("second"));
    let rows = store.checkpoints().await.expect("rows");
    assert_eq!(rows, vec![first, second]);
    assert!(rows.iter().all(Checkpoint::is_intact));
    assert_eq!(rows[1].prev, rows[0].row_hash);
}

/// Approval requests: one open request per subject and action, and every
/// change of status a compare-and-set.
async fn approvals(store: &dyn StateStore) {
    let at = Utc::now();
    let request = |id: &str| Approval {
        id: id.into(),
        subject: "local:demo/reports-token".into(),
        action: ApprovalAction::Revoke,
        fingerprint: "revoke:review_revoked".into(),
        reasons: vec!["review_revoked".into()],
        requested_by: "olga".into(),
        requested_at: at,
        expires_at: at + TimeDelta::hours(1),
        status: ApprovalStatus::Pending,
        decided_by: None,
        decided_at: None,
    };
    assert!(store.insert_approval(&request("a1")).await.expect("insert"));
    assert!(
        !store.insert_approval(&request("a2")).await.expect("second"),
        "a second open request for the same action"
    );
    let mut approved = store.approval("a1").await.expect("get").expect("stored");
    assert_eq!(
        approved.expires_at.timestamp_millis(),
        (at + TimeDelta::hours(1)).timestamp_millis()
    );
    approved.decide("paul", true, at).expect("approve");
    assert!(
        store
            .update_approval(&approved, ApprovalStatus::Pending)
            .await
            .expect("cas")
    );
    let mut late = request("a1");
    late.decide("quinn", false, at).expect("reject");
    assert!(
        !store
            .update_approval(&late, ApprovalStatus::Pending)
            .await
            .expect("cas"),
        "a second decision on the same request"
    );
    let read = store.approval("a1").await.expect("get").expect("stored");
    assert_eq!(read.status, ApprovalStatus::Approved);
    assert_eq!(read.decided_by.as_deref(), Some("paul"));
    approved.close(ApprovalStatus::Used, at);
    assert!(
        store
            .update_approval(&approved, ApprovalStatus::Approved)
            .await
            .expect("used")
    );
    assert!(
        store
            .insert_approval(&request("a3"))
            .await
            .expect("a new request once closed")
    );
    let open: Vec<String> = store
        .open_approvals()
        .await
        .expect("open")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(open, vec!["a3"], "only the open request, not the used one");
    let ids: Vec<String> = store
        .approvals()
        .await
        .expect("list")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, vec!["a1", "a3"]);
    assert!(store.approval("nope").await.expect("get").is_none());
}

#[tokio::test]
async fn the_sqlite_store_behaves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("state.db"))
        .await
        .expect("open");
    scenario(&store).await;
}

#[tokio::test]
async fn the_postgres_store_behaves_the_same() {
    let Some(admin) = pg_admin_url() else {
        return;
    };
    let (_pool, _, url) = new_database(&admin, "tenure_store").await;
    // Two connections at once create the schema without tripping over each other.
    let (a, b) = tokio::join!(PgStore::connect(&url), PgStore::connect(&url));
    let store = a.expect("connect");
    b.expect("second replica connects");
    scenario(&store).await;
}
