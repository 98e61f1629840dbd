//! A record's `account`, checked against a target's syntax for account names.
//!
//! An account is a name or a glob of names; the glob's own characters are
//! left out of the target's character and length rules.

use tenure_plugin_api::AccountSyntax;

/// Checks `account` (a name or a glob) against `syntax`.
pub fn check(syntax: &AccountSyntax, account: &str) -> Result<(), String> {
    let glob = |c: char| matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | ',' | '!');
    let (what, max) = (syntax.what, syntax.max_chars);
    let literal: usize = account.chars().filter(|c| !glob(*c)).count();
    if account.is_empty() || literal > max {
        return Err(format!(
            "invalid account {account:?}: expected {what} of 1 to {max} characters, or a glob of them"
        ));
    }
    if let Some(bad) = account.chars().find(|c| !glob(*c) && !(syntax.allowed)(*c)) {
        return Err(format!(
            "invalid account {account:?}: {bad:?} cannot be in {what}"
        ));
    }
    globset::Glob::new(account)
        .map(|_| ())
        .map_err(|e| format!("invalid account glob {account:?}: {}", e.kind()))
}
