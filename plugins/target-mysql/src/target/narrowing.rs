//! Narrowing: revoking what the record does not approve, one scope at a
//! time, granting back whatever approved a revoke took with it, and
//! checking the result.

use std::collections::BTreeSet;

use tenure_plugin_api::{DbCredential, NarrowReport, PluginError, SecretValue, TargetContext};

use super::MysqlTarget;
use super::connection::{admin_error, number};
use crate::privileges::{Account, Scope};

impl MysqlTarget {
    /// [`Target::narrow`](tenure_plugin_api::Target::narrow).
    pub(super) async fn narrow_account(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<NarrowReport, PluginError> {
        let credential = DbCredential::parse(current)?;
        let user = &credential.username;
        let account = self.account(user);
        let mariadb = self.admin().await?.mariadb;
        let approved: BTreeSet<Scope> = ctx.scopes.iter().filter_map(|s| s.parse().ok()).collect();
        // An admin option is approved only with its role, PROXY's grant
        // option only with PROXY: neither can be held alone.
        let approved: BTreeSet<Scope> = approved
            .iter()
            .filter(|s| s.requires().is_none_or(|r| approved.contains(&r)))
            .cloned()
            .collect();

        let before = self.held(user).await?;
        let mut after = before.clone();
        // A second round takes what a restore brought with it (MariaDB
        // grants the global grant option with `PROXY ... WITH GRANT
        // OPTION`); a third is never needed, and what is still wrong then
        // is an error below.
        for _ in 0..2 {
            let excess: Vec<&Scope> = after.iter().filter(|s| !approved.contains(*s)).collect();
            if excess.is_empty() {
                break;
            }
            let mut order = excess.clone();
            order.sort_by_key(|s| revoke_rank(s));
            for scope in order {
                // Revoking the role (or PROXY) takes its option with it.
                if scope.requires().is_some_and(|r| excess.contains(&&r)) {
                    continue;
                }
                self.revoke_scope(scope, &account).await?;
            }
            after = self.held(user).await?;
            // A table privilege's revoke also takes that privilege on the
            // table's columns; MySQL revokes an admin option with its role
            // and either server PROXY's grant option with PROXY. Whatever
            // approved went with them is granted back, exactly as it was.
            let lost: Vec<&Scope> = before
                .iter()
                .filter(|s| approved.contains(*s) && !after.contains(s))
                .collect();
            if lost.is_empty() {
                continue;
            }
            for scope in &lost {
                if scope.requires().is_some_and(|r| lost.contains(&&r)) {
                    continue;
                }
                let option = match scope {
                    Scope::Role(role) => Some(Scope::RoleAdmin(role.clone())),
                    Scope::Proxy(proxied) => Some(Scope::ProxyGrant(proxied.clone())),
                    _ => None,
                };
                let with_option = option.as_ref().is_some_and(|o| lost.contains(&o));
                self.execute(&scope.grant_statement(&account, mariadb, with_option))
                    .await
                    .map_err(|e| {
                        e.context(format!("restoring approved {scope}, which a revoke took"))
                    })?;
            }
            after = self.held(user).await?;
        }
        if let Some(extra) = after.iter().find(|s| !approved.contains(*s)) {
            return Err(PluginError::permanent(format!(
                "narrowing left {extra}, which is not approved"
            )));
        }
        if let Some(missing) = before
            .iter()
            .find(|s| approved.contains(*s) && !after.contains(s))
        {
            return Err(PluginError::permanent(format!(
                "narrowing lost approved {missing}"
            )));
        }
        // A default role the account no longer holds would come back with
        // the role if it were ever granted again: it goes too.
        if mariadb
            && let Some(role) = self.default_role(user).await?
            && !after.contains(&Scope::Role(Account::new(role.clone(), None)))
        {
            self.execute(&format!("SET DEFAULT ROLE NONE FOR {account}"))
                .await?;
            tracing::info!(role = %role, "Cleared a default role the account no longer holds.");
        }
        Ok(NarrowReport {
            removed: before
                .iter()
                .filter(|s| !after.contains(s))
                .map(ToString::to_string)
                .collect(),
            remaining: after.iter().map(ToString::to_string).collect(),
        })
    }

    /// MariaDB's default role of `user`, if one is set.
    async fn default_role(&self, user: &str) -> Result<Option<String>, PluginError> {
        let admin = self.admin().await?;
        let role: Option<Option<String>> = sqlx::query_scalar(
            "SELECT CONVERT(JSON_VALUE(Priv, '$.default_role') USING utf8mb4)
               FROM mysql.global_priv WHERE User = ? AND Host = ?",
        )
        .bind(user)
        .bind(&self.config.account_host)
        .fetch_optional(&admin.pool)
        .await
        .map_err(admin_error)?;
        Ok(role.flatten().filter(|r| !r.is_empty()))
    }

    /// Runs one scope's revoke. A grant that is already gone (revoked with
    /// another one, or meanwhile) is success.
    async fn revoke_scope(&self, scope: &Scope, account: &str) -> Result<(), PluginError> {
        let admin = self.admin().await?;
        let statement = scope.revoke_statement(account, admin.mariadb);
        match sqlx::raw_sql(&statement).execute(&admin.pool).await {
            Ok(_) => Ok(()),
            // No such grant (global/database, table/column, routine, role).
            Err(err) if matches!(number(&err), Some(1141 | 1147 | 1403 | 1962)) => Ok(()),
            Err(err) => {
                let err = admin_error(err);
                let needs = match scope {
                    _ if err.kind() != tenure_plugin_api::ErrorKind::Unauthorized => "",
                    Scope::Role(_) | Scope::RoleAdmin(_) => {
                        " (the admin account needs the role WITH ADMIN OPTION)"
                    }
                    Scope::Proxy(_) | Scope::ProxyGrant(_) => {
                        " (the admin account needs PROXY on that user, or on ''@'%', WITH GRANT OPTION)"
                    }
                    _ => "",
                };
                Err(err.context(format!("revoking {scope}{needs}")))
            }
        }
    }
}

/// The order of revokes: column privileges before their table's, options
/// before what they belong to.
fn revoke_rank(scope: &Scope) -> u8 {
    match scope {
        Scope::Column { .. } => 0,
        Scope::Routine { .. } => 1,
        Scope::Privilege { .. } => 2,
        Scope::RoleAdmin(_) => 3,
        Scope::Role(_) => 4,
        Scope::ProxyGrant(_) => 5,
        Scope::Proxy(_) => 6,
    }
}
