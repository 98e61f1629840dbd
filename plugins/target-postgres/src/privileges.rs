//! Scopes: what a role may do, as canonical strings, read from the catalog
//! and revoked one by one.
//!
//! | scope | meaning |
//! | --- | --- |
//! | `SELECT ON public.orders` | a table (or view) privilege: SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER |
//! | `USAGE ON SCHEMA public` | a schema privilege: USAGE, CREATE |
//! | `MEMBER OF readers` | membership in another role (and what it grants) |
//! | `SUPERUSER` | a role attribute: SUPERUSER, CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS |
//!
//! Keywords are case-insensitive; identifiers are case-sensitive and quoted
//! like SQL (`SELECT ON public."Orders"`). Ownership is not a scope: a role
//! that owns objects keeps them.

use std::fmt;
use std::str::FromStr;

use sqlx::{PgPool, Row};
use tenure_plugin_api::PluginError;

use crate::sql::{display_ident, ident};

const TABLE_PRIVILEGES: [&str; 7] = [
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
];
const SCHEMA_PRIVILEGES: [&str; 2] = ["USAGE", "CREATE"];
const ATTRIBUTES: [&str; 5] = [
    "SUPERUSER",
    "CREATEDB",
    "CREATEROLE",
    "REPLICATION",
    "BYPASSRLS",
];

/// One privilege a role can hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// A privilege on a table or view.
    Table {
        /// SELECT, INSERT, ...
        privilege: String,
        /// The schema.
        schema: String,
        /// The table.
        table: String,
    },
    /// A privilege on a schema.
    Schema {
        /// USAGE or CREATE.
        privilege: String,
        /// The schema.
        schema: String,
    },
    /// Membership in a role.
    Member {
        /// The role.
        role: String,
    },
    /// A role attribute.
    Attribute(String),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Table {
                privilege,
                schema,
                table,
            } => write!(
                f,
                "{privilege} ON {}.{}",
                display_ident(schema),
                display_ident(table)
            ),
            Self::Schema { privilege, schema } => {
                write!(f, "{privilege} ON SCHEMA {}", display_ident(schema))
            }
            Self::Member { role } => write!(f, "MEMBER OF {}", display_ident(role)),
            Self::Attribute(attribute) => f.write_str(attribute),
        }
    }
}

/// Splits an identifier list like `public."Orders"` on unquoted dots.
fn identifiers(text: &str) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = text.trim().chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', false) if current.is_empty() => {
                quoted = true;
                was_quoted = true;
            }
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                current.push('"');
            }
            ('"', true) => quoted = false,
            ('.', false) => {
                parts.push(std::mem::take(&mut current));
                was_quoted = false;
            }
            (c, true) => current.push(c),
            (c, false) if c.is_whitespace() => return Err("unexpected space in a name".into()),
            (c, false) => current.extend(c.to_lowercase()),
        }
    }
    if quoted {
        return Err("unterminated quoted name".into());
    }
    let _ = was_quoted;
    parts.push(current);
    if parts.iter().any(String::is_empty) {
        return Err("empty name".into());
    }
    Ok(parts)
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = "expected `<PRIVILEGE> ON <schema>.<table>`, `<PRIVILEGE> ON SCHEMA <schema>`, `MEMBER OF <role>` or a role attribute such as SUPERUSER";
        let words: Vec<&str> = text.split_whitespace().collect();
        let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
        let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
        match upper.as_slice() {
            [attribute] if ATTRIBUTES.contains(attribute) => {
                Ok(Self::Attribute((*attribute).to_owned()))
            }
            ["MEMBER", "OF", _] => {
                let role = identifiers(words[2])?;
                match role.as_slice() {
                    [role] => Ok(Self::Member { role: role.clone() }),
                    _ => Err(format!("invalid role name in {text:?}")),
                }
            }
            [privilege, "ON", "SCHEMA", _] if SCHEMA_PRIVILEGES.contains(privilege) => {
                match identifiers(words[3])?.as_slice() {
                    [schema] => Ok(Self::Schema {
                        privilege: (*privilege).to_owned(),
                        schema: schema.clone(),
                    }),
                    _ => Err(format!("invalid schema name in {text:?}")),
                }
            }
            [privilege, "ON", "TABLE", _] | [privilege, "ON", _]
                if TABLE_PRIVILEGES.contains(privilege) =>
            {
                let name = words[words.len() - 1];
                match identifiers(name)?.as_slice() {
                    [schema, table] => Ok(Self::Table {
                        privilege: (*privilege).to_owned(),
                        schema: schema.clone(),
                        table: table.clone(),
                    }),
                    _ => Err(format!(
                        "{text:?}: name the table with its schema, like public.orders"
                    )),
                }
            }
            _ => Err(format!("invalid PostgreSQL scope {text:?}: {expected}")),
        }
    }
}

impl Scope {
    /// The statement that takes this privilege away from `role`.
    pub fn revoke_statement(&self, role: &str) -> String {
        match self {
            Self::Table {
                privilege,
                schema,
                table,
            } => format!(
                "REVOKE {privilege} ON TABLE {}.{} FROM {}",
                ident(schema),
                ident(table),
                ident(role)
            ),
            Self::Schema { privilege, schema } => {
                format!(
                    "REVOKE {privilege} ON SCHEMA {} FROM {}",
                    ident(schema),
                    ident(role)
                )
            }
            Self::Member { role: group } => format!("REVOKE {} FROM {}", ident(group), ident(role)),
            Self::Attribute(attribute) => format!("ALTER ROLE {} NO{attribute}", ident(role)),
        }
    }
}

fn db(err: sqlx::Error) -> PluginError {
    match err {
        sqlx::Error::Database(e) => {
            PluginError::permanent(format!("catalog query failed: {}", e.message()))
        }
        other => PluginError::retryable(format!("catalog query failed: {other}")),
    }
}

/// One catalog query for every scope each of `roles` holds directly (not
/// through memberships): role attributes, table and schema privileges and
/// memberships, with the role holding each. A role that does not exist is
/// not found. One round trip, so an attestation costs one login and one
/// catalog query.
const HELD: &str = "
WITH r AS (SELECT oid, rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls
           FROM pg_roles WHERE rolname = ANY($1))
SELECT r.rolname::text AS holder, 'role' AS kind, NULL::text AS a, NULL::text AS b, NULL::text AS c FROM r
UNION ALL
SELECT r.rolname::text, 'attribute', x.attribute, NULL, NULL FROM r
  CROSS JOIN LATERAL (VALUES ('SUPERUSER', r.rolsuper), ('CREATEDB', r.rolcreatedb),
    ('CREATEROLE', r.rolcreaterole), ('REPLICATION', r.rolreplication), ('BYPASSRLS', r.rolbypassrls))
    AS x(attribute, held)
  WHERE x.held
UNION ALL
SELECT r.rolname::text, 'table', n.nspname::text, c.relname::text, a.privilege_type::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL aclexplode(c.relacl) a JOIN r ON a.grantee = r.oid
  WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f')
UNION ALL
SELECT r.rolname::text, 'schema', n.nspname::text, NULL, a.privilege_type::text
  FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a JOIN r ON a.grantee = r.oid
UNION ALL
SELECT r.rolname::text, 'member', g.rolname::text, NULL, NULL
  FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN r ON m.member = r.oid";

/// Every scope each of `roles` holds directly, as `(scope, holder)`, sorted
/// and without duplicates; one query (see [`HELD`]).
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
        let scope = match (kind.as_str(), a, b, c) {
            ("role", ..) => {
                found.insert(holder);
                continue;
            }
            ("attribute", Some(attribute), _, _) => Scope::Attribute(attribute),
            ("table", Some(schema), Some(table), Some(privilege)) => Scope::Table {
                privilege,
                schema,
                table,
            },
            ("schema", Some(schema), _, Some(privilege)) => Scope::Schema { privilege, schema },
            ("member", Some(role), _, _) => Scope::Member { role },
            _ => {
                return Err(PluginError::permanent(format!(
                    "unexpected catalog row {kind:?}"
                )));
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_to_canonical_form() {
        for (input, canonical) in [
            ("select on public.orders", "SELECT ON public.orders"),
            ("SELECT ON TABLE Public.Orders", "SELECT ON public.orders"),
            ("insert on public.\"Orders\"", "INSERT ON public.\"Orders\""),
            ("usage on schema public", "USAGE ON SCHEMA public"),
            ("member of readers", "MEMBER OF readers"),
            ("superuser", "SUPERUSER"),
        ] {
            let scope: Scope = input.parse().expect(input);
            assert_eq!(scope.to_string(), canonical);
            assert_eq!(scope.to_string().parse::<Scope>().expect("reparse"), scope);
        }
        assert!("select on orders".parse::<Scope>().is_err());
        assert!("drop everything".parse::<Scope>().is_err());
    }

    #[test]
    fn revoke_statements_quote_names() {
        let scope: Scope = "DELETE ON public.\"Orders\"".parse().expect("scope");
        assert_eq!(
            scope.revoke_statement("app"),
            "REVOKE DELETE ON TABLE \"public\".\"Orders\" FROM \"app\""
        );
        assert_eq!(
            Scope::Attribute("CREATEDB".into()).revoke_statement("app"),
            "ALTER ROLE \"app\" NOCREATEDB"
        );
    }
}
