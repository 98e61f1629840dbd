//! `tenure approvals` lists the four-eyes requests; `tenure approve ID`
//! (or `--reject`) decides one as the person at the command line (`--actor`
//! names them): an approval is carried out at once, like the API's.
//!
//! Exit codes: 0 decided (and, approved, the action succeeded); 1 the
//! action did not succeed, or the decision was refused (the requester's
//! own request, no longer pending, expired); 4 no request has that id.

use tenure_plugin_api::stamp;

use super::{ExitCode, fail, runtime};
use crate::app::App;
use crate::reconcile::DecideError;
use crate::server::auth::Actor;

/// Prints the requests (all, or those with `status`), newest first.
pub async fn list(app: &App, status: Option<&str>) -> Result<ExitCode, ExitCode> {
    let approvals = app
        .reconciler()
        .store()
        .approvals()
        .await
        .map_err(runtime)?;
    println!(
        "{:<36}  {:<8}  {:<17}  {:<20}  {:<14}  SUBJECT (REASONS)",
        "ID", "STATUS", "ACTION", "EXPIRES", "REQUESTED BY"
    );
    for a in approvals
        .iter()
        .filter(|a| status.is_none_or(|s| a.status.as_str() == s))
    {
        println!(
            "{:<36}  {:<8}  {:<17}  {:<20}  {:<14}  {} ({})",
            a.id,
            a.status.as_str(),
            a.action.as_str(),
            stamp(a.expires_at),
            a.requested_by,
            a.subject,
            a.reasons.join(",")
        );
    }
    Ok(ExitCode::Ok)
}

/// Approves (or rejects) request `id` as `actor`.
pub async fn decide(
    app: &App,
    id: &str,
    actor: &Actor,
    approve: bool,
) -> Result<ExitCode, ExitCode> {
    match app.reconciler().decide_approval(id, actor, approve).await {
        Ok(decided) => {
            let a = &decided.approval;
            let verb = if approve { "approved" } else { "rejected" };
            match decided.outcome {
                None => {
                    println!(
                        "{}: {verb} the {} of {} by {}.",
                        a.id,
                        a.action.as_str(),
                        a.subject,
                        actor.name
                    );
                    Ok(ExitCode::Ok)
                }
                Some(outcome) if outcome.is_success() => {
                    println!(
                        "{}: {verb} by {}; the {} of {}: {} (the request is {}).",
                        a.id,
                        actor.name,
                        a.action.as_str(),
                        a.subject,
                        outcome.label(),
                        a.status.as_str()
                    );
                    Ok(ExitCode::Ok)
                }
                Some(outcome) => {
                    fail(format!(
                        "{}: {verb} by {}, but the {} of {} did not succeed: {outcome:?}",
                        a.id,
                        actor.name,
                        a.action.as_str(),
                        a.subject
                    ));
                    Ok(ExitCode::ActionFailed)
                }
            }
        }
        Err(err @ DecideError::NotFound(_)) => {
            fail(err);
            Err(ExitCode::NotFound)
        }
        Err(err @ DecideError::Refused(_)) => {
            fail(err);
            Err(ExitCode::ActionFailed)
        }
        Err(DecideError::Reconcile(err)) => Err(runtime(err)),
    }
}
