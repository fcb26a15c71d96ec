//! Feature-flag providers: read a flag, move its canary rollout, roll it back.
//!
//! One trait, [`FlagProvider`], with three backends: flagd flag-definition
//! files ([`FileProvider`], the embedded default), OFREP
//! ([`OfrepProvider`], read-only) and the Unleash admin API
//! ([`UnleashProvider`]). [`evaluate`] is the pure flagd evaluator the demo
//! target calls per request to choose baseline or canary.
//!
//! A flag's **rollout percentage** is the weight share of the canary variant in
//! the flag's `fractional` targeting (flagd) or the `rollout` parameter of its
//! `flexibleRollout` strategy (Unleash).

pub mod cli;
mod doc;
pub mod file;
pub mod flagd;
pub mod logic;
pub mod murmur;
pub mod ofrep;
pub mod unleash;

use async_trait::async_trait;

pub use crate::core::flags::FlagState;
pub use crate::secrets::{Secret, SecretError, SecretRef};
pub use file::FileProvider;
pub use flagd::{ErrorCode, EvalReason, EvaluatedFlag, FlagFile, Resolution, evaluate};
pub use ofrep::OfrepProvider;
pub use unleash::{UnleashConfig, UnleashProvider};

/// The default name of the canary variant; `on` is accepted when a flag has no
/// `canary` variant and no name is configured.
pub const DEFAULT_CANARY_VARIANT: &str = "canary";

/// Errors of flag providers and the flag evaluator.
#[derive(Debug, thiserror::Error)]
pub enum FlagError {
    /// The flag file could not be read or written.
    #[error("{path}: {action}: {source}")]
    Io {
        /// File path.
        path: String,
        /// What was being done (`read`, `write temp file`, `rename`).
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The flag file is not valid JSON or not a valid flagd definition.
    #[error("{origin}: {json_path}: {message}")]
    Parse {
        /// File path (or `<input>`).
        origin: String,
        /// Where in the document, e.g. `$.flags.checkout-v2.state`.
        json_path: String,
        /// What is wrong.
        message: String,
    },
    /// The flag does not exist in the provider.
    #[error("{origin}: flag \"{flag}\" not found (known: {})", if known.is_empty() { "none".to_string() } else { known.join(", ") })]
    FlagNotFound {
        /// Flag key.
        flag: String,
        /// File path or URL.
        origin: String,
        /// Flags that do exist, if the provider can list them.
        known: Vec<String>,
    },
    /// The flag exists but cannot be evaluated or rolled out as asked.
    #[error("{origin}: flag \"{flag}\": {message}")]
    Invalid {
        /// Flag key.
        flag: String,
        /// File path or URL.
        origin: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A rollout percentage outside 0..=100 or not representable.
    #[error("rollout {percent} is invalid: {message}")]
    BadPercent {
        /// What was asked.
        percent: f64,
        /// Why it is refused.
        message: String,
    },
    /// The provider cannot change flags.
    #[error(
        "{provider} is read-only: {operation} is not possible (use a file or Unleash provider to change flags)"
    )]
    ReadOnly {
        /// Provider name.
        provider: String,
        /// What was attempted.
        operation: &'static str,
    },
    /// An HTTP provider failed (transport, status, or unexpected body).
    #[error("{provider} {url}: {message}")]
    Http {
        /// Provider name.
        provider: String,
        /// URL called (never carries credentials).
        url: String,
        /// What happened, with credentials scrubbed.
        message: String,
    },
    /// The write went through but reading back shows another state.
    #[error("{provider}: flag \"{flag}\" read back {found} after writing {wanted}")]
    NotConfirmed {
        /// Provider name.
        provider: String,
        /// Flag key.
        flag: String,
        /// What was written.
        wanted: String,
        /// What was read back.
        found: String,
    },
    /// A secret could not be resolved.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// A feature-flag backend. Every mutating call reads the flag back and returns
/// what the provider now says, so callers show provider-confirmed state.
#[async_trait]
pub trait FlagProvider: Send + Sync {
    /// Short provider name: `file`, `ofrep`, `unleash`.
    fn name(&self) -> &str;
    /// Read the flag's current state.
    async fn read(&self, flag: &str) -> Result<FlagState, FlagError>;
    /// Set the canary share to `percent` (0..=100) and turn the flag on; returns
    /// the state read back after the write.
    async fn set_rollout(&self, flag: &str, percent: f64) -> Result<FlagState, FlagError>;
    /// The safe direction: canary share to 0 (and, where the provider has an
    /// on/off switch that does not serve the baseline from the flag itself, off).
    /// Returns the state read back after the write.
    async fn rollback(&self, flag: &str) -> Result<FlagState, FlagError>;
}

/// Check a rollout percentage.
pub fn check_percent(percent: f64) -> Result<(), FlagError> {
    if !percent.is_finite() || !(0.0..=100.0).contains(&percent) {
        return Err(FlagError::BadPercent {
            percent,
            message: "must be between 0 and 100".into(),
        });
    }
    Ok(())
}
