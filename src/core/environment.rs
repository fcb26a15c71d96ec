//! The environment as journalled: its risk class and health checks.

use serde::{Deserialize, Serialize};

use crate::core::verdict::Verdict;

/// How risky the environment is; shown as a header badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvRisk {
    /// Development.
    Dev,
    /// Staging.
    Staging,
    /// Pre-production.
    Preprod,
    /// Production: handle with care.
    Prod,
}

impl EnvRisk {
    /// The config and journal name: `dev`, `staging`, `preprod`, `prod`.
    pub fn as_str(self) -> &'static str {
        match self {
            EnvRisk::Dev => "dev",
            EnvRisk::Staging => "staging",
            EnvRisk::Preprod => "preprod",
            EnvRisk::Prod => "prod",
        }
    }
}

/// The result of one HTTP health-check attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// The stage that ran the check.
    pub stage: String,
    /// Endpoint name from the config.
    pub endpoint: String,
    /// URL that was requested.
    pub url: String,
    /// Attempt number, starting at 1.
    pub attempt: u32,
    /// Whether this attempt is the last one for this endpoint.
    pub last: bool,
    /// HTTP status, if a response arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Time to the full response in milliseconds, if one arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// The version the endpoint reported, if asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Verdict of this attempt.
    pub verdict: Verdict,
    /// Why the attempt is not a pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
