//! Secret references and the redacting [`Secret`] type.
//!
//! Config holds references, never values:
//! - `{ env = "UNLEASH_TOKEN" }`: an environment variable;
//! - `{ aws_secret = "preprod/unleash", key = "token" }`: a field of a JSON
//!   SecretString in AWS Secrets Manager ([`aws`]); without `key`, the whole
//!   SecretString. Optional `region = "..."` and `endpoint = "..."` override
//!   the standard AWS chain (AWS_REGION, profile, AWS_ENDPOINT_URL...).
//!
//! A resolved value lives only in a [`Secret`], which never prints.
//! [`check`] says whether references resolve, without their values (the
//! `flightdeck secrets check` face walks a config with it).

pub mod aws;
pub mod check;
mod error;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use error::SecretError;

use crate::config::SECRET_SHAPES_HINT;

/// Where a secret comes from. Serialises as the reference, never the value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawSecretRef", untagged)]
pub enum SecretRef {
    /// An environment variable: `{ env = "NAME" }`.
    Env {
        /// Variable name.
        env: String,
    },
    /// AWS Secrets Manager: `{ aws_secret = "ID", key = "FIELD" }`.
    AwsSecret {
        /// Secret name or ARN (the `SecretId` of `GetSecretValue`).
        aws_secret: String,
        /// Field of the JSON object in the SecretString; `None` takes the
        /// whole SecretString.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        /// Region, overriding the AWS environment and profile.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
        /// Endpoint URL, overriding AWS_ENDPOINT_URL (VPC endpoints, test servers).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
    },
}

/// Every shape a reference may take in config, validated into [`SecretRef`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecretRef {
    env: Option<String>,
    aws_secret: Option<String>,
    key: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
}

impl TryFrom<RawSecretRef> for SecretRef {
    type Error = String;

    fn try_from(r: RawSecretRef) -> Result<SecretRef, String> {
        let blank = |v: &Option<String>| v.as_ref().is_some_and(|s| s.trim().is_empty());
        match r {
            RawSecretRef {
                env: Some(_),
                aws_secret: Some(_),
                ..
            } => Err("secret reference has both env and aws_secret; keep one".into()),
            RawSecretRef {
                env: Some(env),
                key: None,
                region: None,
                endpoint: None,
                ..
            } => {
                if env.trim().is_empty() {
                    Err("secret reference { env = \"\" } names no variable".into())
                } else {
                    Ok(SecretRef::Env { env })
                }
            }
            RawSecretRef { env: Some(env), .. } => Err(format!(
                "secret reference {{ env = \"{env}\" }} takes no key, region or endpoint; those go with aws_secret"
            )),
            RawSecretRef {
                aws_secret: Some(id),
                key,
                region,
                endpoint,
                ..
            } => {
                if id.trim().is_empty() {
                    Err("secret reference { aws_secret = \"\" } names no secret; give its name or ARN".into())
                } else if blank(&key) {
                    Err(format!(
                        "secret reference {{ aws_secret = \"{id}\", key = \"\" }} names no field; drop key to use the whole secret string"
                    ))
                } else if blank(&region) || blank(&endpoint) {
                    Err(format!(
                        "secret reference {{ aws_secret = \"{id}\" }} has an empty region or endpoint; drop it to use the AWS environment"
                    ))
                } else {
                    Ok(SecretRef::AwsSecret {
                        aws_secret: id,
                        key,
                        region,
                        endpoint,
                    })
                }
            }
            _ => Err(format!("a secret reference is {SECRET_SHAPES_HINT}")),
        }
    }
}

impl fmt::Display for SecretRef {
    /// The reference as written in config (never a value).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env { env } => write!(f, "{{ env = {env:?} }}"),
            SecretRef::AwsSecret {
                aws_secret,
                key,
                region,
                endpoint,
            } => {
                write!(f, "{{ aws_secret = {aws_secret:?}")?;
                for (name, v) in [("key", key), ("region", region), ("endpoint", endpoint)] {
                    if let Some(v) = v {
                        write!(f, ", {name} = {v:?}")?;
                    }
                }
                f.write_str(" }")
            }
        }
    }
}

impl SecretRef {
    /// An env reference.
    pub fn env(name: &str) -> SecretRef {
        SecretRef::Env {
            env: name.to_string(),
        }
    }

    /// An AWS Secrets Manager reference with the region and endpoint from the
    /// AWS environment.
    pub fn aws(id: &str, key: Option<&str>) -> SecretRef {
        SecretRef::AwsSecret {
            aws_secret: id.to_string(),
            key: key.map(str::to_string),
            region: None,
            endpoint: None,
        }
    }

    /// Short name of the kind: `env` or `aws_secret`.
    pub fn kind(&self) -> &'static str {
        match self {
            SecretRef::Env { .. } => "env",
            SecretRef::AwsSecret { .. } => "aws_secret",
        }
    }

    /// Resolve the reference. AWS values are cached for the process, so a
    /// rollback never waits on AWS a second time.
    pub async fn resolve(&self) -> Result<Secret, SecretError> {
        match self {
            SecretRef::Env { env } => match std::env::var(env) {
                Ok(v) if !v.is_empty() => Ok(Secret(v)),
                _ => Err(SecretError::EnvMissing(env.clone())),
            },
            SecretRef::AwsSecret {
                aws_secret,
                key,
                region,
                endpoint,
            } => {
                let parts = aws::AwsRef {
                    id: aws_secret,
                    key: key.as_deref(),
                    region: region.as_deref(),
                    endpoint: endpoint.as_deref(),
                };
                aws::resolve(self, parts).await
            }
        }
    }
}

/// Values the process provides itself for `{ env = "NAME" }` references,
/// looked up before the environment: the demo's own notification receiver
/// hands its URL and signing secret to the demo config this way, without
/// putting them in the process environment.
#[derive(Clone, Default)]
pub struct Provided(std::collections::HashMap<String, Secret>);

impl Provided {
    /// Provide `value` for `{ env = name }`.
    pub fn insert(&mut self, name: &str, value: Secret) {
        self.0.insert(name.to_string(), value);
    }

    /// Resolve a reference: a provided value first, else as usual.
    pub async fn resolve(&self, r: &SecretRef) -> Result<Secret, SecretError> {
        if let SecretRef::Env { env } = r
            && let Some(v) = self.0.get(env)
        {
            return Ok(v.clone());
        }
        r.resolve().await
    }
}

impl fmt::Debug for Provided {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        write!(f, "Provided({names:?})")
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

    fn parse(text: &str) -> Result<SecretRef, String> {
        let v: toml::Value = toml::from_str(&format!("t = {text}")).unwrap();
        v.get("t")
            .cloned()
            .unwrap()
            .try_into()
            .map_err(|e: toml::de::Error| e.to_string())
    }

    #[test]
    fn parses_both_shapes_and_serialises_the_reference() {
        assert_eq!(
            parse(r#"{ env = "X_TOKEN" }"#),
            Ok(SecretRef::env("X_TOKEN"))
        );
        let r = parse(r#"{ aws_secret = "preprod/unleash", key = "token" }"#).unwrap();
        assert_eq!(r, SecretRef::aws("preprod/unleash", Some("token")));
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"aws_secret":"preprod/unleash","key":"token"}"#
        );
        assert_eq!(
            r.to_string(),
            r#"{ aws_secret = "preprod/unleash", key = "token" }"#
        );
        let whole = parse(r#"{ aws_secret = "db", region = "eu-west-1" }"#).unwrap();
        assert_eq!(
            whole.to_string(),
            r#"{ aws_secret = "db", region = "eu-west-1" }"#
        );
        let back: SecretRef =
            serde_json::from_str(&serde_json::to_string(&whole).unwrap()).unwrap();
        assert_eq!(back, whole);
        assert_eq!(
            serde_json::to_string(&SecretRef::env("X")).unwrap(),
            r#"{"env":"X"}"#
        );
    }

    #[test]
    fn bad_shapes_say_what_to_write() {
        for (text, want) in [
            (r#"{ aws_secret = "" }"#, "names no secret"),
            (r#"{ aws_secret = "a", key = "" }"#, "names no field"),
            (r#"{ aws_secret = "a", region = " " }"#, "empty region"),
            (
                r#"{ env = "A", aws_secret = "b" }"#,
                "both env and aws_secret",
            ),
            (r#"{ env = "A", key = "k" }"#, "takes no key"),
            (r#"{ env = "" }"#, "names no variable"),
            (r#"{ key = "k" }"#, "a secret reference is"),
            (r#"{ envv = "X" }"#, "unknown field"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn errors_name_the_reference_never_a_value() {
        let e = SecretError::AwsKeyMissing {
            reference: SecretRef::aws("preprod/unleash", Some("tokn")).to_string(),
            key: "tokn".into(),
            available: vec!["token".into(), "user".into()],
        };
        assert_eq!(
            e.to_string(),
            r#"{ aws_secret = "preprod/unleash", key = "tokn" }: the AWS secret has no key "tokn" (its keys: token, user); fix key in the reference"#
        );
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
