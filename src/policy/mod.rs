//! Policy-as-code: Rego policies evaluated in-process (regorus) over the run's
//! facts. `deny` results fail, `warn` results warn, and a policy that cannot be
//! evaluated (parse error, missing builtin) is `not_evaluable`, which the
//! judge counts as inconclusive, never as a pass.

pub mod cli;
mod config;
mod rego;
pub mod stage;

pub use crate::core::policy::{PolicyOutcome, PolicyResult};
pub use config::PolicySection;
pub use rego::{evaluate_dir, evaluate_sources, load_dir};

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
