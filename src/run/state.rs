//! `RunState`: the run as a pure fold of events. The single place where
//! events are given meaning; every consumer reads this and keeps no copy of
//! the truth of its own.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::gate::{self, Decision, Thresholds};
use crate::run::approval_view::ApprovalView;
use crate::run::canary_view::{
    AutoRollbackView, AutoStatus, CanaryView, JudgedStep, RollbackStatus, RollbackView,
};
use crate::run::event::{
    EVENT_VERSION, EnvRisk, Envelope, Event, HealthCheck, LogLevel, Outcome, StageKind, StagePlan,
};
use crate::run::verdict::{Evidence, Verdict};

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

/// A finding with the stage that produced it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindingRow {
    /// Stage id.
    pub stage: String,
    /// The finding.
    pub finding: crate::scan::Finding,
}

/// A policy result with the stage that produced it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyRow {
    /// Stage id.
    pub stage: String,
    /// The result.
    pub result: crate::policy::PolicyResult,
}

/// Most load windows kept in memory (one hour at one per second).
pub const MAX_LOAD_WINDOWS: usize = 3_600;

/// The latest load stage as seen so far.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoadView {
    /// Stage id.
    pub stage: String,
    /// `open` or `closed`.
    pub model: String,
    /// Planned duration, seconds.
    pub duration_s: f64,
    /// Connections (closed) or pool size (open).
    pub connections: u32,
    /// Thresholds as written.
    pub thresholds: Vec<String>,
    /// Per-second windows, oldest first (at most [`MAX_LOAD_WINDOWS`]).
    pub windows: std::collections::VecDeque<crate::load::Window>,
    /// The summary, once the load has finished.
    pub summary: Option<crate::load::Summary>,
}

/// An operator action as recorded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActionRecord {
    /// When.
    pub ts: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
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
    pub iac: Vec<(String, crate::environment::IacReport)>,
    /// The latest apply approval (`iac.apply = "confirm"`), once asked for.
    pub approval: Option<ApprovalView>,
    /// The canary rollout, once one started (or a flag was changed).
    pub canary: Option<crate::run::canary_view::CanaryView>,
    /// The latest load traffic (a load stage, or a canary step's traffic).
    pub load: Option<LoadView>,
    /// The summary of the latest finished load stage, with its stage id
    /// (kept when canary traffic takes over the live view).
    pub load_summary: Option<(String, crate::load::Summary)>,
    /// Findings from scan stages, in arrival order.
    pub findings: Vec<FindingRow>,
    /// Policy results, in arrival order.
    pub policies: Vec<PolicyRow>,
    /// The run's narrative: one line per meaningful event (at most [`MAX_LOG_LINES`]).
    pub logs: Vec<LogLine>,
    /// Log lines dropped from memory because of the cap.
    pub logs_dropped: u64,
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

    /// The score the gate would give now, from the stages finished so far
    /// (stages still pending or running are left out, not counted as lost).
    pub fn provisional(&self) -> Option<Decision> {
        let info = self.info.as_ref()?;
        let inputs: Vec<gate::StageInput<'_>> = self
            .stages
            .iter()
            .filter(|s| s.verdict.is_some())
            .map(|s| gate::StageInput {
                plan: &s.plan,
                verdict: s.verdict,
                summary: &s.summary,
                overridden: self
                    .canary
                    .as_ref()
                    .filter(|c| c.stage == s.plan.id)
                    .and_then(|c| c.auto.as_ref())
                    .and_then(|a| a.override_note()),
            })
            .collect();
        Some(gate::decide(
            &inputs,
            Thresholds {
                pass_score: info.pass_score,
                warn_score: info.warn_score,
            },
        ))
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
        let Some(line) = crate::run::narrative::line(&env.event) else {
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

    fn stage_mut(&mut self, id: &str, ts: DateTime<Utc>) -> &mut StageState {
        if let Some(i) = self.stages.iter().position(|s| s.plan.id == id) {
            return &mut self.stages[i];
        }
        self.anomalies.push(format!(
            "{ts}: event for stage `{id}` that is not in the plan"
        ));
        self.stages.push(StageState {
            plan: StagePlan {
                id: id.to_string(),
                kind: StageKind::Environment,
                weight: 0.0,
                hard: false,
            },
            status: StageStatus::Pending,
            started_at: None,
            finished_at: None,
            progress: None,
            fraction: None,
            verdict: None,
            summary: String::new(),
            evidence: Vec::new(),
            runs: 0,
        });
        let last = self.stages.len() - 1;
        &mut self.stages[last]
    }

    /// Apply one event. Never panics; what does not fit is recorded in
    /// `anomalies` and otherwise ignored.
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
        self.events_applied += 1;
        self.last_ts = Some(self.last_ts.map_or(ts, |l| l.max(ts)));
        self.narrate(env);

        match &env.event {
            Event::RunStarted {
                run_id,
                service,
                release,
                environment,
                risk,
                operator,
                read_only,
                stages,
                pass_score,
                warn_score,
            } => {
                if self.info.is_some() {
                    self.anomalies
                        .push(format!("event #{}: a second run_started; ignored", env.seq));
                    return;
                }
                self.info = Some(RunInfo {
                    run_id: run_id.clone(),
                    service: service.clone(),
                    release: release.clone(),
                    environment: environment.clone(),
                    risk: *risk,
                    operator: operator.clone(),
                    read_only: *read_only,
                    pass_score: *pass_score,
                    warn_score: *warn_score,
                });
                self.started_at = Some(ts);
                // Keep stages that arrived before the plan (out of order), in plan order.
                let early = std::mem::take(&mut self.stages);
                for p in stages {
                    let existing = early.iter().find(|s| s.plan.id == p.id).cloned();
                    let mut st = existing.unwrap_or_else(|| StageState {
                        plan: p.clone(),
                        status: StageStatus::Pending,
                        started_at: None,
                        finished_at: None,
                        progress: None,
                        fraction: None,
                        verdict: None,
                        summary: String::new(),
                        evidence: Vec::new(),
                        runs: 0,
                    });
                    st.plan = p.clone();
                    self.stages.push(st);
                }
                for s in early {
                    if !stages.iter().any(|p| p.id == s.plan.id) {
                        self.stages.push(s);
                    }
                }
            }
            Event::StageStarted { stage } => {
                let st = self.stage_mut(stage, ts);
                st.status = StageStatus::Running;
                st.started_at = Some(ts);
                st.finished_at = None;
                st.verdict = None;
                st.summary.clear();
                st.evidence.clear();
                st.progress = None;
                st.fraction = None;
                st.runs += 1;
                let stage = stage.clone();
                self.health.retain(|h| h.stage != stage);
                self.findings.retain(|f| f.stage != stage);
                self.policies.retain(|p| p.stage != stage);
                self.iac.retain(|(s, _)| s != &stage);
                if self.approval.as_ref().is_some_and(|a| a.stage == stage) {
                    self.approval = None;
                }
            }
            Event::StageProgress {
                stage,
                message,
                fraction,
            } => {
                let st = self.stage_mut(stage, ts);
                st.progress = Some(message.clone());
                if fraction.is_some() {
                    st.fraction = *fraction;
                }
            }
            Event::Log { .. } => {}
            Event::HealthCheck(h) => {
                match self
                    .health
                    .iter_mut()
                    .find(|x| x.stage == h.stage && x.endpoint == h.endpoint)
                {
                    Some(slot) => *slot = h.clone(),
                    None => self.health.push(h.clone()),
                }
            }
            Event::EnvIac { stage, report } => {
                self.iac.retain(|(s, _)| s != stage);
                self.iac.push((stage.clone(), (**report).clone()));
            }
            Event::ApplyApprovalRequested { stage, request } => {
                self.approval = Some(ApprovalView {
                    stage: stage.clone(),
                    request: (**request).clone(),
                    requested_at: ts,
                    decision: None,
                    resolved_at: None,
                });
            }
            Event::ApplyApprovalResolved { stage, decision } => {
                match self.approval.as_mut().filter(|a| &a.stage == stage) {
                    Some(a) => {
                        a.decision = Some(decision.clone());
                        a.resolved_at = Some(ts);
                    }
                    None => self.anomalies.push(format!(
                        "event #{}: apply approval of `{stage}` resolved before it was requested; ignored",
                        env.seq
                    )),
                }
            }
            Event::CanaryStarted {
                stage,
                flag,
                provider,
                steps,
                hold_s,
                state,
            } => {
                self.canary = Some(CanaryView::new(
                    stage, flag, provider, steps, *hold_s, state,
                ));
            }
            Event::CanaryStep { index, percent, .. } => {
                if let Some(c) = self.canary.as_mut() {
                    c.step = Some(*index);
                    c.guard = None;
                    let _ = percent;
                }
            }
            Event::CanaryGuard { status, .. } => {
                if let Some(c) = self.canary.as_mut() {
                    c.guard = Some(status.clone());
                }
            }
            Event::CanaryJudgement {
                index,
                percent,
                judgement,
                ..
            } => {
                if let Some(c) = self.canary.as_mut() {
                    c.judged.push(JudgedStep {
                        index: *index,
                        percent: *percent,
                        judgement: (**judgement).clone(),
                    });
                }
            }
            Event::CanaryAutoRollback {
                flag,
                trigger,
                reason,
                delay_ms,
                max_hold_ms,
                ..
            } => {
                if let Some(c) = self.canary.as_mut().filter(|c| &c.flag == flag) {
                    c.auto = Some(AutoRollbackView {
                        trigger: trigger.clone(),
                        reason: reason.clone(),
                        delay_ms: *delay_ms,
                        max_hold_ms: *max_hold_ms,
                        announced_at: ts,
                        held_by: Vec::new(),
                        status: AutoStatus::Counting {
                            deadline: ts + ms(*delay_ms),
                        },
                    });
                }
            }
            Event::FlagChanged {
                flag,
                to,
                enabled,
                actor,
                reason,
                elapsed_ms,
                ..
            } => {
                if let Some(c) = self.canary.as_mut().filter(|c| &c.flag == flag) {
                    c.percent = *to;
                    c.enabled = *enabled;
                    // Promoted while the automatic rollback was held: the
                    // operator overrode the judge.
                    if let Some(a) = c.auto.as_mut().filter(|a| a.held())
                        && reason.starts_with("promote")
                    {
                        a.status = AutoStatus::Overridden { by: actor.clone() };
                    }
                    // A retry may succeed after a failed attempt: confirm from Failed too.
                    if let Some(rb) = c
                        .rollback
                        .as_mut()
                        .filter(|r| r.status != RollbackStatus::Confirmed)
                        && reason.starts_with("rollback")
                    {
                        rb.status = RollbackStatus::Confirmed;
                        rb.elapsed_ms = Some(*elapsed_ms);
                    }
                }
            }
            Event::FlagChangeFailed {
                flag,
                action,
                error,
                ..
            } => {
                if let Some(rb) = self
                    .canary
                    .as_mut()
                    .filter(|c| &c.flag == flag && action == "rollback")
                    .and_then(|c| c.rollback.as_mut())
                {
                    rb.status = RollbackStatus::Failed(error.clone());
                }
            }
            Event::LoadStarted {
                stage,
                model,
                duration_s,
                connections,
                thresholds,
            } => {
                self.load = Some(LoadView {
                    stage: stage.clone(),
                    model: model.clone(),
                    duration_s: *duration_s,
                    connections: *connections,
                    thresholds: thresholds.clone(),
                    windows: Default::default(),
                    summary: None,
                });
            }
            Event::LoadWindow { stage, window } => match self.load.as_mut() {
                Some(l) if &l.stage == stage => {
                    l.windows.push_back(window.clone());
                    if l.windows.len() > MAX_LOAD_WINDOWS {
                        l.windows.pop_front();
                    }
                }
                _ => self.anomalies.push(format!(
                    "event #{}: load window for `{stage}` before its load_started; ignored",
                    env.seq
                )),
            },
            Event::LoadSummary { stage, summary } => match self.load.as_mut() {
                Some(l) if &l.stage == stage => {
                    l.summary = Some(summary.clone());
                    self.load_summary = Some((stage.clone(), summary.clone()));
                }
                _ => self.anomalies.push(format!(
                    "event #{}: load summary for `{stage}` before its load_started; ignored",
                    env.seq
                )),
            },
            Event::Finding { stage, finding } => self.findings.push(FindingRow {
                stage: stage.clone(),
                finding: finding.clone(),
            }),
            Event::PolicyResult { stage, result } => self.policies.push(PolicyRow {
                stage: stage.clone(),
                result: result.clone(),
            }),
            Event::StageFinished {
                stage,
                verdict,
                summary,
                evidence,
            } => {
                let st = self.stage_mut(stage, ts);
                if st.status == StageStatus::Pending {
                    st.runs += 1;
                }
                st.status = StageStatus::Finished;
                st.finished_at = Some(ts);
                st.verdict = Some(*verdict);
                st.summary = summary.clone();
                st.evidence = evidence.clone();
                st.fraction = Some(1.0);
            }
            Event::GateDecision(d) => {
                self.decision = Some(d.clone());
                self.decision_stale = false;
            }
            Event::OperatorAction {
                actor,
                action,
                target,
                reason,
            } => {
                self.actions.push(ActionRecord {
                    ts,
                    actor: actor.clone(),
                    action: action.clone(),
                    target: target.clone(),
                    reason: reason.clone(),
                });
                if let Some(c) = self.canary.as_mut() {
                    auto_action(c, ts, actor, action);
                }
                if action == "rollback"
                    && let Some(c) = self.canary.as_mut()
                {
                    c.rollback = Some(RollbackView {
                        actor: actor.clone(),
                        reason: reason.clone().unwrap_or_default(),
                        requested_at: ts,
                        status: RollbackStatus::Pending,
                        elapsed_ms: None,
                    });
                }
                if action == "rerun_stage" {
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
                for st in &mut self.stages {
                    if st.status == StageStatus::Running {
                        st.status = StageStatus::Finished;
                        st.verdict = Some(Verdict::Inconclusive);
                        st.summary = "interrupted before it finished".to_string();
                        st.finished_at = Some(ts);
                    }
                }
            }
            Event::Unknown => {
                self.anomalies.push(format!(
                    "event #{} has a type this build does not know; skipped",
                    env.seq
                ));
            }
        }
    }
}

fn ms(n: u64) -> chrono::Duration {
    chrono::Duration::milliseconds(i64::try_from(n).unwrap_or(i64::MAX / 1_000_000))
}

/// What an operator action means for a pending automatic rollback: `hold`
/// stops the countdown, `release` restarts it from the full delay,
/// `hold_expired` ends the hold, `rollback` settles it.
fn auto_action(c: &mut CanaryView, ts: DateTime<Utc>, actor: &str, action: &str) {
    let Some(a) = c.auto.as_mut().filter(|a| a.pending()) else {
        return;
    };
    let next = match (action, &a.status) {
        ("hold", AutoStatus::Counting { .. }) => {
            a.held_by.push(actor.to_string());
            AutoStatus::Held {
                by: actor.to_string(),
                since: ts,
                expires_at: ts + ms(a.max_hold_ms),
            }
        }
        ("release", AutoStatus::Held { .. }) => AutoStatus::Counting {
            deadline: ts + ms(a.delay_ms),
        },
        ("hold_expired", AutoStatus::Held { by, .. }) => AutoStatus::Expired { by: by.clone() },
        ("rollback", _) => AutoStatus::RolledBack {
            by: actor.to_string(),
        },
        _ => return,
    };
    a.status = next;
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
