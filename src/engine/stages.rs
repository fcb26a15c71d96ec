//! The stage registry: one [`Stage`] per kind, through which the engine
//! starts a stage, passes it operator commands while it runs, and learns
//! that it has finished (its future completes; the verdict is in the
//! journal as its `stage_finished`).
//!
//! Adding a capability means one `impl Stage` here and one line in
//! [`registry`]; the scheduler, the command router and the gate need no
//! change.

use async_trait::async_trait;
use futures::future::BoxFuture;
use tokio::sync::Mutex;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use crate::canary::auto::HoldOp;
use crate::core::command::Command;
use crate::core::event::{ActionKind, Event, LogLevel, StageKind};
use crate::core::verdict::Verdict;
use crate::engine::Cx;
use crate::engine::commands::{self, FlagCommand};
use crate::engine::config::StageConfig;
use crate::iac::approval::{ApprovalAnswer, Approver};

/// What a stage does with an operator command while it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routed {
    /// The stage acted on it (or answered it in the log).
    Taken,
    /// Not this stage's: the engine offers it elsewhere or answers itself.
    NotMine,
}

/// The engine's handle on a running stage.
#[async_trait]
pub trait Control: Send + Sync {
    /// Offer an operator command to the running stage.
    async fn command(&self, cx: &Cx<'_>, cmd: &Command) -> Routed;
    /// The run is aborted: stop at once (load threads, traffic), before the
    /// engine drops the stage.
    fn cancel(&self) {}
}

/// A stage the engine has started: the future that runs it to its verdict,
/// and the control through which it hears commands.
pub struct Started<'a> {
    /// Runs the stage to its `stage_finished`.
    pub run: BoxFuture<'a, ()>,
    /// Where its commands go.
    pub control: Box<dyn Control + 'a>,
}

/// One kind of stage.
pub trait Stage: Send + Sync {
    /// The kind it runs.
    fn kind(&self) -> StageKind;
    /// Start one configured stage of this kind.
    fn start<'a>(&self, cx: &'a Cx<'a>, stage: &'a StageConfig) -> Started<'a>;
}

/// Every stage kind this build runs.
pub fn registry() -> Vec<Box<dyn Stage>> {
    vec![
        Box::new(EnvironmentStage),
        Box::new(LoadStage),
        Box::new(ScanStage),
        Box::new(PolicyStage),
        Box::new(CanaryStage),
        Box::new(DrillStage),
        Box::new(DataStage),
    ]
}

/// Start a configured stage: disabled ones are skipped at once, kinds this
/// build does not run are inconclusive, the rest go through the registry.
pub fn start<'a>(
    registry: &[Box<dyn Stage>],
    cx: &'a Cx<'a>,
    stage: &'a StageConfig,
) -> Started<'a> {
    if !stage.enabled {
        let rec = cx.rec;
        return Started {
            run: Box::pin(async move {
                rec.emit(Event::StageFinished {
                    stage: stage.id.clone(),
                    verdict: Verdict::Skipped,
                    summary: "disabled in config".into(),
                    evidence: Vec::new(),
                });
            }),
            control: Box::new(NoControl),
        };
    }
    match registry.iter().find(|s| s.kind() == stage.kind) {
        Some(s) => s.start(cx, stage),
        None => {
            // check-config refuses these; keep the run honest if one slips through.
            let rec = cx.rec;
            Started {
                run: Box::pin(async move {
                    rec.emit(Event::StageStarted {
                        stage: stage.id.clone(),
                    });
                    rec.emit(Event::StageFinished {
                        stage: stage.id.clone(),
                        verdict: Verdict::Inconclusive,
                        summary: format!(
                            "stage kind `{}` is not available in this build",
                            stage.kind.as_str()
                        ),
                        evidence: Vec::new(),
                    });
                }),
                control: Box::new(NoControl),
            }
        }
    }
}

/// End a stage skipped, with the reason, without running it (change
/// impact did not select it).
pub fn skip<'a>(cx: &'a Cx<'a>, stage: &'a StageConfig, reason: &str) -> Started<'a> {
    let rec = cx.rec;
    let summary = reason.to_string();
    Started {
        run: Box::pin(async move {
            rec.emit(Event::StageFinished {
                stage: stage.id.clone(),
                verdict: Verdict::Skipped,
                summary,
                evidence: Vec::new(),
            });
        }),
        control: Box::new(NoControl),
    }
}

/// A stage that takes no commands.
struct NoControl;

#[async_trait]
impl Control for NoControl {
    async fn command(&self, _cx: &Cx<'_>, _cmd: &Command) -> Routed {
        Routed::NotMine
    }
}

/// Stop a running stage on the kill key: journalled, then cancelled.
fn stop(cx: &Cx<'_>, stage: &str, cancel: &CancellationToken) {
    cx.rec.emit(Event::operator_action(
        &cx.id.operator,
        ActionKind::StopLoad,
        Some(stage.to_string()),
        Some("kill key".into()),
    ));
    cancel.cancel();
}

struct EnvironmentStage;

/// The environment stage hears the operator's answer to its apply question.
struct EnvironmentControl {
    answers: UnboundedSender<ApprovalAnswer>,
}

impl Stage for EnvironmentStage {
    fn kind(&self) -> StageKind {
        StageKind::Environment
    }

    fn start<'a>(&self, cx: &'a Cx<'a>, stage: &'a StageConfig) -> Started<'a> {
        let (tx, rx) = unbounded_channel();
        let run = Box::pin(async move {
            let answers = Mutex::new(rx);
            let approver = approver(cx, &answers);
            crate::environment::run_stage_with(&cx.cfg.environment, &stage.id, cx.rec, &approver)
                .await;
        });
        Started {
            run,
            control: Box::new(EnvironmentControl { answers: tx }),
        }
    }
}

#[async_trait]
impl Control for EnvironmentControl {
    async fn command(&self, cx: &Cx<'_>, cmd: &Command) -> Routed {
        match cmd {
            Command::AnswerApply { approve, reason } => {
                commands::answer_apply(cx, &self.answers, *approve, reason.clone());
                Routed::Taken
            }
            _ => Routed::NotMine,
        }
    }
}

struct LoadStage;

/// A load stage stops on the kill key.
struct LoadControl {
    stage: String,
    cancel: CancellationToken,
}

impl Stage for LoadStage {
    fn kind(&self) -> StageKind {
        StageKind::Load
    }

    fn start<'a>(&self, cx: &'a Cx<'a>, stage: &'a StageConfig) -> Started<'a> {
        let cancel = CancellationToken::new();
        let token = cancel.clone();
        let cfg = cx.cfg;
        let run = Box::pin(async move {
            crate::load::stage::run_stage(
                &cfg.load,
                &cfg.run.service,
                &cfg.state_dir,
                &stage.id,
                cx.rec,
                token,
            )
            .await;
        });
        Started {
            run,
            control: Box::new(LoadControl {
                stage: stage.id.clone(),
                cancel,
            }),
        }
    }
}

#[async_trait]
impl Control for LoadControl {
    async fn command(&self, cx: &Cx<'_>, cmd: &Command) -> Routed {
        match cmd {
            Command::StopLoad => {
                stop(cx, &self.stage, &self.cancel);
                Routed::Taken
            }
            _ => Routed::NotMine,
        }
    }

    fn cancel(&self) {
        self.cancel.cancel();
    }
}

struct ScanStage;

impl Stage for ScanStage {
    fn kind(&self) -> StageKind {
        StageKind::Scan
    }

    fn start<'a>(&self, cx: &'a Cx<'a>, stage: &'a StageConfig) -> Started<'a> {
        let cfg = cx.cfg;
        Started {
            run: Box::pin(async move {
                crate::scan::stage::run_stage(
                    &cfg.scan,
                    &cfg.run.service,
                    &cfg.state_dir,
                    &stage.id,
                    cx.rec,
                    chrono::Utc::now().date_naive(),
                )
                .await;
            }),
            control: Box::new(NoControl),
        }
    }
}

struct DataStage;

impl Stage for DataStage {
    fn kind(&self) -> StageKind {
        StageKind::Data
    }

    fn start<'a>(&self, cx: &'a Cx<'a>, stage: &'a StageConfig) -> Started<'a> {
        Started {
            run: Box::pin(crate::data::stage::run_stage(
                &cx.cfg.data,
                &stage.id,
                cx.rec,
            )),
            control: Box::new(NoControl),
        }
    }
}

struct PolicyStage;

impl Stage for PolicyStage {
    fn kind(&self) -> StageKind {
        StageKind::Policy
    }

    fn start<'a>(&self, cx: &'a Cx<'a>, stage: &'a StageConfig) -> Started<'a> {
        let (cfg, rec) = (cx.cfg, cx.rec);
        Started {
            run: Box::pin(async move {
                match &cfg.policy.dir {
                    Some(dir) => crate::policy::stage::run_stage(
                        dir,
                        &cfg.policy,
                        &stage.id,
                        rec,
                        chrono::Utc::now().date_naive(),
                    ),
                    None => {
                        rec.emit(Event::StageStarted {
                            stage: stage.id.clone(),
                        });
                        rec.emit(Event::StageFinished {
                            stage: stage.id.clone(),
                            verdict: Verdict::Inconclusive,
                            summary: "no policy directory configured (policy.dir)".into(),
                            evidence: Vec::new(),
                        });
                    }
                }
            }),
            control: Box::new(NoControl),
        }
    }
}

struct CanaryStage;

/// A running canary hears rollback, promote, hold and release, and the
/// kill key.
struct CanaryControl {
    stage: String,
    cancel: CancellationToken,
    ops: UnboundedSender<HoldOp>,
}

impl Stage for CanaryStage {
    fn kind(&self) -> StageKind {
        StageKind::Canary
    }

    fn start<'a>(&self, cx: &'a Cx<'a>, stage: &'a StageConfig) -> Started<'a> {
        let cancel = CancellationToken::new();
        let (ops_tx, ops_rx) = unbounded_channel();
        let token = cancel.clone();
        let run = Box::pin(async move {
            let ctl = match cx.canary {
                Some(Ok(c)) => Ok(c),
                Some(Err(e)) => Err(e.clone()),
                None => Err("no canary provider".to_string()),
            };
            crate::canary::stage::run_stage(
                &cx.cfg.canary,
                &cx.cfg.load,
                ctl,
                &stage.id,
                cx.rec,
                token,
                ops_rx,
            )
            .await;
        });
        Started {
            run,
            control: Box::new(CanaryControl {
                stage: stage.id.clone(),
                cancel,
                ops: ops_tx,
            }),
        }
    }
}

#[async_trait]
impl Control for CanaryControl {
    async fn command(&self, cx: &Cx<'_>, cmd: &Command) -> Routed {
        match cmd {
            Command::Rollback { reason } => {
                // Rolled back, the canary stage ends on it.
                if commands::flag_command(cx, FlagCommand::Rollback(reason.clone())).await {
                    self.cancel.cancel();
                }
            }
            Command::Promote => commands::promote(cx, Some(&self.ops)).await,
            Command::Hold { reason } => commands::hold(cx, Some(&self.ops), false, reason),
            Command::Release { reason } => commands::hold(cx, Some(&self.ops), true, reason),
            Command::StopLoad if commands::pending_auto(cx.rec).is_some() => cx.rec.log(
                LogLevel::Info,
                None,
                "no load is running: the canary waits on its automatic rollback (H holds, R rolls back)",
            ),
            Command::StopLoad => stop(cx, &self.stage, &self.cancel),
            _ => return Routed::NotMine,
        }
        Routed::Taken
    }

    fn cancel(&self) {
        self.cancel.cancel();
    }
}

struct DrillStage;

/// A running drill stage hears the operator's abort (the Drills pane's
/// `K`): the running drill's method stops, its rollbacks still run.
struct DrillControl {
    stage: String,
    abort: CancellationToken,
}

impl Stage for DrillStage {
    fn kind(&self) -> StageKind {
        StageKind::Drill
    }

    fn start<'a>(&self, cx: &'a Cx<'a>, stage: &'a StageConfig) -> Started<'a> {
        let abort = CancellationToken::new();
        let token = abort.clone();
        let flags = match cx.canary {
            Some(Ok(c)) => Some(c.provider.clone()),
            _ => None,
        };
        Started {
            run: Box::pin(async move {
                crate::drill::stage::run_stage(&cx.cfg.drill, &stage.id, cx.rec, flags, token)
                    .await;
            }),
            control: Box::new(DrillControl {
                stage: stage.id.clone(),
                abort,
            }),
        }
    }
}

#[async_trait]
impl Control for DrillControl {
    async fn command(&self, cx: &Cx<'_>, cmd: &Command) -> Routed {
        match cmd {
            Command::AbortDrill { reason } => {
                cx.rec.emit(Event::operator_action(
                    &cx.id.operator,
                    ActionKind::AbortDrill,
                    Some(self.stage.clone()),
                    Some(reason.clone()),
                ));
                self.abort.cancel();
                Routed::Taken
            }
            _ => Routed::NotMine,
        }
    }

    fn cancel(&self) {
        self.abort.cancel();
    }
}

/// Who answers an apply approval in this run, given the stage's own
/// channel of operator answers.
fn approver<'b>(
    cx: &'b Cx<'_>,
    answers: &'b Mutex<tokio::sync::mpsc::UnboundedReceiver<ApprovalAnswer>>,
) -> Approver<'b> {
    use crate::engine::ApplyApprovals;
    if cx.cfg.run.read_only {
        return Approver::ReadOnly;
    }
    match cx.id.approvals {
        ApplyApprovals::Nobody => Approver::Nobody,
        ApplyApprovals::PreApproved => Approver::PreApproved {
            actor: &cx.id.operator.name,
        },
        ApplyApprovals::Operator => Approver::Operator { answers },
    }
}
