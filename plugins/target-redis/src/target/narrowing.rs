//! Narrowing helpers: reading a user's ACL and setting it, with `ACL
//! DRYRUN` proof that no deny rule lost its effect.

use tenure_plugin_api::PluginError;

use super::RedisTarget;
use super::connection::redis_error;
use crate::acl::Acl;
use crate::dryrun;

impl RedisTarget {
    /// The user's ACL; a user that does not exist is not found.
    pub(super) async fn acl_of(&self, user: &str) -> Result<Acl, PluginError> {
        let reply = self
            .get_user(user)
            .await?
            .ok_or_else(|| PluginError::not_found(format!("ACL user {user} does not exist")))?;
        Ok(Acl::parse(&reply))
    }

    /// Replaces the user's rules with `after`, and proves with `ACL DRYRUN`
    /// that every command a deny rule refused under `before` is still
    /// refused; if one is not, `before` is put back and the narrowing fails.
    pub(super) async fn set_acl(
        &self,
        user: &str,
        after: &Acl,
        before: &Acl,
    ) -> Result<(), PluginError> {
        let mut connection = self.admin().await?.connection.clone();
        let denials: Vec<String> = before.denials().map(str::to_owned).collect();
        let probes = dryrun::denied(&mut connection, &denials)
            .await
            .map_err(|e| redis_error("COMMAND INFO", e))?;
        let refused_before = dryrun::refused(&mut connection, user, &probes)
            .await
            .map_err(|e| redis_error("ACL DRYRUN", e))?;
        let setuser = |acl: &Acl| {
            let mut args = vec!["SETUSER".to_owned(), user.to_owned()];
            args.extend(acl.setuser_rules());
            args
        };
        let args = setuser(after);
        self.acl(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .await?;
        let refused_after = dryrun::refused(&mut connection, user, &probes)
            .await
            .map_err(|e| redis_error("ACL DRYRUN", e))?;
        let widened: Vec<&str> = probes
            .iter()
            .zip(refused_before.iter().zip(&refused_after))
            .filter(|(_, (before, after))| **before && !**after)
            .map(|(probe, _)| probe.command.as_str())
            .collect();
        if widened.is_empty() {
            return Ok(());
        }
        let args = setuser(before);
        self.acl(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .await?;
        Err(PluginError::permanent(format!(
            "narrowing ACL user {user} would have allowed {widened:?}, which its deny rules refused; its previous rules are restored"
        )))
    }
}
