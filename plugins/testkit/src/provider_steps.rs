//! One-line steps for a provider's own tests, beyond the conformance suite:
//! a value from text, a current value written without tags, a value staged
//! without annotations, a stage read as text, and what each stage reads
//! asserted. Each panics with the step's name and the error when it fails.

use std::collections::BTreeMap;

use tenure_plugin_api::{Provider, SecretValue, Stage, VersionId};

/// A secret value holding `text`.
pub fn value(text: &str) -> SecretValue {
    SecretValue::new(text.to_owned())
}

/// Writes `text` as the current value of `path`, with no tags.
pub async fn put(provider: &dyn Provider, path: &str, text: &str) -> VersionId {
    provider
        .put_current(path, &value(text), &BTreeMap::new())
        .await
        .unwrap_or_else(|e| panic!("put_current {path}: {e}"))
}

/// Stages `text` as the pending value of `path` for the rotation `token`,
/// with no annotations.
pub async fn stage(provider: &dyn Provider, path: &str, token: &str, text: &str) -> VersionId {
    provider
        .stage_pending(path, token, &value(text), &BTreeMap::new())
        .await
        .unwrap_or_else(|e| panic!("stage_pending {path} ({token}): {e}"))
}

/// The text of the version of `path` carrying `stage`.
pub async fn read_text(provider: &dyn Provider, path: &str, stage: Stage) -> String {
    provider
        .read(path, stage)
        .await
        .unwrap_or_else(|e| panic!("read {} of {path}: {e}", stage.as_str()))
        .expose()
        .to_owned()
}

/// Asserts what each of the stages of `path` reads.
pub async fn assert_reads(provider: &dyn Provider, path: &str, expected: &[(Stage, &str)]) {
    for &(stage, want) in expected {
        let text = read_text(provider, path, stage).await;
        assert_eq!(text, want, "{} of {path}", stage.as_str());
    }
}
