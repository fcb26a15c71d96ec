//! `[policy]`: where the Rego policies are, and the facts about the release
//! that only config can give.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::{Problem, Severity, check_dir};

/// `[policy]`: Rego policies evaluated over the run's facts.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(default)]
pub struct PolicySection {
    /// Directory of `.rego` files.
    pub dir: Option<PathBuf>,
    /// Who approved the release (a fact policies can require, e.g. for prod).
    pub approver: Option<String>,
}

impl PolicySection {
    /// What a planned policy stage needs, keys from the top. Without a
    /// policy stage in the plan the section is not used, so the plan's
    /// reader calls this only when one is planned.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.dir.is_none() {
            out.push(Problem::at(
                "policy.dir",
                "a policy stage is planned but no policy directory is set",
                "set policy.dir to a directory of .rego files, e.g. config/policies",
            ));
        }
        out
    }

    /// The policy directory, when it does not exist, as a problem at
    /// `severity` (the caller knows whether the policy stage is hard).
    pub fn check_paths(&self, severity: Severity) -> Vec<Problem> {
        let mut out = Vec::new();
        if let Some(dir) = &self.dir {
            check_dir(
                dir,
                "policy.dir",
                "point it at a directory of .rego files, e.g. config/policies",
                severity,
                &mut out,
            );
        }
        out
    }
}
