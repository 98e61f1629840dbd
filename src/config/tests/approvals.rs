//! `[approvals]` and a record's `require_approval`: errors name file, line
//! and key; the defaults (nothing required; an exposed secret and an owner
//! who left bypass; a day to decide) apply.

use std::time::Duration;

use super::Folder;
use crate::approvals::{ApprovalAction, ApprovalPolicy};
use crate::policy::Reason;

const VAULT_AND_TARGET: &str = r#"
[providers.local]
type = "local"
path = "vault.tvault"

[targets.generated]
type = "generate"
"#;

fn record(extra: &str) -> String {
    format!(
        r#"
[[records]]
id = "a"
secrets = "local:a"
target = "generated"
owner = "o"
purpose = "p"
approval = {{ by = "c", at = 2026-01-01 }}
{extra}
"#
    )
}

#[test]
fn approval_errors_name_file_line_and_key() {
    let folder = Folder::main_only(&format!(
        r#"[approvals]
require = ["revoke", "delete"]
bypass = ["owner_left", "secret.exposed"]
ttl = "0s"
api_url = "tenure.example.com"
{VAULT_AND_TARGET}{}"#,
        record("require_approval = [\"narrow\", \"disable_unmanaged\"]")
    ));
    folder.assert_errors(&[
        "{dir}/tenure.toml:2:22: approvals.require[1]: \"delete\" is not one of revoke, narrow, disable_unmanaged",
        "{dir}/tenure.toml:3:25: approvals.bypass[1]: \"secret.exposed\" is not a decision reason (like \"secret_exposed\" or \"owner_left\")",
        "{dir}/tenure.toml:4:7: approvals.ttl: must be longer than zero",
        "{dir}/tenure.toml:5:11: approvals.api_url: expected the service's public http(s) URL without query or fragment, like https://tenure.example.com",
        "{dir}/tenure.toml:21:31: records[0].require_approval: disable_unmanaged concerns accounts no record governs: require it in [approvals]",
    ]);
}

#[test]
fn approvals_default_to_none_required_and_a_record_replaces_the_list() {
    let none = Folder::main_only(&format!("{VAULT_AND_TARGET}{}", record("")));
    let config = none.load();
    assert_eq!(config.approvals, ApprovalPolicy::default());
    assert!(config.approvals.require.is_empty());
    assert_eq!(
        config.approvals.bypass,
        [Reason::SecretExposed, Reason::OwnerLeft].into()
    );
    assert_eq!(config.approvals.ttl, Duration::from_secs(86_400));
    assert_eq!(config.governance.records[0].require_approval, None);

    let set = Folder::main_only(&format!(
        r#"[approvals]
require = ["revoke", "narrow", "disable_unmanaged"]
bypass = []
ttl = "4h"
api_url = "https://tenure.example.com/"
{VAULT_AND_TARGET}{}"#,
        record("require_approval = [\"narrow\"]")
    ));
    let config = set.load();
    assert_eq!(config.approvals.require.len(), 3);
    assert!(config.approvals.bypass.is_empty());
    assert_eq!(config.approvals.ttl, Duration::from_secs(4 * 3600));
    assert_eq!(
        config.approvals.link("a1"),
        "https://tenure.example.com/v1/approvals/a1"
    );
    assert_eq!(
        config.governance.records[0].require_approval,
        Some([ApprovalAction::Narrow].into())
    );
}
