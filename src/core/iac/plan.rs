//! A Terraform plan as journalled: counts per action, resource and output
//! changes (sensitive values masked) and their risk. Parsing lives in
//! `crate::iac::plan`.

use serde::{Deserialize, Serialize};

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

    pub(crate) fn add(&mut self, a: ChangeAction) {
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
                o.after.as_deref().unwrap_or(UNKNOWN)
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

/// How much a risk note matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Worth a look.
    Low,
    /// Likely visible to users or operators.
    Medium,
    /// Data loss or outage likely.
    High,
}

impl RiskLevel {
    /// Text badge.
    pub fn badge(self) -> &'static str {
        match self {
            RiskLevel::Low => "LOW",
            RiskLevel::Medium => "MEDIUM",
            RiskLevel::High => "HIGH",
        }
    }
}

/// Why a planned change deserves attention.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskNote {
    /// Level.
    pub level: RiskLevel,
    /// The resource.
    pub address: String,
    /// What may happen.
    pub message: String,
}

/// One attribute whose value differs between two sides (before/after,
/// pre-production/production). Values are rendered JSON, or a mask.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttributeChange {
    /// Attribute path, e.g. `tags.Environment` or `ingress[0].cidr_blocks[1]`.
    pub path: String,
    /// The value on the first side; `None` when absent.
    pub before: Option<String>,
    /// The value on the second side; `None` when absent.
    pub after: Option<String>,
}

pub fn replace_detail(c: &ResourceChange) -> String {
    let mut parts = Vec::new();
    if let Some(r) = &c.action_reason {
        parts.push(r.clone());
    }
    if !c.replace_paths.is_empty() {
        parts.push(format!("forced by {}", c.replace_paths.join(", ")));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

/// Shown in place of a sensitive value.
pub const SENSITIVE: &str = "(sensitive value)";

/// Shown in place of a value known only after apply.
pub const UNKNOWN: &str = "(known after apply)";
