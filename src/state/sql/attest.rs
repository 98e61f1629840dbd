//! Attestation results: each secret's latest result, and every pass with
//! the results it covered (stored together, in one transaction), read back
//! by id or by time and pruned by age.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Db, Sql, SqlStore, count, from_millis, json_column, json_text, millis};
use crate::state::{AttestationPass, AttestationRow, StateError};

pub(super) async fn attestations<D: Db>(
    store: &SqlStore<D>,
) -> Result<HashMap<String, AttestationRow>, StateError> {
    let sql = Sql::new("SELECT secret, at, result, findings, detail FROM attestations");
    store
        .rows(sql, |row| {
            let secret = D::text(row, "secret")?;
            Ok((
                secret.clone(),
                AttestationRow {
                    secret,
                    at: from_millis(D::int(row, "at")?),
                    result: D::text(row, "result")?,
                    findings: json_column::<D, _>(row, "findings", "attestations")?,
                    detail: json_column::<D, _>(row, "detail", "attestations")?,
                },
            ))
        })
        .await
}

pub(super) async fn record_attestations<D: Db>(
    store: &SqlStore<D>,
    rows: &[AttestationRow],
    pass: &AttestationPass,
) -> Result<(), StateError> {
    let mut tx = store.begin().await?;
    for row in rows {
        let findings = json_text(&row.findings, "findings")?;
        let detail = json_text(&row.detail, "detail")?;
        tx.execute(
            Sql::new(
                "INSERT INTO attestations (secret, at, result, findings, detail) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (secret) DO UPDATE SET at = excluded.at, result = excluded.result,
                    findings = excluded.findings, detail = excluded.detail",
            )
            .bind(&row.secret)
            .bind(millis(row.at))
            .bind(&row.result)
            .bind(findings)
            .bind(detail),
        )
        .await?;
    }
    tx.execute(
        Sql::new(
            "INSERT INTO attestation_passes (id, at, attested, ok, drift, unavailable, leaves, digest)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&pass.id)
        .bind(millis(pass.at))
        .bind(count(pass.attested))
        .bind(count(pass.ok))
        .bind(count(pass.drift))
        .bind(count(pass.unavailable))
        .bind(&pass.leaves)
        .bind(&pass.digest),
    )
    .await?;
    tx.commit().await?;
    store.durable().await
}

pub(super) async fn attestation_pass<D: Db>(
    store: &SqlStore<D>,
    id: &str,
) -> Result<Option<AttestationPass>, StateError> {
    let sql = Sql::new("SELECT * FROM attestation_passes WHERE id = $1").bind(id);
    store.row(sql, pass_from_row::<D>).await
}

pub(super) async fn attestation_passes<D: Db>(
    store: &SqlStore<D>,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<AttestationPass>, StateError> {
    let sql =
        Sql::new("SELECT * FROM attestation_passes WHERE at >= $1 AND at <= $2 ORDER BY at, id")
            .bind(millis(from))
            .bind(millis(until));
    store.rows(sql, pass_from_row::<D>).await
}

pub(super) async fn prune_attestation_passes<D: Db>(
    store: &SqlStore<D>,
    before: DateTime<Utc>,
) -> Result<u64, StateError> {
    store
        .write(Sql::new("DELETE FROM attestation_passes WHERE at < $1").bind(millis(before)))
        .await
}

fn pass_from_row<D: Db>(row: &D::Row) -> Result<AttestationPass, StateError> {
    let count = |name: &str| -> Result<u64, StateError> {
        Ok(u64::try_from(D::int(row, name)?).unwrap_or(0))
    };
    Ok(AttestationPass {
        id: D::text(row, "id")?,
        at: from_millis(D::int(row, "at")?),
        attested: count("attested")?,
        ok: count("ok")?,
        drift: count("drift")?,
        unavailable: count("unavailable")?,
        leaves: D::text(row, "leaves")?,
        digest: D::text(row, "digest")?,
    })
}
