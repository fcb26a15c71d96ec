//! Run events: the single vocabulary every stage speaks and every consumer
//! (TUI, headless reporter, journal, replay) reads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::core::action::{ActionKind, FlagChangeKind, TeardownTrigger};
pub use crate::core::actor::{Actor, Via};
pub use crate::core::environment::{EnvRisk, HealthCheck};
pub use crate::core::gate::{Decision, Outcome};
pub use crate::core::stage::{StageKind, StagePlan};
use crate::core::verdict::{Evidence, Verdict};

pub use crate::core::log_level::LogLevel;

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
        /// Who runs it (the name; `operator_identity` says more).
        operator: String,
        /// The operator's identity: uid, how named, and from where (SSH).
        /// Journals written before it existed leave it out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        operator_identity: Option<Actor>,
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
    /// The load generator's workers changed (Locust engine): joined, state,
    /// CPU, lost. Emitted on change only.
    LoadWorkers {
        /// Stage id.
        stage: String,
        /// Every expected worker and its state.
        pool: crate::core::load::WorkerPool,
    },
    /// The whole load run, summarised.
    LoadSummary {
        /// Stage id.
        stage: String,
        /// The summary.
        summary: crate::core::load::Summary,
    },
    /// One step of a capacity search, judged.
    CapacityStep(crate::core::capacity::StepEvent),
    /// A capacity search ended.
    CapacityResult(crate::core::capacity::ResultEvent),
    /// A data stage begins copying a table.
    DataTableStarted(crate::core::data::TableStartedEvent),
    /// Rows copied so far in a table (about once a second).
    DataTableProgress(crate::core::data::TableProgressEvent),
    /// A table's rows are committed in the target.
    DataTableCopied(crate::core::data::TableCopiedEvent),
    /// The leak scan of the target ended.
    DataLeakScan(crate::core::data::LeakScanEvent),
    /// A leak, a detector hit, an unruled personal column or a k-anonymity
    /// shortfall (never the value).
    DataFinding(crate::core::data::FindingEvent),
    /// One parity comparison.
    DataParity(crate::core::data::ParityEvent),
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
        /// Who acted (the name; `identity` says more).
        actor: String,
        /// The actor's identity: uid, how named, and from where (SSH).
        /// Journals written before it existed leave it out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identity: Option<Actor>,
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
    /// At this run's start: an earlier run crashed and left its canary's
    /// flag moved (see `canary.on_orphan`).
    OrphanFound {
        /// The crashed run and its flag.
        orphan: crate::core::recovery::Orphan,
    },
    /// An orphan found at this run's start was settled.
    OrphanResolved {
        /// The crashed run's id.
        run_id: String,
        /// Who settled it: an operator, or `flightdeck` for the config's policy.
        actor: String,
        /// How.
        resolution: crate::core::recovery::OrphanResolution,
    },
    /// This run crashed and was recovered later: appended to its own journal
    /// by the process that recovered it, before its `run_finished`.
    RunRecovered(crate::core::recovery::Recovery),
    /// What history knows of this service at the run's start: the score
    /// trend of recent releases, each load endpoint's p95 trend, the
    /// release's risk.
    HistoryContext(Box<crate::core::history::HistoryContext>),
    /// The change under validation and the plan's selection for it (stages
    /// selected, intensified, kept or skipped, each with its rule). Emitted
    /// before any stage starts; the engine has applied it.
    ChangeImpact(Box<crate::core::impact::ImpactSelection>),
    /// What happened in production after the release, recorded later by an
    /// operator (after an `operator_action` `record_outcome`) and appended to
    /// the run's journal.
    OutcomeRecorded {
        /// Who recorded it.
        actor: String,
        /// The outcome.
        outcome: crate::core::history::ProductionOutcome,
    },
    /// A notification is queued for a sink (it is delivered in the
    /// background; delivery never blocks the run or changes a verdict).
    NotifyQueued {
        /// Message id, the same on every attempt and on a resend (the
        /// `webhook-id` of a Standard Webhooks delivery).
        id: String,
        /// Sink name from `[[notify]]`.
        sink: String,
        /// Sink kind.
        kind: crate::core::notify::SinkKind,
        /// The journal sequence of the event that triggered it.
        cause_seq: u64,
        /// What it says.
        notice: crate::core::notify::Notice,
    },
    /// A notification reached its sink.
    NotifySent {
        /// Message id.
        id: String,
        /// Sink name.
        sink: String,
        /// Attempt number, from 1.
        attempt: u32,
        /// HTTP status, for HTTP sinks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        /// Time of the successful attempt, milliseconds.
        elapsed_ms: f64,
    },
    /// A delivery attempt failed: it is retried after `retry_in_ms`, or,
    /// without it, given up (`flightdeck notify resend` can try again).
    NotifyFailed {
        /// Message id.
        id: String,
        /// Sink name.
        sink: String,
        /// Attempt number, from 1.
        attempt: u32,
        /// HTTP status, when the sink answered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        /// What went wrong (never holds a URL or a secret).
        error: String,
        /// When the next attempt comes; absent when this was the last.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_in_ms: Option<u64>,
    },
    /// A terminal attached to the live run (`flightdeck attach`).
    PeerJoined {
        /// Who, in which role.
        peer: crate::core::share::Peer,
    },
    /// An attached terminal left, or was dropped.
    PeerLeft {
        /// Connection number.
        id: u64,
        /// Who (the name, for the log).
        name: String,
        /// Why: detached, too slow, a malformed message...
        reason: String,
    },
    /// The run's owner gave an attached viewer a role (operator).
    RoleGranted {
        /// Connection number.
        id: u64,
        /// Who received it (the name).
        name: String,
        /// The role now.
        role: crate::core::share::Role,
        /// Who granted it.
        by: crate::core::actor::Actor,
    },
    /// The gate reached GO and waits for sign-offs (`[[gate.signoffs]]`).
    SignoffRequested {
        /// Who must (or may) sign.
        needed: Vec<crate::core::signoff::SignoffNeed>,
        /// The score the gate reached.
        score: f64,
        /// The decision's rule, in one sentence.
        rationale: String,
        /// How long the run waits, seconds.
        timeout_s: u64,
        /// When it stops waiting (then the run is inconclusive).
        deadline: DateTime<Utc>,
    },
    /// A sign-off was given.
    SignoffGiven(crate::core::signoff::Signoff),
    /// A sign-off was refused (not allowed, self-approval, a bad signature...).
    SignoffRefused {
        /// The role asked for.
        role: String,
        /// Who tried.
        actor: crate::core::actor::Actor,
        /// Why not.
        reason: String,
    },
    /// Nobody signed in time: these required roles are missing.
    SignoffTimedOut {
        /// The roles still missing.
        missing: Vec<String>,
    },
    /// The run ended.
    RunFinished {
        /// Final outcome.
        outcome: Outcome,
        /// Why, when the run ended early.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A drill began (its plan: steps, objectives).
    DrillStarted(crate::core::drill::DrillStarted),
    /// A drill step started or ended.
    DrillStep(crate::core::drill::DrillStep),
    /// A drill measured a value that objectives judge.
    DrillMeasurement(crate::core::drill::DrillMeasurement),
    /// A recovery drill reached a point of its timeline (disaster, ...).
    DrillMark(crate::core::disaster::DrillMark),
    /// A recovery drill's evidence: method, integrity, heartbeat writes.
    DrillRecovery(crate::core::disaster::DrillRecovery),
    /// A drill ended with its verdict, objectives and rollback state.
    DrillFinished(crate::core::drill::DrillFinished),
    /// An event type this build does not know (from a newer writer).
    #[serde(other)]
    Unknown,
}
