//! Reading what an account holds, as [`Scope`]s, from `information_schema`
//! and the `mysql.*` grant tables.

use sqlx::Row;
use tenure_plugin_api::PluginError;

use super::MysqlTarget;
use super::connection::admin_error;
use crate::privileges::{Account, GRANT_OPTION, Level, RoutineKind, Scope};

impl MysqlTarget {
    /// Everything `user` holds, as scopes: global, database, table and
    /// column privileges with the grant option of each level (from
    /// `information_schema` and `mysql.tables_priv`), routine privileges
    /// (`mysql.procs_priv`), PROXY (`mysql.proxies_priv`) and granted roles
    /// with their admin option (`mysql.roles_mapping` on MariaDB,
    /// `mysql.role_edges` on MySQL). Sorted, without duplicates.
    pub(super) async fn held(&self, user: &str) -> Result<Vec<Scope>, PluginError> {
        let admin = self.admin().await?;
        let grantee = self.grantee(user);
        let host = &self.config.account_host;
        let mut scopes = Vec::new();

        // The grant option of the global and database levels shows as
        // IS_GRANTABLE, on a USAGE row when it is held alone.
        let rows = sqlx::query(
            "SELECT 'global' AS kind, NULL AS db, NULL AS tbl, NULL AS col, PRIVILEGE_TYPE, IS_GRANTABLE
               FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ?
             UNION ALL
             SELECT 'schema', TABLE_SCHEMA, NULL, NULL, PRIVILEGE_TYPE, IS_GRANTABLE
               FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ?
             UNION ALL
             SELECT 'table', TABLE_SCHEMA, TABLE_NAME, NULL, PRIVILEGE_TYPE, 'NO'
               FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ?
             UNION ALL
             SELECT 'column', TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, PRIVILEGE_TYPE, 'NO'
               FROM information_schema.COLUMN_PRIVILEGES WHERE GRANTEE = ?",
        )
        .bind(&grantee)
        .bind(&grantee)
        .bind(&grantee)
        .bind(&grantee)
        .fetch_all(&admin.pool)
        .await
        .map_err(admin_error)?;
        for row in rows {
            let kind: String = row.try_get(0).map_err(admin_error)?;
            let db: Option<String> = row.try_get(1).map_err(admin_error)?;
            let table: Option<String> = row.try_get(2).map_err(admin_error)?;
            let column: Option<String> = row.try_get(3).map_err(admin_error)?;
            let privilege: String = row.try_get(4).map_err(admin_error)?;
            let grantable: String = row.try_get(5).map_err(admin_error)?;
            let level = match (kind.as_str(), db, table) {
                ("global", _, _) => Level::Global,
                ("schema", Some(db), _) => Level::Database(db),
                ("table" | "column", Some(database), Some(table)) => {
                    Level::Table { database, table }
                }
                _ => {
                    return Err(PluginError::permanent(format!(
                        "unexpected {kind} privilege row"
                    )));
                }
            };
            if grantable == "YES" {
                scopes.push(Scope::Privilege {
                    privilege: GRANT_OPTION.to_owned(),
                    level: level.clone(),
                });
            }
            if privilege == "USAGE" {
                continue;
            }
            match (column, level) {
                (Some(column), Level::Table { database, table }) => scopes.push(Scope::Column {
                    privilege,
                    database,
                    table,
                    column,
                }),
                (_, level) => scopes.push(Scope::Privilege { privilege, level }),
            }
        }

        // The table level's grant option is in `Table_priv` (it may be
        // there with column privileges only); routines, PROXY and roles
        // have no `information_schema` view.
        // One text type and collation for every column, or the UNION fails.
        let t =
            |column: &str| format!("CONVERT({column} USING utf8mb4) COLLATE utf8mb4_general_ci");
        let roles = if admin.mariadb {
            format!(
                "SELECT 'role', {}, NULL, {}, NULL FROM mysql.roles_mapping WHERE User = ? AND Host = ?",
                t("Role"),
                t("Admin_option")
            )
        } else {
            format!(
                "SELECT 'role', {}, {}, {}, NULL FROM mysql.role_edges WHERE TO_USER = ? AND TO_HOST = ?",
                t("FROM_USER"),
                t("FROM_HOST"),
                t("WITH_ADMIN_OPTION")
            )
        };
        let query = format!(
            "SELECT 'table', {}, {}, NULL, NULL FROM mysql.tables_priv
               WHERE User = ? AND Host = ? AND FIND_IN_SET('Grant', Table_priv) > 0
             UNION ALL
             SELECT 'routine', {}, {}, {}, {} FROM mysql.procs_priv WHERE User = ? AND Host = ?
             UNION ALL
             SELECT 'proxy', {}, {}, IF(With_grant, 'Y', 'N'), NULL
               FROM mysql.proxies_priv WHERE User = ? AND Host = ?
             UNION ALL
             {roles}",
            t("Db"),
            t("Table_name"),
            t("Db"),
            t("Routine_name"),
            t("Routine_type"),
            t("Proc_priv"),
            t("Proxied_user"),
            t("Proxied_host"),
        );
        let mut rows = sqlx::query(&query);
        for _ in 0..4 {
            rows = rows.bind(user).bind(host);
        }
        let rows = rows.fetch_all(&admin.pool).await.map_err(admin_error)?;
        for row in rows {
            let kind: String = row.try_get(0).map_err(admin_error)?;
            let a: Option<String> = row.try_get(1).map_err(admin_error)?;
            let b: Option<String> = row.try_get(2).map_err(admin_error)?;
            let c: Option<String> = row.try_get(3).map_err(admin_error)?;
            let d: Option<String> = row.try_get(4).map_err(admin_error)?;
            let a = a.unwrap_or_default();
            match kind.as_str() {
                "table" => scopes.push(Scope::Privilege {
                    privilege: GRANT_OPTION.to_owned(),
                    level: Level::Table {
                        database: a,
                        table: b.unwrap_or_default(),
                    },
                }),
                "routine" => {
                    let routine_type = c.unwrap_or_default();
                    let kind = RoutineKind::from_catalog(&routine_type).ok_or_else(|| {
                        PluginError::permanent(format!("unknown routine type {routine_type:?}"))
                    })?;
                    let name = b.unwrap_or_default();
                    for privilege in d.unwrap_or_default().split(',').filter(|p| !p.is_empty()) {
                        let privilege = match privilege.to_ascii_uppercase() {
                            grant if grant == "GRANT" => GRANT_OPTION.to_owned(),
                            other => other,
                        };
                        scopes.push(Scope::Routine {
                            privilege,
                            kind,
                            database: a.clone(),
                            name: name.clone(),
                        });
                    }
                }
                "proxy" => {
                    let proxied = Account::new(a, b);
                    if c.as_deref() == Some("Y") {
                        scopes.push(Scope::ProxyGrant(proxied.clone()));
                    }
                    scopes.push(Scope::Proxy(proxied));
                }
                "role" => {
                    let role = Account::new(a, b);
                    if c.as_deref() == Some("Y") {
                        scopes.push(Scope::RoleAdmin(role.clone()));
                    }
                    scopes.push(Scope::Role(role));
                }
                other => {
                    return Err(PluginError::permanent(format!(
                        "unexpected {other} privilege row"
                    )));
                }
            }
        }
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }
}
