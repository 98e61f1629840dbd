//! The configs shipped under docker/ stay valid: `tenure check-config`
//! accepts the image's config, the compose stack's, and the one embedded in
//! the Kubernetes ConfigMap.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(config: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_tenure"))
        .arg("-c")
        .arg(config)
        .arg("check-config")
        .output()
        .expect("run tenure");
    assert!(
        out.status.success(),
        "{}: {}",
        config.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn docker_configs_pass_check_config() {
    check(&root().join("docker/tenure.toml"));
    check(&root().join("docker/stack.toml"));
}

#[test]
fn the_configmap_config_passes_check_config() {
    let manifest = std::fs::read_to_string(root().join("docker/k8s/pod.yaml")).expect("pod.yaml");
    let mut lines = manifest
        .lines()
        .skip_while(|l| l.trim() != "tenure.toml: |");
    let header = lines.next().expect("a ConfigMap with tenure.toml");
    let indent = header.len() - header.trim_start().len() + 2;
    let body: Vec<&str> = lines
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() >= indent)
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("tenure.toml");
    std::fs::write(&config, body.join("\n")).expect("write");
    check(&config);
}
