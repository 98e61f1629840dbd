//! The integration tests of the `tenure` crate, one test binary: each
//! module is one area, black-box (the `tenure` binary, the running service)
//! or through the library, against the servers `scripts/services` starts.
//!
//! One binary links the crate and its plugins once instead of once per file.
//! Its tests share one process: none sets environment variables, changes
//! the current directory, installs a tracing subscriber or a signal handler,
//! or binds a fixed port (children get their environment per command and
//! ephemeral ports), and each names what it creates on a shared server
//! uniquely or for itself alone. `tests/service_burst.rs` stays its own
//! binary (its load would disturb the latency checks here).

mod common;

mod approvals;
mod attest_iam;
mod attest_mysql;
mod attest_outage;
mod attest_postgres;
mod attest_redis;
mod attest_versions;
mod audit_keyed;
mod aws_example;
mod ci_script;
mod cli;
mod console;
mod crash_resume;
mod docker_configs;
mod eventgrid_azure;
mod evidence;
mod exec_example;
mod fuzz_regressions;
mod narrow;
mod nats;
mod openapi;
mod openbao_example;
mod operators;
mod postgres_crash;
mod postgres_example;
mod readyz;
mod replicas;
mod reports;
mod review_import;
mod scheduler;
mod scim;
mod secrets_never_logged;
mod server_bounds;
mod service;
mod state_store;
mod tls;
mod workflow_failures;
