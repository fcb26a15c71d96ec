//! Policy-as-code: Rego policies evaluated in-process (regorus) over the run's
//! facts. `deny` results fail, `warn` results warn, and a policy that cannot be
//! evaluated (parse error, missing builtin) is `not_evaluable`, which the
//! judge counts as inconclusive, never as a pass.

pub mod cli;
mod rego;
pub mod stage;

use serde::{Deserialize, Serialize};

pub use rego::{evaluate_dir, evaluate_sources, load_dir};

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

/// The policy directory or input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A file or directory could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The directory holds no `.rego` file.
    #[error("{}: no .rego files found; point --policy at the directory holding your policies", dir.display())]
    NoPolicies {
        /// The directory.
        dir: std::path::PathBuf,
    },
    /// The input document is not valid JSON.
    #[error("{file}: invalid input JSON at {json_path} (line {line}, column {column}): {message}")]
    InvalidInput {
        /// The input file.
        file: String,
        /// JSON path.
        json_path: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// Parser message.
        message: String,
    },
}
