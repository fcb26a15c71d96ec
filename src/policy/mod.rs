//! Policy-as-code: Rego policies evaluated in-process (regorus) over the run's
//! facts. `deny` results fail, `warn` results warn, `[[policy.gates]]` hold
//! boolean (`allow`/`authz`) and numeric (`score`) rules to account, and a
//! policy or gate that cannot be evaluated (parse error, missing builtin,
//! undefined rule) is `not_evaluable`, which the judge counts as
//! inconclusive, never as a pass. [`eval_query`] answers one query as
//! `opa eval` does.

pub mod cli;
mod config;
mod gates;
mod query;
mod rego;
pub mod stage;

pub use crate::core::policy::{PolicyOutcome, PolicyResult};
pub use config::{GateLevel, PolicyGate, PolicySection, ScoreGate, is_rule_path};
pub use gates::evaluate_gates;
pub use query::{QueryAnswer, eval_query};
pub use rego::{evaluate_dir, evaluate_sources, evaluate_sources_gated, load_dir};

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
    /// A policy did not load, or the query is not valid Rego.
    #[error("{}: {message}", dir.display())]
    Query {
        /// The policy directory.
        dir: std::path::PathBuf,
        /// What failed, naming the file or the query.
        message: String,
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
