//! Cross-checks the parts read from every file and builds the [`Config`].
//!
//! Everything serde cannot see is checked here: duplicate ids, references
//! to providers and targets that do not exist, selectors, durations that
//! contradict each other. All problems are collected. Pure: no I/O.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use serde_spanned::Spanned;
use tenure_plugin_api::SecretAddress;

use super::diagnostics::{Diagnostic, SourceFile, resolve};
use super::document::{Located, Parts};
use super::{Config, RetryPolicy, ServerConfig};
use crate::governance::{
    Action, Approval, Exception, Governance, Owner, Reactions, Record, Selector, Workload,
    WorkloadStatus, compile_glob,
};
use crate::policy::Defaults;

const GLOB_CHARS: [char; 4] = ['*', '?', '[', '{'];

struct Checker<'a> {
    files: &'a [SourceFile],
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Checker<'_> {
    fn report<T>(
        &mut self,
        at: &Located<T>,
        span: Option<std::ops::Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        let span = span.unwrap_or_else(|| at.span.clone());
        self.diagnostics
            .push(self.files[at.file].diagnostic(Some(span), key, message));
    }

    fn where_is<T>(&self, at: &Located<T>) -> String {
        let src = &self.files[at.file];
        let (line, column) = src.position(at.span.start);
        format!("{}:{line}:{column}", src.path.display())
    }
}

fn names(map: &BTreeMap<String, impl Sized>) -> String {
    let names: Vec<&str> = map.keys().map(String::as_str).collect();
    if names.is_empty() {
        "none are configured".to_owned()
    } else {
        format!("configured: {}", names.join(", "))
    }
}

fn parse_selector(text: &str) -> Result<Selector, String> {
    if text.contains(GLOB_CHARS) {
        let (provider, path) = text.split_once(':').ok_or_else(|| {
            format!("invalid selector {text:?}: expected <provider>:<path or glob>")
        })?;
        if provider.contains(GLOB_CHARS) || SecretAddress::new(provider, "x").is_err() {
            return Err(format!(
                "invalid selector {text:?}: the provider part must be a plain provider name"
            ));
        }
        if path.is_empty() {
            return Err(format!("invalid selector {text:?}: the path glob is empty"));
        }
        compile_glob(text).map_err(|e| format!("invalid glob {text:?}: {}", e.kind()))?;
        Ok(Selector::Glob(text.to_owned()))
    } else {
        text.parse::<SecretAddress>()
            .map(Selector::Exact)
            .map_err(|e| format!("invalid address {text:?}: {e}"))
    }
}

fn selector_provider(selector: &Selector) -> &str {
    match selector {
        Selector::Exact(address) => address.provider(),
        Selector::Glob(pattern) => pattern.split(':').next().unwrap_or_default(),
    }
}

/// Builds the configuration; `None` when any diagnostic was added.
pub fn build(
    files: &[SourceFile],
    parts: Parts,
    base: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Config> {
    let errors_before = diagnostics.len();
    let mut check = Checker { files, diagnostics };

    // [tenure]
    let tenure = parts.tenure.map(|t| t.value).unwrap_or_default();
    let state_dir = resolve(base, &tenure.state_dir.unwrap_or_else(|| ".tenure".into()));
    let state_url = tenure.state_url.map(|mut url| {
        url.rebase(base);
        url
    });
    let audit_log = tenure
        .audit_log
        .map_or_else(|| state_dir.join("audit.jsonl"), |p| resolve(base, &p));
    let audit_key = tenure.audit_key.map_or_else(
        || tenure_plugin_api::SecretSource::File(state_dir.join("audit.key")),
        |mut key| {
            key.rebase(base);
            key
        },
    );
    let reconcile_interval = tenure
        .reconcile_interval
        .map_or(Duration::from_secs(300), |d| d.0);
    let lease_ttl = tenure.lease_ttl.map_or(Duration::from_secs(60), |d| d.0);
    let attest_retention = tenure
        .attest_retention
        .map_or(Duration::from_secs(90 * 86_400), |d| d.0);
    let concurrency = match tenure.concurrency {
        Some(c) if *c.get_ref() == 0 || *c.get_ref() > 256 => {
            check.diagnostics.push(files[0].diagnostic(
                Some(c.span()),
                "tenure.concurrency",
                "must be between 1 and 256",
            ));
            1
        }
        Some(c) => c.into_inner(),
        None => 4,
    };

    // [server]
    let server = parts.server.map(|located| {
        let raw = located.value;
        let file = &files[located.file];
        let listen = match raw.listen {
            Some(text) => match text.get_ref().parse::<std::net::SocketAddr>() {
                Ok(addr) => addr,
                Err(err) => {
                    check.diagnostics.push(file.diagnostic(
                        Some(text.span()),
                        "server.listen",
                        format!("expected an address like 127.0.0.1:8787: {err}"),
                    ));
                    std::net::SocketAddr::from(([127, 0, 0, 1], 8787))
                }
            },
            None => std::net::SocketAddr::from(([127, 0, 0, 1], 8787)),
        };
        // A count within bounds, or the default (with a diagnostic).
        let mut bounded = |value: Option<Spanned<usize>>,
                           key: &str,
                           (min, max): (usize, usize),
                           default: usize| match value {
            Some(n) if *n.get_ref() < min || *n.get_ref() > max => {
                check.diagnostics.push(file.diagnostic(
                    Some(n.span()),
                    key,
                    format!("must be between {min} and {max}"),
                ));
                default
            }
            Some(n) => n.into_inner(),
            None => default,
        };
        let max_body_bytes = bounded(
            raw.max_body_bytes,
            "server.max_body_bytes",
            (1024, 16 << 20),
            256 << 10,
        );
        let max_connections = bounded(
            raw.max_connections,
            "server.max_connections",
            (1, 65_536),
            256,
        );
        let max_in_flight = bounded(raw.max_in_flight, "server.max_in_flight", (1, 4096), 32);
        let rebase = |mut source: tenure_plugin_api::SecretSource| {
            source.rebase(base);
            source
        };
        let tls = match (raw.tls_cert, raw.tls_key) {
            (Some(cert), Some(key)) => Some(crate::config::TlsFiles {
                cert: resolve(base, cert.get_ref()),
                key: resolve(base, key.get_ref()),
            }),
            (None, None) => None,
            (Some(one), None) | (None, Some(one)) => {
                check.diagnostics.push(file.diagnostic(
                    Some(one.span()),
                    "server",
                    "set both tls_cert and tls_key, or neither",
                ));
                None
            }
        };
        ServerConfig {
            tls,
            listen,
            admin_token: raw.admin_token.map(rebase),
            webhook_secret: raw.webhook_secret.map(rebase),
            eventgrid_key: raw.eventgrid_key.map(rebase),
            metrics_token: raw.metrics_token.map(rebase),
            max_body_bytes,
            max_connections,
            max_in_flight,
            header_timeout: raw.header_timeout.map_or(Duration::from_secs(10), |d| d.0),
            request_timeout: raw.request_timeout.map_or(Duration::from_secs(30), |d| d.0),
            shutdown_deadline: raw
                .shutdown_deadline
                .map_or(Duration::from_secs(30), |d| d.0),
        }
    });

    // [retry]
    let mut retry = RetryPolicy::default();
    if let Some(raw) = parts.retry {
        if let Some(max) = &raw.value.max_attempts {
            if *max.get_ref() == 0 {
                check.report(
                    &raw,
                    Some(max.span()),
                    "retry.max_attempts",
                    "must be at least 1",
                );
            }
            retry.max_attempts = *max.get_ref();
        }
        if let Some(after) = &raw.value.quarantine_after {
            if *after.get_ref() == 0 {
                check.report(
                    &raw,
                    Some(after.span()),
                    "retry.quarantine_after",
                    "must be at least 1",
                );
            }
            retry.quarantine_after = *after.get_ref();
        }
        if let Some(d) = raw.value.initial_backoff {
            retry.initial_backoff = d.0;
        }
        if let Some(d) = raw.value.max_backoff {
            retry.max_backoff = d.0;
        }
        if retry.initial_backoff > retry.max_backoff {
            check.report(
                &raw,
                None,
                "retry",
                "initial_backoff must not be longer than max_backoff",
            );
        }
    }

    // [defaults]
    let mut defaults = Defaults::default();
    let mut reactions = Reactions::default();
    let mut default_renew_before = Duration::ZERO;
    let mut default_grace = Duration::from_secs(3600);
    let mut default_attest_every = Some(Duration::from_secs(3600));
    if let Some(raw) = &parts.defaults {
        let d = &raw.value;
        if let Some(on_orphan) = &d.on_orphan {
            if *on_orphan.get_ref() == Action::Rotate {
                check.report(
                    raw,
                    Some(on_orphan.span()),
                    "defaults.on_orphan",
                    "an orphan has no record, hence no target to rotate it with; use revoke, escalate or report",
                );
            }
            defaults.on_orphan = *on_orphan.get_ref();
        }
        default_renew_before = d.renew_before.map_or(default_renew_before, |v| v.0);
        default_grace = d.grace.map_or(default_grace, |v| v.0);
        default_attest_every = d.attest_every.map_or(default_attest_every, |e| e.0);
        let file = &files[raw.file];
        reactions = super::reactions::apply(reactions, d.reactions(), |span, key, message| {
            check
                .diagnostics
                .push(file.diagnostic(Some(span), format!("defaults.{key}"), message));
        });
    }

    // Providers and targets.
    let mut providers = BTreeMap::new();
    for mut entry in parts.providers {
        entry.value.1.rebase(base);
        if let Err(message) = entry.value.1.validate() {
            check.report(&entry, None, entry.key.clone(), message);
        }
        let (name, config) = entry.value;
        providers.insert(name, config);
    }
    if providers.is_empty() && check.diagnostics.is_empty() {
        check.diagnostics.push(files[0].diagnostic(
            Some(0..0),
            "providers",
            "no providers configured; add at least one [providers.<name>] table",
        ));
    }
    // [notify]
    let notify = parts.notify.map(|located| {
        let file = &files[located.file];
        let raw = located.value;
        let max_attempts = match raw.max_attempts {
            Some(n) if *n.get_ref() == 0 || *n.get_ref() > 20 => {
                check.diagnostics.push(file.diagnostic(
                    Some(n.span()),
                    "notify.max_attempts",
                    "must be between 1 and 20",
                ));
                5
            }
            Some(n) => n.into_inner(),
            None => 5,
        };
        let mut url = raw.url;
        url.rebase(base);
        crate::config::NotifyConfig {
            url,
            upcoming_within: raw
                .upcoming_within
                .map_or(Duration::from_secs(7 * 86_400), |d| d.0),
            max_attempts,
        }
    });

    // [nats]
    let nats = parts.nats.map(|located| {
        let file = &files[located.file];
        let raw = located.value;
        let mut name = |value: Option<Spanned<String>>, key: &str, default: &str| match value {
            Some(v)
                if v.get_ref().is_empty()
                    || !v
                        .get_ref()
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                check.diagnostics.push(file.diagnostic(
                    Some(v.span()),
                    format!("nats.{key}"),
                    "use only letters, digits, '-' and '_'",
                ));
                default.to_owned()
            }
            Some(v) => v.into_inner(),
            None => default.to_owned(),
        };
        let stream = name(raw.stream, "stream", "TENURE_EVENTS");
        let durable = name(raw.durable, "durable", "tenure");
        if !raw.url.get_ref().starts_with("nats://") && !raw.url.get_ref().starts_with("tls://") {
            check.diagnostics.push(file.diagnostic(
                Some(raw.url.span()),
                "nats.url",
                "expected nats://host:port or tls://host:port",
            ));
        }
        if raw.subject.get_ref().trim().is_empty() || raw.subject.get_ref().contains(' ') {
            check.diagnostics.push(file.diagnostic(
                Some(raw.subject.span()),
                "nats.subject",
                "expected a subject such as tenure.events",
            ));
        }
        crate::config::NatsConfig {
            url: raw.url.into_inner(),
            subject: raw.subject.into_inner(),
            stream,
            durable,
            token: raw.token.map(|mut t| {
                t.rebase(base);
                t
            }),
        }
    });

    // [schedule]
    let mut schedule = crate::scheduler::SchedulePolicy::default();
    let mut budgets = HashMap::new();
    if let Some(located) = parts.schedule {
        let file = &files[located.file];
        let raw = located.value;
        for (i, text) in raw.windows.iter().enumerate() {
            match crate::scheduler::Window::parse(text.get_ref()) {
                Ok(window) => schedule.windows.push(window),
                Err(message) => check.diagnostics.push(file.diagnostic(
                    Some(text.span()),
                    format!("schedule.windows[{i}]"),
                    message,
                )),
            }
        }
        for (i, blackout) in raw.blackouts.into_iter().enumerate() {
            let span = blackout.span();
            let blackout = blackout.into_inner();
            if blackout.until.0 <= blackout.from.0 {
                check.diagnostics.push(file.diagnostic(
                    Some(span),
                    format!("schedule.blackouts[{i}]"),
                    "`until` must be after `from`",
                ));
                continue;
            }
            schedule.blackouts.push(crate::scheduler::Blackout {
                from: blackout.from.0,
                until: blackout.until.0,
                reason: blackout.reason,
            });
        }
        schedule.jitter = raw.jitter.map_or(Duration::ZERO, |d| d.0);
        for (name, budget) in raw.providers {
            let key = format!("schedule.providers.{}", name.get_ref());
            if !providers.contains_key(name.get_ref()) {
                check.diagnostics.push(file.diagnostic(
                    Some(name.span()),
                    key.clone(),
                    format!(
                        "unknown provider {:?} ({})",
                        name.get_ref(),
                        names(&providers)
                    ),
                ));
            }
            if let Some(n) = &budget.concurrency
                && (*n.get_ref() == 0 || *n.get_ref() > 256)
            {
                check.diagnostics.push(file.diagnostic(
                    Some(n.span()),
                    format!("{key}.concurrency"),
                    "must be between 1 and 256",
                ));
            }
            if let Some(r) = &budget.per_second
                && !(r.get_ref().is_finite() && *r.get_ref() > 0.0)
            {
                check.diagnostics.push(file.diagnostic(
                    Some(r.span()),
                    format!("{key}.per_second"),
                    "must be a positive number",
                ));
            }
            budgets.insert(
                name.into_inner(),
                crate::scheduler::Budget {
                    concurrency: budget.concurrency.map(Spanned::into_inner),
                    per_second: budget.per_second.map(Spanned::into_inner),
                },
            );
        }
    }

    let mut targets = BTreeMap::new();
    for mut entry in parts.targets {
        entry.value.1.rebase(base);
        if let Err(message) = entry.value.1.validate() {
            check.report(&entry, None, entry.key.clone(), message);
        }
        let (name, config) = entry.value;
        targets.insert(name, config);
    }

    let target_settings =
        super::targets::check(files, parts.target_settings, &targets, check.diagnostics);

    // Owners and workloads.
    let mut owners: Vec<Owner> = Vec::new();
    let mut owner_sites: HashMap<String, String> = HashMap::new();
    for raw in &parts.owners {
        let id = raw.value.id.get_ref();
        if let Some(first) = owner_sites.get(id) {
            check.report(
                raw,
                Some(raw.value.id.span()),
                format!("{}.id", raw.key),
                format!("duplicate owner {id:?} (first defined at {first})"),
            );
            continue;
        }
        owner_sites.insert(id.clone(), check.where_is(raw));
        owners.push(Owner {
            id: id.clone(),
            status: raw.value.status,
            since: raw.value.since.map(|t| t.0),
        });
    }
    let mut workloads: Vec<Workload> = Vec::new();
    let mut workload_sites: HashMap<String, String> = HashMap::new();
    for raw in &parts.workloads {
        let id = raw.value.id.get_ref();
        if let Some(first) = workload_sites.get(id) {
            check.report(
                raw,
                Some(raw.value.id.span()),
                format!("{}.id", raw.key),
                format!("duplicate workload {id:?} (first defined at {first})"),
            );
            continue;
        }
        workload_sites.insert(id.clone(), check.where_is(raw));
        let status = *raw.value.status.get_ref();
        if status == WorkloadStatus::Moved && raw.value.since.is_none() {
            check.report(
                raw,
                Some(raw.value.status.span()),
                format!("{}.status", raw.key),
                "a moved workload needs `since` (when it moved), to tell credentials issued before the move from those issued after",
            );
        }
        workloads.push(Workload {
            id: id.clone(),
            status,
            since: raw.value.since.map(|t| t.0),
        });
    }

    // Records.
    let mut records = Vec::new();
    let mut record_sites: HashMap<String, String> = HashMap::new();
    for raw in parts.records {
        let r = &raw.value;
        let id = r.id.get_ref();
        if let Some(first) = record_sites.get(id) {
            check.report(
                &raw,
                Some(r.id.span()),
                format!("{}.id", raw.key),
                format!("duplicate record id {id:?} (first defined at {first})"),
            );
            continue;
        }
        record_sites.insert(id.clone(), check.where_is(&raw));
        let selector = match parse_selector(r.secrets.get_ref()) {
            Ok(selector) => {
                let provider = selector_provider(&selector);
                if !providers.contains_key(provider) {
                    check.report(
                        &raw,
                        Some(r.secrets.span()),
                        format!("{}.secrets", raw.key),
                        format!("unknown provider {provider:?} ({})", names(&providers)),
                    );
                }
                Some(selector)
            }
            Err(message) => {
                check.report(
                    &raw,
                    Some(r.secrets.span()),
                    format!("{}.secrets", raw.key),
                    message,
                );
                None
            }
        };
        if !targets.contains_key(r.target.get_ref()) {
            check.report(
                &raw,
                Some(r.target.span()),
                format!("{}.target", raw.key),
                format!(
                    "unknown target {:?} ({})",
                    r.target.get_ref(),
                    names(&targets)
                ),
            );
        }
        if let Some(target) = targets.get(r.target.get_ref()) {
            match &r.account {
                Some(account) if !target.has_logins() => check.report(
                    &raw,
                    Some(account.span()),
                    format!("{}.account", raw.key),
                    format!(
                        "target {:?} (type {}) has no accounts; remove `account`",
                        r.target.get_ref(),
                        target.type_name()
                    ),
                ),
                Some(account) => {
                    if let Err(message) = target.check_account(account.get_ref()) {
                        check.report(
                            &raw,
                            Some(account.span()),
                            format!("{}.account", raw.key),
                            message,
                        );
                    }
                }
                None if target.has_logins() => check.report(
                    &raw,
                    Some(r.target.span()),
                    format!("{}.account", raw.key),
                    format!(
                        "missing field `account`: target {:?} (type {}) acts on accounts; name the one this record governs (a name or a glob), so that a value naming another is refused",
                        r.target.get_ref(),
                        target.type_name()
                    ),
                ),
                None => {}
            }
        }
        if !r.leases.is_empty()
            && let Some(selector) = &selector
        {
            let provider = selector_provider(selector);
            if let Some(config) = providers.get(provider)
                && !config.has_leases()
            {
                check.report(
                    &raw,
                    Some(r.leases[0].span()),
                    format!("{}.leases", raw.key),
                    format!(
                        "provider {provider:?} (type {}) has no leases; only `vault` providers do",
                        config.type_name()
                    ),
                );
            }
        }
        for (j, prefix) in r.leases.iter().enumerate() {
            let text = prefix.get_ref().trim_matches('/');
            if text.is_empty()
                || text
                    .split('/')
                    .any(|s| s.is_empty() || s == "." || s == "..")
            {
                check.report(
                    &raw,
                    Some(prefix.span()),
                    format!("{}.leases[{j}]", raw.key),
                    format!("invalid lease prefix {:?}: expected a path such as \"database/creds/orders\"", prefix.get_ref()),
                );
            }
        }
        let renew_before = r
            .renew_before
            .as_ref()
            .map_or(default_renew_before, |d| d.get_ref().0);
        if let Some(max_age) = &r.max_age
            && renew_before >= max_age.get_ref().0
        {
            let span = r.renew_before.as_ref().map_or(max_age.span(), |d| d.span());
            check.report(
                &raw,
                Some(span),
                format!("{}.renew_before", raw.key),
                format!(
                    "renew_before ({}) must be shorter than max_age ({})",
                    humantime::format_duration(renew_before),
                    humantime::format_duration(max_age.get_ref().0)
                ),
            );
        }
        let mut scopes = Vec::with_capacity(r.scopes.len());
        for (j, scope) in r.scopes.iter().enumerate() {
            match targets
                .get(r.target.get_ref())
                .map(|t| t.canonical_scope(scope.get_ref()))
            {
                Some(Err(message)) => check.report(
                    &raw,
                    Some(scope.span()),
                    format!("{}.scopes[{j}]", raw.key),
                    message,
                ),
                Some(Ok(canonical)) => scopes.push(canonical),
                None => scopes.push(scope.get_ref().clone()),
            }
        }
        let file = &files[raw.file];
        let record_reactions =
            super::reactions::apply(reactions, r.reactions(), |span, key, message| {
                check.diagnostics.push(file.diagnostic(
                    Some(span),
                    format!("{}.{key}", raw.key),
                    message,
                ));
            });
        let Some(selector) = selector else { continue };
        let delta = |d: Duration| chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX);
        records.push(Record {
            id: id.clone(),
            selector,
            target: r.target.get_ref().clone(),
            account: r.account.as_ref().map(|a| a.get_ref().clone()),
            owner: r.owner.clone(),
            purpose: r.purpose.clone(),
            workloads: r.workloads.clone(),
            max_age: r.max_age.as_ref().map(|d| d.get_ref().delta()),
            schedule: r.schedule.as_ref().map(|c| c.0.clone()),
            expires: r.expires.map(|t| t.0),
            renew_before: delta(renew_before),
            grace: delta(r.grace.map_or(default_grace, |g| g.0)),
            recovery_window: r.recovery_window.as_ref().map(|d| d.0),
            leases: r.leases.iter().map(|l| l.get_ref().clone()).collect(),
            scopes,
            approval: Approval {
                by: r.approval.by.clone(),
                at: r.approval.at.0,
                ticket: r.approval.ticket.clone(),
            },
            review_by: r.review_by.map(|t| t.0),
            exception: r.exception.as_ref().map(|e| Exception {
                until: e.until.0,
                reason: e.reason.clone(),
                approved_by: e.approved_by.clone(),
            }),
            reactions: record_reactions,
            attest_every: r.attest_every.map_or(default_attest_every, |e| e.0),
        });
    }

    if check.diagnostics.len() > errors_before {
        return None;
    }
    let governance = match Governance::new(records, owners, workloads) {
        Ok(governance) => governance,
        Err(err) => {
            check
                .diagnostics
                .push(files[0].diagnostic(Some(0..0), "records", err.to_string()));
            return None;
        }
    };
    Some(Config {
        path: files[0].path.clone(),
        files: files.iter().map(|f| f.path.clone()).collect(),
        state_dir,
        state_url,
        audit_log,
        audit_key,
        reconcile_interval,
        lease_ttl,
        attest_retention,
        concurrency,
        retry,
        server,
        notify,
        nats,
        schedule,
        budgets,
        defaults,
        providers,
        targets,
        target_settings,
        governance,
    })
}
