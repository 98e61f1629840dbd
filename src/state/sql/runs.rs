//! Workflow runs: stored when started, advanced by compare-and-swap on
//! `seq` (so two writers can never both advance one run), read back by id,
//! by status and by secret.

use tenure_plugin_api::SecretAddress;

use super::{Db, Sql, SqlStore, from_millis, millis};
use crate::state::{Phase, Run, RunKind, RunStatus, StateError};

pub(super) async fn insert_run<D: Db>(store: &SqlStore<D>, run: &Run) -> Result<(), StateError> {
    store
        .write(
            Sql::new(
                "INSERT INTO runs (id, secret, kind, phase, status, attempts, last_error, reasons, record,
                    target, pending_version, previous_version, not_before, created_at, updated_at, seq)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            )
            .bind(&run.id)
            .bind(run.secret.to_string())
            .bind(run.kind.as_str())
            .bind(run.phase.as_str())
            .bind(run.status.as_str())
            .bind(i64::from(run.attempts))
            .bind(&run.last_error)
            .bind(reasons_json(run))
            .bind(&run.record)
            .bind(&run.target)
            .bind(&run.pending_version)
            .bind(&run.previous_version)
            .bind(millis(run.not_before))
            .bind(millis(run.created_at))
            .bind(millis(run.updated_at))
            .bind(run.seq),
        )
        .await?;
    Ok(())
}

pub(super) async fn update_run<D: Db>(
    store: &SqlStore<D>,
    run: &mut Run,
) -> Result<(), StateError> {
    let changed = store
        .write(
            Sql::new(
                "UPDATE runs SET phase = $1, status = $2, attempts = $3, last_error = $4, pending_version = $5,
                    previous_version = $6, not_before = $7, updated_at = $8, seq = seq + 1
                 WHERE id = $9 AND seq = $10",
            )
            .bind(run.phase.as_str())
            .bind(run.status.as_str())
            .bind(i64::from(run.attempts))
            .bind(&run.last_error)
            .bind(&run.pending_version)
            .bind(&run.previous_version)
            .bind(millis(run.not_before))
            .bind(millis(run.updated_at))
            .bind(&run.id)
            .bind(run.seq),
        )
        .await?;
    if changed != 1 {
        return Err(StateError::Conflict {
            run: run.id.clone(),
        });
    }
    run.seq += 1;
    Ok(())
}

pub(super) async fn get_run<D: Db>(
    store: &SqlStore<D>,
    id: &str,
) -> Result<Option<Run>, StateError> {
    let sql = Sql::new("SELECT * FROM runs WHERE id = $1").bind(id);
    store.row(sql, run_from_row::<D>).await
}

pub(super) async fn active_runs<D: Db>(store: &SqlStore<D>) -> Result<Vec<Run>, StateError> {
    let sql = Sql::new("SELECT * FROM runs WHERE status = 'active' ORDER BY created_at, id");
    store.rows(sql, run_from_row::<D>).await
}

pub(super) async fn runs_for<D: Db>(
    store: &SqlStore<D>,
    secret: &SecretAddress,
    limit: u32,
) -> Result<Vec<Run>, StateError> {
    let sql =
        Sql::new("SELECT * FROM runs WHERE secret = $1 ORDER BY created_at DESC, id LIMIT $2")
            .bind(secret.to_string())
            .bind(i64::from(limit));
    store.rows(sql, run_from_row::<D>).await
}

fn run_from_row<D: Db>(row: &D::Row) -> Result<Run, StateError> {
    let text = |name: &str| D::text(row, name);
    let secret: SecretAddress = text("secret")?
        .parse()
        .map_err(|e| corrupt(format!("secret: {e}")))?;
    let kind = RunKind::from_name(&text("kind")?).ok_or_else(|| corrupt("kind"))?;
    let phase = Phase::from_name(&text("phase")?).ok_or_else(|| corrupt("phase"))?;
    let status = RunStatus::from_name(&text("status")?).ok_or_else(|| corrupt("status"))?;
    let reasons: Vec<String> =
        serde_json::from_str(&text("reasons")?).map_err(|e| corrupt(format!("reasons: {e}")))?;
    Ok(Run {
        id: text("id")?,
        secret,
        kind,
        phase,
        status,
        attempts: D::int(row, "attempts")?.try_into().unwrap_or(u32::MAX),
        last_error: D::opt_text(row, "last_error")?,
        reasons,
        record: D::opt_text(row, "record")?,
        target: D::opt_text(row, "target")?,
        pending_version: D::opt_text(row, "pending_version")?,
        previous_version: D::opt_text(row, "previous_version")?,
        not_before: from_millis(D::int(row, "not_before")?),
        created_at: from_millis(D::int(row, "created_at")?),
        updated_at: from_millis(D::int(row, "updated_at")?),
        seq: D::int(row, "seq")?,
    })
}

fn corrupt(detail: impl Into<String>) -> StateError {
    StateError::Corrupt {
        table: "runs",
        detail: detail.into(),
    }
}

fn reasons_json(run: &Run) -> String {
    serde_json::to_string(&run.reasons).unwrap_or_else(|_| "[]".into())
}
