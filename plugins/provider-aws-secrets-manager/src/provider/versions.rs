//! A secret's versions and their staging labels: listing them, moving a
//! label, and [`Reads`]: a value read by label or by version.

use chrono::Utc;
use tenure_plugin_api::{PluginError, Reads, SecretValue, Stage, VersionId, async_trait};

use super::AwsSecretsManagerProvider;
use crate::budget::Family;
use crate::convert::{error, time};

pub(super) const CURRENT: &str = "AWSCURRENT";
pub(super) const PENDING: &str = "AWSPENDING";
pub(super) const PREVIOUS: &str = "AWSPREVIOUS";

/// One version as the label map shows it.
pub(super) struct Version {
    pub(super) id: String,
    pub(super) stages: Vec<String>,
    pub(super) created: Option<chrono::DateTime<Utc>>,
}

fn stage_label(stage: Stage) -> &'static str {
    match stage {
        Stage::Current => CURRENT,
        Stage::Pending => PENDING,
        Stage::Previous => PREVIOUS,
    }
}

#[async_trait]
impl Reads for AwsSecretsManagerProvider {
    async fn read(&self, path: &str, stage: Stage) -> Result<SecretValue, PluginError> {
        // Always an explicit stage: a read without one may lag a promotion.
        self.get_value(path, Some(stage_label(stage)), None).await
    }

    async fn read_version(
        &self,
        path: &str,
        version: &VersionId,
    ) -> Result<SecretValue, PluginError> {
        self.get_value(path, None, Some(&version.0)).await
    }
}

impl AwsSecretsManagerProvider {
    /// Every version with its labels and creation time.
    pub(super) async fn versions(&self, path: &str) -> Result<Vec<Version>, PluginError> {
        let client = self.client().await;
        let mut versions = Vec::new();
        let mut next: Option<String> = None;
        loop {
            self.budgets.acquire(Family::List).await;
            let page = client
                .list_secret_version_ids()
                .secret_id(path)
                .max_results(100)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| error(&format!("list versions of {path}"), e))?;
            versions.extend(page.versions().iter().filter_map(|v| {
                Some(Version {
                    id: v.version_id()?.to_owned(),
                    stages: v.version_stages().to_vec(),
                    created: v.created_date().and_then(time),
                })
            }));
            match page.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_owned()),
                _ => return Ok(versions),
            }
        }
    }

    /// The version carrying `label`, if any.
    pub(super) async fn labelled(
        &self,
        path: &str,
        label: &str,
    ) -> Result<Option<String>, PluginError> {
        Ok(self
            .versions(path)
            .await?
            .into_iter()
            .find(|v| v.stages.iter().any(|s| s == label))
            .map(|v| v.id))
    }

    /// Moves `label` onto `to` and/or off `from`.
    pub(super) async fn move_label(
        &self,
        path: &str,
        label: &str,
        to: Option<&str>,
        from: Option<&str>,
    ) -> Result<(), PluginError> {
        self.budgets.acquire(Family::Write).await;
        self.client()
            .await
            .update_secret_version_stage()
            .secret_id(path)
            .version_stage(label)
            .set_move_to_version_id(to.map(str::to_owned))
            .set_remove_from_version_id(from.map(str::to_owned))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error(&format!("move {label} of {path}"), e))
    }

    /// The value of the version carrying `stage`, or of `version`.
    async fn get_value(
        &self,
        path: &str,
        stage: Option<&str>,
        version: Option<&str>,
    ) -> Result<SecretValue, PluginError> {
        self.budgets.acquire(Family::Read).await;
        let mut out = self
            .client()
            .await
            .get_secret_value()
            .secret_id(path)
            .set_version_stage(stage.map(str::to_owned))
            .set_version_id(version.map(str::to_owned))
            .send()
            .await
            .map_err(|e| error(&format!("read {path}"), e))?;
        match out.secret_string.take() {
            Some(text) => Ok(SecretValue::new(text)),
            None => Err(PluginError::permanent(format!(
                "{path} holds a binary value; Tenure rotates string secrets"
            ))),
        }
    }
}
