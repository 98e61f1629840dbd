//! The checks each fuzz target runs on one input, one module per target.
//! The fuzz targets (nightly, cargo-fuzz) call them, and so does
//! `tests/integration/fuzz_regressions.rs` in the main crate, which replays
//! the seeds and every input that once failed (`fuzz/regressions/`) on each
//! test run.

use std::path::PathBuf;

/// The file `name` in a folder of this fuzzing process's own
/// (`tenure-fuzz-<what>-<pid>` in the temp folder), made on first use.
fn scratch_file(what: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tenure-fuzz-{what}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

pub mod config_load {
    use std::path::PathBuf;
    use std::sync::OnceLock;

    /// One file per fuzzing process, rewritten for each input.
    fn path() -> &'static PathBuf {
        static PATH: OnceLock<PathBuf> = OnceLock::new();
        PATH.get_or_init(|| super::scratch_file("config", "tenure.toml"))
    }

    /// The configuration loader on arbitrary text: an error names file, line
    /// and key, and nothing panics.
    pub fn config_load(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        // Includes are globs over the filesystem: fuzzing them would walk the
        // disk, not exercise the parser.
        if text.contains("include") {
            return;
        }
        std::fs::write(path(), text).expect("write");
        if let Err(err) = tenure::config::load(path()) {
            // Every error names the file it is about.
            let message = err.to_string();
            assert!(message.contains("tenure.toml"), "{message}");
        }
    }
}

pub mod cloudevent {
    use tenure::events::{CloudEvent, TenureEvent};

    /// A request as the harness reads it: content type, headers, body.
    type Request<'a> = (&'a str, Vec<(String, &'a str)>, &'a [u8]);

    fn split(data: &[u8]) -> Option<Request<'_>> {
        let end = data
            .windows(2)
            .position(|w| w == b"\n\n")
            .unwrap_or(data.len());
        let head = std::str::from_utf8(&data[..end]).ok()?;
        let body = data.get(end + 2..).unwrap_or_default();
        let mut lines = head.lines();
        let content_type = lines.next().unwrap_or_default();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim()))
            .collect();
        Some((content_type, headers, body))
    }

    fn check(event: &CloudEvent) {
        assert!(!event.id.is_empty() && !event.source.is_empty() && !event.kind.is_empty());
        let _ = TenureEvent::parse(&event.kind, &event.data);
    }

    /// CloudEvents as the webhook and NATS paths read them: the first line is
    /// the content type, then `name: value` headers up to an empty line, then
    /// the body. Structured and binary mode, then the Tenure event in it.
    pub fn cloudevent(data: &[u8]) {
        let Some((content_type, headers, body)) = split(data) else {
            return;
        };
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, value)| *value)
        };
        if let Ok(event) = tenure::events::parse_structured(Some(content_type), body) {
            check(&event);
        }
        if let Ok(event) = tenure::events::parse_cloudevent(Some(content_type), header, body) {
            check(&event);
        }
    }
}

pub mod eventgrid {
    /// Azure Event Grid deliveries (the subscription handshake and Key Vault
    /// events) on arbitrary bodies.
    pub fn eventgrid(data: &[u8]) {
        let _ = tenure::events::read_delivery(data, |vault, name| {
            (vault == "kv-prod").then(|| format!("azure:kv-prod/{name}"))
        });
    }
}

pub mod webhook_verify {
    use std::sync::OnceLock;

    use tenure::events::{SignedHeaders, WebhookKey};

    const NOW: i64 = 1_800_000_000;

    fn key() -> &'static WebhookKey {
        static KEY: OnceLock<WebhookKey> = OnceLock::new();
        KEY.get_or_init(|| {
            WebhookKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("key")
        })
    }

    /// The Standard Webhooks verifier: arbitrary `webhook-id`,
    /// `webhook-timestamp` and `webhook-signature` headers (the first three
    /// lines) and body (the rest) never panic, and are accepted only when the
    /// signature is the key's over exactly that id, timestamp and body.
    pub fn webhook_verify(data: &[u8]) {
        let mut parts = data.splitn(4, |b| *b == b'\n');
        let (Some(id), Some(timestamp), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return;
        };
        let body = parts.next().unwrap_or_default();
        let (Ok(id), Ok(timestamp), Ok(signature)) = (
            std::str::from_utf8(id),
            std::str::from_utf8(timestamp),
            std::str::from_utf8(signature),
        ) else {
            return;
        };
        let headers = |signature| SignedHeaders {
            id: Some(id),
            timestamp: Some(timestamp),
            signature: Some(signature),
        };
        // The MAC covers the timestamp as sent; `sign` writes it canonically.
        let canonical = timestamp
            .parse::<i64>()
            .ok()
            .filter(|ts| ts.to_string() == timestamp);
        let Some(ts) = canonical else {
            let _ = key().verify(headers(signature), body, NOW);
            return;
        };
        // Whatever came in: accepted only if it is the key's own signature.
        if key().verify(headers(signature), body, NOW).is_ok() {
            let own = key().sign(id, ts, body);
            assert!(signature.split_whitespace().any(|s| s == own));
        }
        // The key's own signature is accepted when fresh, and not for another body.
        if (ts - NOW).abs() < 60 && !id.is_empty() {
            let own = key().sign(id, ts, body);
            assert!(key().verify(headers(&own), body, NOW).is_ok());
            let mut other = body.to_vec();
            other.push(b'x');
            assert!(key().verify(headers(&own), &other, NOW).is_err());
        }
    }
}

pub mod exec_response {
    /// A request's values: the current and pending credential.
    const CURRENT: &str = r#"{"username":"app","password":"hunter2-current-pw"}"#;
    const PENDING: &str = "pending-token-0123456789";
    const MASK: &str = "[redacted]";

    /// Whether `text` shows `secret`, once the masks are taken out (a secret
    /// may be part of the mask's own letters).
    fn shows(text: &str, secret: &str) -> bool {
        secret.chars().count() >= 8
            && !secret.chars().any(|c| c.is_whitespace() || c.is_control())
            && text.replace(MASK, "\u{0}").contains(secret)
    }

    /// The exec protocol's response reader on whatever a program writes on
    /// stdout: never panics, and no text Tenure reports on (error message,
    /// proof, privilege names) carries a secret of the exchange.
    pub fn exec_response(data: &[u8]) {
        let Some(texts) = tenure_target_exec::fuzz_read_response(data, [CURRENT, PENDING]) else {
            return;
        };
        let mut secrets = vec![
            CURRENT.to_owned(),
            PENDING.to_owned(),
            "hunter2-current-pw".to_owned(),
        ];
        // The value the response carries is a secret too.
        if let Ok(serde_json::Value::Object(response)) = serde_json::from_slice(data)
            && let Some(serde_json::Value::String(value)) = response.get("value")
        {
            secrets.push(value.clone());
        }
        for text in &texts {
            assert!(text.chars().count() <= 301, "a reported text is bounded");
            assert!(!text.chars().any(char::is_control), "one line");
            for secret in &secrets {
                assert!(!shows(text, secret), "a secret reached a reported text");
            }
        }
    }
}

pub mod audit_verify {
    use std::path::PathBuf;
    use std::sync::OnceLock;

    use tenure::audit::{AuditPublicKey, VerifyOptions, verify, verify_with};

    /// The key that signed `fuzz/corpus/audit_verify/demo-trail.jsonl`.
    const SEED_KEY: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAp62A+inytAt9joZsJUl4c0cSce0+8nbZcGtk0qhPNhQ=
-----END PUBLIC KEY-----
";

    fn path() -> &'static PathBuf {
        static PATH: OnceLock<PathBuf> = OnceLock::new();
        PATH.get_or_init(|| super::scratch_file("audit", "audit.jsonl"))
    }

    fn key() -> &'static [AuditPublicKey] {
        static KEY: OnceLock<Vec<AuditPublicKey>> = OnceLock::new();
        KEY.get_or_init(|| vec![AuditPublicKey::from_pem(SEED_KEY, "seed").expect("key")])
    }

    /// The audit trail verifier on arbitrary trails, without a key and with the
    /// public key of the seed trail (which allows a trail without its head
    /// file): never panics, and a trail it accepts has one entry per line.
    pub fn audit_verify(data: &[u8]) {
        std::fs::write(path(), data).expect("write");
        let lines = data
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        if let Ok(report) = verify(path()) {
            assert_eq!(report.entries as usize, lines, "every line is an entry");
        }
        if let Ok(report) = verify_with(path(), VerifyOptions { keys: key() }) {
            assert_eq!(report.entries as usize, lines, "every line is an entry");
            assert!(
                report.checkpoints > 0 || lines == 0,
                "a keyed check needs a signature"
            );
        }
    }
}
