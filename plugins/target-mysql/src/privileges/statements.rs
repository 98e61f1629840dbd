//! Statements for one scope: the `REVOKE` that takes exactly it from an
//! account, and the `GRANT` that gives it back, names always quoted.

use super::{GRANT_OPTION, Level, Scope, quoted};

fn level_quoted(level: &Level) -> String {
    match level {
        Level::Global => "*.*".to_owned(),
        Level::Database(db) => format!("{}.*", quoted(db)),
        Level::Table { database, table } => format!("{}.{}", quoted(database), quoted(table)),
    }
}

impl Scope {
    /// The scope this one depends on: an admin option needs its role, a
    /// PROXY grant option its PROXY. Revoking that one removes this one too.
    pub fn requires(&self) -> Option<Scope> {
        match self {
            Self::RoleAdmin(role) => Some(Self::Role(role.clone())),
            Self::ProxyGrant(user) => Some(Self::Proxy(user.clone())),
            _ => None,
        }
    }

    /// The statement that takes this one privilege from `account` (a
    /// quoted `'user'@'host'`), and nothing else it could keep. Revoking a
    /// table privilege also takes the same privilege on the table's columns,
    /// and on MySQL (which cannot revoke an admin option alone) revoking an
    /// admin option takes the role, as revoking a PROXY grant option takes
    /// PROXY: the caller restores what was approved
    /// ([`Scope::grant_statement`]).
    pub fn revoke_statement(&self, account: &str, mariadb: bool) -> String {
        match self {
            Self::Privilege { privilege, level } => {
                format!(
                    "REVOKE {privilege} ON {} FROM {account}",
                    level_quoted(level)
                )
            }
            Self::Column {
                privilege,
                database,
                table,
                column,
            } => format!(
                "REVOKE {privilege} ({}) ON {}.{} FROM {account}",
                quoted(column),
                quoted(database),
                quoted(table)
            ),
            Self::Routine {
                privilege,
                kind,
                database,
                name,
            } => format!(
                "REVOKE {privilege} ON {} {}.{} FROM {account}",
                kind.keyword(),
                quoted(database),
                quoted(name)
            ),
            Self::Role(role) => format!("REVOKE {} FROM {account}", role.role(mariadb)),
            Self::RoleAdmin(role) if mariadb => {
                format!(
                    "REVOKE ADMIN OPTION FOR {} FROM {account}",
                    role.role(mariadb)
                )
            }
            Self::RoleAdmin(role) => format!("REVOKE {} FROM {account}", role.role(mariadb)),
            Self::Proxy(user) | Self::ProxyGrant(user) => {
                format!("REVOKE PROXY ON {} FROM {account}", user.user_literal())
            }
        }
    }

    /// The statement that gives this privilege back to `account`, exactly
    /// (a grant option alone is granted with `USAGE`, which adds nothing).
    /// `with_option` adds the role's admin option or PROXY's grant option
    /// to a `ROLE` or `PROXY` grant.
    pub fn grant_statement(&self, account: &str, mariadb: bool, with_option: bool) -> String {
        match self {
            Self::Privilege { privilege, level } if privilege == GRANT_OPTION => format!(
                "GRANT USAGE ON {} TO {account} WITH GRANT OPTION",
                level_quoted(level)
            ),
            Self::Privilege { privilege, level } => {
                format!("GRANT {privilege} ON {} TO {account}", level_quoted(level))
            }
            Self::Column {
                privilege,
                database,
                table,
                column,
            } => format!(
                "GRANT {privilege} ({}) ON {}.{} TO {account}",
                quoted(column),
                quoted(database),
                quoted(table)
            ),
            Self::Routine {
                privilege,
                kind,
                database,
                name,
            } => {
                let (privilege, option) = if privilege == GRANT_OPTION {
                    ("USAGE", " WITH GRANT OPTION")
                } else {
                    (privilege.as_str(), "")
                };
                format!(
                    "GRANT {privilege} ON {} {}.{} TO {account}{option}",
                    kind.keyword(),
                    quoted(database),
                    quoted(name)
                )
            }
            Self::Role(role) | Self::RoleAdmin(role) => {
                let option = with_option || matches!(self, Self::RoleAdmin(_));
                format!(
                    "GRANT {} TO {account}{}",
                    role.role(mariadb),
                    if option { " WITH ADMIN OPTION" } else { "" }
                )
            }
            Self::Proxy(user) | Self::ProxyGrant(user) => {
                let option = with_option || matches!(self, Self::ProxyGrant(_));
                format!(
                    "GRANT PROXY ON {} TO {account}{}",
                    user.user_literal(),
                    if option { " WITH GRANT OPTION" } else { "" }
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoke_statements_quote_names() {
        let scope: Scope = "DELETE ON shop.orders".parse().expect("scope");
        assert_eq!(
            scope.revoke_statement("'app'@'%'", true),
            "REVOKE DELETE ON `shop`.`orders` FROM 'app'@'%'"
        );
        let account = "'app'@'%'";
        for (scope, mariadb, revoke, grant) in [
            (
                "SELECT (`a``b`) ON shop.orders",
                true,
                "REVOKE SELECT (`a``b`) ON `shop`.`orders` FROM 'app'@'%'",
                "GRANT SELECT (`a``b`) ON `shop`.`orders` TO 'app'@'%'",
            ),
            (
                "EXECUTE ON PROCEDURE shop.p",
                true,
                "REVOKE EXECUTE ON PROCEDURE `shop`.`p` FROM 'app'@'%'",
                "GRANT EXECUTE ON PROCEDURE `shop`.`p` TO 'app'@'%'",
            ),
            (
                "GRANT OPTION ON FUNCTION shop.f",
                true,
                "REVOKE GRANT OPTION ON FUNCTION `shop`.`f` FROM 'app'@'%'",
                "GRANT USAGE ON FUNCTION `shop`.`f` TO 'app'@'%' WITH GRANT OPTION",
            ),
            (
                "GRANT OPTION ON shop.*",
                true,
                "REVOKE GRANT OPTION ON `shop`.* FROM 'app'@'%'",
                "GRANT USAGE ON `shop`.* TO 'app'@'%' WITH GRANT OPTION",
            ),
            (
                "ROLE `it's`",
                true,
                "REVOKE `it's` FROM 'app'@'%'",
                "GRANT `it's` TO 'app'@'%'",
            ),
            (
                "ROLE `it's`",
                false,
                "REVOKE 'it''s'@'%' FROM 'app'@'%'",
                "GRANT 'it''s'@'%' TO 'app'@'%'",
            ),
            (
                "ADMIN OPTION ON ROLE r",
                true,
                "REVOKE ADMIN OPTION FOR `r` FROM 'app'@'%'",
                "GRANT `r` TO 'app'@'%' WITH ADMIN OPTION",
            ),
            (
                "ADMIN OPTION ON ROLE r@localhost",
                false,
                "REVOKE 'r'@'localhost' FROM 'app'@'%'",
                "GRANT 'r'@'localhost' TO 'app'@'%' WITH ADMIN OPTION",
            ),
            (
                "PROXY ON alice",
                true,
                "REVOKE PROXY ON 'alice'@'%' FROM 'app'@'%'",
                "GRANT PROXY ON 'alice'@'%' TO 'app'@'%'",
            ),
            (
                "GRANT OPTION ON PROXY alice@localhost",
                true,
                "REVOKE PROXY ON 'alice'@'localhost' FROM 'app'@'%'",
                "GRANT PROXY ON 'alice'@'localhost' TO 'app'@'%' WITH GRANT OPTION",
            ),
        ] {
            let parsed: Scope = scope.parse().expect(scope);
            assert_eq!(parsed.revoke_statement(account, mariadb), revoke);
            assert_eq!(parsed.grant_statement(account, mariadb, false), grant);
        }
        let role: Scope = "ROLE r".parse().expect("role");
        assert_eq!(
            role.grant_statement(account, true, true),
            "GRANT `r` TO 'app'@'%' WITH ADMIN OPTION"
        );
        assert_eq!(
            "ADMIN OPTION ON ROLE r"
                .parse::<Scope>()
                .expect("admin")
                .requires(),
            Some(role)
        );
    }
}
