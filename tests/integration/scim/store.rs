//! SCIM users and groups in both state stores: they survive reopening the
//! store (a restart), writes are compare-and-swap on the version, names are
//! unique per kind without regard to case, and the event a write raises is
//! stored with it or not at all.

use chrono::Utc;
use serde_json::json;
use tenure::state::{
    InboundEvent, PgStore, ScimKind, ScimResource, ScimWrite, SqliteStore, StateStore,
};

use crate::common::sql::{new_database, pg_admin_url};

fn user(id: &str, name: &str, version: i64) -> ScimResource {
    ScimResource {
        kind: ScimKind::User,
        id: id.to_owned(),
        name: name.to_owned(),
        external_id: Some(format!("ext-{id}")),
        version,
        body: json!({ "userName": name, "active": version < 2 }),
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

fn left(id: &str) -> InboundEvent {
    InboundEvent {
        id: format!("scim:/scim/v2/Users/{id} v2"),
        delivery_id: None,
        kind: "io.tenure.owner.left".into(),
        data: json!({ "owner": "gus@example.com" }),
        occurred_at: Some(Utc::now()),
        received_at: Utc::now(),
    }
}

/// Writes, then checks what a second store on the same database reads.
async fn scenario(store: &dyn StateStore, reopened: impl AsyncFnOnce() -> Box<dyn StateStore>) {
    let gus = user("u1", "gus@example.com", 1);
    assert_eq!(
        store
            .put_scim_resource(&gus, None, None)
            .await
            .expect("put"),
        ScimWrite::Written
    );
    let twin = user("u2", "GUS@example.com", 1);
    assert_eq!(
        store
            .put_scim_resource(&twin, None, None)
            .await
            .expect("put"),
        ScimWrite::NameTaken
    );
    let group = ScimResource {
        kind: ScimKind::Group,
        name: "gus@example.com".into(),
        ..user("g1", "gus@example.com", 1)
    };
    assert_eq!(
        store
            .put_scim_resource(&group, None, None)
            .await
            .expect("put"),
        ScimWrite::Written,
        "names are unique per kind"
    );
    // Compare-and-swap: a stale version changes nothing, and stores no event.
    let gone = user("u1", "gus@example.com", 2);
    assert_eq!(
        store
            .put_scim_resource(&gone, Some(5), Some(&left("u1")))
            .await
            .expect("put"),
        ScimWrite::Stale
    );
    assert!(store.pending_events(10).await.expect("pending").is_empty());
    assert_eq!(
        store
            .put_scim_resource(&gone, Some(1), Some(&left("u1")))
            .await
            .expect("put"),
        ScimWrite::Written
    );
    let pending = store.pending_events(10).await.expect("pending");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].kind, "io.tenure.owner.left");

    let store = reopened().await;
    let read = store
        .scim_resource(ScimKind::User, "u1")
        .await
        .expect("get")
        .expect("kept");
    assert_eq!((read.version, &read.body), (2, &gone.body));
    assert_eq!(
        store
            .scim_resources(ScimKind::User)
            .await
            .expect("list")
            .len(),
        1
    );
    assert_eq!(
        store
            .scim_resources(ScimKind::Group)
            .await
            .expect("list")
            .len(),
        1
    );
    assert_eq!(
        store
            .delete_scim_resource(ScimKind::User, "u1", 1, None)
            .await
            .expect("delete"),
        ScimWrite::Stale
    );
    assert_eq!(
        store
            .delete_scim_resource(ScimKind::User, "u1", 2, None)
            .await
            .expect("delete"),
        ScimWrite::Written
    );
    assert_eq!(
        store
            .scim_resource(ScimKind::User, "u1")
            .await
            .expect("get"),
        None
    );
}

#[tokio::test]
async fn scim_resources_survive_a_restart_of_the_sqlite_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.db");
    let store = SqliteStore::open(&path).await.expect("open");
    scenario(&store, async || {
        Box::new(SqliteStore::open(&path).await.expect("reopen")) as Box<dyn StateStore>
    })
    .await;
}

#[tokio::test]
async fn scim_resources_survive_a_restart_of_the_postgres_store() {
    let Some(admin) = pg_admin_url() else {
        return;
    };
    let (_pool, _, url) = new_database(&admin, "tenure_scim").await;
    let store = PgStore::connect(&url).await.expect("connect");
    scenario(&store, async || {
        Box::new(PgStore::connect(&url).await.expect("reconnect")) as Box<dyn StateStore>
    })
    .await;
}
