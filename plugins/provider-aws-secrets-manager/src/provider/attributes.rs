//! [`Attributes`]: disabling (Secrets Manager cannot disable a secret, so
//! it is scheduled for deletion with a recovery window, and enabling
//! restores it) and tags.

use std::collections::BTreeMap;

use tenure_plugin_api::{Attributes, PluginError, async_trait};

use super::AwsSecretsManagerProvider;
use super::rotation::tags_of;
use crate::budget::Family;
use crate::convert::error;

#[async_trait]
impl Attributes for AwsSecretsManagerProvider {
    async fn set_enabled(&self, path: &str, enabled: bool) -> Result<(), PluginError> {
        if !enabled {
            return self
                .delete_with_window(path, self.config.recovery_window_days)
                .await;
        }
        let (_, deleted) = self.head(path).await?;
        if !deleted {
            return Ok(());
        }
        self.restore(path).await
    }

    async fn set_tags(
        &self,
        path: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), PluginError> {
        self.tag(path, tags_of(tags)).await
    }
}

impl AwsSecretsManagerProvider {
    /// Cancels a scheduled deletion.
    pub(super) async fn restore(&self, path: &str) -> Result<(), PluginError> {
        self.budgets.acquire(Family::Write).await;
        self.client()
            .await
            .restore_secret()
            .secret_id(path)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error(&format!("restore {path}"), e))
    }

    /// Schedules deletion with a recovery window (AWS's way to disable).
    pub async fn delete_with_window(&self, path: &str, days: u16) -> Result<(), PluginError> {
        let (_, deleted) = self.head(path).await?;
        if deleted {
            return Ok(());
        }
        self.budgets.acquire(Family::Write).await;
        self.client()
            .await
            .delete_secret()
            .secret_id(path)
            .recovery_window_in_days(i64::from(days.clamp(7, 30)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error(&format!("schedule deletion of {path}"), e))
    }
}
