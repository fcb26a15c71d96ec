//! What people (and automatic triggers acting as them) do to a run: the
//! operator actions, the kinds of flag change, and why an environment is
//! torn down. Typed, so no consumer reads meaning back out of strings.

use serde::{Deserialize, Serialize};

/// What an operator (or an automatic trigger acting as one) did. The JSON
/// names are the journal's since version 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Stop the run.
    Abort,
    /// Stop the running load (the kill key).
    StopLoad,
    /// Abort the running drill (its rollbacks still run).
    AbortDrill,
    /// Roll the canary back.
    Rollback,
    /// Promote the canary to 100%.
    Promote,
    /// Hold a counting-down automatic rollback.
    Hold,
    /// Release a held automatic rollback.
    Release,
    /// A hold ran out (`canary.max_hold`).
    HoldExpired,
    /// Approve an apply that waits for confirmation.
    ApproveApply,
    /// Decline an apply that waits for confirmation.
    DeclineApply,
    /// Run a stage again.
    RerunStage,
    /// Destroy the ephemeral environment now.
    DestroyEnvironment,
    /// Roll back the flag an earlier, crashed run left moved (`target`: its run id).
    RecoverRollback,
    /// Leave the flag an earlier, crashed run left moved as it is.
    LeaveOrphan,
    /// Record what happened in production after the release.
    RecordOutcome,
    /// An action this build does not know (from a newer writer).
    #[serde(other)]
    Unknown,
}

impl ActionKind {
    /// The journal name, e.g. `rerun_stage`.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Abort => "abort",
            ActionKind::StopLoad => "stop_load",
            ActionKind::AbortDrill => "abort_drill",
            ActionKind::Rollback => "rollback",
            ActionKind::Promote => "promote",
            ActionKind::Hold => "hold",
            ActionKind::Release => "release",
            ActionKind::HoldExpired => "hold_expired",
            ActionKind::ApproveApply => "approve_apply",
            ActionKind::DeclineApply => "decline_apply",
            ActionKind::RerunStage => "rerun_stage",
            ActionKind::DestroyEnvironment => "destroy_environment",
            ActionKind::RecoverRollback => "recover_rollback",
            ActionKind::LeaveOrphan => "leave_orphan",
            ActionKind::RecordOutcome => "record_outcome",
            ActionKind::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for ActionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a flag change was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagChangeKind {
    /// A rollout step set the canary share.
    Step,
    /// A rollback (0% / off).
    Rollback,
    /// A promote (100%).
    Promote,
}

impl FlagChangeKind {
    /// The journal name.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagChangeKind::Step => "step",
            FlagChangeKind::Rollback => "rollback",
            FlagChangeKind::Promote => "promote",
        }
    }

    /// The kind of a `flag_changed` written before the event carried it:
    /// those writers put it first in the reason (`rollback: ...`,
    /// `promote: ...`); anything else was a step. Used only for such journals.
    pub fn of_legacy_reason(reason: &str) -> FlagChangeKind {
        if reason.starts_with("rollback") {
            FlagChangeKind::Rollback
        } else if reason.starts_with("promote") {
            FlagChangeKind::Promote
        } else {
            FlagChangeKind::Step
        }
    }
}

/// Why an ephemeral environment is destroyed now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TeardownTrigger {
    /// The run ended and the environment is destroyed at the end.
    EndOfRun,
    /// An operator asked (`:destroy`).
    Operator,
    /// Its time to live ran out.
    TtlExpired,
}
