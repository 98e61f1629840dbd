//! Reading the catalog: one query for every scope each role holds
//! directly, with the role holding it.

use sqlx::{PgPool, Row};
use tenure_plugin_api::PluginError;

use super::{Object, Scope};

fn db(err: sqlx::Error) -> PluginError {
    match err {
        sqlx::Error::Database(e) => {
            PluginError::permanent(format!("catalog query failed: {}", e.message()))
        }
        other => PluginError::retryable(format!("catalog query failed: {other}")),
    }
}

/// One catalog query for every scope each of `roles` holds directly (not
/// through memberships or PUBLIC), with the role holding each: attributes,
/// memberships (and their admin option), privileges on tables, columns,
/// sequences, functions, schemas and databases (and their grant option),
/// and what each role owns. An owner's own entries in an object's ACL are
/// its ownership, not grants, and are left out. A role that does not exist
/// is not found. One round trip, so an attestation costs one login and one
/// catalog query.
///
/// Columns: holder, kind, a (schema or name), b (object), c (privilege or
/// object kind), d (column or argument types), g (grant option).
const HELD: &str = "
WITH r AS (SELECT oid, rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls
           FROM pg_roles WHERE rolname = ANY($1)),
sys AS (SELECT oid FROM pg_namespace
        WHERE nspname IN ('pg_catalog', 'information_schema', 'pg_toast') OR nspname LIKE 'pg\\_temp\\_%'
           OR nspname LIKE 'pg\\_toast\\_temp\\_%')
SELECT r.rolname::text AS holder, 'role' AS kind, NULL::text AS a, NULL::text AS b, NULL::text AS c,
       NULL::text AS d, false AS g FROM r
UNION ALL
SELECT r.rolname::text, 'attribute', x.attribute, NULL, NULL, NULL, false FROM r
  CROSS JOIN LATERAL (VALUES ('SUPERUSER', r.rolsuper), ('CREATEDB', r.rolcreatedb),
    ('CREATEROLE', r.rolcreaterole), ('REPLICATION', r.rolreplication), ('BYPASSRLS', r.rolbypassrls))
    AS x(attribute, held)
  WHERE x.held
UNION ALL
SELECT r.rolname::text, CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END,
       n.nspname::text, c.relname::text, a.privilege_type::text, NULL, a.is_grantable
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL aclexplode(c.relacl) a JOIN r ON a.grantee = r.oid
  WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f', 'S') AND a.grantee <> c.relowner
UNION ALL
SELECT r.rolname::text, 'column', n.nspname::text, c.relname::text, a.privilege_type::text,
       att.attname::text, a.is_grantable
  FROM pg_attribute att JOIN pg_class c ON c.oid = att.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL aclexplode(att.attacl) a JOIN r ON a.grantee = r.oid
  WHERE att.attacl IS NOT NULL AND att.attnum > 0 AND NOT att.attisdropped
    AND a.grantee <> c.relowner
UNION ALL
SELECT r.rolname::text, 'function', n.nspname::text, p.proname::text, a.privilege_type::text,
       pg_catalog.oidvectortypes(p.proargtypes), a.is_grantable
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  CROSS JOIN LATERAL aclexplode(p.proacl) a JOIN r ON a.grantee = r.oid
  WHERE a.grantee <> p.proowner
UNION ALL
SELECT r.rolname::text, 'schema', n.nspname::text, NULL, a.privilege_type::text, NULL, a.is_grantable
  FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a JOIN r ON a.grantee = r.oid
  WHERE a.grantee <> n.nspowner
UNION ALL
SELECT r.rolname::text, 'database', d.datname::text, NULL, a.privilege_type::text, NULL, a.is_grantable
  FROM pg_database d CROSS JOIN LATERAL aclexplode(d.datacl) a JOIN r ON a.grantee = r.oid
  WHERE a.grantee <> d.datdba
UNION ALL
SELECT r.rolname::text, 'member', g.rolname::text, NULL, NULL, NULL, m.admin_option
  FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN r ON m.member = r.oid
UNION ALL
SELECT r.rolname::text, 'owner', n.nspname::text, c.relname::text,
       CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, NULL, false
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN r ON c.relowner = r.oid
  WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f', 'S') AND n.oid NOT IN (SELECT oid FROM sys)
UNION ALL
SELECT r.rolname::text, 'owner', n.nspname::text, p.proname::text, 'FUNCTION',
       pg_catalog.oidvectortypes(p.proargtypes), false
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN r ON p.proowner = r.oid
  WHERE n.oid NOT IN (SELECT oid FROM sys)
UNION ALL
SELECT r.rolname::text, 'owner', n.nspname::text, NULL, 'SCHEMA', NULL, false
  FROM pg_namespace n JOIN r ON n.nspowner = r.oid WHERE n.oid NOT IN (SELECT oid FROM sys)
UNION ALL
SELECT r.rolname::text, 'owner', d.datname::text, NULL, 'DATABASE', NULL, false
  FROM pg_database d JOIN r ON d.datdba = r.oid";

/// The object a catalog row names, from its kind and columns.
fn object(kind: &str, a: Option<String>, b: Option<String>, d: Option<String>) -> Option<Object> {
    Some(match (kind, a, b) {
        ("TABLE", Some(schema), Some(table)) => Object::Table { schema, table },
        ("SEQUENCE", Some(schema), Some(name)) => Object::Sequence { schema, name },
        ("FUNCTION", Some(schema), Some(name)) => Object::Function {
            schema,
            name,
            args: d.unwrap_or_default(),
        },
        ("SCHEMA", Some(name), _) => Object::Schema(name),
        ("DATABASE", Some(name), _) => Object::Database(name),
        _ => return None,
    })
}

/// Every scope each of `roles` holds directly, as `(scope, holder)`, sorted
/// and without duplicates; one query (see [`HELD`]). A privilege held with
/// its grant (or admin) option is reported once, as that option.
pub async fn held(pool: &PgPool, roles: &[String]) -> Result<Vec<(Scope, String)>, PluginError> {
    let rows = sqlx::query(HELD)
        .bind(roles)
        .fetch_all(pool)
        .await
        .map_err(db)?;
    let mut found = std::collections::BTreeSet::new();
    let mut scopes = Vec::new();
    for row in rows {
        let holder: String = row.try_get(0).map_err(db)?;
        let kind: String = row.try_get(1).map_err(db)?;
        let a: Option<String> = row.try_get(2).map_err(db)?;
        let b: Option<String> = row.try_get(3).map_err(db)?;
        let c: Option<String> = row.try_get(4).map_err(db)?;
        let d: Option<String> = row.try_get(5).map_err(db)?;
        let grantable: bool = row.try_get(6).map_err(db)?;
        let unexpected = || PluginError::permanent(format!("unexpected catalog row {kind:?}"));
        let scope = match (kind.as_str(), c) {
            ("role", _) => {
                found.insert(holder);
                continue;
            }
            ("attribute", _) => Scope::Attribute(a.ok_or_else(unexpected)?),
            ("member", _) => Scope::Member {
                role: a.ok_or_else(unexpected)?,
            },
            ("column", Some(privilege)) => match (a, b, d) {
                (Some(schema), Some(table), Some(column)) => Scope::Column {
                    privilege,
                    schema,
                    table,
                    column,
                },
                _ => return Err(unexpected()),
            },
            ("owner", Some(object_kind)) => {
                Scope::Owner(object(&object_kind, a, b, d).ok_or_else(unexpected)?)
            }
            (on, Some(privilege)) => {
                let object = object(&on.to_ascii_uppercase(), a, b, d).ok_or_else(unexpected)?;
                Scope::On { privilege, object }
            }
            _ => return Err(unexpected()),
        };
        let scope = if grantable {
            Scope::GrantOption(Box::new(scope))
        } else {
            scope
        };
        scopes.push((scope, holder));
    }
    if let Some(missing) = roles.iter().find(|r| !found.contains(*r)) {
        return Err(PluginError::not_found(format!(
            "role {missing} does not exist"
        )));
    }
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}
