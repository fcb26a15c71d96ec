//! Policy results as journalled. Evaluation lives in `crate::policy`.

use serde::{Deserialize, Serialize};

/// The outcome of one rule of one policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyOutcome {
    /// `deny` produced messages.
    Deny,
    /// `warn` produced messages.
    Warn,
    /// The rule produced nothing.
    Pass,
    /// The policy could not be evaluated; `messages` say why.
    NotEvaluable,
}

impl PolicyOutcome {
    /// Text badge.
    pub fn badge(self) -> &'static str {
        match self {
            PolicyOutcome::Deny => "DENY",
            PolicyOutcome::Warn => "WARN",
            PolicyOutcome::Pass => "PASS",
            PolicyOutcome::NotEvaluable => "??",
        }
    }
}

/// One evaluated rule (`deny` or `warn`) of one policy package.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyResult {
    /// File(s) and package, e.g. `config/policies/release.rego (data.flightdeck.release)`.
    pub policy: String,
    /// `deny`, `warn`, or `*` when the whole file could not be loaded.
    pub rule: String,
    /// What happened.
    pub outcome: PolicyOutcome,
    /// Deny/warn messages, or why the policy is not evaluable.
    pub messages: Vec<String>,
}
