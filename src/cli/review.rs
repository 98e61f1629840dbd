//! `tenure review import FILE`: completed access reviews from a review
//! tool's spreadsheet export. The file is CSV with a header row naming the
//! columns `record`, `reviewer`, `decision` (required), `scopes` (for
//! `narrow`: the kept scopes, separated by `;`), `next_review`,
//! `reviewed_at` (RFC 3339) and `ticket`, in any case and order; other
//! columns are ignored.
//!
//! Every row is checked before anything is stored: one bad row refuses the
//! whole file (exit 2, each bad row named by its line). Then each review is
//! stored as an `io.tenure.review.completed` event and processed at once;
//! a review imported before (same record, reviewer and time) is counted as
//! such, so importing a file again changes nothing.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::{ExitCode, fail, runtime};
use crate::app::App;
use crate::events::{
    Channel, CloudEvent, IntakeError, prepare_review, process_pending, store_event,
};
use crate::governance::ReviewData;
use crate::server::auth::Actor;

/// One row as the spreadsheet has it.
#[derive(Debug, serde::Deserialize)]
struct Row {
    record: String,
    reviewer: String,
    decision: String,
    #[serde(default)]
    scopes: Option<String>,
    #[serde(default)]
    next_review: Option<String>,
    #[serde(default)]
    reviewed_at: Option<String>,
    #[serde(default)]
    ticket: Option<String>,
}

/// An optional RFC 3339 cell.
fn time(column: &str, cell: Option<String>) -> Result<Option<DateTime<Utc>>, String> {
    match cell.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| format!("{column} {text:?} is not an RFC 3339 time: {e}")),
    }
}

impl Row {
    fn data(self) -> Result<ReviewData, String> {
        Ok(ReviewData {
            record: self.record.trim().to_owned(),
            reviewer: self.reviewer,
            decision: self.decision.trim().to_lowercase(),
            scopes: self
                .scopes
                .iter()
                .flat_map(|s| s.split(';'))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            next_review: time("next_review", self.next_review)?,
            reviewed_at: time("reviewed_at", self.reviewed_at)?,
            ticket: self.ticket.filter(|t| !t.trim().is_empty()),
            submitted_by: None,
        })
    }
}

/// Reads and checks every row: the events to store, or each bad row's
/// line and what is wrong with it.
fn read(
    app: &App,
    file: &Path,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<CloudEvent>, Vec<String>> {
    let mut reader = match csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_path(file)
    {
        Ok(reader) => reader,
        Err(err) => return Err(vec![format!("{}: {err}", file.display())]),
    };
    // Column names are matched without regard to case.
    let headers: csv::StringRecord = match reader.headers() {
        Ok(headers) => headers.iter().map(str::to_lowercase).collect(),
        Err(err) => return Err(vec![format!("{}: {err}", file.display())]),
    };
    let config = app.config();
    let mut events = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let position = match &record {
            Ok(r) => r.position(),
            Err(e) => e.position(),
        };
        let line = position.map_or(0, csv::Position::line);
        let event = record
            .and_then(|r| r.deserialize::<Row>(Some(&headers)))
            .map_err(|e| e.to_string())
            .and_then(Row::data)
            .and_then(|data| {
                prepare_review(&config, Channel::Import, &actor.name, data, now)
                    .map_err(|e| e.to_string())
            });
        match event {
            Ok(event) => events.push(event),
            Err(why) => problems.push(format!("{}:{line}: {why}", file.display())),
        }
    }
    if problems.is_empty() {
        Ok(events)
    } else {
        Err(problems)
    }
}

/// `tenure review import FILE`.
pub async fn import(app: &App, file: &Path, actor: &Actor) -> Result<ExitCode, ExitCode> {
    let now = Utc::now();
    let events = match read(app, file, actor, now) {
        Ok(events) => events,
        Err(problems) => {
            for problem in &problems {
                fail(problem);
            }
            fail(format!("nothing imported: {} bad rows", problems.len()));
            return Err(ExitCode::Config);
        }
    };
    let reconciler = app.reconciler();
    let store = reconciler.store();
    let (mut taken, mut before) = (0, 0);
    for event in events {
        match store_event(store.as_ref(), Channel::Import, event, None, now).await {
            Ok(_) => taken += 1,
            Err(IntakeError::Replay(_)) => before += 1,
            Err(err) => return Err(runtime(err)),
        }
    }
    while !process_pending(store.as_ref(), reconciler.audit(), 500)
        .await
        .map_err(runtime)?
        .applied
        .is_empty()
    {}
    println!(
        "{}: {taken} reviews imported, {before} imported before.",
        file.display()
    );
    Ok(ExitCode::Ok)
}
