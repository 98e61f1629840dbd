//! Attestation against a real PostgreSQL with password authentication (the
//! scram cluster of scripts/services), behind a proxy that can stop: drift
//! made by hand is found and repaired in one pass, for the single and the
//! dual strategy; a retired role given LOGIN again is retired again; an
//! exposed value fails at once whatever the grace; an unmanaged role is
//! reported, then disabled with proof.

use std::str::FromStr;

use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::{Connection, PgConnection};
use tenure_testkit::{service_url, unique_name};

use crate::common;
use crate::common::drift::{Bed, Server, scenarios};
use crate::common::proxy::Proxy;
use crate::common::{stderr, stdout};

struct Pg {
    url: String,
    pool: PgPool,
    /// The role holding the privileges (the group, for dual).
    holder: String,
    /// The login roles.
    logins: Vec<String>,
    table: String,
}

impl Pg {
    async fn sql(&self, statement: &str) {
        sqlx::raw_sql(statement)
            .execute(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }

    async fn existing_logins(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT rolname::text FROM pg_roles WHERE rolname = ANY($1)")
            .bind(&self.logins)
            .fetch_all(&self.pool)
            .await
            .expect("roles")
    }

    async fn direct_grant(&self, privilege: &str) -> bool {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM information_schema.role_table_grants
             WHERE grantee = $1 AND table_name = $2 AND privilege_type = $3",
        )
        .bind(&self.holder)
        .bind(&self.table)
        .bind(privilege)
        .fetch_one(&self.pool)
        .await
        .expect("grants");
        n > 0
    }
}

#[async_trait::async_trait]
impl Server for Pg {
    async fn change_password(&self) {
        for role in self.existing_logins().await {
            self.sql(&format!("ALTER ROLE {role} PASSWORD 'changed-by-hand'"))
                .await;
        }
    }
    async fn grant_extra(&self) {
        self.sql(&format!(
            "GRANT INSERT ON public.{} TO {}",
            self.table, self.holder
        ))
        .await;
    }
    async fn holds_extra(&self) -> bool {
        self.direct_grant("INSERT").await
    }
    async fn remove_approved(&self) {
        self.sql(&format!(
            "REVOKE SELECT ON public.{} FROM {}",
            self.table, self.holder
        ))
        .await;
    }
    async fn restore_approved(&self) {
        self.sql(&format!(
            "GRANT SELECT ON public.{} TO {}",
            self.table, self.holder
        ))
        .await;
    }
    async fn reenable(&self) {
        for role in self.existing_logins().await {
            self.sql(&format!("ALTER ROLE {role} LOGIN")).await;
        }
    }
    async fn enabled(&self) -> bool {
        sqlx::query_scalar::<_, bool>(
            "SELECT bool_or(rolcanlogin) FROM pg_roles WHERE rolname = ANY($1)",
        )
        .bind(&self.logins)
        .fetch_one(&self.pool)
        .await
        .expect("rolcanlogin")
    }
    async fn logs_in(&self, value: &str) -> bool {
        let value: Value = serde_json::from_str(value).expect("json");
        let options = PgConnectOptions::from_str(&self.url)
            .expect("url")
            .username(value["username"].as_str().expect("username"))
            .password(value["password"].as_str().expect("password"));
        match PgConnection::connect_with(&options).await {
            Ok(c) => {
                let _ = c.close().await;
                true
            }
            Err(sqlx::Error::Database(_)) => false,
            Err(other) => panic!("{other}"),
        }
    }
}

/// A role (single) or a group with two login roles (dual), a table it may
/// read, and a bed whose target reaches them through a proxy.
async fn setup(strategy: &str, extra: &str) -> Option<(Pg, Proxy, Bed, String)> {
    let url = service_url("TENURE_TEST_PG_URL")?;
    let pool = PgPool::connect(&url).await.expect("admin");
    let name = unique_name("drift");
    let table = format!("{name}_data");
    let (holder, login, logins) = match strategy {
        "dual" => (
            name.clone(),
            format!("{name}_a"),
            vec![format!("{name}_a"), format!("{name}_b")],
        ),
        _ => (name.clone(), name.clone(), vec![name.clone()]),
    };
    let pg = Pg {
        url: url.clone(),
        pool,
        holder: holder.clone(),
        logins,
        table: table.clone(),
    };
    if strategy == "dual" {
        pg.sql(&format!("CREATE ROLE {holder} NOLOGIN")).await;
        pg.sql(&format!(
            "CREATE ROLE {login} LOGIN PASSWORD 'initial-password' IN ROLE {holder}"
        ))
        .await;
    } else {
        pg.sql(&format!(
            "CREATE ROLE {login} LOGIN PASSWORD 'initial-password'"
        ))
        .await;
    }
    pg.sql(&format!("CREATE TABLE public.{table} (id int)"))
        .await;
    pg.restore_approved().await;

    let options = PgConnectOptions::from_str(&url).expect("url");
    let upstream = format!("{}:{}", options.get_host(), options.get_port())
        .parse()
        .expect("addr");
    let proxy = Proxy::start_to(upstream).await;
    let admin = url.replacen(
        &format!("{}:{}", options.get_host(), options.get_port()),
        &proxy.addr.to_string(),
        1,
    );
    let path = format!("db/{name}");
    let config = common::drift::config(
        &path,
        "pg",
        &format!(
            "type = \"postgres\"\nadmin_url = {{ env = \"DRIFT_PG_ADMIN_URL\" }}\nstrategy = \"{strategy}\"\nconnect_timeout = \"3s\"\n{extra}"
        ),
        &holder,
        &[format!("SELECT ON public.{table}")],
    );
    let bed = Bed::new(&config, &[("DRIFT_PG_ADMIN_URL", admin.as_str())]);
    bed.put(
        &path,
        &json!({
            "username": login, "password": "initial-password",
            "host": "127.0.0.1", "port": proxy.addr.port(), "dbname": "postgres",
        })
        .to_string(),
    )
    .await;
    Some((pg, proxy, bed, path))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_role_drift_is_found_and_repaired() {
    let Some((pg, proxy, bed, path)) = setup("single", "").await else {
        return;
    };
    scenarios(&bed, &pg, &proxy, &path).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dual_roles_drift_is_found_and_repaired() {
    let Some((pg, proxy, bed, path)) = setup("dual", "").await else {
        return;
    };
    scenarios(&bed, &pg, &proxy, &path).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_role_given_login_again_is_retired_again() {
    let Some((pg, _proxy, bed, path)) = setup("dual", "").await else {
        return;
    };
    let secret = format!("local:{path}");
    bed.ok(&["rotate", secret.as_str()]).await;
    let retired = format!("{}_a", pg.holder);
    let can_login = |role: String| {
        let pool = pg.pool.clone();
        async move {
            sqlx::query_scalar::<_, bool>("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1")
                .bind(role)
                .fetch_one(&pool)
                .await
                .expect("role")
        }
    };
    assert!(!can_login(retired.clone()).await, "not retired");
    let proof = bed
        .entries("verification", &secret)
        .into_iter()
        .find(|e| e["data"]["evidence"]["check"] == "retired_credential_refused")
        .expect("a proof at retire time");
    assert!(
        proof["data"]["evidence"]["proof"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("SQLSTATE 28")),
        "{proof}"
    );

    pg.sql(&format!("ALTER ROLE {retired} LOGIN")).await;
    bed.until_due().await;
    let out = bed.ok(&["run", "--once"]).await;
    let log = stderr(&out);
    assert!(
        log.contains(&format!(
            "{secret}: attestation found retired_credential_alive."
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "{secret} must be retired again: retired_credential_alive."
        )),
        "{log}"
    );
    assert!(!can_login(retired.clone()).await, "not retired again");
    let runs = bed.entries("run_started", &secret);
    assert_eq!(runs.last().expect("run")["data"]["action"], "retire");
    let entry = bed.plan_entry(&secret).await;
    assert_eq!(
        (&entry["decision"], &entry["attestation"]),
        (&Value::from("compliant"), &Value::from("ok")),
        "{entry}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exposed_value_fails_at_once_whatever_the_grace() {
    let Some((pg, _proxy, bed, path)) = setup("dual", "").await else {
        return;
    };
    bed.edit("grace = \"0s\"", "grace = \"1h\"");
    let secret = format!("local:{path}");
    let exposed = bed.get(&path).await;
    {
        let store = tenure::state::SqliteStore::open(&bed.dir.path().join("state/state.db"))
            .await
            .expect("store");
        let event = tenure::state::InboundEvent {
            id: "test exposed-1".into(),
            delivery_id: None,
            kind: "io.tenure.secret.exposed".into(),
            data: json!({ "secret": secret }),
            occurred_at: None,
            received_at: chrono::Utc::now(),
        };
        use tenure::state::StateStore;
        store.insert_event(&event).await.expect("insert");
        let audit = tenure::audit::AuditLog::new(&bed.dir.path().join("state/audit.jsonl"));
        tenure::events::process_pending(&store, &audit, 10)
            .await
            .expect("process");
    }
    let out = bed.ok(&["run", "--once"]).await;
    assert!(
        stderr(&out).contains(&format!("{secret} must be rotated: secret_exposed.")),
        "{}",
        stderr(&out)
    );
    assert!(
        !pg.logs_in(&exposed).await,
        "the exposed value still logs in"
    );
    assert!(pg.logs_in(&bed.get(&path).await).await);
    let proof = bed
        .entries("verification", &secret)
        .into_iter()
        .find(|e| e["data"]["evidence"]["check"] == "retired_credential_refused")
        .expect("proof that the exposed value fails");
    assert!(
        proof["data"]["evidence"]["proof"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("SQLSTATE 28000"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmanaged_role_is_reported_then_disabled_with_proof() {
    let Some((pg, _proxy, bed, path)) = setup(
        "single",
        "discover = { include = [\"drift_*\"] }\non_unmanaged = \"report\"",
    )
    .await
    else {
        return;
    };
    // Only this test's roles: narrow the glob to its own prefix.
    bed.edit(
        "include = [\"drift_*\"]",
        &format!("include = [\"{}*\"]", pg.holder),
    );
    let rogue = format!("{}_rogue", pg.holder);
    pg.sql(&format!(
        "CREATE ROLE {rogue} LOGIN PASSWORD 'nobody-knows'"
    ))
    .await;
    let account = format!("pg/{rogue}");

    let out = bed.ok(&["run", "--once"]).await;
    assert!(
        stderr(&out).contains(&format!(
            "Target pg holds the account {rogue}, which no governed secret names."
        )),
        "{}",
        stderr(&out)
    );
    let entry = bed.plan_entry(&account).await;
    assert_eq!(entry["decision"], "escalate", "{entry}");
    assert_eq!(entry["reasons"], json!(["unmanaged_account"]));
    assert_eq!(entry["account"], Value::from(rogue.clone()));
    // The governed role is not reported.
    let plan = bed.ok(&["plan", "--format", "json"]).await;
    assert!(!stdout(&plan).contains(&format!("\"pg/{}\"", pg.holder)));
    let attest = bed.run(&["attest"]).await;
    assert_eq!(
        attest.status.code(),
        Some(1),
        "an unmanaged account is a finding"
    );

    bed.edit("on_unmanaged = \"report\"", "on_unmanaged = \"disable\"");
    bed.ok(&["run", "--once"]).await;
    let can_login: bool = sqlx::query_scalar("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1")
        .bind(&rogue)
        .fetch_one(&pg.pool)
        .await
        .expect("role");
    assert!(!can_login, "the unmanaged role can still log in");
    let disabled = bed
        .audit()
        .into_iter()
        .find(|e| e["kind"] == "unmanaged_account" && e["data"]["state"] == "disabled")
        .expect("an audit entry with the proof");
    assert_eq!(disabled["data"]["proof"]["logins"][0]["enabled"], false);
    assert_eq!(
        disabled["data"]["proof"]["logins"][0]["detail"],
        "rolcanlogin=false"
    );
    let entry = bed.plan_entry(&account).await;
    assert_eq!(entry["decision"], "compliant", "{entry}");
    assert_eq!(entry["reasons"], json!(["unmanaged_account", "disabled"]));
    let _ = path;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_naming_another_role_is_refused_with_nothing_changed() {
    let Some((pg, proxy, bed, path)) = setup("single", "").await else {
        return;
    };
    // Another team's role, with a password and a grant of its own.
    let victim = format!("{}_victim", pg.holder);
    pg.sql(&format!(
        "CREATE ROLE {victim} LOGIN PASSWORD 'victim-password'"
    ))
    .await;
    pg.sql(&format!(
        "GRANT SELECT, INSERT ON public.{} TO {victim}",
        pg.table
    ))
    .await;
    let victim_login = json!({ "username": victim, "password": "victim-password" }).to_string();
    // Whoever can write the secret points it at that role.
    bed.put(
        &path,
        &json!({
            "username": victim, "password": "anything",
            "host": "127.0.0.1", "port": proxy.addr.port(), "dbname": "postgres",
        })
        .to_string(),
    )
    .await;
    let secret = format!("local:{path}");
    let grants = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT privilege_type::text FROM information_schema.role_table_grants
             WHERE grantee = $1 AND table_name = $2 ORDER BY 1",
        )
        .bind(&victim)
        .bind(&pg.table)
        .fetch_all(&pg.pool)
        .await
        .expect("grants")
    };

    let out = bed.ok(&["run", "--once"]).await;
    assert!(
        stderr(&out).contains(&format!("{secret} needs a person: account_mismatch.")),
        "{}",
        stderr(&out)
    );
    let entry = bed.plan_entry(&secret).await;
    assert_eq!(entry["reasons"], json!(["account_mismatch"]), "{entry}");
    let attestation = bed
        .entries("attestation", &secret)
        .pop()
        .expect("an attestation entry");
    let account = attestation["data"]["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "account"))
        .expect("the account check")
        .clone();
    assert_eq!(
        account["detail"]["value_names"],
        Value::from(victim.clone())
    );

    // An operator's rotation and revocation are refused too.
    for action in ["rotate", "revoke"] {
        let out = bed.run(&[action, secret.as_str()]).await;
        assert_eq!(out.status.code(), Some(1), "{action}: {}", stderr(&out));
    }
    let errors: Vec<Value> = bed.entries("error", &secret);
    assert!(
        errors.iter().all(|e| e["data"]["error"]
            .as_str()
            .is_some_and(|m| m.starts_with("account_mismatch:"))),
        "{errors:?}"
    );
    assert!(!errors.is_empty());

    // Nothing changed for the other role.
    assert!(pg.logs_in(&victim_login).await, "its password changed");
    assert_eq!(
        grants().await,
        vec!["INSERT", "SELECT"],
        "its grants changed"
    );
    let can_login: bool = sqlx::query_scalar("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1")
        .bind(&victim)
        .fetch_one(&pg.pool)
        .await
        .expect("role");
    assert!(can_login, "it was revoked");
}
