//! Errors of the scan capability. Each names the file and, where it helps, the place inside.

use std::path::PathBuf;

/// Something the scan capability could not read or write.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A SARIF file is not valid JSON or has the wrong shape.
    #[error("{file}: {} SARIF at {} (line {line}, column {column}): {message}{}",
        if *truncated { "truncated" } else { "invalid" },
        if json_path.is_empty() || json_path == "." { "top level".to_string() } else { json_path.clone() },
        if *truncated { "; the file ends early, was the scanner killed or the upload cut?" } else { "" })]
    InvalidSarif {
        /// The file (or `<stdin>`).
        file: String,
        /// JSON path of the problem, e.g. `runs[0].results[3].locations`.
        json_path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// True when the JSON ends early.
        truncated: bool,
        /// The parser's message.
        message: String,
    },
    /// Valid JSON that is not a SARIF 2.1.0 log.
    #[error("{file}: not a SARIF 2.1.0 log: {reason}")]
    NotSarif {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A secrets rules file is invalid.
    #[error("{file}: {message}")]
    Rules {
        /// The rules file (or `built-in rules`).
        file: String,
        /// What is wrong, with the rule id or TOML key.
        message: String,
    },
    /// A baseline file is invalid.
    #[error("{}: invalid baseline: {message}; delete it and save a new one with `save_baseline`", path.display())]
    Baseline {
        /// The baseline file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}
