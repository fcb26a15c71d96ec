//! The environment view: the latest health check per endpoint, the IaC
//! report per environment stage, the apply approval, and teardowns.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::core::event::{Envelope, Event, TeardownTrigger};
use crate::core::state::RunState;
use crate::core::state::approval::ApprovalView;
use crate::core::verdict::Verdict;

/// One destroy of an ephemeral environment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TeardownView {
    /// The environment stage.
    pub stage: String,
    /// Why then.
    pub trigger: TeardownTrigger,
    /// Pass destroyed, fail the destroy failed, skipped nothing to destroy.
    pub verdict: Verdict,
    /// What the provisioner said.
    pub summary: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl RunState {
    /// Whether the environment of `stage` was destroyed (and has not been
    /// provisioned again since).
    pub fn destroyed(&self, stage: &str) -> bool {
        self.teardowns
            .iter()
            .any(|t| t.stage == stage && t.verdict == Verdict::Pass)
    }
}

/// Fold health checks, IaC reports, approvals and teardowns; a stage that
/// starts again drops what it reported before.
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    let ts = env.ts;
    match &env.event {
        Event::StageStarted { stage } => {
            s.health.retain(|h| &h.stage != stage);
            s.iac.retain(|(st, _)| st != stage);
            s.teardowns.retain(|t| &t.stage != stage);
            if s.approval.as_ref().is_some_and(|a| &a.stage == stage) {
                s.approval = None;
            }
        }
        Event::HealthCheck(h) => {
            match s
                .health
                .iter_mut()
                .find(|x| x.stage == h.stage && x.endpoint == h.endpoint)
            {
                Some(slot) => *slot = h.clone(),
                None => s.health.push(h.clone()),
            }
        }
        Event::EnvIac { stage, report } => {
            s.iac.retain(|(st, _)| st != stage);
            s.iac.push((stage.clone(), (**report).clone()));
        }
        Event::EnvDestroyed {
            stage,
            trigger,
            verdict,
            summary,
        } => s.teardowns.push(TeardownView {
            stage: stage.clone(),
            trigger: *trigger,
            verdict: *verdict,
            summary: summary.clone(),
            at: ts,
        }),
        Event::ApplyApprovalRequested { stage, request } => {
            s.approval = Some(ApprovalView {
                stage: stage.clone(),
                request: (**request).clone(),
                requested_at: ts,
                decision: None,
                resolved_at: None,
            });
        }
        Event::ApplyApprovalResolved { stage, decision } => {
            match s.approval.as_mut().filter(|a| &a.stage == stage) {
                Some(a) => {
                    a.decision = Some(decision.clone());
                    a.resolved_at = Some(ts);
                }
                None => s.anomalies.push(format!(
                    "event #{}: apply approval of `{stage}` resolved before it was requested; ignored",
                    env.seq
                )),
            }
        }
        _ => {}
    }
}
