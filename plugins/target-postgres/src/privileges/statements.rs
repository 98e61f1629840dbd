//! Revoking a PostgreSQL scope: the statement that takes exactly one
//! privilege from a role, names always quoted.

use super::{Object, Scope};
use crate::sql::ident;

impl Object {
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

#[cfg(test)]
mod tests {
    use super::*;

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
