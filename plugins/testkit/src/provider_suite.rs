//! The provider conformance suite: the behaviours every provider must show,
//! one function each, and [`run_provider_suite`], which runs them in order
//! on one secret.
//!
//! Stages, idempotency by token, pending invisible to readers of the current
//! value, promotion, retirement, discard, promotion with tags, tags, disable
//! and not-found; every mutating step is replayed twice.

use std::collections::BTreeMap;

use tenure_plugin_api::{ConsumerRead, ErrorKind, Promotion, Provider, Stage, VersionId};

use crate::failure::{Failure, behaviour, step, twice};
use crate::provider_steps::value;
use crate::services::unique_name;

fn tag(key: &str, value: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(key.to_owned(), value.to_owned())])
}

/// The provider under test and the secret the suite writes, a new one under
/// the prefix it was given. Each method is one behaviour; they build on each
/// other in the order [`run_provider_suite`] calls them.
pub struct ProviderSuite<'a> {
    provider: &'a dyn Provider,
    prefix: &'a str,
    path: String,
}

impl<'a> ProviderSuite<'a> {
    /// The suite for `provider`, under `prefix` (a path it may create
    /// secrets in): the secret is `<prefix>/conformance-s_<8 hex digits>`.
    pub fn new(provider: &'a dyn Provider, prefix: &'a str) -> Self {
        Self {
            provider,
            prefix,
            path: format!("{prefix}/conformance-{}", unique_name("s")),
        }
    }

    /// The secret the suite writes.
    pub fn path(&self) -> &str {
        &self.path
    }

    async fn read(&self, name: &str, stage: Stage) -> Result<String, String> {
        let read = step(name, self.provider.read(&self.path, stage).await)?;
        Ok(read.expose().to_owned())
    }

    /// `put_current` writes "one" with an owner tag: it is read back, listed,
    /// and described with its tag and as the current version.
    pub async fn put_current_is_read_listed_and_described(&self) -> Result<(), Failure> {
        behaviour("put_current_is_read_listed_and_described", async {
            let (provider, path) = (self.provider, self.path.as_str());
            let first = step(
                "put_current",
                provider
                    .put_current(path, &value("one"), &tag("owner", "alice@example.com"))
                    .await,
            )?;
            if self.read("read current", Stage::Current).await? != "one" {
                return Err("read current: wrong value after put_current".into());
            }
            let listed = step("list", provider.list().await)?;
            if !listed.iter().any(|m| m.path == path) {
                return Err(format!("list: {path} is missing"));
            }
            let meta = step("describe", provider.describe(path).await)?;
            if meta.tags.get("owner").map(String::as_str) != Some("alice@example.com") {
                return Err("describe: the owner tag is missing".into());
            }
            if meta.version(Stage::Current).map(|v| &v.id) != Some(&first) {
                return Err("describe: the current version is not the one written".into());
            }
            Ok(())
        })
        .await
    }

    /// `stage_pending` of "two" is idempotent by token (twice, and again
    /// with another value), and another token conflicts. Returns the
    /// pending version.
    pub async fn stage_pending_is_idempotent_by_token(&self) -> Result<VersionId, Failure> {
        behaviour("stage_pending_is_idempotent_by_token", async {
            let (provider, path) = (self.provider, self.path.as_str());
            let notes = BTreeMap::new();
            let two = value("two");
            let pending = twice("stage_pending", || {
                provider.stage_pending(path, "token-1", &two, &notes)
            })
            .await?;
            let again = step(
                "stage_pending (same token)",
                provider
                    .stage_pending(path, "token-1", &value("other"), &notes)
                    .await,
            )?;
            if again != pending {
                return Err("stage_pending: the same token gave another version".into());
            }
            match provider
                .stage_pending(path, "token-2", &value("three"), &notes)
                .await
            {
                Err(e) if e.kind() == ErrorKind::Conflict => Ok(pending),
                Err(e) => Err(format!(
                    "stage_pending (other token): expected a conflict, got {e}"
                )),
                Ok(_) => Err("stage_pending (other token): expected a conflict".into()),
            }
        })
        .await
    }

    /// A reader of the current value still sees "one"; the pending version
    /// reads "two" by id and is described with its token.
    pub async fn pending_is_invisible_to_readers_of_current(
        &self,
        pending: &VersionId,
    ) -> Result<(), Failure> {
        behaviour("pending_is_invisible_to_readers_of_current", async {
            let (provider, path) = (self.provider, self.path.as_str());
            if self
                .read("read current while pending", Stage::Current)
                .await?
                != "one"
            {
                return Err("a reader of the current value saw the pending one".into());
            }
            if step(
                "read_version pending",
                provider.read_version(path, pending).await,
            )?
            .expose()
                != "two"
            {
                return Err("read_version: wrong pending value".into());
            }
            let meta = step("describe while pending", provider.describe(path).await)?;
            if meta
                .version(Stage::Pending)
                .and_then(|v| v.token.as_deref())
                != Some("token-1")
            {
                return Err("describe: the pending version does not carry its token".into());
            }
            Ok(())
        })
        .await
    }

    /// `promote` (twice) makes the pending value current and the old current
    /// one previous, with no pending version left. Returns the previous version.
    pub async fn promote_makes_pending_current_and_current_previous(
        &self,
        pending: &VersionId,
    ) -> Result<VersionId, Failure> {
        behaviour(
            "promote_makes_pending_current_and_current_previous",
            async {
                let (provider, path) = (self.provider, self.path.as_str());
                twice("promote", || provider.promote(path, pending)).await?;
                if self
                    .read("read current after promote", Stage::Current)
                    .await?
                    != "two"
                {
                    return Err("promote: the current value did not change".into());
                }
                if self.read("read previous", Stage::Previous).await? != "one" {
                    return Err("promote: the previous value is not the old current one".into());
                }
                let meta = step("describe after promote", provider.describe(path).await)?;
                if meta.version(Stage::Pending).is_some() {
                    return Err("promote: a pending version is left".into());
                }
                meta.version(Stage::Previous)
                    .map(|v| v.id.clone())
                    .ok_or_else(|| "promote: no previous version".to_owned())
            },
        )
        .await
    }

    /// `retire` of the previous version (twice) leaves it unreadable, and
    /// destroyed, disabled or without a stage.
    pub async fn retire_takes_the_previous_version_away(
        &self,
        previous: &VersionId,
    ) -> Result<(), Failure> {
        behaviour("retire_takes_the_previous_version_away", async {
            let (provider, path) = (self.provider, self.path.as_str());
            twice("retire previous", || provider.retire(path, previous)).await?;
            if provider.read(path, Stage::Previous).await.is_ok() {
                return Err("retire: the previous value is still readable".into());
            }
            let meta = step("describe after retire", provider.describe(path).await)?;
            match meta.versions.iter().find(|v| &v.id == previous) {
                // Destroyed or disabled: listed, but not readable.
                Some(v) if provider.capabilities().destroy_versions && v.readable => {
                    Err("retire: the retired version is still listed readable".into())
                }
                // A provider that cannot destroy one version must at least take
                // every stage away from it.
                Some(v) if !v.stages.is_empty() => {
                    Err("retire: the retired version still carries a stage".into())
                }
                _ => Ok(()),
            }
        })
        .await
    }

    /// `retire` of the current version is a conflict.
    pub async fn retire_refuses_the_current_version(&self) -> Result<(), Failure> {
        behaviour("retire_refuses_the_current_version", async {
            let (provider, path) = (self.provider, self.path.as_str());
            // A provider may give the promoted value a new id: ask which version is current.
            let current = step("describe after retire", provider.describe(path).await)?
                .version(Stage::Current)
                .map(|v| v.id.clone())
                .ok_or("no current version after retire")?;
            match provider.retire(path, &current).await {
                Err(e) if e.kind() == ErrorKind::Conflict => Ok(()),
                other => Err(format!(
                    "retire current: expected a conflict, got {other:?}"
                )),
            }
        })
        .await
    }

    /// A staged version is discarded (twice, the second time already gone):
    /// no pending version is left and the current value is unchanged.
    pub async fn discard_pending_leaves_current_unchanged(&self) -> Result<(), Failure> {
        behaviour("discard_pending_leaves_current_unchanged", async {
            let (provider, path) = (self.provider, self.path.as_str());
            let abandoned = step(
                "stage_pending (to discard)",
                provider
                    .stage_pending(path, "token-3", &value("four"), &BTreeMap::new())
                    .await,
            )?;
            twice("discard_pending", || {
                provider.discard_pending(path, &abandoned)
            })
            .await?;
            if step("describe after discard", provider.describe(path).await)?
                .version(Stage::Pending)
                .is_some()
            {
                return Err("discard_pending: the pending version is left".into());
            }
            if self
                .read("read current after discard", Stage::Current)
                .await?
                != "two"
            {
                return Err("discard_pending: the current value changed".into());
            }
            Ok(())
        })
        .await
    }

    /// `promote_with` what the caller holds (the workflow's path) and tags
    /// (twice): "five" is current, "two" previous, the tags merged when the
    /// provider has tags.
    pub async fn promote_with_the_held_value_merges_tags(&self) -> Result<(), Failure> {
        behaviour("promote_with_the_held_value_merges_tags", async {
            let (provider, path) = (self.provider, self.path.as_str());
            let five = value("five");
            let staged = step(
                "stage_pending (to promote with)",
                provider
                    .stage_pending(path, "token-4", &five, &BTreeMap::new())
                    .await,
            )?;
            let owner = tag("owner", "bob@example.com");
            twice("promote_with", || {
                provider.promote_with(
                    path,
                    &staged,
                    Promotion {
                        value: Some(&five),
                        tags: Some(&owner),
                    },
                )
            })
            .await?;
            let meta = step("describe after promote_with", provider.describe(path).await)?;
            if meta.version(Stage::Pending).is_some() {
                return Err("promote_with: a pending version is left".into());
            }
            if provider.capabilities().tags
                && meta.tags.get("owner").map(String::as_str) != Some("bob@example.com")
            {
                return Err("promote_with: the tags were not merged".into());
            }
            if self
                .read("read current after promote_with", Stage::Current)
                .await?
                != "five"
                || self
                    .read("read previous after promote_with", Stage::Previous)
                    .await?
                    != "two"
            {
                return Err("promote_with: current or previous is wrong".into());
            }
            Ok(())
        })
        .await
    }

    /// `set_tags` (twice) merges new tags into the existing ones.
    pub async fn set_tags_merges(&self) -> Result<(), Failure> {
        behaviour("set_tags_merges", async {
            let (provider, path) = (self.provider, self.path.as_str());
            let more = tag("workload", "api");
            twice("set_tags", || provider.set_tags(path, &more)).await?;
            let meta = step("describe after set_tags", provider.describe(path).await)?;
            if meta.tags.get("workload").map(String::as_str) != Some("api")
                || !meta.tags.contains_key("owner")
            {
                return Err("set_tags: tags were not merged".into());
            }
            Ok(())
        })
        .await
    }

    /// `set_enabled(false)` (twice): described disabled, unreadable, and a
    /// consumer is refused.
    pub async fn disable_refuses_readers_and_consumers(&self) -> Result<(), Failure> {
        behaviour("disable_refuses_readers_and_consumers", async {
            let (provider, path) = (self.provider, self.path.as_str());
            twice("disable", || provider.set_enabled(path, false)).await?;
            if step("describe after disable", provider.describe(path).await)?.enabled {
                return Err("set_enabled(false): still enabled".into());
            }
            if provider.read(path, Stage::Current).await.is_ok() {
                return Err("set_enabled(false): the value is still readable".into());
            }
            match step(
                "consumer_read after disable",
                provider.consumer_read(path).await,
            )? {
                ConsumerRead::Refused(_) => Ok(()),
                ConsumerRead::Served => {
                    Err("consumer_read: a consumer still reads the disabled secret".into())
                }
            }
        })
        .await
    }

    /// Reading a secret that does not exist is `not_found`.
    pub async fn a_missing_secret_is_not_found(&self) -> Result<(), Failure> {
        behaviour("a_missing_secret_is_not_found", async {
            match self
                .provider
                .read(&format!("{}/no-such-secret", self.prefix), Stage::Current)
                .await
            {
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
                other => Err(format!(
                    "read of a missing secret: expected not_found, got {other:?}"
                )),
            }
        })
        .await
    }
}

/// Runs every behaviour against `provider`, in order, on a new secret under
/// `prefix` (a path the suite may create secrets in).
pub async fn run_provider_suite(provider: &dyn Provider, prefix: &str) -> Result<(), Failure> {
    let suite = ProviderSuite::new(provider, prefix);
    suite.put_current_is_read_listed_and_described().await?;
    let pending = suite.stage_pending_is_idempotent_by_token().await?;
    suite
        .pending_is_invisible_to_readers_of_current(&pending)
        .await?;
    let previous = suite
        .promote_makes_pending_current_and_current_previous(&pending)
        .await?;
    suite
        .retire_takes_the_previous_version_away(&previous)
        .await?;
    suite.retire_refuses_the_current_version().await?;
    suite.discard_pending_leaves_current_unchanged().await?;
    suite.promote_with_the_held_value_merges_tags().await?;
    suite.set_tags_merges().await?;
    suite.disable_refuses_readers_and_consumers().await?;
    suite.a_missing_secret_is_not_found().await
}
