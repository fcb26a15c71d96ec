//! A feature flag as a provider reported it, as journalled. The providers
//! live in `crate::flags`.

use serde::{Deserialize, Serialize};

/// What a provider reports about one flag, always read back from the provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlagState {
    /// Flag key.
    pub flag: String,
    /// Provider name (`file`, `ofrep`, `unleash`).
    pub provider: String,
    /// Whether the flag is on (flagd `ENABLED`, Unleash environment enabled).
    pub enabled: bool,
    /// Share of traffic to the canary, 0..=100, when the provider has a rollout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_percent: Option<f64>,
    /// The variant counted as canary, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_variant: Option<String>,
    /// Variant names the flag defines.
    #[serde(default)]
    pub variants: Vec<String>,
    /// The variant served when targeting does not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_variant: Option<String>,
    /// One human line, e.g. `ENABLED, fractional canary 25 / baseline 75`.
    pub summary: String,
}
