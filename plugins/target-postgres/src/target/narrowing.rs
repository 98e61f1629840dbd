//! Privilege helpers: the approved scopes, the roles whose privileges a
//! credential uses, and what they hold (from the catalog, see
//! [`crate::privileges`]).

use tenure_plugin_api::{DbCredential, PluginError};

use super::PostgresTarget;
use super::rotation::dual_names;
use crate::config::Strategy;
use crate::privileges::{Scope, held};

/// The approved scopes; approving a privilege with its grant option
/// approves the privilege too, so narrowing never takes it away.
pub(super) fn approved(scopes: &[String]) -> Vec<Scope> {
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
    pub(super) async fn held_by(
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
