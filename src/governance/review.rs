//! [`Review`]: a completed access review of a record (who reviewed, when,
//! what they decided, when the next review is due, under which ticket).
//!
//! A review arrives as an `io.tenure.review.completed` event, through
//! `POST /v1/reviews` or from `tenure review import FILE`; all three become
//! the same stored signal, and [`Review::apply`] lays it over the record:
//! the lineage is kept (never erased), `narrow` cuts the approved scopes to
//! the reviewed ones, and `revoke` makes the decision revoke.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Record;

/// What the reviewer decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ReviewDecision {
    /// The access stays as approved.
    Keep,
    /// The access stays, with only these scopes.
    Narrow {
        /// The scopes the reviewer kept; never more than the record approves.
        scopes: Vec<String>,
    },
    /// The access ends: the credential is revoked.
    Revoke,
}

impl ReviewDecision {
    /// The stable name: `keep`, `narrow` or `revoke`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Keep => "keep",
            Self::Narrow { .. } => "narrow",
            Self::Revoke => "revoke",
        }
    }
}

/// One completed review of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// Who reviewed.
    pub reviewer: String,
    /// What they decided.
    #[serde(flatten)]
    pub decision: ReviewDecision,
    /// When the review was completed.
    pub at: DateTime<Utc>,
    /// When the record must be reviewed again, if the reviewer set a date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_review: Option<DateTime<Utc>>,
    /// The review's ticket, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Who handed the review to Tenure (the operator of `POST /v1/reviews`,
    /// the user of `tenure review import`); `None` for a review tool's event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<String>,
}

/// A review as its senders write it: the data of an
/// `io.tenure.review.completed` event, the body of `POST /v1/reviews`, a
/// row of `tenure review import`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewData {
    /// The record reviewed.
    pub record: String,
    /// Who reviewed.
    pub reviewer: String,
    /// `keep`, `narrow` or `revoke`.
    pub decision: String,
    /// For `narrow`: the scopes kept.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// When the record must be reviewed again.
    #[serde(default)]
    pub next_review: Option<DateTime<Utc>>,
    /// The review's ticket.
    #[serde(default)]
    pub ticket: Option<String>,
    /// When the review was completed; default: when Tenure learned of it.
    #[serde(default)]
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Who handed it to Tenure: set by Tenure for the admin API and an
    /// import, never taken from the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<String>,
}

impl ReviewData {
    /// The review, completed at `reviewed_at` or else at `learned_at`.
    pub fn review(&self, learned_at: DateTime<Utc>) -> Result<Review, ReviewError> {
        if self.record.trim().is_empty() {
            return Err(ReviewError::Missing("record"));
        }
        let mut review = Review::new(
            &self.reviewer,
            &self.decision,
            self.scopes.clone(),
            self.reviewed_at.unwrap_or(learned_at),
            self.next_review,
            self.ticket.clone(),
        )?;
        review.submitted_by.clone_from(&self.submitted_by);
        Ok(review)
    }
}

/// Why a review was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// A required field is missing or empty.
    #[error("{0} is required")]
    Missing(&'static str),
    /// `decision` is not one of keep, narrow, revoke.
    #[error("decision {0:?} is not one of keep, narrow, revoke")]
    UnknownDecision(String),
    /// A `narrow` decision without scopes.
    #[error("a narrow decision needs the scopes it keeps")]
    NarrowWithoutScopes,
    /// Scopes on a decision other than `narrow`.
    #[error("scopes go only with a narrow decision")]
    ScopesWithoutNarrow,
    /// The review could not be written as an event.
    #[error("the review cannot be stored: {0}")]
    Unreadable(String),
    /// `next_review` is not after the review.
    #[error("next_review ({next}) must be after the review ({at})")]
    NextReviewNotLater {
        /// The review's time.
        at: String,
        /// The next review's time.
        next: String,
    },
}

impl Review {
    /// A review from its parts as a sender writes them; checks what the
    /// types cannot.
    pub fn new(
        reviewer: &str,
        decision: &str,
        scopes: Vec<String>,
        at: DateTime<Utc>,
        next_review: Option<DateTime<Utc>>,
        ticket: Option<String>,
    ) -> Result<Self, ReviewError> {
        let reviewer = reviewer.trim();
        if reviewer.is_empty() {
            return Err(ReviewError::Missing("reviewer"));
        }
        let decision = match (decision.trim(), scopes.is_empty()) {
            ("keep", true) => ReviewDecision::Keep,
            ("revoke", true) => ReviewDecision::Revoke,
            ("narrow", false) => ReviewDecision::Narrow { scopes },
            ("narrow", true) => return Err(ReviewError::NarrowWithoutScopes),
            ("keep" | "revoke", false) => return Err(ReviewError::ScopesWithoutNarrow),
            ("", _) => return Err(ReviewError::Missing("decision")),
            (other, _) => return Err(ReviewError::UnknownDecision(other.to_owned())),
        };
        Ok(Self {
            reviewer: reviewer.to_owned(),
            decision,
            at,
            next_review,
            ticket: ticket.filter(|t| !t.trim().is_empty()),
            submitted_by: None,
        })
    }

    /// Refuses a next review date that is not after the review (checked
    /// where a person submits the review: the API and an import; an
    /// event's past date simply makes the review lapse).
    pub fn check_next_review(&self) -> Result<(), ReviewError> {
        match self.next_review {
            Some(next) if next <= self.at => Err(ReviewError::NextReviewNotLater {
                at: tenure_plugin_api::stamp(self.at),
                next: tenure_plugin_api::stamp(next),
            }),
            _ => Ok(()),
        }
    }

    /// Lays the review over `record`: the lineage is recorded, the next
    /// review date replaces the old one (a review with no date clears a
    /// date it has passed), and a `narrow` keeps only the reviewed scopes
    /// the record approves (`canonical` writes a scope as the target
    /// does; a scope it refuses is dropped, which narrows more, never less).
    pub fn apply(&self, record: &mut Record, canonical: impl Fn(&str) -> Result<String, String>) {
        record.review_by = match (self.next_review, record.review_by) {
            (Some(next), _) => Some(next),
            (None, Some(by)) if by <= self.at => None,
            (None, by) => by,
        };
        if let ReviewDecision::Narrow { scopes } = &self.decision {
            let kept: Vec<String> = scopes.iter().filter_map(|s| canonical(s).ok()).collect();
            if record.scopes.is_empty() {
                record.scopes = kept;
            } else {
                record.scopes.retain(|scope| kept.contains(scope));
            }
        }
        record.last_review = Some(self.clone());
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn decisions_and_their_scopes_are_checked() {
        let cases: [(&str, &[&str], Result<&str, ReviewError>); 6] = [
            ("keep", &[], Ok("keep")),
            ("revoke", &[], Ok("revoke")),
            ("narrow", &["SELECT ON app.*"], Ok("narrow")),
            ("narrow", &[], Err(ReviewError::NarrowWithoutScopes)),
            ("keep", &["x"], Err(ReviewError::ScopesWithoutNarrow)),
            (
                "approve",
                &[],
                Err(ReviewError::UnknownDecision("approve".into())),
            ),
        ];
        for (decision, scopes, expected) in cases {
            let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
            let got = Review::new("rita", decision, scopes, at(), None, None)
                .map(|r| r.decision.as_str());
            assert_eq!(got, expected, "{decision}");
        }
        assert_eq!(
            Review::new(" ", "keep", Vec::new(), at(), None, None),
            Err(ReviewError::Missing("reviewer"))
        );
        let same_day = Review::new("rita", "keep", Vec::new(), at(), Some(at()), None);
        assert!(matches!(
            same_day.map(|r| r.check_next_review()),
            Ok(Err(ReviewError::NextReviewNotLater { .. }))
        ));
    }

    #[test]
    fn the_stored_form_reads_back() {
        let review = Review::new(
            "rita",
            "narrow",
            vec!["a".into()],
            at(),
            Some(at() + TimeDelta::days(90)),
            Some("GRC-7".into()),
        )
        .expect("review");
        let text = serde_json::to_string(&review).expect("json");
        assert!(text.contains(r#""decision":"narrow""#), "{text}");
        let back: Review = serde_json::from_str(&text).expect("back");
        assert_eq!(back, review);
    }
}
