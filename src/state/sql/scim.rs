//! SCIM users and groups: one row each, written with compare-and-swap on
//! its version, together with the governance event the write raises (in the
//! same transaction, so a crash cannot keep one without the other).

use super::{Db, Sql, SqlStore, Tx, from_millis, json_column, json_text, millis};
use crate::state::{InboundEvent, ScimKind, ScimResource, ScimWrite, StateError};

pub(super) async fn scim_resource<D: Db>(
    store: &SqlStore<D>,
    kind: ScimKind,
    id: &str,
) -> Result<Option<ScimResource>, StateError> {
    let sql = Sql::new(
        "SELECT kind, id, name, external_id, version, body, created_at, updated_at
         FROM scim_resources WHERE kind = $1 AND id = $2",
    )
    .bind(kind.as_str())
    .bind(id);
    store.row(sql, resource_from_row::<D>).await
}

pub(super) async fn scim_resources<D: Db>(
    store: &SqlStore<D>,
    kind: ScimKind,
) -> Result<Vec<ScimResource>, StateError> {
    let sql = Sql::new(
        "SELECT kind, id, name, external_id, version, body, created_at, updated_at
         FROM scim_resources WHERE kind = $1 ORDER BY created_at, id",
    )
    .bind(kind.as_str());
    store.rows(sql, resource_from_row::<D>).await
}

/// Whether another resource of `resource`'s kind has its name.
async fn name_taken<D: Db>(
    store: &SqlStore<D>,
    resource: &ScimResource,
) -> Result<bool, StateError> {
    let sql =
        Sql::new("SELECT id FROM scim_resources WHERE kind = $1 AND name_key = $2 AND id <> $3")
            .bind(resource.kind.as_str())
            .bind(resource.name.to_lowercase())
            .bind(&resource.id);
    Ok(store.fetch_optional(sql).await?.is_some())
}

pub(super) async fn put_scim_resource<D: Db>(
    store: &SqlStore<D>,
    resource: &ScimResource,
    expected: Option<i64>,
    event: Option<&InboundEvent>,
) -> Result<ScimWrite, StateError> {
    if name_taken(store, resource).await? {
        return Ok(ScimWrite::NameTaken);
    }
    let body = json_text(&resource.body, "body")?;
    let mut tx = store.begin().await?;
    let changed = match expected {
        None => {
            tx.execute(
                Sql::new(
                    "INSERT INTO scim_resources
                     (kind, id, name, name_key, external_id, version, body, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                )
                .bind(resource.kind.as_str())
                .bind(&resource.id)
                .bind(&resource.name)
                .bind(resource.name.to_lowercase())
                .bind(&resource.external_id)
                .bind(resource.version)
                .bind(body)
                .bind(millis(resource.created_at))
                .bind(millis(resource.updated_at)),
            )
            .await?
        }
        Some(version) => {
            tx.execute(
                Sql::new(
                    "UPDATE scim_resources SET name = $1, name_key = $2, external_id = $3,
                        version = $4, body = $5, updated_at = $6
                     WHERE kind = $7 AND id = $8 AND version = $9",
                )
                .bind(&resource.name)
                .bind(resource.name.to_lowercase())
                .bind(&resource.external_id)
                .bind(resource.version)
                .bind(body)
                .bind(millis(resource.updated_at))
                .bind(resource.kind.as_str())
                .bind(&resource.id)
                .bind(version),
            )
            .await?
        }
    };
    finish(store, tx, changed, event).await
}

pub(super) async fn delete_scim_resource<D: Db>(
    store: &SqlStore<D>,
    kind: ScimKind,
    id: &str,
    expected: i64,
    event: Option<&InboundEvent>,
) -> Result<ScimWrite, StateError> {
    let mut tx = store.begin().await?;
    let changed = tx
        .execute(
            Sql::new("DELETE FROM scim_resources WHERE kind = $1 AND id = $2 AND version = $3")
                .bind(kind.as_str())
                .bind(id)
                .bind(expected),
        )
        .await?;
    finish(store, tx, changed, event).await
}

/// Stores `event` when the write changed its row, then commits.
async fn finish<D: Db>(
    store: &SqlStore<D>,
    mut tx: Tx<D>,
    changed: u64,
    event: Option<&InboundEvent>,
) -> Result<ScimWrite, StateError> {
    if changed != 1 {
        // Dropped uncommitted: rolled back.
        return Ok(ScimWrite::Stale);
    }
    if let Some(event) = event {
        tx.execute(super::events::insert_event_sql(event)?).await?;
    }
    tx.commit().await?;
    store.durable().await?;
    Ok(ScimWrite::Written)
}

fn resource_from_row<D: Db>(row: &D::Row) -> Result<ScimResource, StateError> {
    let kind = D::text(row, "kind")?;
    Ok(ScimResource {
        kind: ScimKind::from_name(&kind).ok_or_else(|| StateError::Corrupt {
            table: "scim_resources",
            detail: format!("unknown kind {kind:?}"),
        })?,
        id: D::text(row, "id")?,
        name: D::text(row, "name")?,
        external_id: D::opt_text(row, "external_id")?,
        version: D::int(row, "version")?,
        body: json_column::<D, _>(row, "body", "scim_resources")?,
        created_at: from_millis(D::int(row, "created_at")?),
        updated_at: from_millis(D::int(row, "updated_at")?),
    })
}
