//! Drift of an environment from its last applied state, as journalled.
//! Detection lives in `crate::iac::drift`.

use serde::{Deserialize, Serialize};

use crate::core::iac::plan::{AttributeChange, ChangeAction};

/// One resource that no longer matches its last known state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftedResource {
    /// Address.
    pub address: String,
    /// Resource type.
    pub resource_type: String,
    /// `update` (changed outside Terraform) or `delete` (gone).
    pub action: ChangeAction,
    /// Changed attributes, masked.
    pub attributes: Vec<AttributeChange>,
}

/// Drift found in one refresh-only plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    /// Source file or command.
    pub file: String,
    /// `format_version` of the JSON.
    pub format_version: String,
    /// Drifted resources (no-ops left out).
    pub drifted: Vec<DriftedResource>,
}

impl DriftReport {
    /// Whether anything drifted.
    pub fn has_drift(&self) -> bool {
        !self.drifted.is_empty()
    }

    /// One line: `2 resources drifted (aws_instance.web, aws_s3_bucket.logs)`.
    pub fn headline(&self) -> String {
        if self.drifted.is_empty() {
            return "no drift: the environment matches its last applied state".into();
        }
        let names: Vec<&str> = self.drifted.iter().map(|d| d.address.as_str()).collect();
        format!(
            "{} resources drifted ({})",
            self.drifted.len(),
            names.join(", ")
        )
    }

    /// A human summary for the terminal.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "drift {} (format {})\n  {}\n",
            self.file,
            self.format_version,
            self.headline()
        );
        for d in &self.drifted {
            let what = if d.action == ChangeAction::Delete {
                "deleted outside Terraform".to_string()
            } else {
                format!(
                    "{} attributes changed outside Terraform",
                    d.attributes.len()
                )
            };
            out.push_str(&format!(
                "  {:>3} {}: {what}\n",
                d.action.symbol(),
                d.address
            ));
            for a in &d.attributes {
                out.push_str(&format!(
                    "        {}: {} -> {}\n",
                    a.path,
                    a.before.as_deref().unwrap_or("(absent)"),
                    a.after.as_deref().unwrap_or("(absent)")
                ));
            }
        }
        out
    }
}
