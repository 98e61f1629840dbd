//! Attestation of IAM access keys against moto with request authentication
//! on (so STS really refuses a key), behind a proxy that can stop: drift
//! made by hand is found and repaired in one pass. The "password changed by
//! hand" is the key deleted by hand; the revocation undone by hand is a
//! new key created for the user. (A retired key is deleted, so it cannot be
//! re-activated; each attestation proves it absent.)

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_sdk_iam::types::StatusType;
use serde_json::{Value, json};
use tenure_testkit::{service_url, unique_name};

use crate::common;
use crate::common::drift::{Bed, Server, scenarios};
use crate::common::proxy::Proxy;

struct Iam {
    sdk: SdkConfig,
    iam: aws_sdk_iam::Client,
    user: String,
    approved: String,
    extra: String,
}

impl Iam {
    async fn keys(&self) -> Vec<(String, bool)> {
        self.iam
            .list_access_keys()
            .user_name(&self.user)
            .send()
            .await
            .expect("keys")
            .access_key_metadata()
            .iter()
            .map(|k| {
                (
                    k.access_key_id().unwrap_or_default().to_owned(),
                    k.status() == Some(&StatusType::Active),
                )
            })
            .collect()
    }

    async fn attached(&self) -> Vec<String> {
        self.iam
            .list_attached_user_policies()
            .user_name(&self.user)
            .send()
            .await
            .expect("policies")
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect()
    }

    async fn attach(&self, arn: &str) {
        self.iam
            .attach_user_policy()
            .user_name(&self.user)
            .policy_arn(arn)
            .send()
            .await
            .expect("attach");
    }

    async fn policy(&self, name: &str) -> String {
        let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        self.iam
            .create_policy()
            .policy_name(unique_name(name))
            .policy_document(document)
            .send()
            .await
            .expect("policy")
            .policy
            .and_then(|p| p.arn)
            .expect("arn")
    }
}

#[async_trait::async_trait]
impl Server for Iam {
    /// The key deleted by hand (moto's authentication refuses a deleted
    /// key; it does not check an inactive one's status).
    async fn change_password(&self) {
        for (id, _) in self.keys().await {
            self.iam
                .delete_access_key()
                .user_name(&self.user)
                .access_key_id(id)
                .send()
                .await
                .expect("delete");
        }
    }
    async fn grant_extra(&self) {
        self.attach(&self.extra).await;
    }
    async fn holds_extra(&self) -> bool {
        self.attached().await.contains(&self.extra)
    }
    async fn remove_approved(&self) {
        self.iam
            .detach_user_policy()
            .user_name(&self.user)
            .policy_arn(&self.approved)
            .send()
            .await
            .expect("detach");
    }
    async fn restore_approved(&self) {
        self.attach(&self.approved).await;
    }
    async fn reenable(&self) {
        self.iam
            .create_access_key()
            .user_name(&self.user)
            .send()
            .await
            .expect("a key made by hand");
    }
    async fn enabled(&self) -> bool {
        self.keys().await.iter().any(|(_, active)| *active)
    }
    async fn logs_in(&self, value: &str) -> bool {
        let value: Value = serde_json::from_str(value).expect("json");
        let credentials = Credentials::new(
            value["access_key_id"].as_str().expect("key id"),
            value["secret_access_key"].as_str().expect("secret"),
            None,
            None,
            "test",
        );
        let config = aws_sdk_sts::config::Builder::from(&self.sdk)
            .credentials_provider(credentials)
            .build();
        aws_sdk_sts::Client::from_conf(config)
            .get_caller_identity()
            .send()
            .await
            .is_ok()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_key_drift_is_found_and_repaired() {
    let Some(endpoint) = service_url("TENURE_TEST_IAM_ENDPOINT") else {
        return;
    };
    let key = std::env::var("TENURE_TEST_IAM_ACCESS_KEY_ID").expect("admin key id");
    let secret = std::env::var("TENURE_TEST_IAM_SECRET_ACCESS_KEY").expect("admin secret");
    let sdk = common::aws_sdk(&endpoint, &key, &secret);
    let iam_client = aws_sdk_iam::Client::new(&sdk);
    let user = unique_name("drift_iam");
    iam_client
        .create_user()
        .user_name(&user)
        .send()
        .await
        .expect("user");
    let mut iam = Iam {
        sdk,
        iam: iam_client,
        user: user.clone(),
        approved: String::new(),
        extra: String::new(),
    };
    iam.approved = iam.policy("approved").await;
    iam.extra = iam.policy("extra").await;
    iam.attach(&iam.approved).await;
    let created = iam
        .iam
        .create_access_key()
        .user_name(&user)
        .send()
        .await
        .expect("key")
        .access_key
        .expect("key");

    let proxy = Proxy::start_to_http(&endpoint).await;
    let path = format!("iam/{user}");
    let config = common::drift::config(
        &path,
        "iam",
        "type = \"aws_iam\"\nregion = \"us-east-1\"\nsettle_timeout = \"2s\"",
        &user,
        std::slice::from_ref(&iam.approved),
    );
    let through = proxy.http_url();
    let bed = Bed::new(
        &config,
        &[
            ("AWS_ENDPOINT_URL", through.as_str()),
            ("AWS_ACCESS_KEY_ID", key.as_str()),
            ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    bed.put(
        &path,
        &json!({
            "user_name": user,
            "access_key_id": created.access_key_id,
            "secret_access_key": created.secret_access_key,
        })
        .to_string(),
    )
    .await;
    scenarios(&bed, &iam, &proxy, &path).await;
}
