//! Per-secret evidence for auditors: the governance record and its
//! approval lineage, every audit entry about the secret in order (each with
//! its sequence number, time, hash and full signed line), and the
//! verification of the whole chain up to its last signed checkpoint; as a
//! JSON document or one self-contained HTML page that embeds it.
//! `tenure evidence verify` checks either with only the public key.
//!
//! ```text
//! model   the document (serde), each entry from its trail line
//! gather  from the configuration in effect and the trail: record, entries, chain
//! record  the record and lineage views
//! words   what each entry says, in words
//! html    the page, and the document it embeds
//! verify  an evidence file checked on its own with the public key
//! ```

mod gather;
mod html;
mod model;
mod record;
mod verify;
mod words;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use gather::{Request, gather, relation};
pub use html::render;
pub use model::{
    ApprovalView, ChainView, Checkpoint, Evidence, EvidenceEntry, ExceptionView, FORMAT,
    LineageView, RecordView, StandingView, Window,
};
pub use verify::{CheckError, Verified, verify};

/// Why evidence could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// No record governs the secret and no audit entry names it.
    #[error("{0}: no governance record governs it and no audit entry names it")]
    Unknown(String),
    /// The trail could not be read.
    #[error("cannot read the audit trail {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// How the evidence is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The JSON document.
    #[default]
    Json,
    /// One self-contained HTML page embedding the JSON document.
    Html,
}

impl Format {
    /// `json` or `html` (the API's `format=`).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "json" => Some(Self::Json),
            "html" => Some(Self::Html),
            _ => None,
        }
    }

    /// The media type it is served as.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Html => "text/html; charset=utf-8",
        }
    }
}

/// The program that writes evidence: `tenure <version>`.
pub fn generator() -> String {
    format!("tenure {}", env!("CARGO_PKG_VERSION"))
}

/// `evidence` written as `format`: pretty JSON, or the page.
pub fn write(evidence: &Evidence, format: Format) -> String {
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(evidence).unwrap_or_default();
            text.push('\n');
            text
        }
        Format::Html => render(evidence),
    }
}
