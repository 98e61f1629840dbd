//! `config/examples/aws.toml` against moto: `tenure rotate aws:tenure-example`
//! leaves the new value AWSCURRENT, the old one AWSPREVIOUS and no
//! AWSPENDING.

use tenure_testkit::{service_url, unique_name};

use crate::common::example::Example;
use crate::common::{aws_sdk, aws_version_at};

#[tokio::test]
async fn rotate_leaves_current_previous_and_no_pending() {
    let Some(endpoint) = service_url("TENURE_TEST_AWS_ENDPOINT") else {
        return;
    };
    // moto keeps one account per process: a unique name keeps reruns apart.
    let name = unique_name("tenure-example");
    let example = Example::new("aws", |text, _| {
        text.replace("aws:tenure-example", &format!("aws:{name}"))
    })
    .env("AWS_ENDPOINT_URL", &endpoint)
    .env("AWS_REGION", "us-east-1")
    .env("AWS_ACCESS_KEY_ID", "testing")
    .env("AWS_SECRET_ACCESS_KEY", "testing");

    let client = aws_sdk_secretsmanager::Client::new(&aws_sdk(&endpoint, "testing", "testing"));
    let created = client
        .create_secret()
        .name(&name)
        .secret_string("initial-value")
        .send()
        .await
        .expect("create");
    let old_version = created.version_id().expect("version").to_owned();

    let rotate = example
        .command(&["rotate", &format!("aws:{name}")])
        .env_remove("AWS_PROFILE")
        .output()
        .expect("rotate");
    assert!(
        rotate.status.success(),
        "{}",
        crate::common::stderr(&rotate)
    );

    let current = aws_version_at(&client, &name, "AWSCURRENT")
        .await
        .expect("current");
    let value = current.secret_string().expect("string");
    assert_ne!(value, "initial-value");
    assert_eq!(value.len(), 40);
    let previous = aws_version_at(&client, &name, "AWSPREVIOUS")
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
