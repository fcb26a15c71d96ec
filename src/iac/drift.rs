//! Drift: resources changed outside Terraform, read from the
//! `resource_drift` of a refresh-only plan (`terraform plan -refresh-only
//! -out F` then `terraform show -json F`). Judged from the JSON, never from
//! an exit code.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{IacError, check_format, parse_json, read_json};
use super::plan::{ChangeAction, resource_change};
use super::values::AttributeChange;

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

/// Read the drift from a parsed plan document.
pub fn summarize(file: &Path, doc: &Value) -> Result<DriftReport, IacError> {
    let format_version = check_format(file, doc)?;
    let entries = match doc.get("resource_drift") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            return Err(IacError::Shape {
                file: file.to_path_buf(),
                reason: "resource_drift is not a list".into(),
            });
        }
    };
    let drifted = entries
        .iter()
        .map(|rc| {
            let mut c = resource_change(rc);
            if c.action == ChangeAction::Update && c.attributes.is_empty() {
                c.attributes = super::values::change_diff(rc.get("change").unwrap_or(&Value::Null));
            }
            DriftedResource {
                address: c.address,
                resource_type: c.resource_type,
                action: c.action,
                attributes: c.attributes,
            }
        })
        .filter(|d| d.action != ChangeAction::NoOp)
        .collect();
    Ok(DriftReport {
        file: file.display().to_string(),
        format_version,
        drifted,
    })
}

/// Parse refresh-only plan JSON text.
pub fn parse(file: &Path, text: &str) -> Result<DriftReport, IacError> {
    summarize(file, &parse_json(file, text)?)
}

/// Read a refresh-only plan JSON file.
pub fn read(file: &Path) -> Result<DriftReport, IacError> {
    summarize(file, &read_json(file)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drift_lists_changed_attributes_and_deletions() {
        let doc = json!({
            "format_version": "0.2",
            "resource_drift": [
                {"address": "aws_instance.web", "type": "aws_instance", "mode": "managed",
                 "change": {"actions": ["update"], "before": {"instance_type": "t3.small"},
                            "after": {"instance_type": "t3.large"}}},
                {"address": "aws_s3_bucket.old", "type": "aws_s3_bucket", "mode": "managed",
                 "change": {"actions": ["delete"], "before": {"bucket": "x"}, "after": null}}
            ]
        });
        let r = summarize(Path::new("d.json"), &doc).unwrap();
        assert!(r.has_drift());
        assert_eq!(r.drifted[0].attributes[0].path, "instance_type");
        assert_eq!(r.drifted[1].action, ChangeAction::Delete);
        assert!(r.headline().contains("2 resources drifted"));
    }
}
