//! Tenure: keeps every secret exactly as long as its governance allows.
//!
//! Tenure reads the inventory of every configured vault, matches each secret
//! to its governance record (owner, purpose, approved workloads, lifetime,
//! scopes, approval, review date), and decides: compliant, rotate, narrow,
//! retire, revoke or escalate. It carries actions out as persisted, resumable
//! workflows, verifies the outcome (the new credential works; the revoked one
//! no longer does) and records every decision, step and proof in a
//! hash-chained audit trail. Afterwards it keeps attesting: the credential
//! still works and holds exactly its scopes, revoked and retired ones stay
//! dead; what drifted is repaired or escalated, and a check that could not
//! be made is never counted as a pass.
//!
//! # Layout
//!
//! ```text
//! config/      TOML in, checked Config out; errors name file:line:column and key
//! governance/  records, owners, workloads, facts; the record index
//! html         escaping for the HTML documents written by hand (evidence, reports)
//! events/      signed CloudEvents in; stored, then applied once as governance signals
//! policy/      decide(): pure, table-tested
//! approvals/   four-eyes approval of destructive actions: policy and request model
//! plan/        inventory + facts + decide for every secret; orphans, dangling records,
//!              unreadable vaults, unmanaged accounts
//! attest/      the checks that prove, again and again, what holds; cadence; evidence
//! workflow/    rotate / revoke / narrow / retire as persisted, idempotent phases;
//!              retries, rollback, the read-only checks they share with attestation
//! state/       StateStore trait, SQLite and PostgreSQL (runs, leases, queue,
//!              attestations, logins, unmanaged accounts)
//! audit/       the append-only, hash-chained trail and its verifier
//! report/      control reports for a compliance framework (a data file): population,
//!              findings, exceptions, time to revoke, rotations on time
//! evidence/    one secret's record, lineage and audit entries, verifiable
//!              on their own with the public key (JSON, or one HTML page)
//! reconcile/   one pass: resume unfinished runs, act on what cannot wait, attest,
//!              plan, act, record; discovery
//! status       per-secret status for the admin API and metrics
//! metrics      the OpenMetrics registry
//! notify       owner notifications (webhook, Slack-compatible), with retries
//! server/      HTTP: events, admin API (named operators, roles, OIDC), health, readiness,
//!              metrics, the web console under /ui/
//! plugins/     the registry: one line per plugin factory (Cargo features); the running set
//! scheduler/   windows, blackouts, jitter, per-provider budgets, cron triggers
//! service      `tenure run`: passes on schedule until shutdown
//! telemetry    tracing setup
//! ```
//!
//! Plugins implement the traits in the `tenure-plugin-api` crate (and a
//! factory that registers them) and depend on nothing else of Tenure's.

pub mod app;
pub mod approvals;
pub mod attest;
pub mod audit;
pub mod cli;
pub mod config;
pub mod events;
pub mod evidence;
pub mod governance;
pub mod html;
pub mod metrics;
pub mod notify;
pub mod plan;
pub mod plugins;
pub mod policy;
pub mod reconcile;
pub mod report;
pub mod scheduler;
pub mod server;
pub mod service;
pub mod state;
pub mod status;
pub mod telemetry;
pub mod workflow;
