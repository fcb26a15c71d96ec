//! The findings and policy results view: what the scan and policy stages
//! reported, in arrival order.

use serde::Serialize;

use crate::core::event::{Envelope, Event};
use crate::core::state::RunState;

/// A finding with the stage that produced it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindingRow {
    /// Stage id.
    pub stage: String,
    /// The finding.
    pub finding: crate::core::scan::Finding,
}

/// A policy result with the stage that produced it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyRow {
    /// Stage id.
    pub stage: String,
    /// The result.
    pub result: crate::core::policy::PolicyResult,
}

/// Fold findings and policy results; a stage that starts again drops its own.
pub(super) fn apply(s: &mut RunState, env: &Envelope) {
    match &env.event {
        Event::StageStarted { stage } => {
            s.findings.retain(|f| &f.stage != stage);
            s.policies.retain(|p| &p.stage != stage);
        }
        Event::Finding { stage, finding } => s.findings.push(FindingRow {
            stage: stage.clone(),
            finding: finding.clone(),
        }),
        Event::PolicyResult { stage, result } => s.policies.push(PolicyRow {
            stage: stage.clone(),
            result: result.clone(),
        }),
        _ => {}
    }
}
