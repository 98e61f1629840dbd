//! Reading an IAM policy document (JSON, URL-encoded as IAM returns it) for
//! the one thing a narrowing needs to know: whether it denies anything.

use serde_json::Value;

/// Whether a policy document denies anything, so that removing it could
/// widen access. IAM returns documents URL-encoded; a document that cannot
/// be read counts as denying.
pub fn denies(document: &str) -> bool {
    let parsed = serde_json::from_str::<Value>(document)
        .ok()
        .or_else(|| percent_decode(document).and_then(|d| serde_json::from_str::<Value>(&d).ok()));
    let Some(policy) = parsed else {
        return true;
    };
    let statements = match policy.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
        Some(one @ Value::Object(_)) => vec![one],
        None => Vec::new(),
        Some(_) => return true,
    };
    statements.iter().any(|s| match s.get("Effect") {
        Some(Value::String(effect)) => effect != "Allow",
        _ => true,
    })
}

/// `%XX` escapes decoded; `None` when an escape is malformed or the result
/// is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_that_denies_or_cannot_be_read_counts_as_denying() {
        let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        let deny = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}"#;
        assert!(!denies(allow));
        assert!(denies(deny));
        // URL-encoded, as IAM returns documents.
        assert!(!denies(
            "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A*%22%7D%5D%7D"
        ));
        assert!(denies(
            "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Deny%22%2C%22Action%22%3A%22s3%3A*%22%7D%5D%7D"
        ));
        assert!(denies("not a policy"));
        assert!(denies("%7B%2"));
        assert!(denies(r#"{"Statement":[{"Action":"s3:*"}]}"#));
        assert!(!denies(r#"{"Version":"2012-10-17"}"#));
    }
}
