//! The target conformance suite: the behaviours every target must show, one
//! function each, and [`run_target_suite`], which runs them in order.
//!
//! Rotation (issue → apply → test → retire), a rollback, narrowing (when the
//! target supports it), and revocation with its proof. Every step is run
//! twice and must give the same result both times; "already done" and
//! "already gone" count as success. A target with a login must refuse the
//! retired credential after `retire` and the revoked one after `revoke`; a
//! target that knows its logins must report them disabled, disable them
//! again idempotently and leave them out of its listing.

use tenure_plugin_api::{
    LoginOutcome, Proof, SecretAddress, SecretValue, Target, TargetCapabilities, TargetContext,
};

use crate::failure::{Failure, behaviour, step, twice};

/// What the suite observed.
#[derive(Debug, Clone)]
pub struct SuiteReport {
    /// The credential the target accepts after the rotation.
    pub rotated: SecretValue,
    /// The proof of the rotated credential's login test.
    pub test_proof: Proof,
    /// The proof that the revoked credential is refused.
    pub revoked_proof: Proof,
    /// Privileges after narrowing, when the target narrows.
    pub narrowed: Option<Vec<String>>,
    /// The proof that the retired credential is refused, when the target
    /// has a login.
    pub retired_proof: Option<Proof>,
}

/// The target under test, where its secret lives and the approved scopes.
/// Each method is one behaviour; they build on each other in the order
/// [`run_target_suite`] calls them.
pub struct TargetSuite<'a> {
    target: &'a dyn Target,
    address: &'a SecretAddress,
    scopes: &'a [String],
    caps: TargetCapabilities,
}

impl<'a> TargetSuite<'a> {
    /// The suite for `target`; `scopes` are the approved scopes for narrowing.
    pub fn new(target: &'a dyn Target, address: &'a SecretAddress, scopes: &'a [String]) -> Self {
        Self {
            target,
            address,
            scopes,
            caps: target.capabilities(),
        }
    }

    fn ctx(&self, run_id: &'static str) -> TargetContext<'a> {
        TargetContext {
            address: self.address,
            run_id,
            scopes: self.scopes,
        }
    }

    /// The credential the suite starts from passes `test`.
    pub async fn initial_credential_passes_test(
        &self,
        initial: &SecretValue,
    ) -> Result<(), Failure> {
        behaviour("initial_credential_passes_test", async {
            step(
                "test the initial credential",
                self.target.test(self.ctx("conformance-0"), initial).await,
            )?;
            Ok(())
        })
        .await
    }

    /// `issue` gives a new credential, `apply` and `test` accept it (twice
    /// each). Returns the new credential and its test's proof.
    pub async fn rotation_issues_applies_and_tests(
        &self,
        initial: &SecretValue,
    ) -> Result<(SecretValue, Proof), Failure> {
        behaviour("rotation_issues_applies_and_tests", async {
            let run = self.ctx("conformance-rotate");
            let pending = step("issue", self.target.issue(run, Some(initial)).await)?;
            if pending.ct_eq(initial) {
                return Err("issue returned the current credential".into());
            }
            twice("apply", || self.target.apply(run, Some(initial), &pending)).await?;
            let proof = twice("test the new credential", || {
                self.target.test(run, &pending)
            })
            .await?;
            Ok((pending, proof))
        })
        .await
    }

    /// `retire` of the previous credential (twice) leaves the new one working.
    pub async fn retire_keeps_the_new_credential(
        &self,
        initial: &SecretValue,
        pending: &SecretValue,
    ) -> Result<(), Failure> {
        behaviour("retire_keeps_the_new_credential", async {
            let run = self.ctx("conformance-rotate");
            twice("retire the previous credential", || {
                self.target.retire(run, initial, pending)
            })
            .await?;
            step(
                "test the new credential after retire",
                self.target.test(run, pending).await,
            )?;
            Ok(())
        })
        .await
    }

    /// A target with a login refuses the retired credential and accepts the
    /// new one. Returns the refusal's proof (`None` without a login).
    pub async fn retire_refuses_the_previous_credential(
        &self,
        initial: &SecretValue,
        pending: &SecretValue,
    ) -> Result<Option<Proof>, Failure> {
        behaviour("retire_refuses_the_previous_credential", async {
            if !self.caps.login {
                return Ok(None);
            }
            let run = self.ctx("conformance-rotate");
            // verify_revoked rather than one try_login: it may wait out an
            // eventually consistent target (IAM).
            let proof = step(
                "the retired credential is refused",
                self.target.verify_revoked(run, initial).await,
            )?;
            match step(
                "try_login with the new credential",
                self.target.try_login(run, pending).await,
            )? {
                LoginOutcome::Accepted(_) => Ok(Some(proof)),
                LoginOutcome::Refused(proof) => Err(format!(
                    "try_login refused the new credential: {}",
                    proof.detail
                )),
            }
        })
        .await
    }

    /// A target that knows its logins reports the retired ones disabled,
    /// disables them again idempotently, and the new credential still works.
    pub async fn retired_logins_are_disabled(
        &self,
        initial: &SecretValue,
        pending: &SecretValue,
    ) -> Result<(), Failure> {
        behaviour("retired_logins_are_disabled", async {
            if !self.caps.logins {
                return Ok(());
            }
            let run = self.ctx("conformance-rotate");
            let retired = step(
                "retired_logins",
                self.target.retired_logins(initial, pending),
            )?;
            self.all_disabled("login_states after retire", run, &retired, Some(pending))
                .await?;
            twice("disable_logins (retired)", || {
                self.target.disable_logins(run, &retired, Some(pending))
            })
            .await?;
            step(
                "test the new credential after disabling the retired logins",
                self.target.test(run, pending).await,
            )?;
            Ok(())
        })
        .await
    }

    /// A rotation whose test failed is rolled back (twice): the current
    /// credential keeps working.
    pub async fn rollback_keeps_the_current_credential(
        &self,
        current: &SecretValue,
    ) -> Result<(), Failure> {
        behaviour("rollback_keeps_the_current_credential", async {
            let run = self.ctx("conformance-rollback");
            let abandoned = step(
                "issue (to roll back)",
                self.target.issue(run, Some(current)).await,
            )?;
            step(
                "apply (to roll back)",
                self.target.apply(run, Some(current), &abandoned).await,
            )?;
            twice("rollback", || {
                self.target.rollback(run, Some(current), &abandoned)
            })
            .await?;
            step(
                "test the current credential after rollback",
                self.target.test(run, current).await,
            )?;
            Ok(())
        })
        .await
    }

    /// A narrowing target (twice) leaves only approved scopes, and reports
    /// them. Returns them (`None` for a target that does not narrow).
    pub async fn narrowing_leaves_only_approved_scopes(
        &self,
        current: &SecretValue,
    ) -> Result<Option<Vec<String>>, Failure> {
        behaviour("narrowing_leaves_only_approved_scopes", async {
            if !self.caps.narrow {
                return Ok(None);
            }
            let run = self.ctx("conformance-narrow");
            twice("narrow", || self.target.narrow(run, current)).await?;
            let held = step("privileges", self.target.privileges(run, current).await)?
                .ok_or("privileges: a narrowing target must report privileges")?;
            if let Some(extra) = held.iter().find(|p| !self.scopes.contains(p)) {
                return Err(format!(
                    "narrow left {extra:?}, which is not an approved scope"
                ));
            }
            Ok(Some(held))
        })
        .await
    }

    /// `revoke` and `verify_revoked` (twice each) prove the credential dead:
    /// it fails `test`. Returns the proof.
    pub async fn revocation_is_proved(&self, current: &SecretValue) -> Result<Proof, Failure> {
        behaviour("revocation_is_proved", async {
            let run = self.ctx("conformance-revoke");
            twice("revoke", || self.target.revoke(run, current)).await?;
            let proof = twice("verify_revoked", || {
                self.target.verify_revoked(run, current)
            })
            .await?;
            if self.target.test(run, current).await.is_ok() {
                return Err("the revoked credential still passes test".into());
            }
            Ok(proof)
        })
        .await
    }

    /// A target with a login refuses the revoked credential.
    pub async fn revoked_credential_cannot_log_in(
        &self,
        revoked: &SecretValue,
    ) -> Result<(), Failure> {
        behaviour("revoked_credential_cannot_log_in", async {
            if !self.caps.login {
                return Ok(());
            }
            let run = self.ctx("conformance-revoke");
            match step(
                "try_login with the revoked credential",
                self.target.try_login(run, revoked).await,
            )? {
                LoginOutcome::Accepted(proof) => Err(format!(
                    "try_login accepted the revoked credential: {}",
                    proof.detail
                )),
                LoginOutcome::Refused(_) => Ok(()),
            }
        })
        .await
    }

    /// A target that knows its logins names the revoked credential's, reports
    /// them disabled, disables them again idempotently and no longer lists them.
    pub async fn revoked_logins_are_disabled_and_unlisted(
        &self,
        revoked: &SecretValue,
    ) -> Result<(), Failure> {
        behaviour("revoked_logins_are_disabled_and_unlisted", async {
            if !self.caps.logins {
                return Ok(());
            }
            let run = self.ctx("conformance-revoke");
            let logins = step("logins", self.target.logins(revoked))?;
            if logins.is_empty() {
                return Err("logins: a target with logins named none".into());
            }
            self.all_disabled("login_states after revoke", run, &logins, None)
                .await?;
            twice("disable_logins (revoked)", || {
                self.target.disable_logins(run, &logins, None)
            })
            .await?;
            let listed = step("list_logins", self.target.list_logins().await)?;
            match logins.iter().find(|l| listed.contains(l)) {
                Some(login) => Err(format!("list_logins lists the revoked login {login}")),
                None => Ok(()),
            }
        })
        .await
    }

    /// Every login in `logins` must be reported disabled.
    async fn all_disabled(
        &self,
        name: &str,
        ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<(), String> {
        let states = step(name, self.target.login_states(ctx, logins, except).await)?;
        if states.len() != logins.len() {
            return Err(format!(
                "{name}: {} states for {} logins",
                states.len(),
                logins.len()
            ));
        }
        match states.iter().find(|s| s.enabled) {
            Some(alive) => Err(format!(
                "{name}: {} can still log in ({})",
                alive.login, alive.detail
            )),
            None => Ok(()),
        }
    }
}

/// Runs every behaviour against `target`, in order, starting from
/// `initial`, a credential it accepts now. `scopes` are the approved scopes
/// for narrowing. At the end the rotated credential is revoked.
pub async fn run_target_suite(
    target: &dyn Target,
    address: &SecretAddress,
    initial: SecretValue,
    scopes: &[String],
) -> Result<SuiteReport, Failure> {
    let suite = TargetSuite::new(target, address, scopes);
    suite.initial_credential_passes_test(&initial).await?;
    let (rotated, test_proof) = suite.rotation_issues_applies_and_tests(&initial).await?;
    suite
        .retire_keeps_the_new_credential(&initial, &rotated)
        .await?;
    let retired_proof = suite
        .retire_refuses_the_previous_credential(&initial, &rotated)
        .await?;
    suite
        .retired_logins_are_disabled(&initial, &rotated)
        .await?;
    suite
        .rollback_keeps_the_current_credential(&rotated)
        .await?;
    let narrowed = suite
        .narrowing_leaves_only_approved_scopes(&rotated)
        .await?;
    let revoked_proof = suite.revocation_is_proved(&rotated).await?;
    suite.revoked_credential_cannot_log_in(&rotated).await?;
    suite
        .revoked_logins_are_disabled_and_unlisted(&rotated)
        .await?;
    Ok(SuiteReport {
        rotated,
        test_proof,
        revoked_proof,
        narrowed,
        retired_proof,
    })
}
