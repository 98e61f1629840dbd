//! Privileges: what the roles of a credential hold (from the catalog, see
//! [`crate::privileges`]), and narrowing it to the approved scopes; an
//! ownership is never taken away.

use tenure_plugin_api::{DbCredential, PluginError, SecretValue, TargetContext};

use super::PostgresTarget;
use super::rotation::dual_names;
use crate::config::Strategy;
use crate::privileges::{Scope, held};

/// The approved scopes; approving a privilege with its grant option
/// approves the privilege too, so narrowing never takes it away.
fn approved(scopes: &[String]) -> Vec<Scope> {
    let mut approved: Vec<Scope> = scopes.iter().filter_map(|s| s.parse().ok()).collect();
    let implied: Vec<Scope> = approved
        .iter()
        .filter_map(|scope| match scope {
            Scope::GrantOption(inner) => Some((**inner).clone()),
            _ => None,
        })
        .collect();
    approved.extend(implied);
    approved
}

impl PostgresTarget {
    /// [`Target::privileges`](tenure_plugin_api::Target::privileges).
    pub(super) async fn held_privileges(
        &self,
        current: &SecretValue,
    ) -> Result<Option<Vec<String>>, PluginError> {
        let credential = DbCredential::parse(current)?;
        let held = self.held_by(&credential).await?;
        Ok(Some(
            held.into_iter()
                .map(|(scope, _)| scope.to_string())
                .collect(),
        ))
    }

    /// [`Target::narrow`](tenure_plugin_api::Target::narrow).
    pub(super) async fn narrow_roles(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<tenure_plugin_api::NarrowReport, PluginError> {
        let credential = DbCredential::parse(current)?;
        let approved = approved(ctx.scopes);
        let mut report = tenure_plugin_api::NarrowReport::default();
        let mut kept_ownership = Vec::new();
        for (scope, holder) in self.held_by(&credential).await? {
            if approved.contains(&scope) {
                report.remaining.push(scope.to_string());
                continue;
            }
            // A grant option held on an approved privilege: only the option
            // goes; on an unapproved one, the privilege goes with it.
            let (kept, revoked) = match &scope {
                Scope::GrantOption(inner) if approved.contains(inner) => {
                    (Some(inner.to_string()), &scope)
                }
                Scope::GrantOption(inner) => (None, &**inner),
                _ => (None, &scope),
            };
            match revoked.revoke_statement(&holder) {
                Some(statement) => {
                    self.execute(&statement).await?;
                    report.removed.push(scope.to_string());
                    report.remaining.extend(kept);
                }
                None => kept_ownership.push(scope.to_string()),
            }
        }
        if !kept_ownership.is_empty() {
            return Err(PluginError::permanent(format!(
                "{} holds {kept_ownership:?}, which no scope approves; Tenure never takes ownership away (transfer it with ALTER ... OWNER TO, or approve it as a scope); removed meanwhile: {:?}",
                credential.username, report.removed
            )));
        }
        Ok(report)
    }

    /// The roles whose privileges a credential exercises: the login role, and
    /// for the dual strategy the group role both logins belong to.
    fn holders(&self, credential: &DbCredential) -> Vec<String> {
        match self.config.strategy {
            Strategy::Single => vec![credential.username.clone()],
            Strategy::Dual => {
                let (base, _) = dual_names(&credential.username);
                if base == credential.username {
                    vec![base]
                } else {
                    vec![credential.username.clone(), base]
                }
            }
        }
    }

    /// Every scope held, with the role that holds it (one catalog query);
    /// the dual pair's own membership in its group is structural, not a
    /// privilege.
    async fn held_by(
        &self,
        credential: &DbCredential,
    ) -> Result<Vec<(Scope, String)>, PluginError> {
        let admin = self.admin().await?;
        let holders = self.holders(credential);
        let mut all = held(&admin.pool, &holders).await?;
        let structural = |scope: &Scope| match scope {
            Scope::Member { role } => holders.contains(role),
            Scope::GrantOption(inner) => {
                matches!(&**inner, Scope::Member { role } if holders.contains(role))
            }
            _ => false,
        };
        all.retain(|(scope, _)| !structural(scope));
        Ok(all)
    }
}
