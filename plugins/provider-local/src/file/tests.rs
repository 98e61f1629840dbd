//! Unit tests of the vault file: a file is decrypted again only when another
//! process replaced it, and a change builds on what is on disk; `put`, for
//! the other modules' tests.

use tenure_plugin_api::Stage;

use super::*;

/// Writes `value` as the current value of `path` through `file`.
pub(crate) fn put(file: &VaultFile, path: &str, value: &str) {
    let (path, value) = (path.to_owned(), value.to_owned());
    file.update(move |doc| {
        doc.put_text(&path, &value);
        Ok(())
    })
    .expect("update");
}

#[test]
fn an_unchanged_file_is_not_decrypted_again_and_a_replaced_one_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vault.enc");
    let key = [7u8; 32];
    let ours = VaultFile::new(path.clone(), &key);
    put(&ours, "a", "one");
    let first = ours.read().expect("read").expect("doc");
    let again = ours.read().expect("read").expect("doc");
    assert!(Arc::ptr_eq(&first, &again), "decrypted again");
    // Another process (its own VaultFile) writes the file.
    let theirs = VaultFile::new(path, &key);
    put(&theirs, "a", "two");
    let seen = ours.read().expect("read").expect("doc");
    assert_eq!(seen.text("a", Stage::Current), "two");
    // Our next change builds on theirs.
    put(&ours, "b", "three");
    let theirs_view = theirs.read().expect("read").expect("doc");
    assert_eq!(theirs_view.text("a", Stage::Current), "two");
    assert_eq!(theirs_view.text("b", Stage::Current), "three");
}
