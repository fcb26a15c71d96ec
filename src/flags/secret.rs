//! Secret references and the redacting [`Secret`] type.
//!
//! Config holds references, never values: `{ env = "UNLEASH_TOKEN" }` today.
//! Extension point: AWS Secrets Manager (`{ aws_secret = "preprod/unleash",
//! key = "token" }`) parses already and is refused with a clear message; to
//! add it, add a `SecretRef::AwsSecret` variant and resolve it in
//! [`SecretRef::resolve`] (which is async for that reason).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a secret comes from. Serialises as the reference, never the value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawSecretRef", untagged)]
pub enum SecretRef {
    /// An environment variable: `{ env = "NAME" }`.
    Env {
        /// Variable name.
        env: String,
    },
}

/// Every shape a reference may take in config, validated into [`SecretRef`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecretRef {
    env: Option<String>,
    aws_secret: Option<String>,
    key: Option<String>,
}

impl TryFrom<RawSecretRef> for SecretRef {
    type Error = String;

    fn try_from(r: RawSecretRef) -> Result<SecretRef, String> {
        match (r.env, r.aws_secret, r.key) {
            (Some(env), None, None) if !env.trim().is_empty() => Ok(SecretRef::Env { env }),
            (Some(_), None, None) => Err("secret reference { env = \"\" } names no variable".into()),
            (None, Some(name), _) => Err(format!(
                "secret reference {{ aws_secret = \"{name}\" }}: AWS Secrets Manager is not built into this version; use {{ env = \"NAME\" }}"
            )),
            _ => Err("a secret reference is { env = \"NAME\" } (or, later, { aws_secret = \"ID\", key = \"FIELD\" })".into()),
        }
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env { env } => write!(f, "env {env}"),
        }
    }
}

/// A secret could not be resolved. Never carries the value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SecretError {
    /// The environment variable is unset or empty.
    #[error("secret from environment variable {0} is not set (export it before the run)")]
    EnvMissing(String),
}

impl SecretRef {
    /// An env reference.
    pub fn env(name: &str) -> SecretRef {
        SecretRef::Env {
            env: name.to_string(),
        }
    }

    /// Resolve the reference (async so that remote stores fit the same call).
    pub async fn resolve(&self) -> Result<Secret, SecretError> {
        match self {
            SecretRef::Env { env } => match std::env::var(env) {
                Ok(v) if !v.is_empty() => Ok(Secret(v)),
                _ => Err(SecretError::EnvMissing(env.clone())),
            },
        }
    }
}

/// A resolved secret value. Debug and Display print `***`; it does not
/// implement `Serialize`, so it cannot reach a journal or report.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a value (tests, or values obtained elsewhere).
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that needs it (an HTTP header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replace any occurrence of the value in `text` with `***`.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_string()
        } else {
            text.replace(&self.0, "***")
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_env_and_refuses_aws_clearly() {
        let r: SecretRef = toml::from_str::<toml::Value>("t = { env = \"X_TOKEN\" }")
            .unwrap()
            .get("t")
            .cloned()
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(r, SecretRef::env("X_TOKEN"));
        let e =
            serde_json::from_str::<SecretRef>(r#"{"aws_secret":"preprod/unleash","key":"token"}"#)
                .unwrap_err();
        assert!(
            e.to_string().contains("AWS Secrets Manager is not built"),
            "{e}"
        );
        assert!(serde_json::from_str::<SecretRef>(r#"{"envv":"X"}"#).is_err());
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"env":"X_TOKEN"}"#);
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2-token");
        assert_eq!(format!("{s}"), "***");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{:?}", Some(s.clone())).contains("hunter2"));
        assert_eq!(
            s.scrub("bad token hunter2-token here"),
            "bad token *** here"
        );
    }
}
