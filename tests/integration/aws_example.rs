//! `config/examples/aws.toml` against moto: `tenure rotate aws:tenure-example`
//! leaves the new value AWSCURRENT, the old one AWSPREVIOUS and no
//! AWSPENDING.

use std::path::PathBuf;
use std::process::Command;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use tenure_testkit::{service_url, unique_name};

use crate::common::stderr;

fn sdk(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "tests",
        )))
        .build()
}

#[tokio::test]
async fn rotate_leaves_current_previous_and_no_pending() {
    let Some(endpoint) = service_url("TENURE_TEST_AWS_ENDPOINT") else {
        return;
    };
    // moto keeps one account per process: a unique name keeps reruns apart.
    let name = unique_name("tenure-example");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    let example = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/examples/aws.toml"),
    )
    .expect("example")
    .replace(
        "\"../../.tenure-aws\"",
        &format!("{:?}", root.join("state")),
    )
    .replace("aws:tenure-example", &format!("aws:{name}"));
    let config_path = root.join("tenure.toml");
    std::fs::write(&config_path, example).expect("config");

    let client = aws_sdk_secretsmanager::Client::new(&sdk(&endpoint));
    let created = client
        .create_secret()
        .name(&name)
        .secret_string("initial-value")
        .send()
        .await
        .expect("create");
    let old_version = created.version_id().expect("version").to_owned();

    let rotate = Command::new(env!("CARGO_BIN_EXE_tenure"))
        .arg("-c")
        .arg(&config_path)
        .args(["rotate", &format!("aws:{name}")])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .env_remove("TENURE_LOG")
        .output()
        .expect("rotate");
    assert!(rotate.status.success(), "{}", stderr(&rotate));

    let current = client
        .get_secret_value()
        .secret_id(&name)
        .version_stage("AWSCURRENT")
        .send()
        .await
        .expect("current");
    let value = current.secret_string().expect("string");
    assert_ne!(value, "initial-value");
    assert_eq!(value.len(), 40);
    let previous = client
        .get_secret_value()
        .secret_id(&name)
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .expect("previous");
    assert_eq!(previous.secret_string(), Some("initial-value"));
    assert_eq!(previous.version_id(), Some(old_version.as_str()));
    let versions = client
        .list_secret_version_ids()
        .secret_id(&name)
        .send()
        .await
        .expect("versions");
    let labels: Vec<&String> = versions
        .versions()
        .iter()
        .flat_map(|v| v.version_stages())
        .collect();
    assert!(
        !labels.iter().any(|l| l.as_str() == "AWSPENDING"),
        "{labels:?}"
    );
    assert_eq!(
        labels.iter().filter(|l| l.as_str() == "AWSCURRENT").count(),
        1
    );
}
