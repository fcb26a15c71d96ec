//! `[data]`: the data stage's settings. The connection strings are secret
//! references; the rules live in their own file (the same one
//! `flightdeck data copy --rules` takes).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::Problem;
use crate::secrets::SecretRef;

/// `[data]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataSection {
    /// The production connection string (read only).
    pub source: Option<SecretRef>,
    /// The pre-production connection string (written).
    pub target: Option<SecretRef>,
    /// The rules file.
    pub rules: Option<PathBuf>,
    /// Drop what the target holds before copying.
    pub replace: bool,
    /// Tables copied side by side (default: the rules' `jobs`).
    pub jobs: Option<usize>,
    /// Whole copies of the rows in the target (2.0: one synthetic copy of
    /// every table added after the copy; see `data::scale`).
    pub scale: Option<f64>,
    /// Set by `flightdeck demo` (never read from a file): without databases
    /// the stage says what the demo looked for.
    #[serde(skip)]
    pub demo: bool,
}

impl DataSection {
    /// Problems for `check-config` (only when a data stage is planned).
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.source.is_some() != self.target.is_some() {
            out.push(Problem::at(
                if self.source.is_none() {
                    "data.source"
                } else {
                    "data.target"
                },
                "only one side of the copy is set",
                "set both data.source and data.target, e.g. { env = \"PROD_DATABASE_URL\" }",
            ));
        }
        if self.jobs.is_some_and(|j| j == 0 || j > 64) {
            out.push(Problem::at(
                "data.jobs",
                "must be from 1 to 64",
                "tables copied side by side, e.g. 2",
            ));
        }
        if let Some(s) = self.scale
            && let Err(e) = super::scale::whole(s, "data.scale")
        {
            out.push(Problem::at(
                "data.scale",
                &e,
                "a whole number of copies, e.g. scale = 2.0",
            ));
        }
        if self.source.is_some() && self.rules.is_none() {
            out.push(Problem::at(
                "data.rules",
                "no rules file: every personal column would be refused",
                "write one with `flightdeck data classify --source-env VAR --write-rules rules.toml`",
            ));
        }
        out
    }
}
