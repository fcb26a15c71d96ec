//! [`OfrepProvider`]: the OpenFeature Remote Evaluation Protocol. It evaluates
//! flags remotely and cannot change them, so `set_rollout` and `rollback` fail
//! with [`FlagError::ReadOnly`].

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::flagd::{ErrorCode, EvalReason, EvaluatedFlag, Resolution};
use super::{FlagError, FlagProvider, FlagState};
use crate::secrets::Secret;

/// An OFREP endpoint (`POST {base}/ofrep/v1/evaluate/flags/{key}`).
#[derive(Clone, Debug)]
pub struct OfrepProvider {
    base_url: String,
    context: Value,
    token: Option<Secret>,
    client: reqwest::Client,
}

impl OfrepProvider {
    /// `base_url` like `http://127.0.0.1:8016`; `context` is sent by
    /// [`FlagProvider::read`]; `token`, if any, goes in `Authorization: Bearer`.
    pub fn new(base_url: &str, context: Value, token: Option<Secret>) -> OfrepProvider {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        OfrepProvider {
            base_url: base_url.trim_end_matches('/').to_string(),
            context,
            token,
            client,
        }
    }

    fn err(&self, url: &str, message: impl Into<String>) -> FlagError {
        let m = message.into();
        FlagError::Http {
            provider: "ofrep".into(),
            url: url.to_string(),
            message: match &self.token {
                Some(t) => t.scrub(&m),
                None => m,
            },
        }
    }

    /// POST the evaluation request; the status and the body (`null` when
    /// it is not JSON). Transport failures are errors.
    async fn post(&self, flag: &str, context: &Value) -> Result<(String, u16, Value), FlagError> {
        let url = format!("{}/ofrep/v1/evaluate/flags/{flag}", self.base_url);
        let mut req = self.client.post(&url).json(&json!({ "context": context }));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t.expose());
        }
        let resp = req
            .send()
            .await
            .map_err(|e| self.err(&url, e.to_string()))?;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        Ok((url, status, body))
    }

    fn status_error(&self, url: &str, status: u16, body: &Value) -> FlagError {
        let code = body.get("errorCode").and_then(Value::as_str).unwrap_or("");
        let details = body
            .get("errorDetails")
            .and_then(Value::as_str)
            .unwrap_or("");
        self.err(
            url,
            format!("HTTP {status} {code} {details}").trim().to_string(),
        )
    }

    /// Evaluate `flag` remotely for `context`.
    pub async fn evaluate(&self, flag: &str, context: &Value) -> Result<EvaluatedFlag, FlagError> {
        let (url, status, body) = self.post(flag, context).await?;
        if status == 404 {
            return Err(FlagError::FlagNotFound {
                flag: flag.into(),
                origin: url,
                known: vec![],
            });
        }
        if !(200..300).contains(&status) {
            return Err(self.status_error(&url, status, &body));
        }
        Ok(EvaluatedFlag {
            flag: flag.into(),
            variant: body
                .get("variant")
                .and_then(Value::as_str)
                .map(str::to_string),
            value: body.get("value").cloned().unwrap_or(Value::Null),
            reason: reason_of(&body),
        })
    }

    /// Resolve `flag` remotely as an OpenFeature provider does: the server's
    /// evaluation errors (OFREP 400 with an `errorCode`, 404) become the
    /// caller's `default` with that code; a success without a `value` defers
    /// to the caller's default (OFREP's code-default signal). Transport,
    /// authorisation and server failures stay errors.
    pub async fn resolve(
        &self,
        flag: &str,
        context: &Value,
        default: &Value,
    ) -> Result<Resolution, FlagError> {
        let (url, status, body) = self.post(flag, context).await?;
        let details = || {
            body.get("errorDetails")
                .and_then(Value::as_str)
                .map(|d| self.scrub(d))
                .unwrap_or_default()
        };
        match status {
            404 => Ok(Resolution::error(
                flag,
                default,
                ErrorCode::FlagNotFound,
                format!("{url}: flag \"{flag}\" not found {}", details())
                    .trim()
                    .to_string(),
            )),
            400 => Ok(Resolution::error(
                flag,
                default,
                body.get("errorCode")
                    .and_then(Value::as_str)
                    .map(ErrorCode::parse)
                    .unwrap_or(ErrorCode::General),
                format!("{url}: {}", details()),
            )),
            s if (200..300).contains(&s) => Ok(Resolution::served(
                flag,
                body.get("variant")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                body.get("value").cloned(),
                reason_of(&body),
                default,
            )),
            s => Err(self.status_error(&url, s, &body)),
        }
    }

    fn scrub(&self, text: &str) -> String {
        match &self.token {
            Some(t) => t.scrub(text),
            None => text.to_string(),
        }
    }
}

fn reason_of(body: &Value) -> EvalReason {
    match body.get("reason").and_then(Value::as_str).unwrap_or("") {
        "STATIC" => EvalReason::Static,
        "TARGETING_MATCH" => EvalReason::TargetingMatch,
        "DEFAULT" => EvalReason::Default,
        "DISABLED" => EvalReason::Disabled,
        "SPLIT" => EvalReason::Split,
        "ERROR" => EvalReason::Error,
        _ => EvalReason::Unknown,
    }
}

#[async_trait]
impl FlagProvider for OfrepProvider {
    fn name(&self) -> &str {
        "ofrep"
    }

    /// Evaluates the flag for the configured context; OFREP exposes no
    /// rollout, so `rollout_percent` is `None`.
    async fn read(&self, flag: &str) -> Result<FlagState, FlagError> {
        let e = self.evaluate(flag, &self.context).await?;
        let enabled = e.reason != EvalReason::Disabled;
        Ok(FlagState {
            flag: flag.into(),
            provider: "ofrep".into(),
            enabled,
            rollout_percent: None,
            canary_variant: None,
            variants: e.variant.clone().into_iter().collect(),
            default_variant: None,
            summary: format!(
                "value {} variant {} reason {:?}",
                e.value,
                e.variant.as_deref().unwrap_or("-"),
                e.reason
            ),
        })
    }

    async fn set_rollout(&self, _flag: &str, _percent: f64) -> Result<FlagState, FlagError> {
        Err(FlagError::ReadOnly {
            provider: "OFREP".into(),
            operation: "set rollout",
        })
    }

    async fn rollback(&self, _flag: &str) -> Result<FlagState, FlagError> {
        Err(FlagError::ReadOnly {
            provider: "OFREP".into(),
            operation: "rollback",
        })
    }
}
