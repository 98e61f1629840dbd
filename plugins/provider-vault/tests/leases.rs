//! Dynamic-secret leases through a real OpenBao database secrets engine on
//! the private scram PostgreSQL (TENURE_TEST_VAULT_* and TENURE_TEST_PG_URL,
//! set by scripts/services): a decommissioned workload's leases are revoked
//! by prefix, none remain, and the database users they held are gone.

mod common;

use common::{provider, root};
use tenure_plugin_api::{ErrorKind, Leases as _};
use tenure_testkit::{service_url, unique_name};
use vaultrs::api::database::requests::{PostgreSQLConnectionRequest, SetRoleRequest};
use vaultrs::client::VaultClient;

/// The admin user, password and host:port of the scram cluster's URL
/// (`postgres://user:password@host:port/db`).
fn pg_admin() -> Option<(String, String, String)> {
    let url = service_url("TENURE_TEST_PG_URL")?;
    let rest = url.strip_prefix("postgres://")?;
    let (credentials, location) = rest.split_once('@')?;
    let (user, password) = credentials.split_once(':')?;
    let host = location.split('/').next()?;
    Some((user.to_owned(), password.to_owned(), host.to_owned()))
}

async fn database_engine(root: &VaultClient, mount: &str, role: &str) {
    let (user, password, host) = pg_admin().expect("TENURE_TEST_PG_URL");
    vaultrs::sys::mount::enable(root, mount, "database", None)
        .await
        .expect("enable database engine");
    vaultrs::database::connection::postgres(
        root,
        mount,
        "pg",
        Some(
            PostgreSQLConnectionRequest::builder()
                .plugin_name("postgresql-database-plugin")
                .connection_url(format!(
                    "postgresql://{{{{username}}}}:{{{{password}}}}@{host}/postgres?sslmode=disable"
                ))
                .username(user)
                .password(password)
                .allowed_roles(vec!["*".into()]),
        ),
    )
    .await
    .expect("connection");
    database_role(root, mount, role).await;
}

/// A dynamic role of the engine at `mount` whose credentials are new
/// PostgreSQL login roles, valid for an hour.
async fn database_role(root: &VaultClient, mount: &str, role: &str) {
    vaultrs::database::role::set(
        root,
        mount,
        role,
        Some(
            SetRoleRequest::builder()
                .db_name("pg")
                .creation_statements(vec![
                    r#"CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"#.into(),
                ])
                .default_ttl("1h"),
        ),
    )
    .await
    .expect("role");
}

#[tokio::test]
async fn a_workloads_leases_are_revoked_by_prefix_and_none_remain() {
    let Some(root) = root() else { return };
    let mount = unique_name("db");
    database_engine(&root, &mount, "orders").await;
    database_role(&root, &mount, "billing").await;
    let mut users = Vec::new();
    for _ in 0..3 {
        let creds = vaultrs::database::role::creds(&root, &mount, "orders")
            .await
            .expect("dynamic credentials");
        users.push(creds.username);
    }
    let other = vaultrs::database::role::creds(&root, &mount, "billing")
        .await
        .expect("other workload's credentials");

    let provider = provider();
    let revoked = provider
        .revoke_leases(&format!("{mount}/creds/orders"))
        .await
        .expect("revoke");
    assert_eq!((revoked.found, revoked.remaining), (3, 0), "{revoked:?}");
    // Replayed: nothing left, still success.
    let again = provider
        .revoke_leases(&format!("{mount}/creds/orders/"))
        .await
        .expect("replay");
    assert_eq!((again.found, again.remaining), (0, 0));
    // Another workload's lease is untouched.
    let billing = provider
        .revoke_leases(&format!("{mount}/creds/billing"))
        .await
        .expect("billing");
    assert_eq!(billing.found, 1, "{} lost its lease", other.username);

    // OpenBao dropped the database users the leases held.
    let (user, password, host) = pg_admin().expect("pg");
    let url = format!("postgres://{user}:{password}@{host}/postgres");
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("admin");
    for name in users {
        let exists: (bool,) =
            sqlx::query_as("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
                .bind(&name)
                .fetch_one(&mut admin)
                .await
                .expect("query");
        assert!(!exists.0, "{name} still exists");
    }
}

#[tokio::test]
async fn a_bad_lease_prefix_is_refused_before_any_call() {
    let err = provider()
        .revoke_leases("database/../sys")
        .await
        .expect_err("a traversal");
    assert_eq!(err.kind(), ErrorKind::Permanent);
}
