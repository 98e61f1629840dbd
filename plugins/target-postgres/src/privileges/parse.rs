//! Scopes: what a role may do, as canonical strings, read from the catalog
//! and revoked one by one.
//!
//! | scope | meaning |
//! | --- | --- |
//! | `SELECT ON public.orders` | a table (or view) privilege: SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER |
//! | `UPDATE (status) ON public.orders` | a column privilege: SELECT, INSERT, UPDATE, REFERENCES |
//! | `USAGE ON SEQUENCE public.orders_id_seq` | a sequence privilege: USAGE, SELECT, UPDATE |
//! | `EXECUTE ON FUNCTION public.refund(integer, text)` | a function or procedure, with its argument types as PostgreSQL names them (`\df`) |
//! | `USAGE ON SCHEMA public` | a schema privilege: USAGE, CREATE |
//! | `CONNECT ON DATABASE shop` | a database privilege: CONNECT, CREATE, TEMPORARY |
//! | `MEMBER OF readers` | membership in another role (and what it grants) |
//! | `SUPERUSER` | a role attribute: SUPERUSER, CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS |
//! | `… WITH GRANT OPTION`, `MEMBER OF readers WITH ADMIN OPTION` | the right to pass the privilege on (approving it approves the privilege) |
//! | `OWNER OF TABLE public.orders` | ownership of a table, sequence, function, schema or database |
//!
//! Keywords are case-insensitive; identifiers are case-sensitive and quoted
//! like SQL (`SELECT ON public."Orders"`). Only privileges granted to the
//! role itself count, not those granted to PUBLIC. An owner's own
//! privileges on what it owns are its ownership, reported once as
//! `OWNER OF …`; narrowing never takes ownership away (that would need a
//! new owner): unapproved ownership fails the narrowing for a person.

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
const COLUMN_PRIVILEGES: [&str; 4] = ["SELECT", "INSERT", "UPDATE", "REFERENCES"];
const SEQUENCE_PRIVILEGES: [&str; 3] = ["USAGE", "SELECT", "UPDATE"];
const FUNCTION_PRIVILEGES: [&str; 1] = ["EXECUTE"];
const SCHEMA_PRIVILEGES: [&str; 2] = ["USAGE", "CREATE"];
const DATABASE_PRIVILEGES: [&str; 3] = ["CONNECT", "CREATE", "TEMPORARY"];
const ATTRIBUTES: [&str; 5] = [
    "SUPERUSER",
    "CREATEDB",
    "CREATEROLE",
    "REPLICATION",
    "BYPASSRLS",
];

/// Something a privilege is on, or a role owns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Object {
    /// A table, view, materialized view or foreign table.
    Table {
        /// The schema.
        schema: String,
        /// The table.
        table: String,
    },
    /// A sequence.
    Sequence {
        /// The schema.
        schema: String,
        /// The sequence.
        name: String,
    },
    /// A function or procedure.
    Function {
        /// The schema.
        schema: String,
        /// The function.
        name: String,
        /// Its argument types, `, `-separated, as PostgreSQL names them.
        args: String,
    },
    /// A schema.
    Schema(String),
    /// A database.
    Database(String),
}

impl Object {
    /// The keyword for the object's kind.
    fn keyword(&self) -> &'static str {
        match self {
            Self::Table { .. } => "TABLE",
            Self::Sequence { .. } => "SEQUENCE",
            Self::Function { .. } => "FUNCTION",
            Self::Schema(_) => "SCHEMA",
            Self::Database(_) => "DATABASE",
        }
    }

    /// The privileges the kind of object has.
    fn privileges(&self) -> &'static [&'static str] {
        match self {
            Self::Table { .. } => &TABLE_PRIVILEGES,
            Self::Sequence { .. } => &SEQUENCE_PRIVILEGES,
            Self::Function { .. } => &FUNCTION_PRIVILEGES,
            Self::Schema(_) => &SCHEMA_PRIVILEGES,
            Self::Database(_) => &DATABASE_PRIVILEGES,
        }
    }

    /// The name as written in a scope (without the keyword).
    fn display_name(&self) -> String {
        match self {
            Self::Table { schema, table } => {
                format!("{}.{}", display_ident(schema), display_ident(table))
            }
            Self::Sequence { schema, name } => {
                format!("{}.{}", display_ident(schema), display_ident(name))
            }
            Self::Function { schema, name, args } => {
                format!("{}.{}({args})", display_ident(schema), display_ident(name))
            }
            Self::Schema(name) | Self::Database(name) => display_ident(name),
        }
    }

    /// The object as named in a `REVOKE … ON <here>` statement.
    fn sql(&self) -> String {
        match self {
            Self::Table { schema, table } => format!("TABLE {}.{}", ident(schema), ident(table)),
            Self::Sequence { schema, name } => {
                format!("SEQUENCE {}.{}", ident(schema), ident(name))
            }
            // Argument types come from the catalog (format_type quotes them).
            Self::Function { schema, name, args } => {
                format!("ROUTINE {}.{}({args})", ident(schema), ident(name))
            }
            Self::Schema(name) => format!("SCHEMA {}", ident(name)),
            Self::Database(name) => format!("DATABASE {}", ident(name)),
        }
    }

    /// Parses `[TABLE] s.t`, `SEQUENCE s.n`, `FUNCTION s.f(args)`,
    /// `SCHEMA s`, `DATABASE d`; the keyword is optional for tables.
    fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (keyword, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let rest = rest.trim();
        let qualified = |name: &str, what: &str| match identifiers(name)?.as_slice() {
            [schema, object] => Ok((schema.clone(), object.clone())),
            _ => Err(format!(
                "{name:?}: name the {what} with its schema, like public.orders"
            )),
        };
        let single = |name: &str, what: &str| match identifiers(name)?.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(format!("invalid {what} name {name:?}")),
        };
        match keyword.to_ascii_uppercase().as_str() {
            "TABLE" => {
                qualified(rest, "table").map(|(schema, table)| Self::Table { schema, table })
            }
            "SEQUENCE" => {
                qualified(rest, "sequence").map(|(schema, name)| Self::Sequence { schema, name })
            }
            "FUNCTION" | "PROCEDURE" | "ROUTINE" => {
                let (name, args) = rest
                    .split_once('(')
                    .and_then(|(name, args)| Some((name, args.trim_end().strip_suffix(')')?)))
                    .ok_or_else(|| {
                        format!("{rest:?}: name the function with its argument types, like public.refund(integer)")
                    })?;
                let (schema, name) = qualified(name, "function")?;
                let args = args
                    .split(',')
                    .map(|a| a.split_whitespace().collect::<Vec<_>>().join(" "))
                    .filter(|a| !a.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                Ok(Self::Function { schema, name, args })
            }
            "SCHEMA" => single(rest, "schema").map(Self::Schema),
            "DATABASE" => single(rest, "database").map(Self::Database),
            _ if rest.is_empty() => {
                qualified(text, "table").map(|(schema, table)| Self::Table { schema, table })
            }
            _ => Err(format!("unknown kind of object {keyword:?}")),
        }
    }
}

/// One privilege a role can hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// A privilege on a table, sequence, function, schema or database.
    On {
        /// SELECT, USAGE, EXECUTE, CONNECT, ...
        privilege: String,
        /// What it is on.
        object: Object,
    },
    /// A privilege on one column of a table.
    Column {
        /// SELECT, INSERT, UPDATE or REFERENCES.
        privilege: String,
        /// The schema.
        schema: String,
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// Membership in a role.
    Member {
        /// The role.
        role: String,
    },
    /// A role attribute.
    Attribute(String),
    /// The right to grant a privilege on (`WITH GRANT OPTION`), or to
    /// administer a membership (`WITH ADMIN OPTION`).
    GrantOption(Box<Scope>),
    /// Ownership.
    Owner(Object),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::On { privilege, object } => match object {
                Object::Table { .. } => write!(f, "{privilege} ON {}", object.display_name()),
                _ => write!(
                    f,
                    "{privilege} ON {} {}",
                    object.keyword(),
                    object.display_name()
                ),
            },
            Self::Column {
                privilege,
                schema,
                table,
                column,
            } => write!(
                f,
                "{privilege} ({}) ON {}.{}",
                display_ident(column),
                display_ident(schema),
                display_ident(table)
            ),
            Self::Member { role } => write!(f, "MEMBER OF {}", display_ident(role)),
            Self::Attribute(attribute) => f.write_str(attribute),
            Self::GrantOption(inner) => match **inner {
                Self::Member { .. } => write!(f, "{inner} WITH ADMIN OPTION"),
                _ => write!(f, "{inner} WITH GRANT OPTION"),
            },
            Self::Owner(object) => {
                write!(f, "OWNER OF {} {}", object.keyword(), object.display_name())
            }
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

/// Strips a case-insensitive `suffix` (a phrase) from `text`.
fn strip_phrase<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let upper = text.to_ascii_uppercase();
    let normalized = upper.split_whitespace().collect::<Vec<_>>().join(" ");
    if !normalized.ends_with(suffix) {
        return None;
    }
    // Remove as many words from the end of `text` as `suffix` has.
    let mut rest = text.trim_end();
    for _ in suffix.split(' ') {
        rest = rest.trim_end();
        let at = rest.rfind(char::is_whitespace)?;
        rest = &rest[..at];
    }
    Some(rest.trim_end())
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = "expected `<PRIVILEGE> ON <schema>.<table>`, `<PRIVILEGE> (<column>) ON <schema>.<table>`, `<PRIVILEGE> ON SEQUENCE|FUNCTION|SCHEMA|DATABASE <name>`, `MEMBER OF <role>`, `OWNER OF <kind> <name>`, a role attribute such as SUPERUSER, or one of them `WITH GRANT OPTION`";
        let text = text.trim();
        if let Some(inner) = strip_phrase(text, "WITH GRANT OPTION") {
            return match inner.parse::<Self>()? {
                scope @ (Self::On { .. } | Self::Column { .. }) => {
                    Ok(Self::GrantOption(Box::new(scope)))
                }
                _ => Err(format!("{text:?}: only a privilege has a grant option")),
            };
        }
        if let Some(inner) = strip_phrase(text, "WITH ADMIN OPTION") {
            return match inner.parse::<Self>()? {
                scope @ Self::Member { .. } => Ok(Self::GrantOption(Box::new(scope))),
                _ => Err(format!("{text:?}: only a membership has an admin option")),
            };
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
        let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
        match upper.as_slice() {
            [attribute] if ATTRIBUTES.contains(attribute) => {
                return Ok(Self::Attribute((*attribute).to_owned()));
            }
            ["MEMBER", "OF", _] => {
                let role = identifiers(words[2])?;
                return match role.as_slice() {
                    [role] => Ok(Self::Member { role: role.clone() }),
                    _ => Err(format!("invalid role name in {text:?}")),
                };
            }
            ["OWNER", "OF", ..] => {
                let object = text
                    .splitn(3, char::is_whitespace)
                    .nth(2)
                    .ok_or_else(|| format!("invalid PostgreSQL scope {text:?}: {expected}"))?;
                return Object::parse(object).map(Self::Owner);
            }
            _ => {}
        }
        let upper_text = text.to_ascii_uppercase();
        let at = upper_text
            .find(" ON ")
            .ok_or_else(|| format!("invalid PostgreSQL scope {text:?}: {expected}"))?;
        let (left, object) = (text[..at].trim(), &text[at + 4..]);
        if let Some((privilege, column)) = left.split_once('(') {
            let privilege = privilege.trim().to_ascii_uppercase();
            let column = column
                .trim()
                .strip_suffix(')')
                .ok_or_else(|| format!("{text:?}: unterminated column list"))?;
            let column = match identifiers(column)?.as_slice() {
                [column] => column.clone(),
                _ => return Err(format!("{text:?}: name one column per scope")),
            };
            if !COLUMN_PRIVILEGES.contains(&privilege.as_str()) {
                return Err(format!("{text:?}: {privilege} is not a column privilege"));
            }
            return match Object::parse(object)? {
                Object::Table { schema, table } => Ok(Self::Column {
                    privilege,
                    schema,
                    table,
                    column,
                }),
                _ => Err(format!("{text:?}: column privileges are on tables")),
            };
        }
        let mut privilege = left.to_ascii_uppercase();
        if privilege == "TEMP" {
            privilege = "TEMPORARY".to_owned();
        }
        let object = Object::parse(object)?;
        if !object.privileges().contains(&privilege.as_str()) {
            return Err(format!(
                "invalid PostgreSQL scope {text:?}: {privilege} is not a {} privilege ({})",
                object.keyword().to_ascii_lowercase(),
                object.privileges().join(", ")
            ));
        }
        Ok(Self::On { privilege, object })
    }
}

impl Scope {
    /// The statement that takes this privilege away from `role`; `None`
    /// for ownership, which is never taken away.
    pub fn revoke_statement(&self, role: &str) -> Option<String> {
        self.revoke_sql(&ident(role))
    }

    /// [`Self::revoke_statement`] for a role name already quoted.
    fn revoke_sql(&self, role: &str) -> Option<String> {
        Some(match self {
            Self::On { privilege, object } => {
                format!("REVOKE {privilege} ON {} FROM {role}", object.sql())
            }
            Self::Column {
                privilege,
                schema,
                table,
                column,
            } => format!(
                "REVOKE {privilege} ({}) ON TABLE {}.{} FROM {role}",
                ident(column),
                ident(schema),
                ident(table)
            ),
            Self::Member { role: group } => format!("REVOKE {} FROM {role}", ident(group)),
            Self::Attribute(attribute) => format!("ALTER ROLE {role} NO{attribute}"),
            Self::GrantOption(inner) => match &**inner {
                Self::Member { role: group } => {
                    format!("REVOKE ADMIN OPTION FOR {} FROM {role}", ident(group))
                }
                // Without CASCADE: if the role passed the privilege on,
                // PostgreSQL refuses, and a person decides.
                other => other
                    .revoke_sql(role)?
                    .replacen("REVOKE ", "REVOKE GRANT OPTION FOR ", 1),
            },
            Self::Owner(_) => return None,
        })
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
            (
                "update (Status) on public.orders",
                "UPDATE (status) ON public.orders",
            ),
            (
                "usage on sequence public.orders_id_seq",
                "USAGE ON SEQUENCE public.orders_id_seq",
            ),
            (
                "execute on function public.refund( integer ,  character varying )",
                "EXECUTE ON FUNCTION public.refund(integer, character varying)",
            ),
            (
                "execute on procedure public.tidy()",
                "EXECUTE ON FUNCTION public.tidy()",
            ),
            ("temp on database shop", "TEMPORARY ON DATABASE shop"),
            (
                "connect on database \"Shop\"",
                "CONNECT ON DATABASE \"Shop\"",
            ),
            (
                "select on public.orders with  grant option",
                "SELECT ON public.orders WITH GRANT OPTION",
            ),
            (
                "member of readers with admin option",
                "MEMBER OF readers WITH ADMIN OPTION",
            ),
            (
                "owner of table public.orders",
                "OWNER OF TABLE public.orders",
            ),
            ("owner of schema app", "OWNER OF SCHEMA app"),
        ] {
            let scope: Scope = input.parse().expect(input);
            assert_eq!(scope.to_string(), canonical);
            assert_eq!(scope.to_string().parse::<Scope>().expect("reparse"), scope);
        }
        assert!("select on orders".parse::<Scope>().is_err());
        assert!("drop everything".parse::<Scope>().is_err());
        assert!("execute on public.orders".parse::<Scope>().is_err());
        assert!("delete (a) on public.orders".parse::<Scope>().is_err());
        assert!("superuser with grant option".parse::<Scope>().is_err());
        assert!("connect on schema public".parse::<Scope>().is_err());
    }

    #[test]
    fn revoke_statements_quote_names() {
        let scope: Scope = "DELETE ON public.\"Orders\"".parse().expect("scope");
        assert_eq!(
            scope.revoke_statement("app").as_deref(),
            Some("REVOKE DELETE ON TABLE \"public\".\"Orders\" FROM \"app\"")
        );
        assert_eq!(
            Scope::Attribute("CREATEDB".into())
                .revoke_statement("app")
                .as_deref(),
            Some("ALTER ROLE \"app\" NOCREATEDB")
        );
        let option: Scope = "UPDATE (status) ON public.orders WITH GRANT OPTION"
            .parse()
            .expect("scope");
        assert_eq!(
            option.revoke_statement("app").as_deref(),
            Some(
                "REVOKE GRANT OPTION FOR UPDATE (\"status\") ON TABLE \"public\".\"orders\" FROM \"app\""
            )
        );
        let admin: Scope = "MEMBER OF readers WITH ADMIN OPTION"
            .parse()
            .expect("scope");
        assert_eq!(
            admin.revoke_statement("app").as_deref(),
            Some("REVOKE ADMIN OPTION FOR \"readers\" FROM \"app\"")
        );
        let owner: Scope = "OWNER OF TABLE public.orders".parse().expect("scope");
        assert_eq!(owner.revoke_statement("app"), None);
    }
}
