//! The `filter` query parameter of `GET /Users` and `GET /Groups`: what
//! identity providers send before they create (`userName eq "..."`,
//! `externalId eq "..."`, `emails.value eq "..."`, `displayName eq "..."`,
//! `id eq "..."`), joined with `and`. Anything else is `invalidFilter`.

use serde_json::Value;

use super::errors::ScimError;
use crate::state::ScimResource;

/// An attribute a filter may compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attribute {
    Id,
    UserName,
    DisplayName,
    ExternalId,
    EmailValue,
}

impl Attribute {
    fn parse(name: &str) -> Option<Self> {
        let name = name
            .strip_prefix("urn:ietf:params:scim:schemas:core:2.0:User:")
            .or_else(|| name.strip_prefix("urn:ietf:params:scim:schemas:core:2.0:Group:"))
            .unwrap_or(name)
            .to_ascii_lowercase();
        Some(match name.as_str() {
            "id" => Self::Id,
            "username" => Self::UserName,
            "displayname" => Self::DisplayName,
            "externalid" => Self::ExternalId,
            "emails" | "emails.value" => Self::EmailValue,
            _ => return None,
        })
    }
}

/// A parsed filter: every term must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    terms: Vec<(Attribute, String)>,
}

/// Reads a JSON string literal at the start of `text`; the value and the rest.
fn string_literal(text: &str) -> Option<(String, &str)> {
    let mut deserializer = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let value = deserializer.next()?.ok()?;
    let rest = &text[deserializer.byte_offset()..];
    Some((value.as_str()?.to_owned(), rest))
}

impl Filter {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, ScimError> {
        let unsupported = || {
            ScimError::InvalidFilter(format!(
                "unsupported filter {text:?}: use `<attribute> eq \"value\"` (userName, externalId, emails.value, displayName, id), joined with `and`"
            ))
        };
        let mut terms = Vec::new();
        let mut rest = text.trim();
        loop {
            let (name, after) = rest
                .split_once(char::is_whitespace)
                .ok_or_else(unsupported)?;
            let attribute = Attribute::parse(name).ok_or_else(unsupported)?;
            let (op, after) = after
                .trim_start()
                .split_once(char::is_whitespace)
                .ok_or_else(unsupported)?;
            if !op.eq_ignore_ascii_case("eq") {
                return Err(unsupported());
            }
            let (value, after) = string_literal(after.trim_start()).ok_or_else(unsupported)?;
            terms.push((attribute, value));
            let after = after.trim_start();
            if after.is_empty() {
                return Ok(Self { terms });
            }
            let (and, after) = after
                .split_once(char::is_whitespace)
                .ok_or_else(unsupported)?;
            if !and.eq_ignore_ascii_case("and") {
                return Err(unsupported());
            }
            rest = after.trim_start();
        }
    }

    /// Whether `resource` matches every term.
    pub fn matches(&self, resource: &ScimResource) -> bool {
        self.terms.iter().all(|(attribute, value)| match attribute {
            Attribute::Id => resource.id == *value,
            Attribute::UserName | Attribute::DisplayName => {
                resource.name.to_lowercase() == value.to_lowercase()
            }
            Attribute::ExternalId => resource.external_id.as_deref() == Some(value.as_str()),
            Attribute::EmailValue => resource.body["emails"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|email| email["value"].as_str())
                .any(|email| email.eq_ignore_ascii_case(value)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_filters_parse_and_others_are_refused() {
        assert!(Filter::parse(r#"userName eq "dana@example.com""#).is_ok());
        assert!(Filter::parse(r#"UserName EQ "a\"b""#).is_ok());
        assert!(Filter::parse(r#"externalId eq "x" and emails.value eq "y""#).is_ok());
        for bad in [
            "",
            "userName",
            r#"userName eq dana"#,
            r#"userName co "dana""#,
            r#"title eq "x""#,
            r#"userName eq "x" or id eq "y""#,
            r#"userName eq "x" and"#,
        ] {
            assert!(
                matches!(Filter::parse(bad), Err(ScimError::InvalidFilter(_))),
                "{bad:?}"
            );
        }
    }
}
