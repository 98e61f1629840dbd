//! [`Reads`]: a stage read through the secret's metadata, a version by
//! number or the staged value of a pending one, and a read as a consumer
//! makes it, to see whether a disabled secret is still served.

use tenure_plugin_api::{
    Catalog, ConsumerRead, ErrorKind, PluginError, Reads, SecretValue, Stage, VersionId,
    async_trait,
};

use super::VaultProvider;
use crate::convert::from_map;

#[async_trait]
impl Reads for VaultProvider {
    async fn read(&self, path: &str, stage: Stage) -> Result<SecretValue, PluginError> {
        let meta = self.describe(path).await?;
        if !meta.enabled {
            return Err(PluginError::permanent(format!("secret {path} is disabled")));
        }
        let version = meta.version(stage).map(|v| v.id.clone()).ok_or_else(|| {
            PluginError::not_found(format!("{} version of {path}", stage.as_str()))
        })?;
        self.read_version(path, &version).await
    }

    /// A numbered version, or the staged value of a pending one.
    async fn read_version(
        &self,
        path: &str,
        version: &VersionId,
    ) -> Result<SecretValue, PluginError> {
        let map = match Self::token_of(version) {
            Some(token) => self.read_map(&self.staged(path, token), None).await?,
            None => {
                let n = version
                    .0
                    .parse()
                    .map_err(|_| PluginError::not_found(format!("version {version} of {path}")))?;
                self.read_map(path, Some(n)).await?
            }
        };
        Ok(from_map(map))
    }

    /// The latest KV version read directly, as a consumer reads it: the
    /// `tenure_disabled` flag is Tenure's own bookkeeping, and someone may
    /// have undeleted the version behind it.
    async fn consumer_read(&self, path: &str) -> Result<ConsumerRead, PluginError> {
        match self.read_map(path, None).await {
            Ok(_) => Ok(ConsumerRead::Served),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(ConsumerRead::Refused(
                "KV serves no latest version (deleted or destroyed: 404)".to_owned(),
            )),
            Err(e) if e.kind() == ErrorKind::Retryable => Err(e),
            Err(e) => Ok(ConsumerRead::Refused(format!(
                "KV refused the read ({})",
                e.kind()
            ))),
        }
    }
}
