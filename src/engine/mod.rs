//! The run engine: runs the plan's stages in order, lets the gate decide,
//! and serves operator commands (abort, rerun) through one channel.

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use crate::canary::auto::HoldOp;
use crate::canary::control::{CanaryCtl, provider_for};
use crate::config::Config;

use crate::core::command::Command;
use crate::core::event::{
    ActionKind, Event, LogLevel, Outcome, StageKind, StagePlan, TeardownTrigger,
};
use crate::core::format::trim_num;
use crate::core::gate::PointsLost;
use crate::core::verdict::{Evidence, Verdict};
use crate::iac::approval::{ApprovalAnswer, Approver};
use crate::record::recorder::Recorder;

/// Identity of a run.
#[derive(Clone, Debug)]
pub struct RunIdentity {
    /// Run id.
    pub run_id: String,
    /// Operator name.
    pub operator: String,
    /// Who can approve an apply that asks first (`iac.apply = "confirm"`).
    pub approvals: ApplyApprovals,
}

/// Who can approve an apply that asks first (`iac.apply = "confirm"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ApplyApprovals {
    /// Nobody (headless without `--approve-apply`): such an apply does not
    /// happen and the stage is inconclusive.
    #[default]
    Nobody,
    /// The operator answers in the TUI, through [`Command::AnswerApply`].
    Operator,
    /// The operator approved on the command line (`--approve-apply`).
    PreApproved,
}

/// The plan as stage entries, with defaults applied.
pub fn plan(cfg: &Config) -> Vec<StagePlan> {
    cfg.stages
        .iter()
        .map(|s| StagePlan {
            id: s.id.clone(),
            kind: s.kind,
            weight: if s.kind == StageKind::Gate {
                0.0
            } else {
                s.weight
            },
            hard: s.hard,
        })
        .collect()
}

/// Whether the engine should keep serving commands after the decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterDecision {
    /// Return at once (headless).
    Return,
    /// Keep serving commands (rerun) until the channel closes (TUI).
    ServeCommands,
}

/// Run the whole plan. Returns the final outcome.
pub async fn run(
    cfg: &Config,
    id: &RunIdentity,
    rec: &Recorder,
    mut commands: UnboundedReceiver<Command>,
    after: AfterDecision,
) -> Outcome {
    rec.emit(Event::RunStarted {
        run_id: id.run_id.clone(),
        service: cfg.run.service.clone(),
        release: cfg.run.release.clone(),
        environment: cfg.environment.name.clone(),
        risk: cfg.environment.risk,
        operator: id.operator.clone(),
        read_only: cfg.run.read_only,
        stages: plan(cfg),
        pass_score: cfg.gate.pass_score,
        warn_score: cfg.gate.warn_score,
    });
    if id.approvals == ApplyApprovals::PreApproved {
        if cfg.run.read_only {
            rec.log(
                LogLevel::Warn,
                None,
                "--approve-apply ignored: the run is read-only",
            );
        } else {
            rec.emit(Event::OperatorAction {
                actor: id.operator.clone(),
                action: ActionKind::ApproveApply,
                target: None,
                reason: Some("--approve-apply on the command line".into()),
            });
        }
    }
    let canary = canary_ctl(cfg).await;
    let (answers_tx, answers_rx) = unbounded_channel();
    let cx = Cx {
        cfg,
        id,
        rec,
        canary: canary.as_ref(),
        answers_tx,
        answers_rx: tokio::sync::Mutex::new(answers_rx),
    };
    let mut commands_open = true;
    for st in &cfg.stages {
        if st.kind == StageKind::Gate {
            continue;
        }
        if let Some(reason) = drive_stage(&cx, &st.id, &mut commands, &mut commands_open).await {
            return finish_aborted(rec, &reason);
        }
    }
    let mut outcome = decide(cfg, rec);
    destroy_environments(&cx, TeardownTrigger::EndOfRun).await;
    if after == AfterDecision::Return {
        return outcome;
    }
    let mut ttl = ttl_deadline(rec);
    loop {
        let cmd = tokio::select! {
            c = commands.recv() => c,
            _ = sleep_until(ttl), if ttl.is_some() => {
                ttl = None;
                destroy_environments(&cx, TeardownTrigger::TtlExpired).await;
                continue;
            }
        };
        let Some(cmd) = cmd else { break };
        match cmd {
            Command::DestroyEnvironment => {
                if refuse_read_only(&cx, "destroy") {
                    continue;
                }
                cx.rec.emit(Event::OperatorAction {
                    actor: id.operator.clone(),
                    action: ActionKind::DestroyEnvironment,
                    target: None,
                    reason: None,
                });
                destroy_environments(&cx, TeardownTrigger::Operator).await;
                ttl = None;
            }
            Command::Abort { .. } => break,
            Command::StopLoad => rec.log(LogLevel::Info, None, "no load is running"),
            Command::AnswerApply { .. } => rec.log(
                LogLevel::Info,
                None,
                "no apply awaits approval: the run has decided",
            ),
            Command::Rollback { reason } => {
                flag_command(&cx, FlagCommand::Rollback(reason)).await;
            }
            Command::Promote => {
                promote(&cx, None).await;
            }
            Command::Hold { reason } => hold_command(&cx, None, false, reason),
            Command::Release { reason } => hold_command(&cx, None, true, reason),
            Command::RerunStage { stage } => {
                if refuse_read_only(&cx, &format!("rerun of `{stage}`")) {
                    continue;
                }
                if !cfg.stages.iter().any(|s| s.id == stage) {
                    rec.log(
                        LogLevel::Warn,
                        None,
                        format!("rerun: no stage `{stage}` in this plan"),
                    );
                    continue;
                }
                rec.emit(Event::OperatorAction {
                    actor: id.operator.clone(),
                    action: ActionKind::RerunStage,
                    target: Some(stage.clone()),
                    reason: None,
                });
                let mut open = true;
                if let Some(reason) = drive_stage(&cx, &stage, &mut commands, &mut open).await {
                    return finish_aborted(rec, &reason);
                }
                outcome = decide(cfg, rec);
                if !open {
                    break;
                }
            }
        }
    }
    outcome
}

/// What the engine needs at hand while a stage runs.
struct Cx<'a> {
    cfg: &'a Config,
    id: &'a RunIdentity,
    rec: &'a Recorder,
    /// The canary's flag provider, when a canary stage is planned.
    canary: Option<&'a Result<CanaryCtl, String>>,
    /// Operator answers to an apply approval, on their way to the stage.
    answers_tx: UnboundedSender<ApprovalAnswer>,
    /// The waiting IaC stage reads answers here.
    answers_rx: tokio::sync::Mutex<UnboundedReceiver<ApprovalAnswer>>,
}

impl Cx<'_> {
    /// Who answers an apply approval in this run.
    fn approver(&self) -> Approver<'_> {
        if self.cfg.run.read_only {
            return Approver::ReadOnly;
        }
        match self.id.approvals {
            ApplyApprovals::Nobody => Approver::Nobody,
            ApplyApprovals::PreApproved => Approver::PreApproved {
                actor: &self.id.operator,
            },
            ApplyApprovals::Operator => Approver::Operator {
                answers: &self.answers_rx,
            },
        }
    }
}

/// Forward the operator's answer to the stage waiting for it, journalled
/// first. Read-only runs refuse; with no request pending, say so.
fn answer_apply(cx: &Cx<'_>, approve: bool, reason: Option<String>) {
    let what = if approve {
        "apply approval"
    } else {
        "apply decline"
    };
    if refuse_read_only(cx, what) {
        return;
    }
    let Some(stage) = cx
        .rec
        .read(|s| s.pending_approval().map(|a| a.stage.clone()))
    else {
        cx.rec.log(
            LogLevel::Info,
            None,
            format!("{what}: no apply awaits approval"),
        );
        return;
    };
    cx.rec.emit(Event::OperatorAction {
        actor: cx.id.operator.clone(),
        action: if approve {
            ActionKind::ApproveApply
        } else {
            ActionKind::DeclineApply
        },
        target: Some(stage),
        reason: reason.clone(),
    });
    let _ = cx.answers_tx.send(ApprovalAnswer {
        approve,
        actor: cx.id.operator.clone(),
        reason,
    });
}

/// Build the canary's flag provider when a canary stage is planned.
async fn canary_ctl(cfg: &Config) -> Option<Result<CanaryCtl, String>> {
    let planned = cfg
        .stages
        .iter()
        .any(|s| s.kind == StageKind::Canary && s.enabled);
    if !planned {
        return None;
    }
    Some(provider_for(&cfg.canary).await.map_err(|e| e.to_string()))
}

enum FlagCommand {
    Rollback(String),
    /// With the reason journalled (an override says so).
    Promote(Option<String>),
}

/// Log and return true when the run is read-only.
fn refuse_read_only(cx: &Cx<'_>, what: &str) -> bool {
    if cx.cfg.run.read_only {
        cx.rec.log(
            LogLevel::Warn,
            None,
            format!("{what} refused: the run is read-only (--read-only or run.read_only)"),
        );
    }
    cx.cfg.run.read_only
}

/// The earliest TTL of an ephemeral environment that is still up, if any.
fn ttl_deadline(rec: &Recorder) -> Option<tokio::time::Instant> {
    let at = rec.read(|state| {
        state
            .iac
            .iter()
            .filter(|(stage, _)| !state.destroyed(stage))
            .filter_map(|(_, r)| r.expires_at)
            .min()
    })?;
    let left = (at - chrono::Utc::now()).to_std().unwrap_or_default();
    Some(tokio::time::Instant::now() + left)
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn destroy_environments(cx: &Cx<'_>, why: TeardownTrigger) {
    for st in cx
        .cfg
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Environment)
    {
        crate::environment::teardown(&cx.cfg.environment, &st.id, cx.rec, why).await;
    }
}

/// Roll back or promote on the operator's word. Read-only runs refuse.
async fn flag_command(cx: &Cx<'_>, cmd: FlagCommand) -> bool {
    let what = match &cmd {
        FlagCommand::Rollback(_) => "rollback",
        FlagCommand::Promote(_) => "promote",
    };
    if refuse_read_only(cx, what) {
        return false;
    }
    let ctl = match cx.canary {
        Some(Ok(ctl)) => ctl,
        Some(Err(e)) => {
            cx.rec.log(
                LogLevel::Error,
                None,
                format!("{what} impossible: the flag provider is unavailable: {e}"),
            );
            return false;
        }
        None => {
            cx.rec.log(
                LogLevel::Info,
                None,
                format!("{what}: no canary in this run plan"),
            );
            return false;
        }
    };
    match cmd {
        FlagCommand::Rollback(reason) => ctl.rollback(cx.rec, &cx.id.operator, &reason).await,
        FlagCommand::Promote(reason) => {
            ctl.promote(cx.rec, &cx.id.operator, reason.as_deref())
                .await
        }
    }
}

/// The canary's pending automatic rollback, if any: (flag, view).
fn pending_auto(rec: &Recorder) -> Option<(String, crate::core::state::canary::AutoRollbackView)> {
    rec.read(|state| {
        let c = state.canary.as_ref()?;
        let a = c.pending_auto()?.clone();
        Some((c.flag.clone(), a))
    })
}

/// Promote on the operator's word. While an automatic rollback counts down
/// it is refused (hold it first: an override must be deliberate); while one
/// is held it overrides the judge, journalled as such, and the canary stage
/// (through `ops`) ends on it.
async fn promote(cx: &Cx<'_>, ops: Option<&UnboundedSender<HoldOp>>) {
    let reason = match pending_auto(cx.rec) {
        Some((flag, a)) if a.counting() => {
            cx.rec.log(
                LogLevel::Warn,
                None,
                format!(
                    "promote refused: the automatic rollback of {flag} is counting down ({}); hold it first to override the judge",
                    a.cause()
                ),
            );
            return;
        }
        Some((_, a)) if a.held() => {
            Some(format!("override: automatic rollback held ({})", a.cause()))
        }
        _ => None,
    };
    // Confirmed, the canary stage ends on it: over a held rollback as an
    // override of the judge, otherwise as an early promote (it must not step
    // the flag back down afterwards).
    let done = flag_command(cx, FlagCommand::Promote(reason)).await;
    if let (true, Some(ops)) = (done, ops) {
        let _ = ops.send(HoldOp::Promoted {
            actor: cx.id.operator.clone(),
        });
    }
}

/// Hold or release the pending automatic rollback: journal the operator's
/// action, then tell the canary stage (which owns the countdown). Without a
/// pending rollback there is nothing to hold, and the log says so.
fn hold_command(cx: &Cx<'_>, ops: Option<&UnboundedSender<HoldOp>>, release: bool, reason: String) {
    let what = if release { "release" } else { "hold" };
    if refuse_read_only(cx, what) {
        return;
    }
    let pending = pending_auto(cx.rec).zip(ops);
    let (flag, a, ops) = match pending {
        Some(((flag, a), ops)) if (release && a.held()) || (!release && a.counting()) => {
            (flag, a, ops)
        }
        Some(((flag, a), _)) if a.held() => {
            cx.rec.log(
                LogLevel::Info,
                None,
                format!("hold: the automatic rollback of {flag} is already held"),
            );
            return;
        }
        _ => {
            let text = if release {
                "release: no automatic rollback is held"
            } else {
                "hold: nothing to hold (no automatic rollback is pending)"
            };
            cx.rec.log(LogLevel::Info, None, text);
            return;
        }
    };
    cx.rec.emit(Event::OperatorAction {
        actor: cx.id.operator.clone(),
        action: if release {
            ActionKind::Release
        } else {
            ActionKind::Hold
        },
        target: Some(flag),
        reason: Some(format!("{reason}; {}", a.cause())),
    });
    let op = if release {
        HoldOp::Release
    } else {
        HoldOp::Hold {
            actor: cx.id.operator.clone(),
        }
    };
    let _ = ops.send(op);
}

/// Run one stage while serving commands: the kill key stops a running load,
/// rollback acts at once (and ends a running canary stage), an abort stops
/// the run. Returns the abort reason, if the run was aborted.
async fn drive_stage(
    cx: &Cx<'_>,
    stage_id: &str,
    commands: &mut UnboundedReceiver<Command>,
    commands_open: &mut bool,
) -> Option<String> {
    let (rec, id) = (cx.rec, cx.id);
    let is_canary = cx
        .cfg
        .stages
        .iter()
        .any(|s| s.id == stage_id && s.kind == StageKind::Canary);
    let cancel = CancellationToken::new();
    let (ops_tx, ops_rx) = unbounded_channel();
    let ops = is_canary.then_some(&ops_tx);
    let stage = run_stage(cx, stage_id, cancel.clone(), ops_rx);
    tokio::pin!(stage);
    loop {
        tokio::select! {
            _ = &mut stage => return None,
            cmd = commands.recv(), if *commands_open => match cmd {
                None => *commands_open = false,
                Some(Command::Abort { reason }) => {
                    rec.emit(Event::OperatorAction {
                        actor: id.operator.clone(),
                        action: ActionKind::Abort,
                        target: None,
                        reason: Some(reason.clone()),
                    });
                    cancel.cancel();
                    return Some(reason);
                }
                Some(Command::StopLoad) if is_canary && pending_auto(rec).is_some() => rec.log(
                    LogLevel::Info,
                    None,
                    "no load is running: the canary waits on its automatic rollback (H holds, R rolls back)",
                ),
                Some(Command::StopLoad) => {
                    rec.emit(Event::OperatorAction {
                        actor: id.operator.clone(),
                        action: ActionKind::StopLoad,
                        target: Some(stage_id.to_string()),
                        reason: Some("kill key".into()),
                    });
                    cancel.cancel();
                }
                Some(Command::Rollback { reason }) => {
                    let done = flag_command(cx, FlagCommand::Rollback(reason)).await;
                    if done && is_canary {
                        cancel.cancel();
                    }
                }
                Some(Command::Promote) => promote(cx, ops).await,
                Some(Command::Hold { reason }) => hold_command(cx, ops, false, reason),
                Some(Command::Release { reason }) => hold_command(cx, ops, true, reason),
                Some(Command::AnswerApply { approve, reason }) => {
                    answer_apply(cx, approve, reason);
                }
                Some(Command::DestroyEnvironment) => rec.log(
                    LogLevel::Warn,
                    None,
                    "destroy ignored while a stage runs: wait until the run has decided",
                ),
                Some(Command::RerunStage { stage }) => rec.log(
                    LogLevel::Warn,
                    None,
                    format!("rerun of `{stage}` ignored: wait until the run has decided"),
                ),
            },
        }
    }
}

fn finish_aborted(rec: &Recorder, reason: &str) -> Outcome {
    rec.emit(Event::RunFinished {
        outcome: Outcome::Inconclusive,
        reason: Some(format!("aborted: {reason}")),
    });
    Outcome::Inconclusive
}

/// Run one (non-gate) stage to its verdict. `ops` reaches a canary stage's
/// automatic rollback countdown.
async fn run_stage(
    cx: &Cx<'_>,
    stage_id: &str,
    cancel: CancellationToken,
    ops: UnboundedReceiver<HoldOp>,
) {
    let (cfg, rec) = (cx.cfg, cx.rec);
    let Some(st) = cfg.stages.iter().find(|s| s.id == stage_id) else {
        return;
    };
    if !st.enabled {
        rec.emit(Event::StageFinished {
            stage: st.id.clone(),
            verdict: Verdict::Skipped,
            summary: "disabled in config".into(),
            evidence: Vec::new(),
        });
        return;
    }
    match st.kind {
        StageKind::Environment => {
            crate::environment::run_stage_with(&cfg.environment, &st.id, rec, &cx.approver()).await;
        }
        StageKind::Load => {
            crate::load::stage::run_stage(
                &cfg.load,
                &cfg.run.service,
                &cfg.state_dir,
                &st.id,
                rec,
                cancel,
            )
            .await;
        }
        StageKind::Scan => {
            crate::scan::stage::run_stage(
                &cfg.scan,
                &cfg.run.service,
                &cfg.state_dir,
                &st.id,
                rec,
                chrono::Utc::now().date_naive(),
            )
            .await;
        }
        StageKind::Policy => match &cfg.policy.dir {
            Some(dir) => crate::policy::stage::run_stage(
                dir,
                cfg.policy.approver.as_deref(),
                &st.id,
                rec,
                chrono::Utc::now().date_naive(),
            ),
            None => {
                rec.emit(Event::StageStarted {
                    stage: st.id.clone(),
                });
                rec.emit(Event::StageFinished {
                    stage: st.id.clone(),
                    verdict: Verdict::Inconclusive,
                    summary: "no policy directory configured (policy.dir)".into(),
                    evidence: Vec::new(),
                });
            }
        },
        StageKind::Canary => {
            let ctl = match cx.canary {
                Some(Ok(c)) => Ok(c),
                Some(Err(e)) => Err(e.clone()),
                None => Err("no canary provider".to_string()),
            };
            crate::canary::stage::run_stage(&cfg.canary, &cfg.load, ctl, &st.id, rec, cancel, ops)
                .await;
        }
        StageKind::Gate => {}
        other => {
            // check-config refuses these; keep the run honest if one slips through.
            rec.emit(Event::StageStarted {
                stage: st.id.clone(),
            });
            rec.emit(Event::StageFinished {
                stage: st.id.clone(),
                verdict: Verdict::Inconclusive,
                summary: format!(
                    "stage kind `{}` is not available in this build",
                    other.as_str()
                ),
                evidence: Vec::new(),
            });
        }
    }
}

fn lost_evidence(l: &PointsLost) -> Evidence {
    Evidence {
        label: format!("-{} points", trim_num(l.points)),
        value: l.reason.clone(),
        threshold: None,
        verdict: Verdict::Warn,
    }
}

/// Let the gate decide from the verdicts so far, and finish the run.
fn decide(cfg: &Config, rec: &Recorder) -> Outcome {
    let gate_stage = cfg.stages.iter().find(|s| s.kind == StageKind::Gate);
    if let Some(g) = gate_stage {
        rec.emit(Event::StageStarted {
            stage: g.id.clone(),
        });
    }
    let Some(decision) = rec.read(crate::gate::provisional) else {
        return finish_aborted(rec, "the run never started");
    };
    rec.emit(Event::GateDecision(decision.clone()));
    if let Some(g) = gate_stage {
        let verdict = match decision.outcome {
            Outcome::Go if decision.band == Verdict::Pass => Verdict::Pass,
            Outcome::Go => Verdict::Warn,
            Outcome::NoGo => Verdict::Fail,
            Outcome::Inconclusive => Verdict::Inconclusive,
        };
        rec.emit(Event::StageFinished {
            stage: g.id.clone(),
            verdict,
            summary: decision.rationale.clone(),
            evidence: decision.lost.iter().map(lost_evidence).collect(),
        });
    }
    rec.emit(Event::RunFinished {
        outcome: decision.outcome,
        reason: None,
    });
    decision.outcome
}
