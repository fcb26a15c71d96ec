//! Approval of an apply: with `apply = "confirm"` the IaC stage shows the
//! operator what the saved plan will do and applies exactly that plan only
//! on their word. The request and the answer are events, so the TUI, the
//! headless narrative, the journal and the reports all read the same story.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::sync::mpsc::UnboundedReceiver;

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
