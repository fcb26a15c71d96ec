//! `RunState`: the run as a pure fold of events. The single place where
//! events are given meaning; every consumer reads this and keeps no copy of
//! the truth of its own.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::core::event::{
    ActionKind, Actor, EVENT_VERSION, EnvRisk, Envelope, Event, HealthCheck, LogLevel, Outcome,
    StageKind, StagePlan,
};
use crate::core::gate::Decision;
use crate::core::verdict::{Evidence, Verdict};

pub mod approval;
pub mod canary;
pub mod capacity;
pub mod data;
pub mod drills;
mod environment;
mod findings;
mod history;
pub mod latency;
mod load;
pub mod notify;
mod presence;
pub mod recovery;
pub mod signoff;
mod stages;

pub use approval::ApprovalView;
pub use canary::CanaryView;
pub use drills::{DrillView, Measured, StepView};
pub use environment::TeardownView;
pub use findings::{FindingRow, PolicyRow};
pub use history::OutcomeRecord;
pub use latency::{LatencyPoint, LatencySeries};
pub use load::{LoadView, MAX_LOAD_WINDOWS};
pub use recovery::{OrphanView, RecoveryView};

/// Most log lines kept in memory; the journal keeps them all.
pub const MAX_LOG_LINES: usize = 5_000;

/// Where a stage is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    /// Not started yet.
    Pending,
    /// Running now.
    Running,
    /// Finished with a verdict.
    Finished,
}

/// One stage as the run has seen it so far.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageState {
    /// The plan entry.
    pub plan: StagePlan,
    /// Life-cycle status.
    pub status: StageStatus,
    /// When it (last) started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it (last) finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Latest progress message.
    pub progress: Option<String>,
    /// Latest completed fraction.
    pub fraction: Option<f64>,
    /// Verdict, once finished.
    pub verdict: Option<Verdict>,
    /// One-line summary, once finished.
    pub summary: String,
    /// Evidence, once finished.
    pub evidence: Vec<Evidence>,
    /// How many times the stage has started (reruns count).
    pub runs: u32,
}

/// Static facts about the run, from `RunStarted`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunInfo {
    /// Run id.
    pub run_id: String,
    /// Service under validation.
    pub service: String,
    /// Release version.
    pub release: String,
    /// Environment name.
    pub environment: String,
    /// Environment risk.
    pub risk: EnvRisk,
    /// Operator.
    pub operator: String,
    /// The operator's identity, when the journal records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_identity: Option<Actor>,
    /// Read-only run.
    pub read_only: bool,
    /// Gate thresholds.
    pub pass_score: f64,
    /// Gate warn threshold.
    pub warn_score: f64,
}

/// A log line kept for display.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogLine {
    /// When.
    pub ts: DateTime<Utc>,
    /// Severity.
    pub level: LogLevel,
    /// Stage, if any.
    pub stage: Option<String>,
    /// Text.
    pub message: String,
}

/// An operator action as recorded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActionRecord {
    /// When.
    pub ts: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Who, with uid and where from, when the journal records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<Actor>,
    /// What.
    pub action: ActionKind,
    /// On what.
    pub target: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

/// The whole run, folded from its events.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RunState {
    /// Facts from `RunStarted`, once seen.
    pub info: Option<RunInfo>,
    /// Stages in plan order (plus any unplanned stage that sent events).
    pub stages: Vec<StageState>,
    /// Latest health-check attempt per (stage, endpoint), in first-seen order.
    pub health: Vec<HealthCheck>,
    /// IaC findings per environment stage.
    pub iac: Vec<(String, crate::core::iac::IacReport)>,
    /// Destroys of ephemeral environments, in order.
    pub teardowns: Vec<TeardownView>,
    /// The latest apply approval (`iac.apply = "confirm"`), once asked for.
    pub approval: Option<ApprovalView>,
    /// The canary rollout, once one started (or a flag was changed).
    pub canary: Option<CanaryView>,
    /// The latest load traffic (a load stage, or a canary step's traffic).
    pub load: Option<LoadView>,
    /// Capacity searches, one per stage that ran one, in order.
    pub capacity: Vec<capacity::CapacityView>,
    /// The summary of the latest finished load stage, with its stage id
    /// (kept when canary traffic takes over the live view).
    pub load_summary: Option<(String, crate::core::load::Summary)>,
    /// Every stage's latency per second (load stages, canary traffic), for
    /// reports.
    pub latency: Vec<LatencySeries>,
    /// Findings from scan stages, in arrival order.
    pub findings: Vec<FindingRow>,
    /// Policy results, in arrival order.
    pub policies: Vec<PolicyRow>,
    /// The data stage: tables copied, findings, parity.
    pub data: data::DataView,
    /// What history handed the run at its start: trends and risk.
    pub history: Option<crate::core::history::HistoryContext>,
    /// The change under validation and the plan's selection for it.
    pub impact: Option<crate::core::impact::ImpactSelection>,
    /// Production outcomes recorded after the run, in order.
    pub production: Vec<OutcomeRecord>,
    /// Every load stage's latest summary, in the order they finished
    /// (`load_summary` keeps only the latest one, for the Load pane).
    pub load_summaries: Vec<(String, crate::core::load::Summary)>,
    /// Drills of drill stages, in start order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drills: Vec<DrillView>,
    /// The run's narrative: one line per meaningful event (at most [`MAX_LOG_LINES`]).
    pub logs: Vec<LogLine>,
    /// Log lines dropped from memory because of the cap.
    pub logs_dropped: u64,
    /// The terminals attached now (`flightdeck attach`), with their roles.
    pub presence: Vec<crate::core::share::Peer>,
    /// Notifications queued for the run's sinks, with their delivery.
    pub notifications: Vec<notify::NotificationView>,
    /// The sign-offs the gate asked for (`[[gate.signoffs]]`), once it has.
    pub signoffs: Option<signoff::SignoffView>,
    /// The latest gate decision.
    pub decision: Option<Decision>,
    /// True when the decision predates a rerun and is no longer current.
    pub decision_stale: bool,
    /// Operator actions in order.
    pub actions: Vec<ActionRecord>,
    /// When the run started.
    pub started_at: Option<DateTime<Utc>>,
    /// When the run finished, if it has.
    pub finished_at: Option<DateTime<Utc>>,
    /// Final outcome, if finished.
    pub outcome: Option<Outcome>,
    /// Why the run ended early, if it did.
    pub end_reason: Option<String>,
    /// Time of the newest event applied.
    pub last_ts: Option<DateTime<Utc>>,
    /// Number of events applied.
    pub events_applied: u64,
    /// Things that did not fit: unknown versions or types, out-of-order events.
    pub anomalies: Vec<String>,
    /// Earlier runs found crashed with their flag moved, at this run's start.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub orphans: Vec<OrphanView>,
    /// How this run was recovered after it crashed, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery: Option<RecoveryView>,
}

impl RunState {
    /// Fold a whole sequence of envelopes.
    pub fn from_envelopes<'a>(envs: impl IntoIterator<Item = &'a Envelope>) -> RunState {
        let mut s = RunState::default();
        for e in envs {
            s.apply(e);
        }
        s
    }

    /// Whether the run is still in progress.
    pub fn in_progress(&self) -> bool {
        self.started_at.is_some() && self.finished_at.is_none()
    }

    /// Look up a stage by id.
    pub fn stage(&self, id: &str) -> Option<&StageState> {
        self.stages.iter().find(|s| s.plan.id == id)
    }

    /// Whether any stage of this kind is planned.
    pub fn has_stage_kind(&self, kind: StageKind) -> bool {
        self.stages.iter().any(|s| s.plan.kind == kind)
    }

    /// The stages running now (several at once when the graph allows).
    pub fn running(&self) -> impl Iterator<Item = &StageState> {
        self.stages
            .iter()
            .filter(|s| s.status == StageStatus::Running)
    }

    /// The apply approval that still waits for an answer, if any: asked by
    /// a stage that is still running.
    pub fn pending_approval(&self) -> Option<&ApprovalView> {
        self.approval.as_ref().filter(|a| {
            a.waiting()
                && self
                    .stage(&a.stage)
                    .is_some_and(|s| s.status == StageStatus::Running)
        })
    }

    /// Keep the event's narrative line (bounded).
    fn narrate(&mut self, env: &Envelope) {
        let Some(line) = crate::core::narrative::line(&env.event) else {
            return;
        };
        self.logs.push(LogLine {
            ts: env.ts,
            level: line.level,
            stage: line.stage,
            message: line.text,
        });
        if self.logs.len() > MAX_LOG_LINES {
            let extra = self.logs.len() - MAX_LOG_LINES;
            self.logs.drain(..extra);
            self.logs_dropped += extra as u64;
        }
    }

    /// Apply one event. Never panics; what does not fit is recorded in
    /// `anomalies` and otherwise ignored.
    ///
    /// Each view folds the events it owns: the run and its actions here, the
    /// stages, the environment (health, IaC, approvals, teardowns), the
    /// canary, the load and the findings in their own modules. A view that
    /// keeps per-stage data also clears it when its stage starts again.
    pub fn apply(&mut self, env: &Envelope) {
        let ts = env.ts;
        if env.v > EVENT_VERSION {
            self.anomalies.push(format!(
                "event #{} has version {} (this build understands up to {EVENT_VERSION}); skipped",
                env.seq, env.v
            ));
            return;
        }
        if let Some(last) = self.last_ts
            && ts < last
        {
            self.anomalies.push(format!(
                "event #{} is older than the one before it ({ts} < {last}); applied anyway",
                env.seq
            ));
        }
        if matches!(env.event, Event::RunStarted { .. }) && self.info.is_some() {
            self.anomalies
                .push(format!("event #{}: a second run_started; ignored", env.seq));
            self.events_applied += 1;
            self.last_ts = Some(self.last_ts.map_or(ts, |l| l.max(ts)));
            self.narrate(env);
            return;
        }
        self.events_applied += 1;
        self.last_ts = Some(self.last_ts.map_or(ts, |l| l.max(ts)));
        self.narrate(env);
        self.apply_run(env);
        stages::apply(self, env);
        environment::apply(self, env);
        canary::apply(self, env);
        drills::apply(self, env);
        load::apply(self, env);
        capacity::apply(self, env);
        latency::apply(self, env);
        notify::apply(self, env);
        presence::apply(self, env);
        signoff::apply(self, env);
        findings::apply(self, env);
        data::apply(self, env);
        recovery::apply(self, env);
        history::apply(self, env);
    }

    /// The run-level facts: the plan, the decision, operator actions, the end.
    fn apply_run(&mut self, env: &Envelope) {
        let ts = env.ts;
        match &env.event {
            Event::RunStarted {
                run_id,
                service,
                release,
                environment,
                risk,
                operator,
                operator_identity,
                read_only,
                pass_score,
                warn_score,
                ..
            } => {
                self.info = Some(RunInfo {
                    run_id: run_id.clone(),
                    service: service.clone(),
                    release: release.clone(),
                    environment: environment.clone(),
                    risk: *risk,
                    operator: operator.clone(),
                    operator_identity: operator_identity.clone(),
                    read_only: *read_only,
                    pass_score: *pass_score,
                    warn_score: *warn_score,
                });
                self.started_at = Some(ts);
            }
            Event::GateDecision(d) => {
                self.decision = Some(d.clone());
                self.decision_stale = false;
            }
            Event::OperatorAction {
                actor,
                identity,
                action,
                target,
                reason,
            } => {
                self.actions.push(ActionRecord {
                    ts,
                    actor: actor.clone(),
                    identity: identity.clone(),
                    action: *action,
                    target: target.clone(),
                    reason: reason.clone(),
                });
                if *action == ActionKind::RerunStage {
                    // The run reopens: the old decision no longer reflects the stages.
                    self.finished_at = None;
                    self.outcome = None;
                    self.end_reason = None;
                    self.decision_stale = self.decision.is_some();
                }
            }
            Event::RunFinished { outcome, reason } => {
                self.finished_at = Some(ts);
                self.outcome = Some(*outcome);
                self.end_reason = reason.clone();
            }
            Event::Unknown => {
                self.anomalies.push(format!(
                    "event #{} has a type this build does not know; skipped",
                    env.seq
                ));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
