//! The operators' static tokens: read once at start, kept only as SHA-256
//! digests, and matched in constant time against every one of them.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Actor, AuthSetupError, Role, Via};
use crate::config::OperatorConfig;

/// The shortest token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

struct Entry {
    digest: [u8; 32],
    name: String,
    role: Role,
}

/// Every operator's token digest, with the name and role it stands for.
pub struct Tokens(Vec<Entry>);

impl Tokens {
    /// Reads each operator's token; refuses a short one or one that
    /// another operator has too.
    pub fn read(operators: &[OperatorConfig]) -> Result<Self, AuthSetupError> {
        let mut entries: Vec<(Entry, &str)> = Vec::new();
        for operator in operators {
            let at = || (operator.at.clone(), operator.key.clone());
            let value = operator.token.resolve().map_err(|source| {
                let (at, key) = at();
                AuthSetupError::Token { at, key, source }
            })?;
            if value.expose().len() < MIN_TOKEN_LEN {
                let (at, key) = at();
                return Err(AuthSetupError::WeakToken { at, key });
            }
            let digest: [u8; 32] = Sha256::digest(value.expose().as_bytes()).into();
            if let Some((_, first)) = entries.iter().find(|(e, _)| e.digest == digest) {
                let (at, key) = at();
                let first = (*first).to_owned();
                return Err(AuthSetupError::SharedToken { at, key, first });
            }
            let entry = Entry {
                digest,
                name: operator.name.clone(),
                role: operator.role,
            };
            entries.push((entry, &operator.key));
        }
        Ok(Self(entries.into_iter().map(|(entry, _)| entry).collect()))
    }

    /// Whether no operator has a token.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The operator whose token `presented` is. Every digest is compared,
    /// in constant time, whichever matches.
    pub fn find(&self, presented: &str) -> Option<Actor> {
        let digest = Sha256::digest(presented.as_bytes());
        let mut found = None;
        for entry in &self.0 {
            if bool::from(digest.as_slice().ct_eq(&entry.digest)) {
                found = Some(entry);
            }
        }
        found.map(|entry| Actor {
            name: entry.name.clone(),
            role: entry.role,
            via: Via::Token,
        })
    }
}

#[cfg(test)]
mod tests {
    use tenure_plugin_api::SecretSource;

    use super::*;

    fn operators(dir: &std::path::Path, tokens: &[(&str, Role, &str)]) -> Vec<OperatorConfig> {
        tokens
            .iter()
            .enumerate()
            .map(|(i, (name, role, token))| {
                let path = dir.join(format!("{name}.token"));
                std::fs::write(&path, token).expect("write");
                OperatorConfig {
                    name: (*name).to_owned(),
                    role: *role,
                    token: SecretSource::File(path),
                    key: format!("server.operators[{i}].token"),
                    at: format!("tenure.toml:{}:1", 10 * i + 1),
                }
            })
            .collect()
    }

    #[test]
    fn each_token_names_its_operator_and_a_short_or_shared_one_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ok = operators(
            dir.path(),
            &[
                ("vera", Role::Viewer, "viewer-token-0123456789"),
                ("olivia", Role::Operator, "operator-token-0123456789"),
            ],
        );
        let tokens = Tokens::read(&ok).expect("tokens");
        let found = tokens.find("operator-token-0123456789").expect("olivia");
        assert_eq!(
            (found.name.as_str(), found.role),
            ("olivia", Role::Operator)
        );
        assert!(tokens.find("operator-token-012345678").is_none());

        let short = operators(dir.path(), &[("sam", Role::Admin, "short")]);
        let err = Tokens::read(&short).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("tenure.toml:1:1: server.operators[0].token: must be at least 16 characters")
        );
        let shared = operators(
            dir.path(),
            &[
                ("ann", Role::Viewer, "the-same-token-0123456789"),
                ("ben", Role::Admin, "the-same-token-0123456789"),
            ],
        );
        let err = Tokens::read(&shared).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "tenure.toml:11:1: server.operators[1].token: the same token as server.operators[0].token; every operator needs its own"
            )
        );
    }
}
