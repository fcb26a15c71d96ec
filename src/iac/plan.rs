//! Summaries of `terraform show -json PLANFILE`: counts per action, every
//! change with its reason and the attributes that force replacement, risk
//! notes, and failure flags. Sensitive values are masked at the source.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{IacError, check_format, parse_json};
use super::risk::replace_detail;
pub use super::risk::{RiskLevel, RiskNote, is_stateful, risk_notes};
use super::values::{
    AttributeChange, SENSITIVE, change_diff, mask_any, object_entries, render, render_path,
};

/// What Terraform will do to one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    /// Nothing.
    NoOp,
    /// Create a new object.
    Create,
    /// Update in place.
    Update,
    /// Destroy.
    Delete,
    /// Destroy and create (in either order).
    Replace,
    /// Read a data source during apply.
    Read,
    /// Remove from state without destroying (Terraform 1.7+).
    Forget,
    /// An action list this build does not recognise.
    Other,
}

impl ChangeAction {
    /// Read Terraform's `actions` array.
    pub fn from_actions(actions: &[&str]) -> ChangeAction {
        match actions {
            ["no-op"] | [] => ChangeAction::NoOp,
            ["create"] => ChangeAction::Create,
            ["update"] => ChangeAction::Update,
            ["delete"] => ChangeAction::Delete,
            ["delete", "create"] | ["create", "delete"] => ChangeAction::Replace,
            ["read"] => ChangeAction::Read,
            ["forget"] => ChangeAction::Forget,
            _ => ChangeAction::Other,
        }
    }

    /// The symbol Terraform uses in its human plan output.
    pub fn symbol(self) -> &'static str {
        match self {
            ChangeAction::NoOp => " ",
            ChangeAction::Create => "+",
            ChangeAction::Update => "~",
            ChangeAction::Delete => "-",
            ChangeAction::Replace => "-/+",
            ChangeAction::Read => "<=",
            ChangeAction::Forget => ".",
            ChangeAction::Other => "?",
        }
    }
}

/// How many resources each action touches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionCounts {
    /// Created.
    pub create: usize,
    /// Updated in place.
    pub update: usize,
    /// Destroyed.
    pub delete: usize,
    /// Replaced (destroy and create).
    pub replace: usize,
    /// Unchanged.
    pub no_op: usize,
    /// Data sources read at apply time.
    pub read: usize,
    /// Forgotten (removed from state only).
    pub forget: usize,
    /// Unrecognised action lists.
    pub other: usize,
}

impl ActionCounts {
    /// `+1 ~2 -0 ±1` (`+-` for replace under `ascii`).
    pub fn glyphs(&self, ascii: bool) -> String {
        format!(
            "+{} ~{} -{} {}{}",
            self.create,
            self.update,
            self.delete,
            if ascii { "+-" } else { "±" },
            self.replace
        )
    }

    fn add(&mut self, a: ChangeAction) {
        let slot = match a {
            ChangeAction::NoOp => &mut self.no_op,
            ChangeAction::Create => &mut self.create,
            ChangeAction::Update => &mut self.update,
            ChangeAction::Delete => &mut self.delete,
            ChangeAction::Replace => &mut self.replace,
            ChangeAction::Read => &mut self.read,
            ChangeAction::Forget => &mut self.forget,
            ChangeAction::Other => &mut self.other,
        };
        *slot += 1;
    }

    /// Changes that apply would make to managed resources.
    pub fn changes(&self) -> usize {
        self.create + self.update + self.delete + self.replace + self.forget + self.other
    }
}

/// One planned change to a resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    /// Full address, e.g. `module.app.aws_instance.web[0]`.
    pub address: String,
    /// Resource type, e.g. `aws_instance`.
    pub resource_type: String,
    /// `managed` or `data`.
    pub mode: String,
    /// The action.
    pub action: ChangeAction,
    /// For a replace: whether the new object is created before the old is destroyed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    /// Terraform's `action_reason`, e.g. `replace_because_cannot_update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<String>,
    /// Attributes that force replacement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace_paths: Vec<String>,
    /// Attributes that change (updates and replaces), masked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeChange>,
}

/// A planned change to a root output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    /// Output name.
    pub name: String,
    /// The action.
    pub action: ChangeAction,
    /// Whether the output is sensitive (its value is then never shown).
    pub sensitive: bool,
    /// The new value (rendered), masked when sensitive; `None` when unknown.
    pub after: Option<String>,
}

/// The summary of one plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanSummary {
    /// The file (or command) the plan came from.
    pub file: String,
    /// `format_version` of the JSON, e.g. `0.2` or `1.2`.
    pub format_version: String,
    /// Terraform version that wrote it, if stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terraform_version: Option<String>,
    /// Counts per action.
    pub counts: ActionCounts,
    /// Every change except no-ops.
    pub changes: Vec<ResourceChange>,
    /// Root output changes except no-ops.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<OutputChange>,
    /// Risk notes, highest first.
    pub risks: Vec<RiskNote>,
    /// Terraform stopped planning because of an error (`errored: true`).
    pub errored: bool,
    /// Whether the plan can be applied (1.x `applyable`), if stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applyable: Option<bool>,
    /// Whether the plan is complete (1.x `complete`), if stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete: Option<bool>,
    /// Resources changed outside Terraform, as noticed while planning.
    pub drifted: usize,
}

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

impl PlanSummary {
    /// Why this plan must not be applied, if it must not.
    pub fn failure(&self) -> Option<String> {
        if self.errored {
            Some(
                "Terraform reported errors while planning (errored: true); the plan is incomplete"
                    .into(),
            )
        } else if self.applyable == Some(false) {
            Some("the plan is not applyable (applyable: false)".into())
        } else {
            None
        }
    }

    /// One line: `2 to create, 1 to update, 0 to delete, 1 to replace (3 unchanged, 1 read)`.
    pub fn headline(&self) -> String {
        let c = &self.counts;
        let mut s = format!(
            "{} to create, {} to update, {} to delete, {} to replace",
            c.create, c.update, c.delete, c.replace
        );
        let mut extra = vec![format!("{} unchanged", c.no_op)];
        if c.read > 0 {
            extra.push(format!("{} read", c.read));
        }
        if c.forget > 0 {
            extra.push(format!("{} forgotten", c.forget));
        }
        if c.other > 0 {
            extra.push(format!("{} unrecognised", c.other));
        }
        s.push_str(&format!(" ({})", extra.join(", ")));
        s
    }

    /// A human summary for the terminal.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "plan {} (format {}{})\n  {}\n",
            self.file,
            self.format_version,
            self.terraform_version
                .as_deref()
                .map(|v| format!(", terraform {v}"))
                .unwrap_or_default(),
            self.headline()
        );
        if let Some(f) = self.failure() {
            out.push_str(&format!("  FAIL: {f}\n"));
        }
        for c in &self.changes {
            out.push_str(&format!(
                "  {:>3} {}{}\n",
                c.action.symbol(),
                c.address,
                replace_detail(c)
            ));
            for a in &c.attributes {
                out.push_str(&format!(
                    "        {}: {} -> {}\n",
                    a.path,
                    a.before.as_deref().unwrap_or("(absent)"),
                    a.after.as_deref().unwrap_or("(absent)")
                ));
            }
        }
        for o in &self.outputs {
            out.push_str(&format!(
                "  {:>3} output.{} = {}\n",
                o.action.symbol(),
                o.name,
                o.after.as_deref().unwrap_or(super::values::UNKNOWN)
            ));
        }
        if self.drifted > 0 {
            out.push_str(&format!(
                "  {} resources changed outside Terraform\n",
                self.drifted
            ));
        }
        if self.risks.is_empty() {
            out.push_str("risk: none noted\n");
        } else {
            out.push_str("risk:\n");
            for r in &self.risks {
                out.push_str(&format!(
                    "  {:<6} {}: {}\n",
                    r.level.badge(),
                    r.address,
                    r.message
                ));
            }
        }
        out
    }
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
