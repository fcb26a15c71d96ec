//! Evaluating one flag the way an OpenFeature SDK resolves it: the caller
//! brings a default, and every outcome, errors included, is a [`Resolution`]
//! carrying a value. Errors follow flagd's evaluator (`core/pkg/evaluator/
//! json.go`) and the flagd testbed's gherkin features: a targeting rule that
//! cannot run is `PARSE_ERROR`, one that names a variant the flag lacks is
//! `GENERAL`, a variant whose value has another JSON type than the caller's
//! default is `TYPE_MISMATCH`; each returns the caller's default.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{EvalReason, EvaluatedFlag, FlagFile};
use crate::flags::FlagError;
use crate::flags::doc::Doc;
use crate::flags::logic::{self, LogicError};

/// OpenFeature's error codes, spelled as OpenFeature and OFREP spell them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The provider is not ready to evaluate.
    ProviderNotReady,
    /// No flag of that key.
    FlagNotFound,
    /// The flag definition or its targeting rule cannot be read or run.
    ParseError,
    /// The variant's value has another type than the caller asked for.
    TypeMismatch,
    /// The targeting needs a targeting key and the context has none.
    TargetingKeyMissing,
    /// The evaluation context is unusable.
    InvalidContext,
    /// The provider cannot recover.
    ProviderFatal,
    /// Anything else, e.g. targeting naming a variant the flag lacks.
    General,
}

impl ErrorCode {
    /// The code as OpenFeature writes it, e.g. `PARSE_ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ProviderNotReady => "PROVIDER_NOT_READY",
            ErrorCode::FlagNotFound => "FLAG_NOT_FOUND",
            ErrorCode::ParseError => "PARSE_ERROR",
            ErrorCode::TypeMismatch => "TYPE_MISMATCH",
            ErrorCode::TargetingKeyMissing => "TARGETING_KEY_MISSING",
            ErrorCode::InvalidContext => "INVALID_CONTEXT",
            ErrorCode::ProviderFatal => "PROVIDER_FATAL",
            ErrorCode::General => "GENERAL",
        }
    }

    /// Parse a code a remote evaluator sent; unknown codes are `GENERAL`.
    pub fn parse(s: &str) -> ErrorCode {
        serde_json::from_value(Value::String(s.to_string())).unwrap_or(ErrorCode::General)
    }
}

/// OpenFeature's resolution details for one evaluation: what the caller gets
/// and why. `value` is always set: on an error, or when the flag defers to
/// the caller (no default variant, disabled), it is the caller's default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    /// Flag key.
    pub flag: String,
    /// The resolved value, or the caller's default.
    pub value: Value,
    /// The variant served; `None` when the caller's default is returned.
    pub variant: Option<String>,
    /// Why (`ERROR` when `error_code` is set).
    pub reason: EvalReason,
    /// Set when the caller's default is returned because of an error.
    pub error_code: Option<ErrorCode>,
    /// What went wrong, with the file, the place and the fix.
    pub error_message: Option<String>,
}

impl Resolution {
    /// The caller's default because of an error.
    pub fn error(flag: &str, default: &Value, code: ErrorCode, message: String) -> Resolution {
        Resolution {
            flag: flag.to_string(),
            value: default.clone(),
            variant: None,
            reason: EvalReason::Error,
            error_code: Some(code),
            error_message: Some(message),
        }
    }

    /// A served variant, checked against the caller's default's type (an
    /// untyped `null` default accepts any value).
    pub fn served(
        flag: &str,
        variant: Option<String>,
        value: Option<Value>,
        reason: EvalReason,
        default: &Value,
    ) -> Resolution {
        let Some(value) = value else {
            return Resolution {
                flag: flag.to_string(),
                value: default.clone(),
                variant: None,
                reason,
                error_code: None,
                error_message: None,
            };
        };
        if !default.is_null() && kind(&value) != kind(default) {
            return Resolution::error(
                flag,
                default,
                ErrorCode::TypeMismatch,
                format!(
                    "flag \"{flag}\" resolved to variant {} with the {} {value}, but the caller's default {default} is a {}: ask with a default of the flag's type",
                    variant
                        .as_deref()
                        .map(|v| format!("\"{v}\""))
                        .unwrap_or_else(|| "-".into()),
                    kind(&value),
                    kind(default)
                ),
            );
        }
        Resolution {
            flag: flag.to_string(),
            value,
            variant,
            reason,
            error_code: None,
            error_message: None,
        }
    }
}

/// OpenFeature's value types; integers and floats are one (numeric coercion
/// is unsettled in the specification and the testbed leaves it out).
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) | Value::Object(_) => "object",
    }
}

/// Why no variant could be chosen.
struct Failure {
    code: ErrorCode,
    error: FlagError,
}

impl FlagFile {
    /// The variant `flag` serves for `context`, `None` for the caller's
    /// default, and why.
    fn choose(&self, flag: &str, context: &Value) -> Result<(Option<String>, EvalReason), Failure> {
        let def = self.flag_doc(flag).map_err(|e| Failure {
            code: match e {
                FlagError::FlagNotFound { .. } => ErrorCode::FlagNotFound,
                _ => ErrorCode::ParseError,
            },
            error: e,
        })?;
        if matches!(def.get("state"), Some(Doc::String(s)) if s == "DISABLED") {
            return Ok((None, EvalReason::Disabled));
        }
        let default = match def.get("defaultVariant") {
            Some(Doc::String(s)) => Some(s.clone()),
            _ => None,
        };
        let fail = |code, message: String| Failure {
            code,
            error: self.invalid(flag, message),
        };
        let rule = self
            .resolved_targeting(flag, def)
            .map_err(|error| Failure {
                code: ErrorCode::ParseError,
                error,
            })?;
        let Some(rule) = rule else {
            return Ok(match default {
                Some(d) => (Some(d), EvalReason::Static),
                None => (None, EvalReason::Default),
            });
        };
        let mut data = match context {
            Value::Object(m) => m.clone(),
            Value::Null => serde_json::Map::new(),
            _ => {
                return Err(fail(
                    ErrorCode::InvalidContext,
                    "the evaluation context must be a JSON object".into(),
                ));
            }
        };
        data.insert(
            "$flagd".into(),
            json!({"flagKey": flag, "timestamp": chrono::Utc::now().timestamp()}),
        );
        let out = logic::eval(&rule, &Value::Object(data)).map_err(|LogicError(m)| {
            fail(
                ErrorCode::ParseError,
                format!("targeting: {m}; fix the rule in $.flags.{flag}.targeting"),
            )
        })?;
        // flagd reads the rule's result as a variant name: null defers to
        // the default variant, booleans and numbers by their JSON text.
        let name = match out {
            Value::Null => return Ok((default, EvalReason::Default)),
            Value::String(s) => s,
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            other => {
                return Err(fail(
                    ErrorCode::General,
                    format!(
                        "targeting returned {other}, not a variant name; return a name from $.flags.{flag}.variants, or null for the default"
                    ),
                ));
            }
        };
        let names = Self::variant_names(def);
        if !names.contains(&name) {
            return Err(fail(
                ErrorCode::General,
                format!(
                    "targeting returned variant \"{name}\", which is not one of the variants ({}); return one of them, or null for the default",
                    names.join(", ")
                ),
            ));
        }
        Ok((Some(name), EvalReason::TargetingMatch))
    }

    fn variant_value(&self, flag: &str, variant: &str) -> Option<Value> {
        self.flag_doc(flag)
            .ok()?
            .get("variants")?
            .get(variant)
            .map(Doc::to_value)
    }

    /// Resolve `flag` for `context` as an OpenFeature provider does: never
    /// an error, always a value (the caller's `default` when the flag defers
    /// to it or cannot be evaluated; `null` is an untyped default).
    pub fn resolve(&self, flag: &str, context: &Value, default: &Value) -> Resolution {
        match self.choose(flag, context) {
            Ok((variant, reason)) => {
                let value = variant.as_deref().and_then(|v| self.variant_value(flag, v));
                Resolution::served(flag, variant, value, reason, default)
            }
            Err(f) => Resolution::error(flag, default, f.code, f.error.to_string()),
        }
    }

    /// Evaluate `flag` for `context` (an object; `targetingKey` drives
    /// fractional). Strict: whatever [`FlagFile::resolve`] reports as an
    /// error is an `Err` here; a flag that defers to the caller has no
    /// variant and a `null` value.
    pub fn evaluate(&self, flag: &str, context: &Value) -> Result<EvaluatedFlag, FlagError> {
        let (variant, reason) = self.choose(flag, context).map_err(|f| f.error)?;
        let value = variant
            .as_deref()
            .and_then(|v| self.variant_value(flag, v))
            .unwrap_or(Value::Null);
        Ok(EvaluatedFlag {
            flag: flag.to_string(),
            variant,
            value,
            reason,
        })
    }
}
