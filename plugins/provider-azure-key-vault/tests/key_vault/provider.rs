//! The provider's work: the conformance suite, rotation writing a new
//! version with a new expiry and revoke disabling, a configured lifetime,
//! inventory following next links, and Event Grid names mapped to paths.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::Utc;
use tenure_plugin_api::{Attributes, Catalog, ErrorKind, Reads, Stage, VaultEvents as _, Writes};
use tenure_provider_azure_key_vault::{AzureKeyVaultConfig, name_of};
use tenure_testkit::azure_standin::{CLIENT_SECRET, StandIn};
use tenure_testkit::provider_steps::{assert_reads, put, read_text, stage, value};

use super::{provider, provider_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite_passes() {
    let standin = StandIn::start().await;
    let provider = provider(&standin);
    tenure_testkit::run_provider_suite(&provider, "tenure-test")
        .await
        .unwrap();
    let counters = standin.counters();
    // One challenge (the client caches the scope), one token (cached too).
    assert_eq!(counters.challenges, 1, "{counters:?}");
    assert_eq!(counters.tokens_issued, 1, "{counters:?}");
    assert_eq!(counters.bad_tokens, 0, "{counters:?}");
    assert!(!counters.api_versions.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_writes_a_new_version_with_a_new_expiry_and_revoke_disables() {
    let standin = StandIn::start().await;
    let provider = provider(&standin);
    let path = "apps/billing/db_password";
    let name = name_of(path).unwrap();
    assert_eq!(name, "apps--billing--db---password");
    // Written by someone else with a 10-day lifetime that started 9 days ago.
    let now = Utc::now().timestamp();
    standin.seed_with(
        &name,
        "old-value",
        Some(now + 86_400),
        Some(now - 9 * 86_400),
    );

    let before = provider.describe(path).await.unwrap();
    let old = before.version(Stage::Current).unwrap().id.clone();
    assert_eq!(before.expires_at.map(|t| t.timestamp()), Some(now + 86_400));

    let mut notes = BTreeMap::new();
    notes.insert("reason".to_owned(), "max_age_exceeded".to_owned());
    let pending = provider
        .stage_pending(path, "run-1", &value("new-value"), &notes)
        .await
        .unwrap();
    // Consumers still read the old value; the pending one is readable by id.
    assert_reads(
        &provider,
        path,
        &[(Stage::Current, "old-value"), (Stage::Pending, "new-value")],
    )
    .await;
    assert_eq!(
        provider
            .read_version(path, &pending)
            .await
            .unwrap()
            .expose(),
        "new-value"
    );

    provider.promote(path, &pending).await.unwrap();
    provider.promote(path, &pending).await.unwrap();
    let after = provider.describe(path).await.unwrap();
    let current = after.version(Stage::Current).unwrap();
    assert_ne!(current.id, old);
    assert_eq!(after.version(Stage::Previous).map(|v| &v.id), Some(&old));
    assert!(after.version(Stage::Pending).is_none());
    assert!(after.enabled);
    assert!(
        after.tags.keys().all(|k| !k.starts_with("tenure-")),
        "{:?}",
        after.tags
    );
    assert_reads(
        &provider,
        path,
        &[
            (Stage::Current, "new-value"),
            (Stage::Previous, "old-value"),
        ],
    )
    .await;

    // The new version keeps the 10-day lifetime from now, and starts now.
    let attributes = standin.attributes(&name);
    assert_eq!(attributes.len(), 2);
    let (ref new_id, enabled, exp, nbf) = attributes[1];
    assert_eq!(new_id, &current.id.0);
    assert!(enabled);
    let (exp, nbf) = (exp.unwrap(), nbf.unwrap());
    assert!((nbf - now).abs() <= 5, "nbf {nbf} now {now}");
    assert!(
        (exp - (nbf + 10 * 86_400)).abs() <= 1,
        "exp {exp} nbf {nbf}"
    );
    assert_eq!(after.expires_at.map(|t| t.timestamp()), Some(exp));
    // The old version is kept, enabled, until retired.
    assert!(attributes[0].1);

    provider.retire(path, &old).await.unwrap();
    provider.retire(path, &old).await.unwrap();
    assert!(
        !standin.attributes(&name)[0].1,
        "retire disables the old version"
    );
    assert_eq!(
        provider
            .read(path, Stage::Previous)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        provider.read_version(path, &old).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // Revocation disables the current version: "get latest" is refused.
    provider.set_enabled(path, false).await.unwrap();
    provider.set_enabled(path, false).await.unwrap();
    assert!(!provider.describe(path).await.unwrap().enabled);
    assert!(!standin.attributes(&name)[1].1);
    let refused = provider.read(path, Stage::Current).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Permanent, "{refused}");
    assert!(refused.message().contains("disabled"), "{refused}");
    // Enabling again restores it.
    provider.set_enabled(path, true).await.unwrap();
    assert_eq!(
        read_text(&provider, path, Stage::Current).await,
        "new-value"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_lifetime_sets_exp_on_every_write() {
    let standin = StandIn::start().await;
    let mut config = AzureKeyVaultConfig::new(standin.vault_url());
    config.expires_after = Some(StdDuration::from_secs(90 * 86_400));
    let provider = provider_with(&standin, config, CLIENT_SECRET);
    let now = Utc::now().timestamp();
    put(&provider, "svc-token", "v1").await;
    let exp = provider
        .describe("svc-token")
        .await
        .unwrap()
        .expires_at
        .unwrap();
    assert!((exp.timestamp() - (now + 90 * 86_400)).abs() <= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_follows_next_links() {
    let standin = StandIn::start().await;
    let mut config = AzureKeyVaultConfig::new(standin.vault_url());
    config.page_size = 2;
    let provider = provider_with(&standin, config, CLIENT_SECRET);
    let mut tags = BTreeMap::new();
    tags.insert("owner".to_owned(), "alice@example.com".to_owned());
    let paths = ["a", "b/c", "d_e", "f-g", "h/i/j", "k"];
    for path in paths {
        provider
            .put_current(path, &value("x"), &tags)
            .await
            .unwrap();
    }
    stage(&provider, "k", "run-9", "y").await;
    // A name no Tenure path maps to, written by someone else.
    standin.seed("weird----name", "z");

    let listed = provider.list().await.unwrap();
    let mut found: Vec<&str> = listed.iter().map(|m| m.path.as_str()).collect();
    found.sort_unstable();
    let mut expected = paths.to_vec();
    expected.sort_unstable();
    assert_eq!(found, expected);
    for meta in &listed {
        assert_eq!(
            meta.tags.get("owner").map(String::as_str),
            Some("alice@example.com")
        );
        assert!(meta.enabled);
    }
    let k = listed.iter().find(|m| m.path == "k").unwrap();
    assert_eq!(
        k.version(Stage::Pending).and_then(|v| v.token.as_deref()),
        Some("run-9")
    );
    assert!(
        listed
            .iter()
            .filter(|m| m.path != "k")
            .all(|m| m.version(Stage::Pending).is_none())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_grid_names_map_to_paths_of_this_vault_only() {
    let standin = StandIn::start().await;
    let provider = provider(&standin);
    let url = standin.vault_url();
    let host = url.split("://").nth(1).unwrap_or_default();
    let vault = host.split('.').next().unwrap_or_default();
    assert_eq!(
        provider.path_for_event(vault, "apps--billing--db---password"),
        Some("apps/billing/db_password".to_owned())
    );
    assert_eq!(
        provider.path_for_event("another-vault", "apps--billing"),
        None
    );
    // Tenure's own staging secrets are not managed secrets.
    assert_eq!(provider.path_for_event(vault, "apps--tenure-pending"), None);
}
