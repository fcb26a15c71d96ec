//! The output format of the standalone CLI faces (`scan import`, `policy
//! eval`, `secrets check`...): a human summary, or one JSON document for
//! scripts. Kept on the toolkit floor so that every capability's face can
//! name it without importing another capability or the CLI.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// Output format of the standalone faces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// A human table and summary.
    #[default]
    Text,
    /// One JSON document.
    Json,
}
