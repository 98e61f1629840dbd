//! The logged-in Vault client: login by token, AppRole or Kubernetes, and
//! token renewal.
//!
//! The first call logs in. A token with a TTL is renewed (`renew-self`) once
//! two thirds of its TTL have passed; when renewal fails or the renewed TTL
//! is cut short by the token's max TTL, a login method logs in again, so a
//! long-running service never works with an expired token. A root or other
//! non-expiring token is used as is.

use std::sync::Arc;
use std::time::Duration;

use tenure_plugin_api::{PluginError, SecretValue};
use tokio::sync::Mutex;
use tokio::time::Instant;
use vaultrs::client::{VaultClient, VaultClientSettingsBuilder};

use crate::config::{VaultAuth, VaultConfig};
use crate::convert::{error, login_error};

/// A token and when to act on it.
struct Login {
    client: Arc<VaultClient>,
    /// When to renew (or log in again); `None` for a token that never expires.
    renew_at: Option<Instant>,
    /// The TTL granted at login, to notice a renewal cut short by max TTL.
    granted: Duration,
    renewable: bool,
}

/// The shared, lazily logged-in client.
pub struct Session {
    config: VaultConfig,
    login: Mutex<Option<Login>>,
    renewals: std::sync::atomic::AtomicU32,
    logins: std::sync::atomic::AtomicU32,
}

/// How many logins and renewals a session has made (for tests and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionStats {
    /// Logins (including the first).
    pub logins: u32,
    /// Successful `renew-self` calls.
    pub renewals: u32,
}

fn renew_point(ttl: Duration) -> Option<Instant> {
    (!ttl.is_zero()).then(|| Instant::now() + ttl * 2 / 3)
}

impl Session {
    pub fn new(config: VaultConfig) -> Self {
        Self {
            config,
            login: Mutex::new(None),
            renewals: 0.into(),
            logins: 0.into(),
        }
    }

    pub fn stats(&self) -> SessionStats {
        use std::sync::atomic::Ordering::Relaxed;
        SessionStats {
            logins: self.logins.load(Relaxed),
            renewals: self.renewals.load(Relaxed),
        }
    }

    /// A client holding a valid token.
    pub async fn client(&self) -> Result<Arc<VaultClient>, PluginError> {
        let mut guard = self.login.lock().await;
        if let Some(login) = guard.as_ref() {
            match login.renew_at {
                Some(at) if Instant::now() >= at => {}
                _ => return Ok(Arc::clone(&login.client)),
            }
        }
        let renewed = match guard.take() {
            Some(login) if login.renewable => self.renew(login).await,
            Some(login) if matches!(self.config.auth, VaultAuth::Token { .. }) => {
                // A token that cannot be renewed: use it until Vault refuses it.
                Some(Login {
                    renew_at: None,
                    ..login
                })
            }
            _ => None,
        };
        let login = match renewed {
            Some(login) => login,
            None => self.log_in().await?,
        };
        let client = Arc::clone(&login.client);
        *guard = Some(login);
        Ok(client)
    }

    /// Renews the token; `None` when a fresh login is needed instead.
    async fn renew(&self, login: Login) -> Option<Login> {
        match vaultrs::token::renew_self(login.client.as_ref(), None).await {
            Ok(auth) => {
                self.renewals
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let ttl = Duration::from_secs(auth.lease_duration);
                let is_token = matches!(self.config.auth, VaultAuth::Token { .. });
                if !is_token && ttl < login.granted / 3 {
                    tracing::debug!(
                        ttl_s = ttl.as_secs(),
                        "vault token is near its max TTL; logging in again"
                    );
                    return None;
                }
                tracing::debug!(ttl_s = ttl.as_secs(), "vault token renewed");
                Some(Login {
                    renew_at: renew_point(ttl),
                    renewable: auth.renewable,
                    ..login
                })
            }
            Err(e) => {
                tracing::warn!(error = %error("renew the vault token", e), "vault token renewal failed");
                if matches!(self.config.auth, VaultAuth::Token { .. }) {
                    // Nothing to log in with: keep the token until it is refused.
                    Some(Login {
                        renew_at: None,
                        ..login
                    })
                } else {
                    None
                }
            }
        }
    }

    fn client_with(&self, token: &str) -> Result<VaultClient, PluginError> {
        let address = self
            .config
            .address
            .resolve()
            .map_err(|e| PluginError::permanent(format!("address: {e}")))?;
        let mut settings = VaultClientSettingsBuilder::default();
        // TLS is always verified (VAULT_SKIP_VERIFY in the environment is ignored).
        settings
            .address(address.expose())
            .token(token)
            .verify(true)
            .ca_certs(
                self.config
                    .ca_file
                    .iter()
                    .map(|ca| ca.display().to_string())
                    .collect(),
            );
        if let Some(namespace) = &self.config.namespace {
            settings.namespace(Some(namespace.clone()));
        }
        let settings = settings
            .build()
            .map_err(|e| PluginError::permanent(format!("vault client settings: {e}")))?;
        VaultClient::new(settings).map_err(|e| error("vault client", e))
    }

    async fn log_in(&self) -> Result<Login, PluginError> {
        self.logins
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let source = |what: &str, s: &tenure_plugin_api::SecretSource| {
            s.resolve()
                .map_err(|e| PluginError::permanent(format!("auth.{what}: {e}")))
        };
        let (token, ttl, renewable) = match &self.config.auth {
            VaultAuth::Token { token } => {
                let token = source("token", token)?;
                let client = self.client_with(token.expose())?;
                let info = vaultrs::token::lookup_self(&client)
                    .await
                    .map_err(|e| error("look up the vault token", e))?;
                return Ok(Login {
                    client: Arc::new(client),
                    renew_at: renew_point(Duration::from_secs(info.ttl)),
                    granted: Duration::from_secs(info.ttl),
                    renewable: info.renewable.unwrap_or(false),
                });
            }
            VaultAuth::AppRole {
                mount,
                role_id,
                secret_id,
            } => {
                let role_id = source("role_id", role_id)?;
                let secret_id = match secret_id {
                    Some(s) => source("secret_id", s)?,
                    None => SecretValue::new(String::new()),
                };
                let anonymous = self.client_with("")?;
                let auth = vaultrs::auth::approle::login(
                    &anonymous,
                    mount,
                    role_id.expose(),
                    secret_id.expose(),
                )
                .await
                .map_err(|e| login_error("approle login", e))?;
                (
                    SecretValue::new(auth.client_token),
                    auth.lease_duration,
                    auth.renewable,
                )
            }
            VaultAuth::Kubernetes {
                mount,
                role,
                jwt_file,
            } => {
                let jwt = tenure_plugin_api::SecretSource::File(jwt_file.clone());
                let jwt = source("jwt_file", &jwt)?;
                let anonymous = self.client_with("")?;
                let auth = vaultrs::auth::kubernetes::login(&anonymous, mount, role, jwt.expose())
                    .await
                    .map_err(|e| login_error("kubernetes login", e))?;
                (
                    SecretValue::new(auth.client_token),
                    auth.lease_duration,
                    auth.renewable,
                )
            }
        };
        tracing::debug!(ttl_s = ttl, renewable, "logged in to vault");
        let ttl = Duration::from_secs(ttl);
        Ok(Login {
            client: Arc::new(self.client_with(token.expose())?),
            renew_at: renew_point(ttl),
            granted: ttl,
            renewable,
        })
    }
}
