//! The canary as the run has seen it: flag, steps, judgements, the live
//! guard and the last rollback, folded from canary and flag events.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::canary::{GuardStatus, StepJudgement};

/// One judged step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JudgedStep {
    /// Step index.
    pub index: usize,
    /// Canary share, percent.
    pub percent: f64,
    /// The judgement.
    pub judgement: StepJudgement,
}

/// Where a rollback stands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RollbackStatus {
    /// Asked for, not yet confirmed by the provider.
    Pending,
    /// The provider confirmed the flag at 0% / off.
    Confirmed,
    /// The provider failed; the key can be pressed again.
    Failed(String),
}

/// The last rollback.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RollbackView {
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// When it was asked for.
    pub requested_at: DateTime<Utc>,
    /// Status.
    pub status: RollbackStatus,
    /// Time from request to confirmed state, ms.
    pub elapsed_ms: Option<f64>,
}

/// The canary rollout.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CanaryView {
    /// Stage id.
    pub stage: String,
    /// Flag key.
    pub flag: String,
    /// Provider name.
    pub provider: String,
    /// Planned percentages.
    pub steps: Vec<f64>,
    /// Hold per step, seconds.
    pub hold_s: u64,
    /// Current step index.
    pub step: Option<usize>,
    /// Canary share now (as last confirmed by the provider), percent.
    pub percent: Option<f64>,
    /// Whether the flag is on.
    pub enabled: bool,
    /// Judged steps, in order.
    pub judged: Vec<JudgedStep>,
    /// The live guard after the latest window.
    pub guard: Option<GuardStatus>,
    /// The last rollback, if any.
    pub rollback: Option<RollbackView>,
}

impl CanaryView {
    /// A new view from `canary_started`.
    pub fn new(
        stage: &str,
        flag: &str,
        provider: &str,
        steps: &[f64],
        hold_s: u64,
        state: &crate::flags::FlagState,
    ) -> CanaryView {
        CanaryView {
            stage: stage.to_string(),
            flag: flag.to_string(),
            provider: provider.to_string(),
            steps: steps.to_vec(),
            hold_s,
            step: None,
            percent: state.rollout_percent,
            enabled: state.enabled,
            judged: Vec::new(),
            guard: None,
            rollback: None,
        }
    }

    /// Whether the canary is live: it has traffic and was not rolled back.
    pub fn active(&self) -> bool {
        self.enabled && self.percent.is_some_and(|p| p > 0.0)
    }
}
