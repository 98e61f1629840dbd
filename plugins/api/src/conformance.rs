//! The target conformance suite: one sequence every target must pass.
//!
//! Rotation (issue → apply → test → retire), a rollback, narrowing (when the
//! target supports it), and revocation with its proof. Every step is run
//! twice and must give the same result both times; "already done" and
//! "already gone" count as success. A target with a login must refuse the
//! retired credential after `retire` and the revoked one after `revoke`; a
//! target that knows its logins must report them disabled, disable them
//! again idempotently and leave them out of its listing. Enabled with the
//! `conformance` feature.

use crate::{LoginOutcome, PluginError, Proof, SecretAddress, SecretValue, Target, TargetContext};

/// What the suite observed.
#[derive(Debug, Clone)]
pub struct SuiteReport {
    /// The credential the target accepts after the rotation.
    pub rotated: SecretValue,
    /// The proof of the rotated credential's login test.
    pub test_proof: Proof,
    /// The proof that the revoked credential is refused.
    pub revoked_proof: Proof,
    /// Privileges after narrowing, when the target narrows.
    pub narrowed: Option<Vec<String>>,
    /// The proof that the retired credential is refused, when the target
    /// has a login.
    pub retired_proof: Option<Proof>,
}

/// Every login in `logins` must be reported disabled.
async fn all_disabled(
    name: &str,
    target: &dyn Target,
    ctx: TargetContext<'_>,
    logins: &[String],
    except: Option<&SecretValue>,
) -> Result<(), String> {
    let states = step(name, target.login_states(ctx, logins, except).await)?;
    if states.len() != logins.len() {
        return Err(format!(
            "{name}: {} states for {} logins",
            states.len(),
            logins.len()
        ));
    }
    match states.iter().find(|s| s.enabled) {
        Some(alive) => Err(format!(
            "{name}: {} can still log in ({})",
            alive.login, alive.detail
        )),
        None => Ok(()),
    }
}

fn step<T>(name: &str, result: Result<T, PluginError>) -> Result<T, String> {
    result.map_err(|e| format!("{name}: {e}"))
}

async fn twice<T, F, Fut>(name: &str, mut op: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, PluginError>>,
{
    step(name, op().await)?;
    step(&format!("{name} (replayed)"), op().await)
}

/// Runs the suite against `target`, starting from `initial`, a credential it
/// accepts now. `scopes` are the approved scopes for narrowing. At the end the
/// credential is revoked.
pub async fn run_target_suite(
    target: &dyn Target,
    address: &SecretAddress,
    initial: SecretValue,
    scopes: &[String],
) -> Result<SuiteReport, String> {
    let caps = target.capabilities();
    let ctx = |run_id: &'static str| TargetContext {
        address,
        run_id,
        scopes,
    };

    step(
        "test the initial credential",
        target.test(ctx("conformance-0"), &initial).await,
    )?;

    // Rotation.
    let run = ctx("conformance-rotate");
    let pending = step("issue", target.issue(run, Some(&initial)).await)?;
    if pending.ct_eq(&initial) {
        return Err("issue returned the current credential".into());
    }
    twice("apply", || target.apply(run, Some(&initial), &pending)).await?;
    let test_proof = twice("test the new credential", || target.test(run, &pending)).await?;
    twice("retire the previous credential", || {
        target.retire(run, &initial, &pending)
    })
    .await?;
    step(
        "test the new credential after retire",
        target.test(run, &pending).await,
    )?;
    let retired_proof = if caps.login {
        // verify_revoked rather than one try_login: it may wait out an
        // eventually consistent target (IAM).
        let proof = step(
            "the retired credential is refused",
            target.verify_revoked(run, &initial).await,
        )?;
        match step(
            "try_login with the new credential",
            target.try_login(run, &pending).await,
        )? {
            LoginOutcome::Accepted(_) => {}
            LoginOutcome::Refused(proof) => {
                return Err(format!(
                    "try_login refused the new credential: {}",
                    proof.detail
                ));
            }
        }
        Some(proof)
    } else {
        None
    };
    if caps.logins {
        let retired = step("retired_logins", target.retired_logins(&initial, &pending))?;
        all_disabled(
            "login_states after retire",
            target,
            run,
            &retired,
            Some(&pending),
        )
        .await?;
        twice("disable_logins (retired)", || {
            target.disable_logins(run, &retired, Some(&pending))
        })
        .await?;
        step(
            "test the new credential after disabling the retired logins",
            target.test(run, &pending).await,
        )?;
    }

    // A rotation whose test failed is rolled back: the current credential keeps working.
    let run = ctx("conformance-rollback");
    let abandoned = step(
        "issue (to roll back)",
        target.issue(run, Some(&pending)).await,
    )?;
    step(
        "apply (to roll back)",
        target.apply(run, Some(&pending), &abandoned).await,
    )?;
    twice("rollback", || {
        target.rollback(run, Some(&pending), &abandoned)
    })
    .await?;
    step(
        "test the current credential after rollback",
        target.test(run, &pending).await,
    )?;

    // Narrowing.
    let narrowed = if caps.narrow {
        let run = ctx("conformance-narrow");
        twice("narrow", || target.narrow(run, &pending)).await?;
        let held = step("privileges", target.privileges(run, &pending).await)?
            .ok_or("privileges: a narrowing target must report privileges")?;
        if let Some(extra) = held.iter().find(|p| !scopes.contains(p)) {
            return Err(format!(
                "narrow left {extra:?}, which is not an approved scope"
            ));
        }
        Some(held)
    } else {
        None
    };

    // Revocation.
    let run = ctx("conformance-revoke");
    twice("revoke", || target.revoke(run, &pending)).await?;
    let revoked_proof = twice("verify_revoked", || target.verify_revoked(run, &pending)).await?;
    if target.test(run, &pending).await.is_ok() {
        return Err("the revoked credential still passes test".into());
    }
    if caps.login
        && let LoginOutcome::Accepted(proof) = step(
            "try_login with the revoked credential",
            target.try_login(run, &pending).await,
        )?
    {
        return Err(format!(
            "try_login accepted the revoked credential: {}",
            proof.detail
        ));
    }
    if caps.logins {
        let logins = step("logins", target.logins(&pending))?;
        if logins.is_empty() {
            return Err("logins: a target with logins named none".into());
        }
        all_disabled("login_states after revoke", target, run, &logins, None).await?;
        twice("disable_logins (revoked)", || {
            target.disable_logins(run, &logins, None)
        })
        .await?;
        let listed = step("list_logins", target.list_logins().await)?;
        if let Some(login) = logins.iter().find(|l| listed.contains(l)) {
            return Err(format!("list_logins lists the revoked login {login}"));
        }
    }
    Ok(SuiteReport {
        rotated: pending,
        test_proof,
        revoked_proof,
        narrowed,
        retired_proof,
    })
}

/// The URL of a test service from the environment variable `var` (set by
/// `scripts/services`). With `CI=true` a missing service is a failure
/// (panics); otherwise the caller skips, and this says so.
pub fn service_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) => Some(url),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{var} is not set: run the tests with scripts/test")
        }
        Err(_) => {
            eprintln!("skipped: {var} is not set (run scripts/test)");
            None
        }
    }
}

/// A name no other test run uses: `<prefix>_<8 hex digits>`.
pub fn unique_name(prefix: &str) -> String {
    let mut bytes = [0u8; 4];
    crate::random::fill(&mut bytes).unwrap_or_else(|e| panic!("random: {e}"));
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{suffix}")
}

/// Runs the provider conformance suite under `prefix` (a path the suite may
/// create secrets in). Stages, idempotency by token, pending invisible to
/// readers of the current value, promotion, retirement, discard, disable
/// and tags; every mutating step is replayed twice.
pub async fn run_provider_suite(
    provider: &dyn crate::Provider,
    prefix: &str,
) -> Result<(), String> {
    use std::collections::BTreeMap;

    use crate::{ErrorKind, Stage};

    let path = format!("{prefix}/conformance-{}", unique_name("s"));
    let value = |text: &str| SecretValue::new(text.to_owned());
    let mut tags = BTreeMap::new();
    tags.insert("owner".to_owned(), "alice@example.com".to_owned());

    let first = step(
        "put_current",
        provider.put_current(&path, &value("one"), &tags).await,
    )?;
    let read = step("read current", provider.read(&path, Stage::Current).await)?;
    if read.expose() != "one" {
        return Err("read current: wrong value after put_current".into());
    }
    let listed = step("list", provider.list().await)?;
    if !listed.iter().any(|m| m.path == path) {
        return Err(format!("list: {path} is missing"));
    }
    let meta = step("describe", provider.describe(&path).await)?;
    if meta.tags.get("owner").map(String::as_str) != Some("alice@example.com") {
        return Err("describe: the owner tag is missing".into());
    }
    if meta.version(Stage::Current).map(|v| &v.id) != Some(&first) {
        return Err("describe: the current version is not the one written".into());
    }

    // Staging is idempotent by token, and invisible to readers of the current value.
    let notes = BTreeMap::new();
    let two = value("two");
    let pending = twice("stage_pending", || {
        provider.stage_pending(&path, "token-1", &two, &notes)
    })
    .await?;
    let again = step(
        "stage_pending (same token)",
        provider
            .stage_pending(&path, "token-1", &value("other"), &notes)
            .await,
    )?;
    if again != pending {
        return Err("stage_pending: the same token gave another version".into());
    }
    match provider
        .stage_pending(&path, "token-2", &value("three"), &notes)
        .await
    {
        Err(e) if e.kind() == ErrorKind::Conflict => {}
        Err(e) => {
            return Err(format!(
                "stage_pending (other token): expected a conflict, got {e}"
            ));
        }
        Ok(_) => return Err("stage_pending (other token): expected a conflict".into()),
    }
    if step(
        "read current while pending",
        provider.read(&path, Stage::Current).await,
    )?
    .expose()
        != "one"
    {
        return Err("a reader of the current value saw the pending one".into());
    }
    if step(
        "read_version pending",
        provider.read_version(&path, &pending).await,
    )?
    .expose()
        != "two"
    {
        return Err("read_version: wrong pending value".into());
    }
    let meta = step("describe while pending", provider.describe(&path).await)?;
    if meta
        .version(Stage::Pending)
        .and_then(|v| v.token.as_deref())
        != Some("token-1")
    {
        return Err("describe: the pending version does not carry its token".into());
    }

    // Promotion.
    twice("promote", || provider.promote(&path, &pending)).await?;
    if step(
        "read current after promote",
        provider.read(&path, Stage::Current).await,
    )?
    .expose()
        != "two"
    {
        return Err("promote: the current value did not change".into());
    }
    if step("read previous", provider.read(&path, Stage::Previous).await)?.expose() != "one" {
        return Err("promote: the previous value is not the old current one".into());
    }
    let meta = step("describe after promote", provider.describe(&path).await)?;
    if meta.version(Stage::Pending).is_some() {
        return Err("promote: a pending version is left".into());
    }
    let previous = meta
        .version(Stage::Previous)
        .map(|v| v.id.clone())
        .ok_or("promote: no previous version")?;

    // Retirement; the current version cannot be retired.
    twice("retire previous", || provider.retire(&path, &previous)).await?;
    if provider.read(&path, Stage::Previous).await.is_ok() {
        return Err("retire: the previous value is still readable".into());
    }
    let meta = step("describe after retire", provider.describe(&path).await)?;
    let listed = meta.versions.iter().find(|v| v.id == previous);
    match listed {
        // Destroyed or disabled: listed, but not readable.
        Some(v) if provider.capabilities().destroy_versions && v.readable => {
            return Err("retire: the retired version is still listed readable".into());
        }
        // A provider that cannot destroy one version must at least take
        // every stage away from it.
        Some(v) if !v.stages.is_empty() => {
            return Err("retire: the retired version still carries a stage".into());
        }
        _ => {}
    }
    // A provider may give the promoted value a new id: ask which version is current.
    let current = step("describe after retire", provider.describe(&path).await)?
        .version(Stage::Current)
        .map(|v| v.id.clone())
        .ok_or("no current version after retire")?;
    match provider.retire(&path, &current).await {
        Err(e) if e.kind() == ErrorKind::Conflict => {}
        other => {
            return Err(format!(
                "retire current: expected a conflict, got {other:?}"
            ));
        }
    }

    // Discarding a pending version, and discarding one already gone.
    let abandoned = step(
        "stage_pending (to discard)",
        provider
            .stage_pending(&path, "token-3", &value("four"), &notes)
            .await,
    )?;
    twice("discard_pending", || {
        provider.discard_pending(&path, &abandoned)
    })
    .await?;
    if step("describe after discard", provider.describe(&path).await)?
        .version(Stage::Pending)
        .is_some()
    {
        return Err("discard_pending: the pending version is left".into());
    }
    if step(
        "read current after discard",
        provider.read(&path, Stage::Current).await,
    )?
    .expose()
        != "two"
    {
        return Err("discard_pending: the current value changed".into());
    }

    // Promotion with what the caller holds (the workflow's path) and tags.
    let five = value("five");
    let staged = step(
        "stage_pending (to promote with)",
        provider
            .stage_pending(&path, "token-4", &five, &notes)
            .await,
    )?;
    let mut owner = BTreeMap::new();
    owner.insert("owner".to_owned(), "bob@example.com".to_owned());
    twice("promote_with", || {
        provider.promote_with(
            &path,
            &staged,
            crate::Promotion {
                value: Some(&five),
                tags: Some(&owner),
            },
        )
    })
    .await?;
    let meta = step(
        "describe after promote_with",
        provider.describe(&path).await,
    )?;
    if meta.version(Stage::Pending).is_some() {
        return Err("promote_with: a pending version is left".into());
    }
    if provider.capabilities().tags
        && meta.tags.get("owner").map(String::as_str) != Some("bob@example.com")
    {
        return Err("promote_with: the tags were not merged".into());
    }
    if step(
        "read current after promote_with",
        provider.read(&path, Stage::Current).await,
    )?
    .expose()
        != "five"
        || step(
            "read previous after promote_with",
            provider.read(&path, Stage::Previous).await,
        )?
        .expose()
            != "two"
    {
        return Err("promote_with: current or previous is wrong".into());
    }

    // Tags and disabling.
    let mut more = BTreeMap::new();
    more.insert("workload".to_owned(), "api".to_owned());
    twice("set_tags", || provider.set_tags(&path, &more)).await?;
    let meta = step("describe after set_tags", provider.describe(&path).await)?;
    if meta.tags.get("workload").map(String::as_str) != Some("api")
        || !meta.tags.contains_key("owner")
    {
        return Err("set_tags: tags were not merged".into());
    }
    twice("disable", || provider.set_enabled(&path, false)).await?;
    if step("describe after disable", provider.describe(&path).await)?.enabled {
        return Err("set_enabled(false): still enabled".into());
    }
    if provider.read(&path, Stage::Current).await.is_ok() {
        return Err("set_enabled(false): the value is still readable".into());
    }
    match step(
        "consumer_read after disable",
        provider.consumer_read(&path).await,
    )? {
        crate::ConsumerRead::Refused(_) => {}
        crate::ConsumerRead::Served => {
            return Err("consumer_read: a consumer still reads the disabled secret".into());
        }
    }
    match provider
        .read(&format!("{prefix}/no-such-secret"), Stage::Current)
        .await
    {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        other => Err(format!(
            "read of a missing secret: expected not_found, got {other:?}"
        )),
    }
}
