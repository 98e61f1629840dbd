//! Narrowing: column and routine privileges, roles, admin and grant
//! options, and PROXY grants are seen, and only the unapproved ones cut.

use std::str::FromStr;

use sqlx::mysql::{MySqlConnectOptions, MySqlPool};
use sqlx::{Connection, MySqlConnection};
use tenure_plugin_api::{SecretAddress, SecretSource, Target, TargetContext};
use tenure_target_mysql::{MysqlConfig, MysqlTarget, RevokeMode};

use super::{admin_url, credential, target, unique, user_options};

async fn run_all(pool: &MySqlPool, statements: &[String]) {
    for statement in statements {
        sqlx::raw_sql(statement)
            .execute(pool)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

fn sorted(scopes: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut scopes: Vec<String> = scopes.into_iter().collect();
    scopes.sort();
    scopes
}

async fn default_role(pool: &MySqlPool, user: &str) -> Option<String> {
    let role: Option<Option<String>> = sqlx::query_scalar(
        "SELECT CONVERT(JSON_VALUE(Priv, '$.default_role') USING utf8mb4) FROM mysql.global_priv WHERE User = ? AND Host = '%'",
    )
    .bind(user)
    .fetch_optional(pool)
    .await
    .expect("default role");
    role.flatten().filter(|r| !r.is_empty())
}

/// Column and routine privileges, roles, an admin option and the grant
/// option at every level are seen, and narrowing takes exactly the
/// unapproved ones: an approved column privilege that the revoke of the
/// same table privilege took is granted back, an approved role keeps its
/// membership when only its admin option goes, and a default role that
/// goes with its role is cleared.
#[tokio::test]
async fn narrowing_sees_and_cuts_columns_routines_roles_and_grant_options() {
    let Some(url) = admin_url() else { return };
    let pool = MySqlPool::connect(&url).await.expect("admin");
    let user = unique("t_my");
    let db = unique("t_db");
    let (reader, extra, ops) = (unique("t_reader"), unique("t_extra"), unique("t_ops"));
    let account = format!("'{user}'@'%'");
    run_all(
        &pool,
        &[
            format!("CREATE DATABASE {db}"),
            format!("CREATE TABLE {db}.orders (id int, price int, note text)"),
            format!("CREATE TABLE {db}.items (id int)"),
            format!("INSERT INTO {db}.orders VALUES (1, 10, 'n')"),
            format!("CREATE PROCEDURE {db}.p() SELECT 1"),
            format!("CREATE PROCEDURE {db}.p2() SELECT 2"),
            format!("CREATE FUNCTION {db}.f() RETURNS INT RETURN 1"),
            format!("CREATE ROLE {reader}"),
            format!("CREATE ROLE {extra}"),
            format!("CREATE ROLE {ops}"),
            format!("GRANT SELECT ON {db}.items TO {reader}"),
            format!("CREATE USER {account} IDENTIFIED BY 'initial-password'"),
            format!("GRANT SELECT, SELECT (id), UPDATE (note, price) ON {db}.orders TO {account}"),
            format!("GRANT SELECT (id) ON {db}.items TO {account} WITH GRANT OPTION"),
            format!("GRANT INSERT ON {db}.* TO {account} WITH GRANT OPTION"),
            format!("GRANT USAGE ON *.* TO {account} WITH GRANT OPTION"),
            format!("GRANT EXECUTE ON PROCEDURE {db}.p TO {account}"),
            format!("GRANT EXECUTE ON PROCEDURE {db}.p2 TO {account}"),
            format!(
                "GRANT EXECUTE, ALTER ROUTINE ON FUNCTION {db}.f TO {account} WITH GRANT OPTION"
            ),
            format!("GRANT {reader} TO {account}"),
            format!("GRANT {extra} TO {account}"),
            format!("GRANT {ops} TO {account} WITH ADMIN OPTION"),
            format!("SET DEFAULT ROLE {extra} FOR {account}"),
        ],
    )
    .await;

    // Approved, written in any case; the account keeps every one of these.
    let scopes = vec![
        format!("select (id) on {db}.orders"),
        format!("UPDATE (`note`) ON {db}.orders"),
        format!("Select (id) On Table {db}.items"),
        format!("insert on {db}.*"),
        format!("execute on procedure {db}.p"),
        format!("EXECUTE ON FUNCTION {db}.f"),
        format!("role {reader}"),
        format!("ROLE {ops}"),
    ];
    let approved = sorted([
        format!("SELECT (id) ON {db}.orders"),
        format!("UPDATE (note) ON {db}.orders"),
        format!("SELECT (id) ON {db}.items"),
        format!("INSERT ON {db}.*"),
        format!("EXECUTE ON PROCEDURE {db}.p"),
        format!("EXECUTE ON FUNCTION {db}.f"),
        format!("ROLE {reader}"),
        format!("ROLE {ops}"),
    ]);
    let unapproved = sorted([
        "GRANT OPTION ON *.*".to_owned(),
        format!("GRANT OPTION ON {db}.*"),
        format!("SELECT ON {db}.orders"),
        format!("UPDATE (price) ON {db}.orders"),
        format!("GRANT OPTION ON {db}.items"),
        format!("EXECUTE ON PROCEDURE {db}.p2"),
        format!("ALTER ROUTINE ON FUNCTION {db}.f"),
        format!("GRANT OPTION ON FUNCTION {db}.f"),
        format!("ROLE {extra}"),
        format!("ADMIN OPTION ON ROLE {ops}"),
    ]);

    let target = target(RevokeMode::Lock);
    let address: SecretAddress = "local:db/shop".parse().expect("address");
    let ctx = TargetContext {
        address: &address,
        run_id: "r",
        scopes: &scopes,
    };
    let value = credential(&user, "initial-password");

    let held = target.privileges(ctx, &value).await.expect("privileges");
    assert_eq!(
        held.map(sorted),
        Some(sorted(approved.iter().chain(&unapproved).cloned()))
    );

    let report = target.narrow(ctx, &value).await.expect("narrow");
    assert_eq!(sorted(report.removed), unapproved);
    assert_eq!(sorted(report.remaining), approved);
    let held = target.privileges(ctx, &value).await.expect("privileges");
    assert_eq!(held.map(sorted), Some(approved.clone()));
    assert_eq!(default_role(&pool, &user).await, None, "the default role");

    // Again: nothing left to take.
    let again = target.narrow(ctx, &value).await.expect("narrow again");
    assert!(again.removed.is_empty(), "{:?}", again.removed);
    assert_eq!(sorted(again.remaining), approved);

    // What the account can do agrees.
    let options = user_options(&url, &user, "initial-password");
    let mut session = MySqlConnection::connect_with(&options)
        .await
        .expect("login");
    for (statement, allowed) in [
        (format!("SELECT id FROM {db}.orders"), true),
        (format!("SELECT price FROM {db}.orders"), false),
        (format!("UPDATE {db}.orders SET note = 'm'"), true),
        (format!("UPDATE {db}.orders SET price = 11"), false),
        (format!("CALL {db}.p()"), true),
        (format!("CALL {db}.p2()"), false),
        (format!("SELECT {db}.f()"), true),
        (format!("SET ROLE {reader}"), true),
        (format!("SELECT id FROM {db}.items"), true),
        (format!("SET ROLE {extra}"), false),
    ] {
        let result = sqlx::raw_sql(&statement).execute(&mut session).await;
        assert_eq!(result.is_ok(), allowed, "{statement}: {result:?}");
    }
    let _ = session.close().await;

    run_all(
        &pool,
        &[
            format!("DROP USER {account}"),
            format!("DROP ROLE {reader}"),
            format!("DROP ROLE {extra}"),
            format!("DROP ROLE {ops}"),
            format!("DROP DATABASE {db}"),
        ],
    )
    .await;
}

/// PROXY and its grant option are seen and narrowed (with an admin that
/// may grant PROXY, as revoking it needs); PROXY's grant option goes while
/// the approved PROXY stays, and an approved default role stays set.
#[tokio::test]
async fn narrowing_sees_and_cuts_proxy_grants() {
    let Some(url) = admin_url() else { return };
    let pool = MySqlPool::connect(&url).await.expect("admin");
    let admin = unique("t_adm");
    let user = unique("t_my");
    let reader = unique("t_reader");
    let account = format!("'{user}'@'%'");
    run_all(
        &pool,
        &[
            format!("CREATE USER '{admin}'@'%' IDENTIFIED BY 'admin-password'"),
            format!("GRANT ALL PRIVILEGES ON *.* TO '{admin}'@'%' WITH GRANT OPTION"),
            // What `GRANT PROXY ON ''@'%' ... WITH GRANT OPTION` would give,
            // which only an account that holds it may grant.
            format!(
                "INSERT INTO mysql.proxies_priv (Host, User, Proxied_host, Proxied_user, With_grant, Grantor)
                 VALUES ('%', '{admin}', '%', '', 1, '')"
            ),
            "FLUSH PRIVILEGES".to_owned(),
        ],
    )
    .await;
    let options = MySqlConnectOptions::from_str(&url).expect("url");
    let admin_url = format!(
        "mysql://{admin}:admin-password@{}:{}/mysql",
        options.get_host(),
        options.get_port()
    );
    let url_file = std::env::temp_dir().join(format!("{admin}.url"));
    std::fs::write(&url_file, &admin_url).expect("url file");
    let admin_pool = MySqlPool::connect(&admin_url).await.expect("test admin");
    run_all(
        &admin_pool,
        &[
            format!("CREATE USER {account} IDENTIFIED BY 'initial-password'"),
            format!("GRANT PROXY ON 'alice'@'%' TO {account} WITH GRANT OPTION"),
            format!("GRANT PROXY ON 'bob'@'localhost' TO {account} WITH GRANT OPTION"),
            format!("CREATE ROLE {reader}"),
            format!("GRANT {reader} TO {account}"),
            format!("SET DEFAULT ROLE {reader} FOR {account}"),
        ],
    )
    .await;

    let target = MysqlTarget::new(
        "mysql",
        MysqlConfig {
            admin_url: SecretSource::File(url_file.clone()),
            account_host: "%".into(),
            revoke: RevokeMode::Lock,
            password_length: 32,
            connect_timeout: std::time::Duration::from_secs(10),
        },
    );
    let scopes = vec![
        "proxy on 'bob'@'localhost'".to_owned(),
        format!("role {reader}"),
    ];
    let address: SecretAddress = "local:db/shop".parse().expect("address");
    let ctx = TargetContext {
        address: &address,
        run_id: "r",
        scopes: &scopes,
    };
    let value = credential(&user, "initial-password");
    let held = target.privileges(ctx, &value).await.expect("privileges");
    assert_eq!(
        held.map(sorted),
        Some(sorted([
            // MariaDB gives the global grant option with PROXY's.
            "GRANT OPTION ON *.*".to_owned(),
            "GRANT OPTION ON PROXY alice".to_owned(),
            "GRANT OPTION ON PROXY bob@localhost".to_owned(),
            "PROXY ON alice".to_owned(),
            "PROXY ON bob@localhost".to_owned(),
            format!("ROLE {reader}"),
        ]))
    );
    let report = target.narrow(ctx, &value).await.expect("narrow");
    assert_eq!(
        sorted(report.removed),
        sorted([
            "GRANT OPTION ON *.*".to_owned(),
            "GRANT OPTION ON PROXY alice".to_owned(),
            "GRANT OPTION ON PROXY bob@localhost".to_owned(),
            "PROXY ON alice".to_owned(),
        ])
    );
    let kept = sorted([
        "PROXY ON bob@localhost".to_owned(),
        format!("ROLE {reader}"),
    ]);
    assert_eq!(sorted(report.remaining), kept);
    let held = target.privileges(ctx, &value).await.expect("privileges");
    assert_eq!(held.map(sorted), Some(kept));
    assert_eq!(default_role(&pool, &user).await, Some(reader.clone()));

    admin_pool.close().await;
    let _ = std::fs::remove_file(&url_file);
    run_all(
        &pool,
        &[
            format!("DROP USER {account}"),
            format!("DROP ROLE {reader}"),
            format!("DROP USER '{admin}'@'%'"),
        ],
    )
    .await;
}
