//! AWS Secrets Manager references: `GetSecretValue`, then the whole
//! SecretString or one string field of its JSON object.
//!
//! Region, credentials and endpoint come from the standard AWS chain
//! (AWS_REGION, AWS_PROFILE, AWS_ACCESS_KEY_ID..., AWS_ENDPOINT_URL,
//! AWS_ENDPOINT_URL_SECRETS_MANAGER), unless the reference sets `region` or
//! `endpoint`. HTTPS uses rustls with ring, as the rest of Flightdeck does.
//! Resolved values are cached per reference for the life of the process.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_secretsmanager::config::ProvideCredentials;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use serde_json::Value;

use super::{Secret, SecretError, SecretRef};

/// A whole call may take this long, retries included.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(15);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

fn cache() -> &'static Mutex<HashMap<SecretRef, Secret>> {
    static CACHE: OnceLock<Mutex<HashMap<SecretRef, Secret>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The parts of an [`SecretRef::AwsSecret`].
pub(super) struct AwsRef<'a> {
    pub id: &'a str,
    pub key: Option<&'a str>,
    pub region: Option<&'a str>,
    pub endpoint: Option<&'a str>,
}

/// Resolve an AWS reference (cached per reference for the process).
pub(super) async fn resolve(reference: &SecretRef, r: AwsRef<'_>) -> Result<Secret, SecretError> {
    if let Some(hit) = cached(reference) {
        return Ok(hit);
    }
    let label = reference.to_string();
    let conf = load_config(r.region, r.endpoint).await;
    let Some(region) = conf.region().map(|r| r.to_string()) else {
        return Err(SecretError::AwsNoRegion { reference: label });
    };
    let no_creds = |detail: String| SecretError::AwsNoCredentials {
        reference: label.clone(),
        detail,
    };
    // Resolved here so that a missing credential gets its own message.
    let creds = match conf.credentials_provider() {
        Some(p) => p
            .provide_credentials()
            .await
            .map_err(|e| no_creds(chain(&e)))?,
        None => return Err(no_creds("no credential provider configured".into())),
    };
    let sm = aws_sdk_secretsmanager::config::Builder::from(&conf)
        .credentials_provider(creds)
        .build();
    let client = aws_sdk_secretsmanager::Client::from_conf(sm);
    let out = client
        .get_secret_value()
        .secret_id(r.id)
        .send()
        .await
        .map_err(|e| {
            classify(
                e,
                &label,
                &region,
                &endpoint_shown(&conf, r.endpoint, &region),
            )
        })?;
    let value = extract(&label, out.secret_string(), r.key)?;
    let secret = Secret::new(value);
    remember(reference, &secret);
    Ok(secret)
}

fn cached(reference: &SecretRef) -> Option<Secret> {
    cache().lock().ok()?.get(reference).cloned()
}

fn remember(reference: &SecretRef, secret: &Secret) {
    if let Ok(mut c) = cache().lock() {
        c.insert(reference.clone(), secret.clone());
    }
}

async fn load_config(region: Option<&str>, endpoint: Option<&str>) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(timeouts);
    if let Some(r) = region {
        loader = loader.region(Region::new(r.to_string()));
    }
    if let Some(e) = endpoint {
        loader = loader.endpoint_url(e);
    }
    loader.load().await
}

/// The endpoint a call went to, for messages: the reference's, the
/// service-specific or global AWS_ENDPOINT_URL, or the public one.
fn endpoint_shown(conf: &SdkConfig, endpoint: Option<&str>, region: &str) -> String {
    endpoint
        .map(str::to_string)
        .or_else(|| std::env::var("AWS_ENDPOINT_URL_SECRETS_MANAGER").ok())
        .or_else(|| conf.endpoint_url().map(str::to_string))
        .unwrap_or_else(|| format!("https://secretsmanager.{region}.amazonaws.com"))
}

fn classify(
    e: SdkError<GetSecretValueError>,
    label: &str,
    region: &str,
    endpoint: &str,
) -> SecretError {
    let reference = label.to_string();
    let detail = || chain(&e);
    match &e {
        SdkError::ServiceError(ctx) => {
            let err = ctx.err();
            let status = ctx.raw().status().as_u16();
            // Without a readable code (some servers answer in XML), the
            // HTTP status still tells a refusal apart.
            let code = match err.code() {
                Some(c) => c.to_string(),
                None => format!("HTTP {status}"),
            };
            let message = err.message().unwrap_or("no message").to_string();
            if err.is_resource_not_found_exception() {
                SecretError::AwsNotFound {
                    reference,
                    region: region.to_string(),
                }
            } else if is_denied(&code) || (err.code().is_none() && matches!(status, 401 | 403)) {
                SecretError::AwsAccessDenied {
                    reference,
                    code,
                    message,
                }
            } else {
                SecretError::Aws {
                    reference,
                    code,
                    message,
                }
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => SecretError::AwsUnreachable {
            reference,
            endpoint: endpoint.to_string(),
            detail: detail(),
        },
        SdkError::ResponseError(_) => SecretError::Aws {
            reference,
            code: "unreadable response".into(),
            message: format!("from {endpoint}: {}", detail()),
        },
        _ => SecretError::Aws {
            reference,
            code: "request failed".into(),
            message: detail(),
        },
    }
}

/// An error and its sources on one line, each level once (the SDK's own
/// context display adds Debug dumps).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = String::new();
    let mut cur = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let text = lines.join("; ").replace(":; ", ": ");
        if !text.is_empty() && !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        cur = err.source();
    }
    out
}

/// Codes that mean "these credentials may not read this".
fn is_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDeniedException"
            | "AccessDenied"
            | "UnrecognizedClientException"
            | "InvalidClientTokenId"
            | "InvalidSignatureException"
            | "ExpiredTokenException"
            | "IncompleteSignature"
    )
}

/// The value a reference names in a SecretString: the whole string, or the
/// string field `key` of its JSON object. Errors name keys, never values.
pub fn extract(
    label: &str,
    secret_string: Option<&str>,
    key: Option<&str>,
) -> Result<String, SecretError> {
    let reference = label.to_string();
    let Some(text) = secret_string else {
        return Err(SecretError::AwsNotString { reference });
    };
    let value = match key {
        None => text.to_string(),
        Some(key) => {
            let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
                return Err(SecretError::AwsNotJson {
                    reference,
                    key: key.to_string(),
                });
            };
            match map.get(key) {
                Some(Value::String(s)) => s.clone(),
                Some(other) => {
                    return Err(SecretError::AwsKeyNotString {
                        reference,
                        key: key.to_string(),
                        found: json_type(other).into(),
                    });
                }
                None => {
                    return Err(SecretError::AwsKeyMissing {
                        reference,
                        key: key.to_string(),
                        available: map.keys().cloned().collect(),
                    });
                }
            }
        }
    };
    if value.is_empty() {
        return Err(SecretError::AwsEmpty { reference });
    }
    Ok(value)
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: &str = r#"{ aws_secret = "s", key = "token" }"#;

    #[test]
    fn whole_string_or_one_string_field() {
        assert_eq!(extract(L, Some("plain-v"), None).unwrap(), "plain-v");
        let json = r#"{"token":"tok-v","user":"u"}"#;
        assert_eq!(extract(L, Some(json), Some("token")).unwrap(), "tok-v");
        // Without key, a JSON string is the whole value.
        assert_eq!(extract(L, Some(json), None).unwrap(), json);
    }

    #[test]
    fn every_failure_is_named_without_the_value() {
        let cases: [(Option<&str>, Option<&str>, &str); 6] = [
            (None, Some("token"), "binary data"),
            (Some("not-json-v4lue"), Some("token"), "not a JSON object"),
            (Some(r#"["a"]"#), Some("token"), "not a JSON object"),
            (
                Some(r#"{"user":"u-v4lue","pass":"p-v4lue"}"#),
                Some("token"),
                "no key \"token\" (its keys: pass, user)",
            ),
            (
                Some(r#"{"token":42}"#),
                Some("token"),
                "is a number, not a string",
            ),
            (Some(r#"{"token":""}"#), Some("token"), "value is empty"),
        ];
        for (text, key, want) in cases {
            let e = extract(L, text, key).unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
            assert!(e.starts_with(L), "{e}");
            assert!(!e.contains("v4lue"), "value leaked: {e}");
        }
    }

    #[test]
    fn cache_is_per_whole_reference() {
        let a = SecretRef::aws("cache-test/a", Some("token"));
        let other_key = SecretRef::aws("cache-test/a", Some("user"));
        assert!(cached(&a).is_none());
        remember(&a, &Secret::new("v-a"));
        assert_eq!(
            cached(&a).map(|s| s.expose().to_string()),
            Some("v-a".into())
        );
        assert!(cached(&other_key).is_none());
    }

    #[test]
    fn denied_codes() {
        assert!(is_denied("AccessDeniedException"));
        assert!(is_denied("UnrecognizedClientException"));
        assert!(!is_denied("DecryptionFailure"));
    }
}
