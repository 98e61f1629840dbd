//! [`MysqlTarget`]: the [`Target`] trait over MySQL / MariaDB accounts.

use std::collections::BTreeSet;
use std::str::FromStr;

use sha1::{Digest, Sha1};
use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError, MySqlPool, MySqlPoolOptions};
use sqlx::{ConnectOptions, Connection, MySqlConnection, Row};
use tenure_plugin_api::{
    DbCredential, LoginOutcome, LoginState, NarrowReport, PluginError, Proof, SecretValue, Target,
    TargetCapabilities, TargetContext, async_trait,
};
use tokio::sync::OnceCell;

use crate::config::{MysqlConfig, RevokeMode};
use crate::privileges::{Account, GRANT_OPTION, Level, RoutineKind, Scope, literal};

struct Admin {
    pool: MySqlPool,
    options: MySqlConnectOptions,
    mariadb: bool,
    /// The admin URL's TLS settings, carried into every login.
    tls: Tls,
}

/// `ssl-mode` and `ssl-ca` as the admin URL sets them.
#[derive(Debug, Clone)]
struct Tls {
    mode: sqlx::mysql::MySqlSslMode,
    ca: Option<std::path::PathBuf>,
}

impl Tls {
    /// The TLS settings of `url` (sqlx reads the mode; the CA file it does
    /// not give back, so it is read from the URL here).
    fn of(url: &str, options: &MySqlConnectOptions) -> Self {
        let ca = url::Url::parse(url).ok().and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "ssl-ca" || k == "sslca")
                .map(|(_, v)| std::path::PathBuf::from(v.into_owned()))
        });
        Self {
            mode: options.get_ssl_mode(),
            ca,
        }
    }

    fn apply(&self, options: MySqlConnectOptions) -> MySqlConnectOptions {
        let options = options.ssl_mode(self.mode);
        match &self.ca {
            Some(ca) => options.ssl_ca(ca),
            None => options,
        }
    }
}

/// The mysql target.
pub struct MysqlTarget {
    name: String,
    config: MysqlConfig,
    admin: OnceCell<Admin>,
}

impl std::fmt::Debug for MysqlTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MysqlTarget")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

enum Login {
    Accepted(String),
    Refused(u16, String),
}

fn number(err: &sqlx::Error) -> Option<u16> {
    match err {
        sqlx::Error::Database(e) => e
            .try_downcast_ref::<MySqlDatabaseError>()
            .map(MySqlDatabaseError::number),
        _ => None,
    }
}

fn admin_error(err: sqlx::Error) -> PluginError {
    match (&err, number(&err)) {
        (_, Some(1044 | 1045 | 1227 | 1142 | 1698)) => {
            PluginError::unauthorized(format!("admin: {err}"))
        }
        (sqlx::Error::Database(_), _) => PluginError::permanent(format!("statement failed: {err}")),
        _ => PluginError::retryable(format!("admin connection: {err}")),
    }
}

/// `(User, 'Y' | 'N')` for every account (not role) of one host (`?`):
/// MariaDB keeps the lock in `mysql.global_priv`'s JSON, MySQL in a column.
fn locked_query(mariadb: bool) -> &'static str {
    if mariadb {
        "SELECT CONVERT(User USING utf8mb4), IF(JSON_VALUE(Priv, '$.account_locked') IN ('1', 'true'), 'Y', 'N')
         FROM mysql.global_priv
         WHERE Host = ? AND COALESCE(JSON_VALUE(Priv, '$.is_role'), 'false') NOT IN ('1', 'true')"
    } else {
        "SELECT CONVERT(User USING utf8mb4), CONVERT(account_locked USING utf8mb4) FROM mysql.user WHERE Host = ?"
    }
}

/// Adds `NO_BACKSLASH_ESCAPES` to a session's `sql_mode`, so that
/// [`literal`] is the only quoting rule.
const NO_BACKSLASH_ESCAPES: &str =
    "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'NO_BACKSLASH_ESCAPES')";

/// The `mysql_native_password` hash: `*` + upper-case hex of SHA1(SHA1(password)).
fn native_hash(password: &str) -> String {
    let inner = Sha1::digest(password.as_bytes());
    format!("*{}", hex::encode_upper(Sha1::digest(inner)))
}

impl MysqlTarget {
    /// A target named `name`. Connects lazily, on first use.
    pub fn new(name: impl Into<String>, config: MysqlConfig) -> Self {
        Self {
            name: name.into(),
            config,
            admin: OnceCell::new(),
        }
    }

    fn account(&self, user: &str) -> String {
        format!("{}@{}", literal(user), literal(&self.config.account_host))
    }

    fn grantee(&self, user: &str) -> String {
        format!("'{user}'@'{}'", self.config.account_host)
    }

    async fn admin(&self) -> Result<&Admin, PluginError> {
        self.admin
            .get_or_try_init(|| async {
                let url = self
                    .config
                    .admin_url
                    .resolve()
                    .map_err(|e| PluginError::permanent(format!("admin_url: {e}")))?;
                let options = MySqlConnectOptions::from_str(url.expose())
                    .map_err(|_| PluginError::permanent("admin_url is not a valid mysql:// URL"))?
                    .disable_statement_logging();
                let pool = MySqlPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(self.config.connect_timeout)
                    .after_connect(|connection, _| {
                        Box::pin(async move {
                            sqlx::Executor::execute(connection, NO_BACKSLASH_ESCAPES).await?;
                            Ok(())
                        })
                    })
                    .connect_with(options.clone())
                    .await
                    .map_err(admin_error)?;
                let version: String = sqlx::query_scalar("SELECT VERSION()")
                    .fetch_one(&pool)
                    .await
                    .map_err(admin_error)?;
                Ok(Admin {
                    tls: Tls::of(url.expose(), &options),
                    pool,
                    options,
                    mariadb: version.contains("MariaDB"),
                })
            })
            .await
    }

    async fn execute(&self, statement: &str) -> Result<(), PluginError> {
        let admin = self.admin().await?;
        sqlx::raw_sql(statement)
            .execute(&admin.pool)
            .await
            .map_err(admin_error)?;
        Ok(())
    }

    async fn exists(&self, user: &str) -> Result<bool, PluginError> {
        let admin = self.admin().await?;
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?")
                .bind(user)
                .bind(&self.config.account_host)
                .fetch_optional(&admin.pool)
                .await
                .map_err(admin_error)?;
        Ok(found.is_some())
    }

    async fn set_password(&self, user: &str, password: &SecretValue) -> Result<(), PluginError> {
        let admin = self.admin().await?;
        let statement = if admin.mariadb {
            format!(
                "ALTER USER {} IDENTIFIED BY PASSWORD {}",
                self.account(user),
                literal(&native_hash(password.expose()))
            )
        } else {
            format!(
                "ALTER USER {} IDENTIFIED BY {}",
                self.account(user),
                literal(password.expose())
            )
        };
        self.execute(&statement).await
    }

    async fn kill_connections(&self, user: &str) -> Result<(), PluginError> {
        let admin = self.admin().await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(ID AS CHAR) FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()",
        )
        .bind(user)
        .fetch_all(&admin.pool)
        .await
        .map_err(admin_error)?;
        let ids: Vec<u64> = ids
            .iter()
            .map(|id| {
                id.parse()
                    .map_err(|_| PluginError::permanent(format!("unexpected connection id {id:?}")))
            })
            .collect::<Result<_, _>>()?;
        for id in ids {
            // A connection that ended meanwhile is already gone (error 1094).
            match sqlx::raw_sql(&format!("KILL CONNECTION {id}"))
                .execute(&admin.pool)
                .await
            {
                Err(err) if number(&err) == Some(1094) => {}
                other => {
                    other.map_err(admin_error)?;
                }
            }
        }
        Ok(())
    }

    async fn login(&self, credential: &DbCredential) -> Result<Login, PluginError> {
        let admin = self.admin().await?;
        // Exactly what the secret holds: the admin's database is not the account's.
        let mut options = MySqlConnectOptions::new()
            .host(
                credential
                    .host
                    .as_deref()
                    .unwrap_or(admin.options.get_host()),
            )
            .port(credential.port.unwrap_or(admin.options.get_port()))
            .username(&credential.username)
            .password(credential.password.expose())
            .disable_statement_logging();
        // The admin URL's TLS settings: the login is as protected as the admin.
        options = admin.tls.apply(options);
        if let Some(dbname) = &credential.dbname {
            options = options.database(dbname);
        }
        let attempt = async {
            let mut connection = MySqlConnection::connect_with(&options).await?;
            // Without arguments: the text protocol, one round trip, nothing to prepare.
            let row = sqlx::Executor::fetch_one(&mut connection, "SELECT CURRENT_USER()").await?;
            let user: String = row.try_get(0)?;
            let _ = connection.close().await;
            Ok::<_, sqlx::Error>(user)
        };
        match tokio::time::timeout(self.config.connect_timeout, attempt).await {
            Err(_) => Err(PluginError::retryable("login attempt timed out")),
            Ok(Ok(user)) => Ok(Login::Accepted(user)),
            Ok(Err(err)) => match number(&err) {
                // Access denied, account locked, password expired.
                Some(code @ (1045 | 1698 | 3118 | 4151 | 1862)) => {
                    let message = match &err {
                        sqlx::Error::Database(e) => e.message().to_owned(),
                        other => other.to_string(),
                    };
                    Ok(Login::Refused(code, message))
                }
                Some(_) => Err(PluginError::permanent(format!("login failed: {err}"))),
                None => Err(PluginError::retryable(format!("login failed: {err}"))),
            },
        }
    }

    /// Everything `user` holds, as scopes: global, database, table and
    /// column privileges with the grant option of each level (from
    /// `information_schema` and `mysql.tables_priv`), routine privileges
    /// (`mysql.procs_priv`), PROXY (`mysql.proxies_priv`) and granted roles
    /// with their admin option (`mysql.roles_mapping` on MariaDB,
    /// `mysql.role_edges` on MySQL). Sorted, without duplicates.
    async fn held(&self, user: &str) -> Result<Vec<Scope>, PluginError> {
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

    /// Locks `user` and ends its connections. Already gone is success.
    async fn lock(&self, user: &str) -> Result<(), PluginError> {
        if self.exists(user).await? {
            self.execute(&format!("ALTER USER {} ACCOUNT LOCK", self.account(user)))
                .await?;
        }
        self.kill_connections(user).await
    }

    /// The admin connection's own user name.
    async fn admin_user(&self) -> Result<String, PluginError> {
        let admin = self.admin().await?;
        let current: String = sqlx::query_scalar("SELECT CURRENT_USER()")
            .fetch_one(&admin.pool)
            .await
            .map_err(admin_error)?;
        Ok(current
            .rsplit_once('@')
            .map_or(current.clone(), |(user, _)| user.to_owned()))
    }
}

#[async_trait]
impl Target for MysqlTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> TargetCapabilities {
        <crate::Plugin as tenure_plugin_api::TargetPlugin>::capabilities(&self.config)
    }

    async fn issue(
        &self,
        _ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
    ) -> Result<SecretValue, PluginError> {
        let current = DbCredential::from_current(current)?;
        let password = DbCredential::fresh_password(self.config.password_length)?;
        Ok(current
            .with_login(current.username.clone(), password)
            .to_value())
    }

    async fn apply(
        &self,
        _ctx: TargetContext<'_>,
        _current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        let pending = DbCredential::parse(pending)?;
        if !self.exists(&pending.username).await? {
            return Err(PluginError::not_found(format!(
                "account {} does not exist",
                self.grantee(&pending.username)
            )));
        }
        self.set_password(&pending.username, &pending.password)
            .await
    }

    async fn rollback(
        &self,
        _ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        let pending = DbCredential::parse(pending)?;
        match current.map(DbCredential::parse).transpose()? {
            Some(current) => {
                self.set_password(&current.username, &current.password)
                    .await
            }
            None => {
                self.execute(&format!(
                    "ALTER USER {} ACCOUNT LOCK",
                    self.account(&pending.username)
                ))
                .await
            }
        }
    }

    async fn retire(
        &self,
        _ctx: TargetContext<'_>,
        _previous: &SecretValue,
        _current: &SecretValue,
    ) -> Result<(), PluginError> {
        // One account, one password: the old one stopped working when the new one was set.
        Ok(())
    }

    async fn privileges(
        &self,
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<Option<Vec<String>>, PluginError> {
        let credential = DbCredential::parse(current)?;
        Ok(Some(
            self.held(&credential.username)
                .await?
                .iter()
                .map(ToString::to_string)
                .collect(),
        ))
    }

    async fn narrow(
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

    async fn revoke(
        &self,
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        let credential = DbCredential::parse(current)?;
        match self.config.revoke {
            RevokeMode::Lock => self.lock(&credential.username).await,
            RevokeMode::Drop => {
                if self.exists(&credential.username).await? {
                    self.execute(&format!(
                        "DROP USER IF EXISTS {}",
                        self.account(&credential.username)
                    ))
                    .await?;
                }
                self.kill_connections(&credential.username).await
            }
        }
    }

    async fn try_login(
        &self,
        _ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<LoginOutcome, PluginError> {
        let credential = DbCredential::parse(value)?;
        Ok(match self.login(&credential).await? {
            Login::Accepted(user) => LoginOutcome::Accepted(Proof::new(
                "login",
                format!("a fresh connection logged in as {user}"),
            )),
            Login::Refused(code, message) => LoginOutcome::Refused(Proof::new(
                "login",
                format!("refused with error {code}: {message}"),
            )),
        })
    }

    fn account(&self, value: &SecretValue) -> Result<Option<String>, PluginError> {
        Ok(Some(DbCredential::parse(value)?.username))
    }

    fn logins(&self, value: &SecretValue) -> Result<Vec<String>, PluginError> {
        Ok(vec![DbCredential::parse(value)?.username])
    }

    async fn login_states(
        &self,
        _ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<Vec<LoginState>, PluginError> {
        let admin = self.admin().await?;
        let kept = DbCredential::username_of(except)?;
        let rows = sqlx::query(locked_query(admin.mariadb))
            .bind(&self.config.account_host)
            .fetch_all(&admin.pool)
            .await
            .map_err(admin_error)?;
        let mut locked = std::collections::HashMap::new();
        for row in rows {
            let user: String = row.try_get(0).map_err(admin_error)?;
            let flag: String = row.try_get(1).map_err(admin_error)?;
            locked.insert(user, flag);
        }
        Ok(logins
            .iter()
            .map(|login| {
                let (enabled, detail) = match locked.get(login).map(String::as_str) {
                    None => (false, "absent".to_owned()),
                    // One password per account: the current one is the only one.
                    Some("N") if kept.as_deref() == Some(login.as_str()) => (
                        false,
                        "account_locked=N, with the current credential only".to_owned(),
                    ),
                    Some(flag) => (flag != "Y", format!("account_locked={flag}")),
                };
                LoginState {
                    login: login.clone(),
                    enabled,
                    detail,
                }
            })
            .collect())
    }

    async fn disable_logins(
        &self,
        _ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<(), PluginError> {
        let kept = DbCredential::username_of(except)?;
        for user in logins {
            if kept.as_deref() != Some(user.as_str()) {
                self.lock(user).await?;
            }
        }
        Ok(())
    }

    async fn list_logins(&self) -> Result<Vec<String>, PluginError> {
        let admin = self.admin().await?;
        let own = self.admin_user().await?;
        // Unlocked accounts of the managed host, without the server's own
        // (root, mariadb.sys, mysql.*, PUBLIC) and the admin's.
        let rows = sqlx::query(locked_query(admin.mariadb))
            .bind(&self.config.account_host)
            .fetch_all(&admin.pool)
            .await
            .map_err(admin_error)?;
        let system = [
            "",
            "root",
            "mariadb.sys",
            "mysql.sys",
            "mysql.session",
            "mysql.infoschema",
            "PUBLIC",
        ];
        let mut users = Vec::new();
        for row in rows {
            let user: String = row.try_get(0).map_err(admin_error)?;
            let locked: String = row.try_get(1).map_err(admin_error)?;
            if locked == "N" && user != own && !system.contains(&user.as_str()) {
                users.push(user);
            }
        }
        users.sort();
        Ok(users)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_urls_tls_settings_carry_into_logins() {
        let url = "mysql://admin:pw@db.example:3306/mysql?ssl-mode=VERIFY_IDENTITY&ssl-ca=/etc/tenure/ca.pem";
        let options = MySqlConnectOptions::from_str(url).expect("url");
        let tls = Tls::of(url, &options);
        assert!(matches!(
            tls.mode,
            sqlx::mysql::MySqlSslMode::VerifyIdentity
        ));
        assert_eq!(tls.ca, Some(std::path::PathBuf::from("/etc/tenure/ca.pem")));
        let login = tls.apply(MySqlConnectOptions::new().host("other.example"));
        assert!(matches!(
            login.get_ssl_mode(),
            sqlx::mysql::MySqlSslMode::VerifyIdentity
        ));
    }

    #[test]
    fn native_hash_matches_the_server_format() {
        // SELECT PASSWORD('password') on MariaDB gives this value.
        assert_eq!(
            native_hash("password"),
            "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
        );
        // Safe under NO_BACKSLASH_ESCAPES, which the admin session sets.
        assert_eq!(literal("it's \\"), "'it''s \\'");
        assert_eq!(literal("a\\' OR '1'='1"), "'a\\'' OR ''1''=''1'");
    }
}
