//! [`ExecTarget`]: the [`Target`] trait over the protocol.

use tenure_plugin_api::{
    LoginOutcome, NarrowReport, PluginError, Proof, SecretValue, Target, TargetCapabilities,
    TargetContext, async_trait,
};

use crate::config::ExecConfig;
use crate::protocol::{PROTOCOL_VERSION, Request, Response};
use crate::runner::run;

/// The exec target.
#[derive(Debug)]
pub struct ExecTarget {
    name: String,
    config: ExecConfig,
}

/// The values a request carries: each operation sends only its own.
#[derive(Default)]
struct Values<'a> {
    current: Option<&'a SecretValue>,
    pending: Option<&'a SecretValue>,
    previous: Option<&'a SecretValue>,
    value: Option<&'a SecretValue>,
}

impl<'a> Values<'a> {
    /// Only the current credential.
    fn current(current: &'a SecretValue) -> Self {
        Self {
            current: Some(current),
            ..Self::default()
        }
    }

    /// Only the value under test.
    fn value(value: &'a SecretValue) -> Self {
        Self {
            value: Some(value),
            ..Self::default()
        }
    }
}

impl ExecTarget {
    /// A target named `name` running `config.command`.
    pub fn new(name: impl Into<String>, config: ExecConfig) -> Self {
        Self {
            name: name.into(),
            config,
        }
    }

    async fn call(
        &self,
        operation: &str,
        ctx: TargetContext<'_>,
        values: Values<'_>,
    ) -> Result<Response, PluginError> {
        let request = Request {
            protocol: PROTOCOL_VERSION,
            operation,
            secret: ctx.address.to_string(),
            run_id: ctx.run_id,
            scopes: ctx.scopes,
            current: values.current.map(SecretValue::expose),
            pending: values.pending.map(SecretValue::expose),
            previous: values.previous.map(SecretValue::expose),
            value: values.value.map(SecretValue::expose),
        };
        run(&self.config, &self.name, &request).await
    }

    /// Calls an operation whose response must carry a proof.
    async fn prove(
        &self,
        operation: &str,
        ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        let response = self.call(operation, ctx, Values::value(value)).await?;
        response.proof.ok_or_else(|| {
            PluginError::permanent(format!(
                "{} {operation}: the response has no proof",
                self.name
            ))
        })
    }
}

#[async_trait]
impl Target for ExecTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> TargetCapabilities {
        <crate::Plugin as tenure_plugin_api::TargetPlugin>::capabilities(&self.config)
    }

    async fn issue(
        &self,
        ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
    ) -> Result<SecretValue, PluginError> {
        let values = Values {
            current,
            ..Values::default()
        };
        let response = self.call("issue", ctx, values).await?;
        response.value.map(SecretValue::new).ok_or_else(|| {
            PluginError::permanent(format!("{} issue: the response has no value", self.name))
        })
    }

    async fn apply(
        &self,
        _ctx: TargetContext<'_>,
        _current: Option<&SecretValue>,
        _pending: &SecretValue,
    ) -> Result<(), PluginError> {
        // `issue` already made the target accept the new credential.
        Ok(())
    }

    async fn test(
        &self,
        ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        self.prove("test", ctx, value).await
    }

    async fn rollback(
        &self,
        ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        self.call(
            "rollback",
            ctx,
            Values {
                current,
                pending: Some(pending),
                ..Values::default()
            },
        )
        .await
        .map(drop)
    }

    async fn retire(
        &self,
        ctx: TargetContext<'_>,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        self.call(
            "retire",
            ctx,
            Values {
                current: Some(current),
                previous: Some(previous),
                ..Values::default()
            },
        )
        .await
        .map(drop)
    }

    async fn privileges(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<Option<Vec<String>>, PluginError> {
        if !self.config.narrow {
            return Ok(None);
        }
        let response = self
            .call("privileges", ctx, Values::current(current))
            .await?;
        Ok(response.privileges)
    }

    async fn narrow(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<NarrowReport, PluginError> {
        if !self.config.narrow {
            return Err(PluginError::permanent(format!(
                "{} does not narrow (set narrow = true)",
                self.name
            )));
        }
        let response = self.call("narrow", ctx, Values::current(current)).await?;
        Ok(response.report.unwrap_or_default())
    }

    async fn revoke(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        self.call("revoke", ctx, Values::current(current))
            .await
            .map(drop)
    }

    async fn verify_revoked(
        &self,
        ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        self.prove("verify_revoked", ctx, value).await
    }

    /// `test`, and when it fails `verify_revoked`: the protocol has no
    /// operation that answers "refused" as such, so a refusal is a failed
    /// `test` whose `verify_revoked` then succeeds; when both fail, the
    /// check could not be made.
    async fn try_login(
        &self,
        ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<LoginOutcome, PluginError> {
        let test = match self.test(ctx, value).await {
            Ok(proof) => return Ok(LoginOutcome::Accepted(proof)),
            Err(err) => err,
        };
        match self.verify_revoked(ctx, value).await {
            Ok(proof) => Ok(LoginOutcome::Refused(proof)),
            Err(err) => Err(PluginError::new(
                err.kind(),
                format!("test failed ({test}) and verify_revoked failed ({err})"),
            )),
        }
    }
}
