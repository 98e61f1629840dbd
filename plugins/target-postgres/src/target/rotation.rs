//! Rotation helpers: the roles of a `dual` pair, and a password set as a
//! SCRAM-SHA-256 verifier computed here (the role created in its group
//! when a pair's other login does not exist yet).

use tenure_plugin_api::{PluginError, SecretValue};

use super::PostgresTarget;
use crate::scram::verifier;
use crate::sql::{ident, literal};

/// The base (group) name of a dual pair, and the role a rotation moves to.
pub(super) fn dual_names(username: &str) -> (String, String) {
    let base = username
        .strip_suffix("_a")
        .or_else(|| username.strip_suffix("_b"))
        .unwrap_or(username);
    let next = if username.ends_with("_a") {
        format!("{base}_b")
    } else {
        format!("{base}_a")
    };
    (base.to_owned(), next)
}

fn salt() -> Result<[u8; 16], PluginError> {
    let mut salt = [0u8; 16];
    tenure_plugin_api::random::fill(&mut salt)
        .map_err(|e| PluginError::retryable(e.to_string()))?;
    Ok(salt)
}

impl PostgresTarget {
    pub(super) async fn set_password(
        &self,
        role: &str,
        password: &SecretValue,
        create_in: Option<&str>,
    ) -> Result<(), PluginError> {
        let verifier = verifier(password.expose(), &salt()?);
        let statement = match create_in {
            Some(group) if !self.role_exists(role).await? => format!(
                "CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}",
                ident(role),
                literal(&verifier),
                ident(group)
            ),
            _ => format!(
                "ALTER ROLE {} WITH LOGIN PASSWORD {}",
                ident(role),
                literal(&verifier)
            ),
        };
        self.execute(&statement).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dual_names_alternate() {
        assert_eq!(dual_names("app"), ("app".into(), "app_a".into()));
        assert_eq!(dual_names("app_a"), ("app".into(), "app_b".into()));
        assert_eq!(dual_names("app_b"), ("app".into(), "app_a".into()));
    }
}
