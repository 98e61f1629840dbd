//! A compliance framework as data: its controls, each with what it checks
//! in terms Tenure has (decision reasons that put a secret out of policy,
//! limits such as `max_age_days`, the measured figures it shows). Read
//! from TOML (`config/frameworks/<name>.toml`, or a user's own folder) and
//! checked; every problem names the file, line:column and key.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};
use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::config::{Diagnostic, SourceFile};
use crate::policy::Reason;

/// Which secrets a control is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Population {
    /// Every secret in every vault, unmanaged accounts discovery found, and
    /// vaults that could not be read.
    #[default]
    All,
    /// Only secrets a governance record governs.
    Governed,
}

/// A measured figure a control shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// From an owner-left, exposure or decommission to proven revocation.
    TimeToRevoke,
    /// Rotations completed before or after the secret's due time.
    Rotations,
}

/// One control.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    /// Its id in the framework (`8.3.9`).
    pub id: String,
    /// A short title.
    pub title: String,
    /// What it requires, in Tenure's words.
    pub requirement: String,
    /// Which secrets it is about.
    pub population: Population,
    /// Only secrets whose record's target is of one of these types (all when empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub target_types: Vec<String>,
    /// Decision reasons that put a secret out of policy.
    #[serde(serialize_with = "serialize_reasons")]
    pub out_of_policy: Vec<Reason>,
    /// A credential may live at most this many days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<u32>,
    /// A credential unused this many days must be disabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unused_days: Option<u32>,
    /// A revocation must be proven this long after its cause.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_within"
    )]
    pub revoke_within: Option<Duration>,
    /// The measured figures it shows.
    pub figures: Vec<Figure>,
}

fn serialize_reasons<S: serde::Serializer>(
    value: &[Reason],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(value.iter().map(|r| r.as_str()))
}

fn serialize_within<S: serde::Serializer>(
    value: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(d) => serializer.serialize_str(&humantime::format_duration(*d).to_string()),
        None => serializer.serialize_none(),
    }
}

/// A framework: its name (the file's stem), title and controls.
#[derive(Debug, Clone, Serialize)]
pub struct Framework {
    /// What `--framework` names it.
    pub name: String,
    /// Its full title.
    pub title: String,
    /// What it is, in a sentence or two.
    pub about: String,
    /// Where it was read from: `built-in` or a file.
    pub source: String,
    /// Its controls, in file order.
    pub controls: Vec<Control>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    title: String,
    #[serde(default)]
    about: String,
    controls: Vec<Spanned<RawControl>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: Spanned<String>,
    title: String,
    requirement: String,
    #[serde(default)]
    population: Population,
    #[serde(default)]
    target_types: Vec<String>,
    #[serde(default)]
    out_of_policy: Vec<Spanned<String>>,
    max_age_days: Option<Spanned<u32>>,
    unused_days: Option<Spanned<u32>>,
    #[serde(default, deserialize_with = "duration")]
    revoke_within: Option<Duration>,
    #[serde(default)]
    figures: Vec<Figure>,
}

fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    tenure_plugin_api::serde_duration::deserialize(deserializer).map(Some)
}

/// Reads a framework from `src` (a TOML file's text), named `name`, read
/// from `source`; every problem otherwise.
pub fn parse(name: &str, source: &str, src: &SourceFile) -> Result<Framework, Vec<Diagnostic>> {
    let root = DeTable::parse(&src.text)
        .map_err(|err| vec![src.diagnostic(err.span(), "", err.message().trim_end())])?;
    let span = root.span();
    let value = Spanned::new(span, DeValue::Table(root.into_inner()));
    let raw: RawFramework = serde_path_to_error::deserialize(ValueDeserializer::from(value))
        .map_err(|err| {
            let path = err
                .path()
                .to_string()
                .replace(".$__serde_spanned_private_value", "")
                .replace("$__serde_spanned_private_value", "");
            let inner = err.into_inner();
            vec![src.diagnostic(inner.span(), path, inner.message())]
        })?;
    let mut problems = Vec::new();
    let mut controls: Vec<Control> = Vec::new();
    if raw.controls.is_empty() {
        problems.push(src.diagnostic(None, "controls", "a framework needs at least one control"));
    }
    for (i, spanned) in raw.controls.into_iter().enumerate() {
        let key = format!("controls[{i}]");
        let c = spanned.into_inner();
        if c.id.get_ref().trim().is_empty() {
            problems.push(src.diagnostic(Some(c.id.span()), format!("{key}.id"), "is empty"));
        } else if controls.iter().any(|o| &o.id == c.id.get_ref()) {
            problems.push(src.diagnostic(
                Some(c.id.span()),
                format!("{key}.id"),
                format!("control {:?} is listed twice", c.id.get_ref()),
            ));
        }
        let mut reasons = Vec::new();
        for (j, name) in c.out_of_policy.iter().enumerate() {
            match Reason::ALL.iter().find(|r| r.as_str() == name.get_ref()) {
                Some(reason) => reasons.push(*reason),
                None => problems.push(src.diagnostic(
                    Some(name.span()),
                    format!("{key}.out_of_policy[{j}]"),
                    format!(
                        "unknown reason {:?}, expected one of {}",
                        name.get_ref(),
                        Reason::ALL.map(Reason::as_str).join(", ")
                    ),
                )),
            }
        }
        for (field, days) in [
            ("max_age_days", &c.max_age_days),
            ("unused_days", &c.unused_days),
        ] {
            if let Some(days) = days.as_ref().filter(|d| *d.get_ref() == 0) {
                problems.push(src.diagnostic(
                    Some(days.span()),
                    format!("{key}.{field}"),
                    "must be at least 1",
                ));
            }
        }
        controls.push(Control {
            id: c.id.into_inner(),
            title: c.title,
            requirement: c.requirement,
            population: c.population,
            target_types: c.target_types,
            out_of_policy: reasons,
            max_age_days: c.max_age_days.map(Spanned::into_inner),
            unused_days: c.unused_days.map(Spanned::into_inner),
            revoke_within: c.revoke_within,
            figures: c.figures,
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Framework {
        name: name.to_owned(),
        title: raw.title,
        about: raw.about,
        source: source.to_owned(),
        controls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Framework, Vec<String>> {
        let src = SourceFile::new("f.toml", text.to_owned());
        parse("f", "f.toml", &src).map_err(|d| d.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn a_good_file_reads() {
        let f = read(
            "title = \"T\"\n[[controls]]\nid = \"1\"\ntitle = \"a\"\nrequirement = \"r\"\n\
             out_of_policy = [\"owner_left\"]\nmax_age_days = 90\nrevoke_within = \"24h\"\n\
             figures = [\"time_to_revoke\"]\n",
        )
        .expect("reads");
        assert_eq!(f.controls[0].out_of_policy, [Reason::OwnerLeft]);
        assert_eq!(
            f.controls[0].revoke_within,
            Some(Duration::from_secs(86_400))
        );
    }

    #[test]
    fn mistakes_name_line_and_key() {
        let head = "title = \"T\"\n[[controls]]\nid = \"1\"\ntitle = \"a\"\nrequirement = \"r\"\n";
        let bad_reason =
            read(&format!("{head}out_of_policy = [\"owner_gone\"]\n")).expect_err("refused");
        assert!(
            bad_reason[0].starts_with(
                "f.toml:6:18: controls[0].out_of_policy[0]: unknown reason \"owner_gone\""
            ),
            "{bad_reason:?}"
        );
        let unknown = read(&format!("{head}max_days = 3\n")).expect_err("refused");
        assert!(
            unknown[0].starts_with("f.toml:6:1: controls[0]") && unknown[0].contains("max_days"),
            "{unknown:?}"
        );
        let duration = read(&format!("{head}revoke_within = \"soon\"\n")).expect_err("refused");
        assert!(
            duration[0].starts_with("f.toml:6:17: controls[0].revoke_within"),
            "{duration:?}"
        );
        let zero = read(&format!("{head}max_age_days = 0\n")).expect_err("refused");
        assert!(
            zero[0].contains("controls[0].max_age_days: must be at least 1"),
            "{zero:?}"
        );
        let twice = read(&format!(
            "{head}[[controls]]\nid = \"1\"\ntitle = \"b\"\nrequirement = \"r\"\n"
        ))
        .expect_err("refused");
        assert!(
            twice[0].starts_with("f.toml:7:6: controls[1].id"),
            "{twice:?}"
        );
        let figure = read(&format!("{head}figures = [\"speed\"]\n")).expect_err("refused");
        assert!(figure[0].contains("controls[0].figures[0]"), "{figure:?}");
    }
}
