//! Stages as planned: what kind of work each does, and its place in the
//! score.

use serde::{Deserialize, Serialize};

/// What kind of work a stage does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// Environment checks: health and version of endpoints (IaC later).
    Environment,
    /// HTTP load test.
    Load,
    /// Security and compliance findings.
    Scan,
    /// Policy-as-code.
    Policy,
    /// Operational runbook drills.
    Drill,
    /// Flag-driven canary rollout.
    Canary,
    /// Test data: an anonymised copy of production, with its proof.
    Data,
    /// The readiness gate that combines all verdicts.
    Gate,
}

impl StageKind {
    /// Name as written in config files.
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Environment => "environment",
            StageKind::Load => "load",
            StageKind::Scan => "scan",
            StageKind::Policy => "policy",
            StageKind::Drill => "drill",
            StageKind::Canary => "canary",
            StageKind::Data => "data",
            StageKind::Gate => "gate",
        }
    }
}

/// A stage as planned at run start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StagePlan {
    /// Unique id within the run, e.g. `env`.
    pub id: String,
    /// What the stage does.
    pub kind: StageKind,
    /// Weight in the readiness score.
    pub weight: f64,
    /// A failed hard gate is NO-GO whatever the score.
    pub hard: bool,
}
