//! The audit trail is signed with a key kept apart from it: a rewrite that
//! recomputes the plain hash chain (which anyone who can write the file can
//! do) is caught by `tenure audit verify --pubkey`, on a copy elsewhere too;
//! a last line torn by a crash is repaired on start, with an entry saying so.

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::{Demo, stderr, stdout};

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("trail")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

/// What an intruder without the key can do: change entry `index`, then
/// recompute every hash after it and the head file (keeping or dropping the
/// signatures, which they cannot make).
fn rechain(trail: &Path, mut entries: Vec<Value>, keep_signatures: bool) {
    let mut prev = entries[0]["prev"].as_str().expect("prev").to_owned();
    let mut text = String::new();
    for entry in &mut entries {
        let object = entry.as_object_mut().expect("object");
        object.remove("hash");
        let sig = object.remove("sig");
        object.insert("prev".into(), Value::String(prev.clone()));
        // serde_json's map is sorted and compact: the canonical form.
        let body = serde_json::to_string(&entry).expect("json");
        let mut hasher = Sha256::new();
        hasher.update(prev.as_bytes());
        hasher.update(b"\n");
        hasher.update(body.as_bytes());
        let hash = hex::encode(hasher.finalize());
        let object = entry.as_object_mut().expect("object");
        object.insert("hash".into(), Value::String(hash.clone()));
        if keep_signatures && let Some(sig) = sig {
            object.insert("sig".into(), sig);
        }
        text.push_str(&serde_json::to_string(&entry).expect("json"));
        text.push('\n');
        prev = hash;
    }
    std::fs::write(trail, text).expect("write trail");
    let seq = entries.len();
    let mut head = serde_json::json!({ "seq": seq, "hash": prev });
    if keep_signatures {
        let old: Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{}.head", trail.display())).expect("head"),
        )
        .expect("head json");
        head["sig"] = old["sig"].clone();
    }
    std::fs::write(
        format!("{}.head", trail.display()),
        serde_json::to_string(&head).expect("json"),
    )
    .expect("write head");
}

/// A copy of the trail and its head in a folder apart.
fn copy_of(demo: &Demo, folder: &Path) -> std::path::PathBuf {
    std::fs::create_dir_all(folder).expect("mkdir");
    let copy = folder.join("audit.jsonl");
    std::fs::copy(demo.audit(), &copy).expect("copy trail");
    std::fs::copy(
        format!("{}.head", demo.audit().display()),
        format!("{}.head", copy.display()),
    )
    .expect("copy head");
    copy
}

fn verify_copy(demo: &Demo, copy: &Path, pubkey: Option<&Path>) -> std::process::Output {
    let mut args = vec!["audit", "verify", "--trail", copy.to_str().expect("utf-8")];
    if let Some(key) = pubkey {
        args.extend(["--pubkey", key.to_str().expect("utf-8")]);
    }
    demo.run(&args)
}

#[test]
fn a_rechained_trail_is_caught_with_the_public_key_and_only_with_it() {
    let demo = Demo::new();
    let run = demo.run(&["run", "--once"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let key_file = demo.state().join("audit.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_file).expect("key").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "the signing key is private");

    let pubkey = demo.dir.path().join("audit-pub.pem");
    let out = demo.run(&["audit", "pubkey"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("-----BEGIN PUBLIC KEY-----"));
    std::fs::write(&pubkey, stdout(&out)).expect("write pubkey");

    // The live trail and a pristine copy verify, every entry signed.
    let live = demo.run(&["audit", "verify"]);
    assert!(live.status.success(), "{}", stderr(&live));
    let entries = lines(&demo.audit());
    assert!(entries.len() > 5);
    assert!(entries.iter().all(|e| e["sig"]["ed25519"].is_string()));
    let elsewhere = demo.dir.path().join("auditor");
    let copy = copy_of(&demo, &elsewhere);
    let ok = verify_copy(&demo, &copy, Some(&pubkey));
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        stdout(&ok).contains("signed entries verified with key"),
        "{}",
        stdout(&ok)
    );

    // An edited entry, re-chained with the stale signatures kept: the plain
    // chain checks out (the defect), the signatures do not.
    let mut forged = entries.clone();
    forged[2]["data"] = serde_json::json!({"forged": true});
    rechain(&copy, forged, true);
    let chain_only = verify_copy(&demo, &copy, None);
    assert!(
        chain_only.status.success(),
        "a re-chained trail passes the hash chain alone: {}",
        stderr(&chain_only)
    );
    let keyed = verify_copy(&demo, &copy, Some(&pubkey));
    assert_eq!(keyed.status.code(), Some(3), "{}", stdout(&keyed));
    assert!(
        stderr(&keyed).contains("audit.jsonl:3: checkpoint signature does not verify"),
        "{}",
        stderr(&keyed)
    );

    // The same with every signature dropped.
    let copy = copy_of(&demo, &elsewhere);
    let mut forged = entries.clone();
    forged[2]["data"] = serde_json::json!({"forged": true});
    rechain(&copy, forged, false);
    let keyed = verify_copy(&demo, &copy, Some(&pubkey));
    assert_eq!(keyed.status.code(), Some(3));
    assert!(
        stderr(&keyed).contains("no entry is signed"),
        "{}",
        stderr(&keyed)
    );

    // An entry appended without the key, properly chained.
    let copy = copy_of(&demo, &elsewhere);
    let mut forged = entries.clone();
    let mut extra = entries.last().expect("last").clone();
    extra["seq"] = Value::from(entries.len() + 1);
    extra["kind"] = Value::from("decision");
    extra.as_object_mut().expect("object").remove("sig");
    forged.push(extra);
    rechain(&copy, forged, true);
    let keyed = verify_copy(&demo, &copy, Some(&pubkey));
    assert_eq!(keyed.status.code(), Some(3));
    assert!(
        stderr(&keyed).contains(&format!(
            "audit.jsonl:{}: is not signed, after signed entries",
            entries.len() + 1
        )),
        "{}",
        stderr(&keyed)
    );

    // Another key's public half does not vouch for this trail.
    let other = demo.dir.path().join("other.pem");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl genpkey -algorithm ed25519 | openssl pkey -pubout > {}",
            other.display()
        ))
        .status()
        .expect("openssl");
    assert!(status.success());
    let copy = copy_of(&demo, &elsewhere);
    let keyed = verify_copy(&demo, &copy, Some(&other));
    assert_eq!(keyed.status.code(), Some(3));
    assert!(
        stderr(&keyed).contains("which is not among the public keys given"),
        "{}",
        stderr(&keyed)
    );
}

#[test]
fn a_torn_last_line_is_repaired_on_start_with_an_entry_that_says_so() {
    let demo = Demo::new();
    let run = demo.run(&["run", "--once"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let before = lines(&demo.audit()).len();
    // A crash mid-append: part of a line, no newline.
    let torn = br#"{"data":{"step":"apply"},"hash":"5f3a"#;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(demo.audit())
        .expect("open");
    std::io::Write::write_all(&mut file, torn).expect("tear");
    drop(file);
    let broken = demo.run(&["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(3), "the torn line is a bad line");

    // Any start repairs it; the workflows go on.
    let run = demo.run(&["run", "--once"]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("last line was cut short"),
        "{}",
        stderr(&run)
    );
    let verify = demo.run(&["audit", "verify"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let after = lines(&demo.audit());
    let repair = &after[before];
    assert_eq!(repair["kind"], "audit_repaired", "{repair}");
    assert_eq!(repair["data"]["removed_bytes"], torn.len());
    assert_eq!(
        repair["data"]["removed_sha256"],
        hex::encode(Sha256::digest(torn))
    );
    assert_eq!(
        after
            .iter()
            .filter(|e| e["kind"] == "audit_repaired")
            .count(),
        1
    );
}
