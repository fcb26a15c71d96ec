//! Run events: the single vocabulary every stage speaks and every consumer
//! (TUI, headless reporter, journal, replay) reads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::core::gate::Decision;
use crate::core::verdict::{Evidence, Verdict};

/// The event schema version this build writes and fully understands.
pub const EVENT_VERSION: u32 = 1;

/// One journal line: an event with its version, sequence number and time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Schema version of the event.
    pub v: u32,
    /// Position in the run, starting at 1.
    pub seq: u64,
    /// When the event was recorded (UTC).
    pub ts: DateTime<Utc>,
    /// The event itself.
    #[serde(flatten)]
    pub event: Event,
}

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

/// How risky the environment is; shown as a header badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvRisk {
    /// Development.
    Dev,
    /// Staging.
    Staging,
    /// Pre-production.
    Preprod,
    /// Production: handle with care.
    Prod,
}

/// Log level of a `Log` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Fine-grained detail.
    Debug,
    /// Normal progress.
    Info,
    /// Something deserves attention.
    Warn,
    /// Something failed.
    Error,
}

/// The result of one HTTP health-check attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// The stage that ran the check.
    pub stage: String,
    /// Endpoint name from the config.
    pub endpoint: String,
    /// URL that was requested.
    pub url: String,
    /// Attempt number, starting at 1.
    pub attempt: u32,
    /// Whether this attempt is the last one for this endpoint.
    pub last: bool,
    /// HTTP status, if a response arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Time to the full response in milliseconds, if one arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// The version the endpoint reported, if asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Verdict of this attempt.
    pub verdict: Verdict,
    /// Why the attempt is not a pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Final outcome of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Release may go to production.
    Go,
    /// Release must not go.
    NoGo,
    /// Not enough evidence to decide.
    Inconclusive,
}

impl Outcome {
    /// Text badge: GO, NO-GO, INCONCLUSIVE.
    pub fn badge(self) -> &'static str {
        match self {
            Outcome::Go => "GO",
            Outcome::NoGo => "NO-GO",
            Outcome::Inconclusive => "INCONCLUSIVE",
        }
    }

    /// Process exit code for this outcome (0 GO, 1 NO-GO, 3 inconclusive).
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Go => 0,
            Outcome::NoGo => 1,
            Outcome::Inconclusive => 3,
        }
    }
}

/// What an operator (or an automatic trigger acting as one) did. The JSON
/// names are the journal's since version 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Stop the run.
    Abort,
    /// Stop the running load (the kill key).
    StopLoad,
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
            ActionKind::Rollback => "rollback",
            ActionKind::Promote => "promote",
            ActionKind::Hold => "hold",
            ActionKind::Release => "release",
            ActionKind::HoldExpired => "hold_expired",
            ActionKind::ApproveApply => "approve_apply",
            ActionKind::DeclineApply => "decline_apply",
            ActionKind::RerunStage => "rerun_stage",
            ActionKind::DestroyEnvironment => "destroy_environment",
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

/// Everything that can happen in a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The run began with this plan.
    RunStarted {
        /// Run id (also the run directory name).
        run_id: String,
        /// Service under validation.
        service: String,
        /// Release version under validation.
        release: String,
        /// Environment name, e.g. `preprod-eu`.
        environment: String,
        /// Environment risk class.
        risk: EnvRisk,
        /// Who runs it.
        operator: String,
        /// Read-only runs refuse operator actions that change things.
        read_only: bool,
        /// Stages in order.
        stages: Vec<StagePlan>,
        /// Gate thresholds, so a replay can explain the score.
        pass_score: f64,
        /// Below this score the run is NO-GO.
        warn_score: f64,
    },
    /// A stage began.
    StageStarted {
        /// Stage id.
        stage: String,
    },
    /// A stage reports progress.
    StageProgress {
        /// Stage id.
        stage: String,
        /// Human-readable progress.
        message: String,
        /// Completed fraction 0..=1, if known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fraction: Option<f64>,
    },
    /// A log line produced by a stage or the engine.
    Log {
        /// Severity.
        level: LogLevel,
        /// Stage id, if the line belongs to a stage.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stage: Option<String>,
        /// The message (never contains secrets).
        message: String,
    },
    /// One health-check attempt.
    HealthCheck(HealthCheck),
    /// A finding from a scan stage.
    Finding {
        /// Stage id.
        stage: String,
        /// The normalised finding (secrets already redacted).
        finding: crate::core::scan::Finding,
    },
    /// One policy rule's result.
    PolicyResult {
        /// Stage id.
        stage: String,
        /// The result.
        result: crate::core::policy::PolicyResult,
    },
    /// What the IaC part of an environment stage found.
    EnvIac {
        /// Stage id.
        stage: String,
        /// Plan, drift, parity and endpoints (outputs are never journalled).
        report: Box<crate::core::iac::IacReport>,
    },
    /// The IaC stage asks the operator to approve applying its saved plan
    /// (`apply = "confirm"`), and waits.
    ApplyApprovalRequested {
        /// Stage id.
        stage: String,
        /// The plan's counts, destructive changes and risk.
        request: Box<crate::core::iac::approval::ApprovalRequest>,
    },
    /// The approval request ended: approved, declined, timed out or impossible.
    ApplyApprovalResolved {
        /// Stage id.
        stage: String,
        /// How it ended.
        decision: crate::core::iac::approval::ApprovalDecision,
    },
    /// A canary rollout began.
    CanaryStarted {
        /// Stage id.
        stage: String,
        /// Flag key.
        flag: String,
        /// Provider name (file, ofrep, unleash).
        provider: String,
        /// Planned percentages.
        steps: Vec<f64>,
        /// Hold per step, seconds.
        hold_s: u64,
        /// The flag as read before the first step.
        state: crate::core::flags::FlagState,
    },
    /// A canary step began (the flag is at `percent`).
    CanaryStep {
        /// Stage id.
        stage: String,
        /// Step index, from 0.
        index: usize,
        /// Canary share, percent.
        percent: f64,
    },
    /// The live guard after a load window.
    CanaryGuard {
        /// Stage id.
        stage: String,
        /// Guard status, with the countdown to an automatic rollback.
        status: crate::core::canary::GuardStatus,
    },
    /// A canary step was judged.
    CanaryJudgement {
        /// Stage id.
        stage: String,
        /// Step index.
        index: usize,
        /// Canary share during the step.
        percent: f64,
        /// The judgement, with every metric's numbers.
        judgement: Box<crate::core::canary::StepJudgement>,
    },
    /// An automatic trigger fired (the live guard tripped, or a step's
    /// judgement failed): the canary is rolled back when the countdown ends,
    /// from this event's time plus `delay_ms`, unless an operator holds it
    /// (an `operator_action` `hold`) or acts first.
    CanaryAutoRollback {
        /// Stage id.
        stage: String,
        /// Flag key.
        flag: String,
        /// What fired: `live guard` or `judge`; the rollback's actor.
        trigger: String,
        /// Why, in words.
        reason: String,
        /// The countdown, milliseconds.
        delay_ms: u64,
        /// The longest an operator may hold the rollback, milliseconds.
        max_hold_ms: u64,
    },
    /// A flag was changed through its provider and read back.
    FlagChanged {
        /// What kind of change: a rollout step, a rollback or a promote.
        /// Journals written before this field existed leave it out; the
        /// fold then reads it from `reason` ([`FlagChangeKind::of_legacy_reason`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        change: Option<FlagChangeKind>,
        /// Flag key.
        flag: String,
        /// Provider name.
        provider: String,
        /// Canary share before, percent.
        from: Option<f64>,
        /// Canary share after (read back), percent.
        to: Option<f64>,
        /// Whether the flag is on after the change.
        enabled: bool,
        /// Who: an operator, or `flightdeck` for automatic changes.
        actor: String,
        /// Why (step, guard trip, operator rollback...).
        reason: String,
        /// Time from request to confirmed state, milliseconds.
        elapsed_ms: f64,
    },
    /// A flag change failed (it may be retried).
    FlagChangeFailed {
        /// Flag key.
        flag: String,
        /// Who asked.
        actor: String,
        /// What was attempted: rollback, promote, step.
        action: FlagChangeKind,
        /// Attempt number.
        attempt: u32,
        /// The provider's error (never holds secrets).
        error: String,
    },
    /// A load stage began generating traffic.
    LoadStarted {
        /// Stage id.
        stage: String,
        /// `open` (arrival rate) or `closed` (connections).
        model: crate::core::load::LoadModel,
        /// Planned duration, seconds.
        duration_s: f64,
        /// Connections (closed) or pool size (open).
        connections: u32,
        /// Thresholds as written, for the chart's threshold line.
        thresholds: Vec<String>,
    },
    /// One second of load, summarised at the source.
    LoadWindow {
        /// Stage id.
        stage: String,
        /// The window.
        window: crate::core::load::Window,
    },
    /// The whole load run, summarised.
    LoadSummary {
        /// Stage id.
        stage: String,
        /// The summary.
        summary: crate::core::load::Summary,
    },
    /// A stage ended with a verdict and its evidence.
    StageFinished {
        /// Stage id.
        stage: String,
        /// The verdict.
        verdict: Verdict,
        /// One-line summary.
        summary: String,
        /// Evidence behind the verdict.
        evidence: Vec<Evidence>,
    },
    /// The gate decided.
    GateDecision(Decision),
    /// A person (or trigger) acted on the run.
    OperatorAction {
        /// Who acted.
        actor: String,
        /// What they did.
        action: ActionKind,
        /// Target of the action (stage id, flag...), if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<String>,
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// An ephemeral environment was destroyed (or its destroy failed).
    EnvDestroyed {
        /// The environment stage.
        stage: String,
        /// Why now: the end of the run, an operator, or its TTL.
        trigger: TeardownTrigger,
        /// Pass when destroyed, fail when the destroy failed, skipped when
        /// there was nothing to destroy.
        verdict: Verdict,
        /// What the provisioner said, in one line.
        summary: String,
    },
    /// The run ended.
    RunFinished {
        /// Final outcome.
        outcome: Outcome,
        /// Why, when the run ended early.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// An event type this build does not know (from a newer writer).
    #[serde(other)]
    Unknown,
}

impl Event {
    /// Events that must survive a crash: the journal fsyncs after these.
    pub fn is_durable(&self) -> bool {
        matches!(
            self,
            Event::StageFinished { .. }
                | Event::FlagChanged { .. }
                | Event::FlagChangeFailed { .. }
                | Event::CanaryJudgement { .. }
                | Event::CanaryAutoRollback { .. }
                | Event::GateDecision(_)
                | Event::OperatorAction { .. }
                | Event::ApplyApprovalRequested { .. }
                | Event::ApplyApprovalResolved { .. }
                | Event::EnvDestroyed { .. }
                | Event::RunFinished { .. }
        )
    }
}
