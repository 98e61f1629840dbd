//! Unit tests of the vault document: stages move along, rotation steps are
//! idempotent, disabled secrets refuse reads, history is bounded.

use super::*;

fn value(text: &str) -> SecretValue {
    SecretValue::new(text.to_owned())
}

/// Steps the crate's tests share.
impl Document {
    /// Writes `text` as the current value of `path`, untagged, now.
    pub(crate) fn put_text(&mut self, path: &str, text: &str) -> VersionId {
        self.put_current(path, value(text), &BTreeMap::new(), Utc::now())
    }

    /// The text of the version of `path` carrying `stage`.
    pub(crate) fn text(&self, path: &str, stage: Stage) -> String {
        self.read(path, stage).expect("read").expose().to_owned()
    }
}

fn stages(doc: &Document, path: &str) -> Vec<(String, Vec<Stage>, bool)> {
    doc.secrets[path]
        .versions
        .iter()
        .map(|v| (v.id.to_string(), v.stages.clone(), v.value.is_some()))
        .collect()
}

#[test]
fn put_current_moves_stages_along() {
    let mut doc = Document::default();
    let now = Utc::now();
    doc.put_current("a", value("one"), &BTreeMap::new(), now);
    doc.put_current("a", value("two"), &BTreeMap::new(), now);
    doc.put_current("a", value("three"), &BTreeMap::new(), now);
    assert_eq!(
        stages(&doc, "a"),
        vec![
            ("1".into(), vec![], false),
            ("2".into(), vec![Stage::Previous], true),
            ("3".into(), vec![Stage::Current], true),
        ]
    );
    assert_eq!(doc.text("a", Stage::Current), "three");
    assert_eq!(doc.text("a", Stage::Previous), "two");
}

#[test]
fn rotation_stages_are_idempotent() {
    let mut doc = Document::default();
    let now = Utc::now();
    doc.put_current("a", value("old"), &BTreeMap::new(), now);
    let notes = BTreeMap::new();
    let id = doc
        .stage_pending("a", "run-1", value("new"), &notes, now)
        .expect("stage");
    let again = doc
        .stage_pending("a", "run-1", value("other"), &notes, now)
        .expect("stage");
    assert_eq!(id, again);
    assert_eq!(doc.read_version("a", &id).expect("read").expose(), "new");
    assert!(matches!(
        doc.stage_pending("a", "run-2", value("x"), &notes, now),
        Err(ModelError::Conflict(_))
    ));
    // Consumers reading current do not see the pending value.
    assert_eq!(doc.text("a", Stage::Current), "old");
    doc.promote("a", &id).expect("promote");
    doc.promote("a", &id).expect("promote twice");
    assert_eq!(doc.text("a", Stage::Current), "new");
    assert_eq!(doc.text("a", Stage::Previous), "old");
    let previous = VersionId("1".into());
    doc.retire("a", &previous).expect("retire");
    doc.retire("a", &previous).expect("retire twice");
    doc.retire("a", &VersionId("99".into()))
        .expect("retire absent");
    assert!(matches!(doc.retire("a", &id), Err(ModelError::Conflict(_))));
    assert!(doc.read("a", Stage::Previous).is_err());
}

#[test]
fn discard_pending_is_idempotent() {
    let mut doc = Document::default();
    let now = Utc::now();
    doc.put_current("a", value("old"), &BTreeMap::new(), now);
    let id = doc
        .stage_pending("a", "t", value("new"), &BTreeMap::new(), now)
        .expect("stage");
    doc.discard_pending("a", &id).expect("discard");
    doc.discard_pending("a", &id).expect("discard twice");
    assert!(
        doc.describe("a")
            .expect("describe")
            .version(Stage::Pending)
            .is_none()
    );
    assert_eq!(doc.text("a", Stage::Current), "old");
}

#[test]
fn disabled_secrets_refuse_reads() {
    let mut doc = Document::default();
    doc.put_current("a", value("v"), &BTreeMap::new(), Utc::now());
    doc.set_enabled("a", false).expect("disable");
    assert!(matches!(doc.read("a", Stage::Current), Err(ModelError::Disabled(p)) if p == "a"));
    assert!(!doc.describe("a").expect("describe").enabled);
    assert!(matches!(
        doc.read("missing", Stage::Current),
        Err(ModelError::NotFound(_))
    ));
}

#[test]
fn tags_merge_and_history_is_bounded() {
    let mut doc = Document::default();
    let now = Utc::now();
    let mut tags = BTreeMap::new();
    tags.insert("owner".to_owned(), "alice".to_owned());
    doc.put_current("a", value("v"), &tags, now);
    let mut more = BTreeMap::new();
    more.insert("owner".to_owned(), "bob".to_owned());
    more.insert("workload".to_owned(), "api".to_owned());
    doc.set_tags("a", &more).expect("tags");
    assert_eq!(doc.describe("a").expect("describe").tags, more);
    for i in 0..50 {
        doc.put_current("a", value(&i.to_string()), &BTreeMap::new(), now);
    }
    assert_eq!(doc.secrets["a"].versions.len(), MAX_VERSIONS);
}
