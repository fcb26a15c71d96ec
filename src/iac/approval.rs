//! Approval of an apply: with `apply = "confirm"` the IaC stage shows the
//! operator what the saved plan will do and applies exactly that plan only
//! on their word. The request and the answer are events, so the TUI, the
//! headless narrative, the journal and the reports all read the same story.
//! [`decide_apply`] is where config (`never`, `auto`) or the operator
//! (`confirm`) decides.

use std::time::Duration;

use chrono::Utc;
use tokio::sync::Mutex;
use tokio::sync::mpsc::UnboundedReceiver;

use super::config::{ApplyMode, IacConfig, ProvisionerKind};
use super::plan::PlanSummary;
use crate::core::event::Event;
use crate::core::verdict::Verdict;
use crate::record::recorder::Recorder;

pub use crate::core::format::wait_text;
pub use crate::core::iac::approval::{ApprovalDecision, ApprovalRequest};

/// The operator's answer, as the engine forwards it to the waiting stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalAnswer {
    /// Approve (`true`) or decline.
    pub approve: bool,
    /// Who answered.
    pub actor: String,
    /// Why, if said.
    pub reason: Option<String>,
}

/// What headless runs say when nobody can confirm.
pub const NOBODY_TO_CONFIRM: &str =
    "apply awaits operator confirmation; run with --approve-apply or in the TUI";

/// Who can answer an approval request in this run.
#[derive(Debug, Clone, Copy)]
pub enum Approver<'a> {
    /// Nobody (headless without `--approve-apply`, tests, offline tools).
    Nobody,
    /// The run is read-only: approval is refused.
    ReadOnly,
    /// Approved on the command line before the plan (`--approve-apply`).
    PreApproved {
        /// The CLI user.
        actor: &'a str,
    },
    /// An operator answers through the engine (the TUI).
    Operator {
        /// Answers forwarded by the engine.
        answers: &'a Mutex<UnboundedReceiver<ApprovalAnswer>>,
    },
}

impl Approver<'_> {
    /// Wait for the decision on `request`. Never longer than its timeout.
    pub async fn decide(&self, request: &ApprovalRequest) -> ApprovalDecision {
        match self {
            Approver::Nobody => ApprovalDecision::Unavailable {
                why: NOBODY_TO_CONFIRM.into(),
            },
            Approver::ReadOnly => ApprovalDecision::Unavailable {
                why: "approval refused: the run is read-only (--read-only or run.read_only)".into(),
            },
            Approver::PreApproved { actor } => ApprovalDecision::Approved {
                actor: actor.to_string(),
                reason: Some("--approve-apply".into()),
            },
            Approver::Operator { answers } => {
                let mut rx = answers.lock().await;
                let wait = Duration::from_secs(request.timeout_s);
                match tokio::time::timeout(wait, rx.recv()).await {
                    Ok(Some(a)) if a.approve => ApprovalDecision::Approved {
                        actor: a.actor,
                        reason: a.reason,
                    },
                    Ok(Some(a)) => ApprovalDecision::Declined {
                        actor: a.actor,
                        reason: a.reason,
                    },
                    Ok(None) => ApprovalDecision::Unavailable {
                        why: "the operator's command channel closed before an answer".into(),
                    },
                    Err(_) => ApprovalDecision::TimedOut {
                        after_s: request.timeout_s,
                    },
                }
            }
        }
    }

    /// Drop answers left over from an earlier request, so that a late key
    /// press never approves a newer plan.
    pub async fn forget_stale(&self) {
        if let Approver::Operator { answers } = self {
            let mut rx = answers.lock().await;
            while rx.try_recv().is_ok() {}
        }
    }
}

/// Whether to apply the saved plan, and if not, the evidence that says why.
pub(super) enum ApplyGo {
    /// Apply; with the approval's text when an operator gave it.
    Apply(Option<String>),
    /// Do not apply: why, and the verdict of the apply step.
    Skip(String, Verdict),
}

/// Decide whether the saved plan is applied: by config, or by asking.
pub(super) async fn decide_apply(
    cfg: &IacConfig,
    stage: &str,
    rec: &Recorder,
    plan: &PlanSummary,
    approver: &Approver<'_>,
) -> ApplyGo {
    match cfg.apply_mode() {
        ApplyMode::Never => {
            return ApplyGo::Skip(
                "not run: apply = \"never\" (plan only)".into(),
                Verdict::Skipped,
            );
        }
        ApplyMode::Auto => return ApplyGo::Apply(None),
        ApplyMode::Confirm => {}
    }
    if plan.counts.changes() == 0 && plan.outputs.is_empty() {
        return ApplyGo::Skip(
            "not needed: the plan has no changes".into(),
            Verdict::Skipped,
        );
    }
    approver.forget_stale().await;
    let provisioner = serde_json::to_value(cfg.provisioner)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let plan_file = match cfg.provisioner {
        ProvisionerKind::Command => "command.apply".to_string(),
        _ => cfg.working_dir.join(&cfg.plan_file).display().to_string(),
    };
    let request = ApprovalRequest::new(
        &provisioner,
        &plan_file,
        plan,
        cfg.approval_timeout(),
        Utc::now(),
    );
    rec.emit(Event::ApplyApprovalRequested {
        stage: stage.to_string(),
        request: Box::new(request.clone()),
    });
    let decision = approver.decide(&request).await;
    rec.emit(Event::ApplyApprovalResolved {
        stage: stage.to_string(),
        decision: decision.clone(),
    });
    match &decision {
        ApprovalDecision::Approved { .. } => ApplyGo::Apply(Some(decision.text())),
        ApprovalDecision::Declined { .. } => ApplyGo::Skip(
            format!("not applied: apply {}", decision.text()),
            Verdict::Inconclusive,
        ),
        ApprovalDecision::TimedOut { .. } => ApplyGo::Skip(
            format!(
                "not applied: {} (approval_timeout = \"{}\")",
                decision.text(),
                cfg.approval_timeout
            ),
            Verdict::Inconclusive,
        ),
        ApprovalDecision::Unavailable { why } => {
            ApplyGo::Skip(format!("not applied: {why}"), Verdict::Inconclusive)
        }
    }
}
