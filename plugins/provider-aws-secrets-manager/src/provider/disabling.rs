//! Disabling: Secrets Manager cannot disable a secret, so it is scheduled
//! for deletion with a recovery window, and enabling restores it.

use tenure_plugin_api::PluginError;

use super::AwsSecretsManagerProvider;
use crate::budget::Family;
use crate::convert::error;

impl AwsSecretsManagerProvider {
    /// [`Provider::set_enabled`](tenure_plugin_api::Provider::set_enabled).
    pub(super) async fn set_secret_enabled(
        &self,
        path: &str,
        enabled: bool,
    ) -> Result<(), PluginError> {
        if !enabled {
            return self
                .delete_with_window(path, self.config.recovery_window_days)
                .await;
        }
        let (_, deleted) = self.head(path).await?;
        if !deleted {
            return Ok(());
        }
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
