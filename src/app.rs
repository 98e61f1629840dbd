//! One place wires the app: [`open`] turns a checked [`Config`] into a
//! running [`App`] (plugins, state store, the audit trail signed with the
//! audit key, the reconciler and its engine, the stored governance signals
//! layered over the files, the owner notifier attached). The CLI, the tests
//! and the benchmarks all start here; a test that injects its own providers
//! or targets uses [`Builder::plugins`] instead of wiring by hand.
//!
//! The app also owns its background tasks ([`Tasks`]: the notifier's
//! sender, the NATS subscriber, the HTTP server), spawned under one tracker
//! with one cancellation token. [`App::shutdown`] cancels them and waits,
//! within a bounded deadline, until they finish, so notifications queued by
//! the last pass are delivered (or given up on with a log line) rather than
//! dropped when the process exits.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::warn;

use crate::audit::{AuditLog, AuditSigner, KeyError};
use crate::config::Config;
use crate::notify::{Notifier, NotifyError};
use crate::plugins::{BuildError, Plugins};
use crate::reconcile::{ReconcileError, Reconciler};
use crate::state::{PgStore, SqliteStore, StateError, StateStore};

/// How long shutdown waits for background tasks when no
/// `server.shutdown_deadline` is configured (the service's default too).
pub const DEFAULT_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(30);

/// Why the app could not be opened. Each message names what failed; the
/// CLI prints it as is and picks the exit code from the variant.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A provider or target could not be built.
    #[error(transparent)]
    Plugins(#[from] BuildError),
    /// `tenure.state_url` could not be read.
    #[error("tenure.state_url: {0}")]
    StateUrl(#[source] tenure_plugin_api::SourceError),
    /// The state store could not be opened (SQLite) or reached (PostgreSQL).
    #[error(transparent)]
    State(#[from] StateError),
    /// The audit signing key could not be read or created.
    #[error(transparent)]
    AuditKey(#[from] KeyError),
    /// The notifier could not start (its URL, its HTTP client).
    #[error(transparent)]
    Notify(#[from] NotifyError),
    /// The stored governance signals could not be read.
    #[error(transparent)]
    Signals(ReconcileError),
}

impl AppError {
    /// Whether the configuration is at fault (rather than the environment at
    /// run time: a store that cannot be opened, a plugin that cannot start).
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            Self::StateUrl(_) | Self::AuditKey(_) | Self::Notify(_)
        )
    }
}

/// The app's background tasks: spawned under one tracker, stopped by one
/// cancellation token, drained at shutdown. Cloning shares them.
#[derive(Debug, Clone, Default)]
pub struct Tasks {
    tracker: TaskTracker,
    token: CancellationToken,
}

impl Tasks {
    /// No tasks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The token every background task watches; cancelled at shutdown. A
    /// task that must stop earlier (intake at the start of a graceful
    /// shutdown) takes a child of it.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// The tracker, for components that spawn their own tasks.
    pub fn tracker(&self) -> &TaskTracker {
        &self.tracker
    }

    /// Spawns `task` on the tracker.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tracker.spawn(task)
    }

    /// Cancels every task, then waits up to `deadline` for them to finish.
    /// Returns whether they all did.
    pub async fn drain(&self, deadline: Duration) -> bool {
        self.token.cancel();
        self.tracker.close();
        tokio::time::timeout(deadline, self.tracker.wait())
            .await
            .is_ok()
    }
}

/// The wired app: the reconciler, and the background tasks it started.
/// Derefs to the [`Reconciler`]. Cloning shares it.
#[derive(Clone)]
pub struct App {
    reconciler: Arc<Reconciler>,
    notifier: Option<Notifier>,
    tasks: Tasks,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("notifier", &self.notifier.is_some())
            .field("tasks", &self.tasks)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for App {
    type Target = Reconciler;

    fn deref(&self) -> &Reconciler {
        &self.reconciler
    }
}

impl App {
    /// The reconciler (shared with the HTTP server and the service loop).
    pub fn reconciler(&self) -> &Arc<Reconciler> {
        &self.reconciler
    }

    /// The background tasks.
    pub fn tasks(&self) -> &Tasks {
        &self.tasks
    }

    /// How long [`App::shutdown`] waits: `server.shutdown_deadline`, or
    /// [`DEFAULT_SHUTDOWN_DEADLINE`].
    pub fn shutdown_deadline(&self) -> Duration {
        self.reconciler
            .config()
            .server
            .as_ref()
            .map_or(DEFAULT_SHUTDOWN_DEADLINE, |s| s.shutdown_deadline)
    }

    /// Stops the background tasks and waits for them within
    /// [`App::shutdown_deadline`]: the notifier delivers what is queued
    /// first. Call it once the work is done (a command ended, the service
    /// stopped); notifications sent afterwards are dropped and counted.
    pub async fn shutdown(&self) {
        // What the command wrote to the audit trail is anchored in the
        // shared checkpoint registry before the process ends.
        if let Err(err) = self.reconciler.record_checkpoint().await {
            warn!(error = %err, "Could not anchor the audit trail in the checkpoint registry.");
        }
        let deadline = self.shutdown_deadline();
        if self.tasks.drain(deadline).await {
            return;
        }
        let undelivered = self.notifier.as_ref().map_or(0, Notifier::undelivered);
        if undelivered > 0 {
            warn!(
                undelivered,
                deadline_seconds = deadline.as_secs(),
                "Gave up on {undelivered} owner notifications: the shutdown deadline passed."
            );
        } else {
            warn!(
                tasks = self.tasks.tracker.len(),
                deadline_seconds = deadline.as_secs(),
                "Shutdown deadline passed with background tasks still running."
            );
        }
    }
}

/// Wires the app from `config` (see the module docs).
pub async fn open(config: Config) -> Result<App, AppError> {
    Builder::new(config).open().await
}

/// [`open`], with parts supplied by the caller (tests: a fake target).
#[derive(Debug)]
pub struct Builder {
    config: Config,
    plugins: Option<Plugins>,
}

impl Builder {
    /// Everything from `config`.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            plugins: None,
        }
    }

    /// These plugins instead of building them from the configuration.
    #[must_use]
    pub fn plugins(mut self, plugins: Plugins) -> Self {
        self.plugins = Some(plugins);
        self
    }

    /// Wires the app: plugins, state store, signed audit trail (a torn last
    /// line repaired), the notifier, the reconciler, the stored signals.
    pub async fn open(self) -> Result<App, AppError> {
        let Self { config, plugins } = self;
        let plugins = match plugins {
            Some(plugins) => plugins,
            None => Plugins::build(&config)?,
        };
        let store: Arc<dyn StateStore> = match &config.state_url {
            Some(url) => {
                let url = url.resolve().map_err(AppError::StateUrl)?;
                Arc::new(PgStore::connect(url.expose()).await?)
            }
            None => Arc::new(SqliteStore::open(&config.state_dir.join("state.db")).await?),
        };
        let signer = AuditSigner::load_or_create(&config.audit_key)?;
        let audit = AuditLog::signed(&config.audit_log, Arc::new(signer));
        // A last line torn by a crash is removed now, with an entry saying so.
        if let Err(err) = audit.repair().await {
            tracing::error!(error = %err, "The audit trail cannot be appended to; actions will fail until it is fixed.");
        }
        let tasks = Tasks::new();
        let notifier = config
            .notify
            .as_ref()
            .map(|notify| Notifier::start(notify, tasks.tracker(), tasks.token().clone()))
            .transpose()?;
        let mut reconciler = Reconciler::new(Arc::new(config), plugins, store, audit);
        if let Some(notifier) = &notifier {
            reconciler = reconciler.with_notifier(notifier.clone());
        }
        // Governance signals from earlier events apply to every command.
        reconciler
            .refresh_signals()
            .await
            .map_err(AppError::Signals)?;
        Ok(App {
            reconciler: Arc::new(reconciler),
            notifier,
            tasks,
        })
    }
}
