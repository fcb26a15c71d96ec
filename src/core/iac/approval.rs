//! An apply that waits for an operator (`iac.apply = "confirm"`): the
//! question and how it ended, as journalled.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::core::format::wait_text;
use crate::core::iac::plan::{ActionCounts, ChangeAction, PlanSummary, RiskLevel};

/// What the operator is asked to approve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// `terraform`, `tofu` or `command`.
    pub provisioner: String,
    /// The saved plan that will be applied, and nothing else.
    pub plan_file: String,
    /// Counts per action.
    pub counts: ActionCounts,
    /// Root outputs that change.
    pub output_changes: usize,
    /// The highest risk the plan's notes carry, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskLevel>,
    /// Deletes and replaces, as `-/+ address` lines: shown prominently.
    pub destructive: Vec<String>,
    /// High-risk notes, `address: message`.
    pub high_risks: Vec<String>,
    /// How long the stage waits for an answer.
    pub timeout_s: u64,
    /// When the stage stops waiting.
    pub deadline: DateTime<Utc>,
    /// The whole plan summary (masked), for the detail overlay.
    pub plan: PlanSummary,
}

impl ApprovalRequest {
    /// The request for a plan. `now` is when the wait starts.
    pub fn new(
        provisioner: &str,
        plan_file: &str,
        plan: &PlanSummary,
        timeout: Duration,
        now: DateTime<Utc>,
    ) -> ApprovalRequest {
        let destructive = plan
            .changes
            .iter()
            .filter(|c| matches!(c.action, ChangeAction::Delete | ChangeAction::Replace))
            .map(|c| format!("{} {}", c.action.symbol(), c.address))
            .collect();
        let high_risks = plan
            .risks
            .iter()
            .filter(|r| r.level == RiskLevel::High)
            .map(|r| format!("{}: {}", r.address, r.message))
            .collect();
        ApprovalRequest {
            provisioner: provisioner.to_string(),
            plan_file: plan_file.to_string(),
            counts: plan.counts.clone(),
            output_changes: plan.outputs.len(),
            risk: plan.risks.iter().map(|r| r.level).max(),
            destructive,
            high_risks,
            timeout_s: timeout.as_secs(),
            deadline: now
                + chrono::Duration::from_std(timeout).unwrap_or_else(|_| chrono::Duration::zero()),
            plan: plan.clone(),
        }
    }

    /// `+2 ~1 -0 ±0`, plus outputs when they change.
    pub fn counts_text(&self, ascii: bool) -> String {
        let mut s = self.counts.glyphs(ascii);
        if self.output_changes > 0 {
            s.push_str(&format!(
                ", {} output{}",
                self.output_changes,
                if self.output_changes == 1 { "" } else { "s" }
            ));
        }
        s
    }
}

/// How an approval request ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ApprovalDecision {
    /// An operator approved: the saved plan is applied.
    Approved {
        /// Who.
        actor: String,
        /// Why, or how (`--approve-apply`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// An operator declined: nothing is applied.
    Declined {
        /// Who.
        actor: String,
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Nobody answered in time: nothing is applied.
    TimedOut {
        /// How long the stage waited.
        after_s: u64,
    },
    /// Nobody can answer (headless without `--approve-apply`, a read-only
    /// run): nothing is applied.
    Unavailable {
        /// Why, with what to do.
        why: String,
    },
}

impl ApprovalDecision {
    /// Whether the plan may be applied.
    pub fn approved(&self) -> bool {
        matches!(self, ApprovalDecision::Approved { .. })
    }

    /// One line for people: `approved by sam (looks right)`.
    pub fn text(&self) -> String {
        let why = |r: &Option<String>| r.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        match self {
            ApprovalDecision::Approved { actor, reason } => {
                format!("approved by {actor}{}", why(reason))
            }
            ApprovalDecision::Declined { actor, reason } => {
                format!("declined by {actor}{}", why(reason))
            }
            ApprovalDecision::TimedOut { after_s } => {
                format!("no answer within {}", wait_text(*after_s))
            }
            ApprovalDecision::Unavailable { why } => why.clone(),
        }
    }
}
