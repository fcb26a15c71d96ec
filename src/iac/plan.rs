//! Summaries of `terraform show -json PLANFILE`: counts per action, every
//! change with its reason and the attributes that force replacement, risk
//! notes, and failure flags. Sensitive values are masked at the source.

use std::path::Path;

use serde_json::Value;

use super::error::{IacError, check_format, parse_json};
pub use super::risk::{RiskLevel, RiskNote, is_stateful, risk_notes};
use super::values::{SENSITIVE, change_diff, mask_any, object_entries, render, render_path};
pub use crate::core::iac::plan::{
    ActionCounts, ChangeAction, OutputChange, PlanSummary, ResourceChange,
};

fn str_field(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn actions_of(change: &Value) -> Vec<&str> {
    change
        .get("actions")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Read one entry of `resource_changes` or `resource_drift`.
pub(crate) fn resource_change(rc: &Value) -> ResourceChange {
    let null = Value::Null;
    let change = rc.get("change").unwrap_or(&null);
    let actions = actions_of(change);
    let action = ChangeAction::from_actions(&actions);
    let attributes = match action {
        ChangeAction::Update | ChangeAction::Replace => change_diff(change),
        _ => Vec::new(),
    };
    ResourceChange {
        address: str_field(rc, "address").unwrap_or_else(|| "?".into()),
        resource_type: str_field(rc, "type").unwrap_or_default(),
        mode: str_field(rc, "mode").unwrap_or_else(|| "managed".into()),
        action,
        create_before_destroy: actions == ["create", "delete"],
        action_reason: str_field(rc, "action_reason"),
        replace_paths: change
            .get("replace_paths")
            .and_then(Value::as_array)
            .map(|ps| ps.iter().map(render_path).collect())
            .unwrap_or_default(),
        attributes,
    }
}

fn output_change(name: &str, oc: &Value) -> OutputChange {
    let action = ChangeAction::from_actions(&actions_of(oc));
    let sensitive = [oc.get("after_sensitive"), oc.get("before_sensitive")]
        .into_iter()
        .flatten()
        .any(mask_any);
    let unknown = oc.get("after_unknown") == Some(&Value::Bool(true));
    let after = if sensitive {
        Some(SENSITIVE.to_string())
    } else if unknown {
        None
    } else {
        oc.get("after").map(render)
    };
    OutputChange {
        name: name.to_string(),
        action,
        sensitive,
        after,
    }
}

/// Summarise a parsed plan document. `file` names it in messages.
pub fn summarize(file: &Path, doc: &Value) -> Result<PlanSummary, IacError> {
    let format_version = check_format(file, doc)?;
    let rcs = match doc.get("resource_changes") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            return Err(IacError::Shape {
                file: file.to_path_buf(),
                reason: "resource_changes is not a list: is this a plan from `terraform show -json PLANFILE`?".into(),
            });
        }
    };
    let mut counts = ActionCounts::default();
    let mut changes = Vec::new();
    for rc in rcs {
        let c = resource_change(rc);
        counts.add(c.action);
        if c.action != ChangeAction::NoOp {
            changes.push(c);
        }
    }
    let outputs = object_entries(doc.get("output_changes"))
        .into_iter()
        .map(|(k, v)| output_change(k, v))
        .filter(|o| o.action != ChangeAction::NoOp)
        .collect();
    let risks = risk_notes(&changes);
    Ok(PlanSummary {
        file: file.display().to_string(),
        format_version,
        terraform_version: str_field(doc, "terraform_version"),
        counts,
        changes,
        outputs,
        risks,
        errored: doc.get("errored").and_then(Value::as_bool).unwrap_or(false),
        applyable: doc.get("applyable").and_then(Value::as_bool),
        complete: doc.get("complete").and_then(Value::as_bool),
        drifted: doc
            .get("resource_drift")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
    })
}

/// Parse plan JSON text from `file`.
pub fn parse(file: &Path, text: &str) -> Result<PlanSummary, IacError> {
    summarize(file, &parse_json(file, text)?)
}

/// Read and summarise a plan JSON file.
pub fn read(file: &Path) -> Result<PlanSummary, IacError> {
    summarize(file, &super::error::read_json(file)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replace_in_either_order_and_counts() {
        assert_eq!(
            ChangeAction::from_actions(&["delete", "create"]),
            ChangeAction::Replace
        );
        assert_eq!(
            ChangeAction::from_actions(&["create", "delete"]),
            ChangeAction::Replace
        );
        let doc = json!({
            "format_version": "1.2",
            "resource_changes": [
                {"address": "aws_s3_bucket.logs", "type": "aws_s3_bucket", "mode": "managed",
                 "change": {"actions": ["delete", "create"], "before": {}, "after": {}, "replace_paths": [["bucket"]]},
                 "action_reason": "replace_because_cannot_update"},
                {"address": "data.x.y", "type": "x", "mode": "data", "change": {"actions": ["read"]}},
                {"address": "a.b", "type": "a", "mode": "managed", "change": {"actions": ["no-op"]}}
            ],
            "applyable": false
        });
        let s = summarize(Path::new("p.json"), &doc).unwrap();
        assert_eq!((s.counts.replace, s.counts.read, s.counts.no_op), (1, 1, 1));
        assert_eq!(s.changes[0].replace_paths, vec!["bucket"]);
        assert_eq!(s.risks[0].level, RiskLevel::High);
        assert!(
            s.risks[0].message.contains("forced by bucket"),
            "{:?}",
            s.risks
        );
        assert!(s.failure().unwrap().contains("applyable"));
    }

    #[test]
    fn unknown_major_version_is_refused_with_file_and_version() {
        let e = summarize(Path::new("x.json"), &json!({"format_version": "9.0"})).unwrap_err();
        let m = e.to_string();
        assert!(m.contains("x.json") && m.contains("9.0"), "{m}");
    }

    #[test]
    fn truncated_json_names_file_and_position() {
        let e = parse(
            Path::new("t.json"),
            "{\"format_version\": \"1.2\",\n \"resource_ch",
        )
        .unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("t.json") && m.contains("truncated") && m.contains("line 2"),
            "{m}"
        );
    }
}
