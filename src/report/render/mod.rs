//! A [`Report`](super::Report) written out: JSON (the model itself), CSV
//! (one row per control and finding, for spreadsheets) or HTML (one
//! self-contained page: inline CSS, no scripts, no external assets).

mod csv;
mod html;

pub use self::csv::csv;
pub use self::html::html;

use super::Report;

/// The report as pretty JSON, with a final newline.
pub fn json(report: &Report, out: &mut impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// Seconds as a short human duration (`1h 2m 3s`).
pub(crate) fn seconds(secs: i64) -> String {
    let secs = u64::try_from(secs).unwrap_or(0);
    humantime::format_duration(std::time::Duration::from_secs(secs)).to_string()
}
