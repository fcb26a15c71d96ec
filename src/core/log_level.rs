//! How much a log event matters.

use serde::{Deserialize, Serialize};

/// Log level of a `Log` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Fine-grained detail.
    Debug,
    /// Normal progress.
    Info,
    /// Something deserves attention.
    Warn,
    /// Something failed.
    Error,
}
