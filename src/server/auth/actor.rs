//! Who acts: an operator of the admin API (by static token or OIDC token)
//! or the person at the command line, as the audit trail records them.

use serde::Serialize;
use serde_json::Value;

use super::roles::{Permission, Role};

/// How an actor proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// A `[[server.operators]]` token (or `server.admin_token`).
    Token,
    /// An OIDC bearer token of `[server.oidc]`'s identity provider.
    Oidc,
    /// The command line, run by someone who can read the config and state.
    Cli,
}

/// A named identity with a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// The operator's name, the OIDC name claim, or `cli:<OS user>`.
    pub name: String,
    /// What the actor may do.
    pub role: Role,
    /// How the actor proved it.
    pub via: Via,
}

impl Actor {
    /// The person at the command line: `name` when given (`--actor`),
    /// else `cli:<OS user>`. The command line acts with the rights of
    /// whoever can read the config and the state, so its role is `admin`.
    pub fn cli(name: Option<String>) -> Self {
        Self {
            name: name.unwrap_or_else(|| format!("cli:{}", os_user())),
            role: Role::Admin,
            via: Via::Cli,
        }
    }

    /// Whether the actor's role has `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.role.can(permission)
    }

    /// The actor as an audit entry records it: `{"name", "role", "via"}`.
    pub fn audit(&self) -> Value {
        serde_json::json!({ "name": self.name, "role": self.role, "via": self.via })
    }
}

/// The OS user running this process: `USER`, else `LOGNAME`, else the uid
/// (the owner of `/proc/self`), else `unknown`.
fn os_user() -> String {
    ["USER", "LOGNAME"]
        .into_iter()
        .filter_map(|var| std::env::var(var).ok())
        .find(|name| !name.trim().is_empty())
        .or_else(uid)
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(unix)]
fn uid() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .ok()
        .map(|meta| meta.uid().to_string())
}

#[cfg(not(unix))]
fn uid() -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_view_names_name_role_and_via() {
        let actor = Actor {
            name: "alice".to_owned(),
            role: Role::Operator,
            via: Via::Oidc,
        };
        assert_eq!(
            actor.audit(),
            serde_json::json!({"name": "alice", "role": "operator", "via": "oidc"})
        );
        let cli = Actor::cli(Some("bob".to_owned()));
        assert_eq!((cli.name.as_str(), cli.via), ("bob", Via::Cli));
        assert!(Actor::cli(None).name.starts_with("cli:"));
    }
}
