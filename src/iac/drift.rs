//! Drift: resources changed outside Terraform, read from the
//! `resource_drift` of a refresh-only plan (`terraform plan -refresh-only
//! -out F` then `terraform show -json F`). Judged from the JSON, never from
//! an exit code.

use std::path::Path;

use serde_json::Value;

use super::error::{IacError, check_format, parse_json, read_json};
use super::plan::{ChangeAction, resource_change};
pub use crate::core::iac::drift::{DriftReport, DriftedResource};

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
