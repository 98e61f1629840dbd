//! Approval requests (see [`crate::approvals`]): at most one open request
//! (pending or approved) per subject and action, enforced by a partial
//! unique index, and every change of status a compare-and-set on the
//! status it had, so two approvers or two replicas cannot both win.

use super::{Db, Sql, SqlStore, from_millis, json_column, json_text, millis};
use crate::approvals::{Approval, ApprovalStatus};
use crate::state::StateError;

/// A stored name read back, or the row is corrupt.
fn parse<T: serde::de::DeserializeOwned>(column: &str, text: String) -> Result<T, StateError> {
    serde_json::from_value(serde_json::Value::String(text)).map_err(|e| StateError::Corrupt {
        table: "approvals",
        detail: format!("{column}: {e}"),
    })
}

fn read<D: Db>(row: &D::Row) -> Result<Approval, StateError> {
    Ok(Approval {
        id: D::text(row, "id")?,
        subject: D::text(row, "subject")?,
        action: parse("action", D::text(row, "action")?)?,
        fingerprint: D::text(row, "fingerprint")?,
        reasons: json_column::<D, _>(row, "reasons", "approvals")?,
        requested_by: D::text(row, "requested_by")?,
        requested_at: from_millis(D::int(row, "requested_at")?),
        expires_at: from_millis(D::int(row, "expires_at")?),
        status: parse("status", D::text(row, "status")?)?,
        decided_by: D::opt_text(row, "decided_by")?,
        decided_at: D::opt_int(row, "decided_at")?.map(from_millis),
    })
}

/// Stores a new request; `false` when the subject already has an open
/// request for the action (nothing is stored then).
pub(super) async fn insert_approval<D: Db>(
    store: &SqlStore<D>,
    approval: &Approval,
) -> Result<bool, StateError> {
    let changed = store
        .write(
            Sql::new(
                "INSERT INTO approvals (id, subject, action, fingerprint, reasons, requested_by,
                     requested_at, expires_at, status, decided_by, decided_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT DO NOTHING",
            )
            .bind(&approval.id)
            .bind(&approval.subject)
            .bind(approval.action.as_str())
            .bind(&approval.fingerprint)
            .bind(json_text(&approval.reasons, "reasons")?)
            .bind(&approval.requested_by)
            .bind(millis(approval.requested_at))
            .bind(millis(approval.expires_at))
            .bind(approval.status.as_str())
            .bind(&approval.decided_by)
            .bind(approval.decided_at.map(millis)),
        )
        .await?;
    Ok(changed == 1)
}

/// Writes `approval`'s status and decision if it still has the status
/// `was`; whether it did.
pub(super) async fn update_approval<D: Db>(
    store: &SqlStore<D>,
    approval: &Approval,
    was: ApprovalStatus,
) -> Result<bool, StateError> {
    let changed = store
        .write(
            Sql::new(
                "UPDATE approvals SET status = $1, decided_by = $2, decided_at = $3
                 WHERE id = $4 AND status = $5",
            )
            .bind(approval.status.as_str())
            .bind(&approval.decided_by)
            .bind(approval.decided_at.map(millis))
            .bind(&approval.id)
            .bind(was.as_str()),
        )
        .await?;
    Ok(changed == 1)
}

/// One request by id.
pub(super) async fn approval<D: Db>(
    store: &SqlStore<D>,
    id: &str,
) -> Result<Option<Approval>, StateError> {
    let sql = Sql::new("SELECT * FROM approvals WHERE id = $1").bind(id);
    store.row(sql, read::<D>).await
}

/// Every request, newest first.
pub(super) async fn approvals<D: Db>(store: &SqlStore<D>) -> Result<Vec<Approval>, StateError> {
    let sql = Sql::new("SELECT * FROM approvals ORDER BY requested_at DESC, id");
    store.rows(sql, read::<D>).await
}

/// The open requests (pending, or approved and not yet carried out),
/// newest first: what every pass and status read needs, whatever the
/// history holds.
pub(super) async fn open_approvals<D: Db>(
    store: &SqlStore<D>,
) -> Result<Vec<Approval>, StateError> {
    let sql = Sql::new(
        "SELECT * FROM approvals WHERE status IN ('pending', 'approved')
         ORDER BY requested_at DESC, id",
    );
    store.rows(sql, read::<D>).await
}
