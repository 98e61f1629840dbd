//! The role table: which role may do what, and which permission each
//! route of the admin API needs. The one place both are written.
//!
//! ```text
//!            read  act  approve
//! viewer      x
//! operator    x     x
//! approver    x          x
//! admin       x     x    x
//! ```
//!
//! `read` is every `GET` of the admin API; `act` every call that changes
//! something (rotate, revoke, remove a signal); `approve` the approval
//! routes. A route not in [`ROUTES`] needs no operator (events, Event Grid,
//! health, metrics and the OpenAPI document have their own rules).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// What an operator may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Every read of the admin API.
    Read,
    /// Every call that changes something: rotate, revoke, remove a signal.
    Act,
    /// Approve or reject a pending action (four-eyes approvals).
    Approve,
}

impl Permission {
    /// The least role that has this permission, for refusal messages.
    pub fn least_role(self) -> &'static str {
        match self {
            Self::Read => "viewer",
            Self::Act => "operator",
            Self::Approve => "approver",
        }
    }
}

/// An operator's role, lowest first (the order "highest role" uses when
/// an OIDC token names several).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything, changes nothing.
    Viewer,
    /// Reads and acts (rotate, revoke, remove a signal).
    Operator,
    /// Reads and approves or rejects pending actions.
    Approver,
    /// Everything.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Operator, Role::Approver, Role::Admin];

    /// Whether this role has `permission` (the table above).
    pub fn can(self, permission: Permission) -> bool {
        use Permission::{Act, Approve, Read};
        match self {
            Self::Viewer => matches!(permission, Read),
            Self::Operator => matches!(permission, Read | Act),
            Self::Approver => matches!(permission, Read | Approve),
            Self::Admin => true,
        }
    }

    /// The role's name, as the config and the audit trail write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Approver => "approver",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?} (expected viewer, operator, approver or admin)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == name)
            .ok_or_else(|| UnknownRole(name.to_owned()))
    }
}

/// What each route of the admin API needs: `(method, path, permission)`,
/// paths as the router writes them. The router guards exactly these; a
/// test holds every other `/v1/` route to [`OPEN_ROUTES`].
pub const ROUTES: &[(&str, &str, Permission)] = &[
    ("GET", "/v1/secrets", Permission::Read),
    ("GET", "/v1/plan", Permission::Read),
    ("GET", "/v1/secrets/{address}/evidence", Permission::Read),
    ("GET", "/v1/signals", Permission::Read),
    ("POST", "/v1/secrets/{address}/rotate", Permission::Act),
    ("POST", "/v1/secrets/{address}/revoke", Permission::Act),
    ("DELETE", "/v1/signals/{id}", Permission::Act),
    ("POST", "/v1/reviews", Permission::Act),
    ("GET", "/v1/approvals", Permission::Read),
    ("GET", "/v1/approvals/{id}", Permission::Read),
    ("POST", "/v1/approvals/{id}/approve", Permission::Approve),
    ("POST", "/v1/approvals/{id}/reject", Permission::Approve),
];

/// The `/v1/` routes that need no operator: each has its own credential
/// (the webhook signature, the Event Grid key) or names no secret.
pub const OPEN_ROUTES: &[(&str, &str)] = &[
    ("POST", "/v1/events"),
    ("POST", "/v1/eventgrid"),
    ("GET", "/v1/openapi.json"),
];

/// The permission the route `method path` needs; `None` for a route
/// outside the admin API.
pub fn required(method: &str, path: &str) -> Option<Permission> {
    ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, permission)| *permission)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_as_the_readme_shows_it() {
        let rows: Vec<String> = Role::ALL
            .into_iter()
            .map(|role| {
                let marks: Vec<&str> = [Permission::Read, Permission::Act, Permission::Approve]
                    .into_iter()
                    .map(|p| if role.can(p) { "x" } else { "-" })
                    .collect();
                format!("{role} {}", marks.join(" "))
            })
            .collect();
        assert_eq!(
            rows,
            [
                "viewer x - -",
                "operator x x -",
                "approver x - x",
                "admin x x x"
            ]
        );
    }

    #[test]
    fn every_admin_route_is_guarded_and_every_guard_has_a_route() {
        let served = crate::server::routes();
        for (method, path) in &served {
            let guarded = required(method, path).is_some();
            let open = OPEN_ROUTES.contains(&(*method, *path));
            if path.starts_with("/v1/") {
                assert!(
                    guarded != open,
                    "{method} {path}: guard it in ROUTES or list it open"
                );
            }
        }
        for (method, path, _) in ROUTES {
            assert!(
                served.contains(&(*method, *path)),
                "{method} {path} is not served"
            );
        }
        for (method, path) in OPEN_ROUTES {
            assert!(
                served.contains(&(*method, *path)),
                "{method} {path} is not served"
            );
        }
    }

    #[test]
    fn reads_need_read_and_the_rest_more() {
        for (method, path, permission) in ROUTES {
            let read = *permission == Permission::Read;
            assert_eq!(*method == "GET", read, "{method} {path}");
        }
    }

    #[test]
    fn roles_parse_by_name_and_order_lowest_first() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!(
            "root".parse::<Role>().map_err(|e| e.to_string()),
            Err("unknown role \"root\" (expected viewer, operator, approver or admin)".to_owned())
        );
        assert!(Role::Viewer < Role::Operator && Role::Approver < Role::Admin);
    }
}
