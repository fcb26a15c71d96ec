//! [`SecretError`]: why a reference did not resolve, naming the reference
//! and the fix, never the value.

/// A secret could not be resolved. Never carries the value: only the
/// reference, names and what AWS said.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SecretError {
    /// The environment variable is unset or empty.
    #[error("secret from environment variable {0} is not set (export it before the run)")]
    EnvMissing(String),
    /// AWS says there is no such secret.
    #[error(
        "{reference}: AWS secret not found in region {region} (check the name or ARN, and the region: AWS_REGION, the AWS profile, or region = \"...\" in the reference)"
    )]
    AwsNotFound {
        /// The reference as written.
        reference: String,
        /// Region asked.
        region: String,
    },
    /// The credentials may not read the secret (or are not valid).
    #[error(
        "{reference}: AWS denied access ({code}: {message}); grant secretsmanager:GetSecretValue on the secret (and kms:Decrypt on its key) to these credentials, or use other credentials (AWS_PROFILE)"
    )]
    AwsAccessDenied {
        /// The reference as written.
        reference: String,
        /// AWS error code, e.g. `AccessDeniedException`.
        code: String,
        /// AWS error message.
        message: String,
    },
    /// No region anywhere in the chain.
    #[error(
        "{reference}: no AWS region configured (set AWS_REGION, a region in the AWS profile, or region = \"...\" in the reference)"
    )]
    AwsNoRegion {
        /// The reference as written.
        reference: String,
    },
    /// No credentials anywhere in the chain.
    #[error(
        "{reference}: no AWS credentials ({detail}); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    AwsNoCredentials {
        /// The reference as written.
        reference: String,
        /// What the credential chain said.
        detail: String,
    },
    /// A binary secret: no SecretString.
    #[error(
        "{reference}: the AWS secret holds binary data, not a SecretString (store the value as a string, or a JSON object with the field named by key)"
    )]
    AwsNotString {
        /// The reference as written.
        reference: String,
    },
    /// `key` was given but the SecretString is not a JSON object.
    #[error(
        "{reference}: the AWS secret string is not a JSON object, so key {key:?} cannot be read from it (store a JSON object, or drop key to use the whole string)"
    )]
    AwsNotJson {
        /// The reference as written.
        reference: String,
        /// Field asked for.
        key: String,
    },
    /// The JSON object has no such field.
    #[error(
        "{reference}: the AWS secret has no key {key:?} (its keys: {}); fix key in the reference", .available.join(", ")
    )]
    AwsKeyMissing {
        /// The reference as written.
        reference: String,
        /// Field asked for.
        key: String,
        /// Field names present (names only, never values).
        available: Vec<String>,
    },
    /// The field is there but is not a string.
    #[error(
        "{reference}: key {key:?} of the AWS secret is {found}, not a string (store the value as a JSON string)"
    )]
    AwsKeyNotString {
        /// The reference as written.
        reference: String,
        /// Field asked for.
        key: String,
        /// JSON type found: number, boolean, null, array or object.
        found: String,
    },
    /// The value is the empty string.
    #[error("{reference}: the AWS secret value is empty (store the secret, or fix the reference)")]
    AwsEmpty {
        /// The reference as written.
        reference: String,
    },
    /// The endpoint could not be reached (connection, DNS, TLS, timeout).
    #[error(
        "{reference}: AWS Secrets Manager at {endpoint} is unreachable ({detail}); check the network, the region and AWS_ENDPOINT_URL / endpoint"
    )]
    AwsUnreachable {
        /// The reference as written.
        reference: String,
        /// Endpoint tried.
        endpoint: String,
        /// Transport error.
        detail: String,
    },
    /// Any other AWS error (KMS decryption, throttling, ...).
    #[error("{reference}: AWS Secrets Manager error ({code}: {message})")]
    Aws {
        /// The reference as written.
        reference: String,
        /// AWS error code.
        code: String,
        /// AWS error message.
        message: String,
    },
}
