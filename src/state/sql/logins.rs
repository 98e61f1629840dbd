//! Accounts on targets: the logins a revocation or retirement disabled (so
//! they can be checked once their values are gone from the vault), and the
//! unmanaged accounts discovery found that no record approves.

use super::{Db, Sql, SqlStore, from_millis, json_column, json_text, millis};
use crate::state::{LoginRole, LoginsRow, StateError, UnmanagedRow};

pub(super) async fn put_logins<D: Db>(
    store: &SqlStore<D>,
    row: &LoginsRow,
) -> Result<(), StateError> {
    let names = json_text(&row.names, "logins")?;
    store
        .write(
            Sql::new(
                "INSERT INTO logins (secret, role, names, at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (secret, role) DO UPDATE SET names = excluded.names, at = excluded.at",
            )
            .bind(&row.secret)
            .bind(row.role.as_str())
            .bind(names)
            .bind(millis(row.at)),
        )
        .await?;
    Ok(())
}

pub(super) async fn logins<D: Db>(store: &SqlStore<D>) -> Result<Vec<LoginsRow>, StateError> {
    let sql = Sql::new("SELECT secret, role, names, at FROM logins ORDER BY secret, role");
    store
        .rows(sql, |row| {
            let role = D::text(row, "role")?;
            Ok(LoginsRow {
                secret: D::text(row, "secret")?,
                role: LoginRole::from_name(&role).ok_or_else(|| StateError::Corrupt {
                    table: "logins",
                    detail: format!("unknown role {role:?}"),
                })?,
                names: json_column::<D, _>(row, "names", "logins")?,
                at: from_millis(D::int(row, "at")?),
            })
        })
        .await
}

pub(super) async fn logins_of<D: Db>(
    store: &SqlStore<D>,
    secret: &str,
    role: LoginRole,
) -> Result<Vec<String>, StateError> {
    let sql = Sql::new("SELECT names FROM logins WHERE secret = $1 AND role = $2")
        .bind(secret)
        .bind(role.as_str());
    let names = store
        .row(sql, |row| json_column::<D, _>(row, "names", "logins"))
        .await?;
    Ok(names.unwrap_or_default())
}

pub(super) async fn put_unmanaged<D: Db>(
    store: &SqlStore<D>,
    target: &str,
    rows: &[UnmanagedRow],
) -> Result<(), StateError> {
    let mut tx = store.begin().await?;
    tx.execute(Sql::new("DELETE FROM unmanaged WHERE target = $1").bind(target))
        .await?;
    for row in rows {
        tx.execute(
            Sql::new(
                "INSERT INTO unmanaged (target, login, first_seen, last_seen, state, detail)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(target)
            .bind(&row.login)
            .bind(millis(row.first_seen))
            .bind(millis(row.last_seen))
            .bind(&row.state)
            .bind(&row.detail),
        )
        .await?;
    }
    tx.commit().await?;
    store.durable().await
}

pub(super) async fn unmanaged<D: Db>(store: &SqlStore<D>) -> Result<Vec<UnmanagedRow>, StateError> {
    let sql = Sql::new("SELECT * FROM unmanaged ORDER BY target, login");
    store
        .rows(sql, |row| {
            Ok(UnmanagedRow {
                target: D::text(row, "target")?,
                login: D::text(row, "login")?,
                first_seen: from_millis(D::int(row, "first_seen")?),
                last_seen: from_millis(D::int(row, "last_seen")?),
                state: D::text(row, "state")?,
                detail: D::text(row, "detail")?,
            })
        })
        .await
}
