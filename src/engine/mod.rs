//! The engine: runs the plan's stage graph (independent stages side by
//! side, stages that share a resource one at a time), routes operator
//! commands to the running stages through one channel, and lets the gate
//! decide.
//!
//! - [`config`]: the whole configuration, every section and the plan, loaded
//!   and checked;
//! - [`graph`]: `needs` and `resource`, and which stages may start now;
//! - [`stages`]: the registry through which a stage is started and hears
//!   commands;
//! - [`commands`]: what the engine does with a command no stage took;
//! - [`orphans`]: earlier runs that crashed with their flag moved, found at
//!   the start and settled by `canary.on_orphan` or the operator;
//! - [`impact`]: a change-impact selection applied before the graph runs;
//! - [`signoff`]: waiting for the sign-offs a GO needs;
//! - [`decide`]: the gate's decision and the end of the run.
//!
//! Stages run as futures of this one task; they emit through the recorder,
//! whose lock keeps the journal one ordered stream.

pub mod commands;
pub mod config;
pub mod decide;
pub mod graph;
pub mod impact;
pub mod orphans;
pub mod signoff;
pub mod stages;

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::canary::control::{CanaryCtl, provider_for};
use crate::core::command::Command;
use crate::core::event::{
    ActionKind, Actor, Event, LogLevel, Outcome, StageKind, StagePlan, TeardownTrigger,
};
use crate::engine::graph::{Graph, Progress};
use crate::engine::stages::{Control, Routed, Stage};
use crate::record::recorder::Recorder;

pub use config::{Config, RunSection, StageConfig};
pub use decide::{decide, finish_aborted};

/// Identity of a run.
#[derive(Clone, Debug)]
pub struct RunIdentity {
    /// Run id.
    pub run_id: String,
    /// Who runs it: the operator's identity, journalled with the run and
    /// with each of their actions.
    pub operator: Actor,
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

/// What the engine and its stages have at hand during a run.
pub struct Cx<'a> {
    /// The configuration.
    pub cfg: &'a Config,
    /// Who runs it.
    pub id: &'a RunIdentity,
    /// Where events go.
    pub rec: &'a Recorder,
    /// The canary's flag provider, when a canary stage is planned.
    pub canary: Option<&'a Result<CanaryCtl, String>>,
}

/// What the run learns before it starts: history's trends and risk, and
/// the change-impact selection (both journalled right after `run_started`).
#[derive(Clone, Debug, Default)]
pub struct Prepared {
    /// Trends and risk from the history store.
    pub history: Option<crate::core::history::HistoryContext>,
    /// The plan's selection for the change under validation.
    pub impact: Option<crate::core::impact::ImpactSelection>,
    /// What preparing found worth saying (history unavailable, runs
    /// indexed late), logged once the run has started.
    pub notes: Vec<(LogLevel, String)>,
}

/// Run the whole plan. Returns the final outcome.
pub async fn run(
    cfg: &Config,
    id: &RunIdentity,
    rec: &Recorder,
    commands: UnboundedReceiver<Command>,
    after: AfterDecision,
) -> Outcome {
    run_with(cfg, id, rec, commands, after, &Prepared::default()).await
}

/// Run the whole plan with what history and the change said: the history
/// context and the selection are journalled first, intensified stages run
/// with their stronger settings, and skipped stages end skipped with their
/// reason. Returns the final outcome.
pub async fn run_with(
    cfg: &Config,
    id: &RunIdentity,
    rec: &Recorder,
    mut commands: UnboundedReceiver<Command>,
    after: AfterDecision,
    prepared: &Prepared,
) -> Outcome {
    let graph = match Graph::new(&cfg.stages) {
        Ok(g) => g,
        Err(problems) => {
            // check-config refuses such a plan before a run starts.
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            rec.log(
                LogLevel::Error,
                None,
                format!("the stage graph is invalid: {}", text.join("; ")),
            );
            return finish_aborted(rec, "invalid stage graph");
        }
    };
    rec.emit(Event::RunStarted {
        run_id: id.run_id.clone(),
        service: cfg.run.service.clone(),
        release: cfg.run.release.clone(),
        environment: cfg.environment.name.clone(),
        risk: cfg.environment.risk,
        operator: id.operator.name.clone(),
        operator_identity: Some(id.operator.clone()),
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
            rec.emit(Event::operator_action(
                &id.operator,
                ActionKind::ApproveApply,
                None,
                Some("--approve-apply on the command line".into()),
            ));
        }
    }
    for (level, note) in &prepared.notes {
        rec.log(*level, None, note.clone());
    }
    if let Some(h) = &prepared.history {
        rec.emit(Event::HistoryContext(Box::new(h.clone())));
    }
    let mut skipped = std::collections::HashMap::new();
    let intensified = prepared.impact.as_ref().map(|sel| {
        rec.emit(Event::ChangeImpact(Box::new(sel.clone())));
        skipped = impact::skips(sel);
        let (cfg, notes) = impact::intensify(cfg, sel);
        for n in notes {
            rec.log(LogLevel::Info, None, format!("change impact: {n}"));
        }
        cfg
    });
    let cfg = intensified.as_ref().unwrap_or(cfg);
    let canary = canary_ctl(cfg).await;
    let cx = Cx {
        cfg,
        id,
        rec,
        canary: canary.as_ref(),
    };
    orphans::at_start(&cx).await;
    let registry = stages::registry();
    let mut open = true;
    let all: Vec<usize> = (0..graph.len()).collect();
    if let Some(reason) = drive(
        &cx,
        &registry,
        &graph,
        &all,
        &skipped,
        &mut commands,
        &mut open,
    )
    .await
    {
        return finish_aborted(rec, &reason);
    }
    if let Some(reason) = signoff::wait(&cx, &mut commands, &mut open).await {
        return finish_aborted(rec, &reason);
    }
    let mut outcome = decide(cfg, rec);
    commands::destroy_environments(&cx, TeardownTrigger::EndOfRun).await;
    if after == AfterDecision::Return {
        return outcome;
    }
    let mut ttl = ttl_deadline(rec);
    loop {
        let cmd = tokio::select! {
            c = commands.recv() => c,
            _ = sleep_until(ttl), if ttl.is_some() => {
                ttl = None;
                commands::destroy_environments(&cx, TeardownTrigger::TtlExpired).await;
                continue;
            }
        };
        let Some(cmd) = cmd else { break };
        let (who, cmd) = cmd.split();
        let acting_id = acting(id, who);
        let acting_cx = Cx {
            id: &acting_id,
            ..cx.borrowed()
        };
        match cmd {
            Command::DestroyEnvironment => {
                if commands::refuse_read_only(&cx, "destroy") {
                    continue;
                }
                rec.emit(Event::operator_action(
                    &acting_id.operator,
                    ActionKind::DestroyEnvironment,
                    None,
                    None,
                ));
                commands::destroy_environments(&cx, TeardownTrigger::Operator).await;
                ttl = None;
            }
            Command::Abort { .. } => break,
            Command::AnswerApply { .. } => rec.log(
                LogLevel::Info,
                None,
                "no apply awaits approval: the run has decided",
            ),
            Command::RerunStage { stage } => {
                if commands::refuse_read_only(&cx, &format!("rerun of `{stage}`")) {
                    continue;
                }
                let Some(i) = cfg.stages.iter().position(|s| s.id == stage) else {
                    rec.log(
                        LogLevel::Warn,
                        None,
                        format!("rerun: no stage `{stage}` in this plan"),
                    );
                    continue;
                };
                rec.emit(Event::operator_action(
                    &acting_id.operator,
                    ActionKind::RerunStage,
                    Some(stage.clone()),
                    None,
                ));
                let mut open = true;
                // An operator's rerun runs the stage, even one impact skipped.
                let none = std::collections::HashMap::new();
                if let Some(reason) = drive(
                    &cx,
                    &registry,
                    &graph,
                    &[i],
                    &none,
                    &mut commands,
                    &mut open,
                )
                .await
                {
                    return finish_aborted(rec, &reason);
                }
                if let Some(reason) = signoff::wait(&cx, &mut commands, &mut open).await {
                    return finish_aborted(rec, &reason);
                }
                outcome = decide(cfg, rec);
                if !open {
                    break;
                }
            }
            other => commands::while_running(&acting_cx, other).await,
        }
    }
    outcome
}

/// The identity a command acts with: its own actor (an attached operator),
/// or the run's operator for a bare command (the local keys).
fn acting(id: &RunIdentity, who: Option<Actor>) -> RunIdentity {
    match who {
        Some(operator) => RunIdentity {
            operator,
            ..id.clone()
        },
        None => id.clone(),
    }
}

impl<'a> Cx<'a> {
    /// The same context, to build one that acts as someone else.
    fn borrowed(&self) -> Cx<'a> {
        Cx {
            cfg: self.cfg,
            id: self.id,
            rec: self.rec,
            canary: self.canary,
        }
    }
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

/// A stage the scheduler has started.
struct Running<'a> {
    index: usize,
    control: Box<dyn Control + 'a>,
}

/// Run the stages `selected` (all of the plan, or one for a rerun) to their
/// verdicts: each starts as soon as the graph allows (for a rerun, at once),
/// and operator commands go to the running stages meanwhile. The gate is
/// not run here: [`decide`] follows. Stages in `skipped` end skipped with
/// their reason when their turn comes. Returns the abort reason, if aborted.
async fn drive<'a>(
    cx: &'a Cx<'a>,
    registry: &[Box<dyn Stage>],
    graph: &Graph,
    selected: &[usize],
    skipped: &std::collections::HashMap<String, String>,
    commands: &mut UnboundedReceiver<Command>,
    open: &mut bool,
) -> Option<String> {
    let stages: &'a [StageConfig] = &cx.cfg.stages;
    // Stages outside the selection, and the gate, count as done.
    let mut progress: Vec<Progress> = (0..graph.len())
        .map(|i| {
            if selected.contains(&i) && stages[i].kind != StageKind::Gate {
                Progress::Waiting
            } else {
                Progress::Done
            }
        })
        .collect();
    let mut running: Vec<Running<'a>> = Vec::new();
    let mut futures: FuturesUnordered<BoxFuture<'a, usize>> = FuturesUnordered::new();
    loop {
        for i in graph.ready(&progress) {
            progress[i] = Progress::Running;
            let started = match skipped.get(&stages[i].id) {
                Some(reason) => stages::skip(cx, &stages[i], reason),
                None => stages::start(registry, cx, &stages[i]),
            };
            let run = started.run;
            futures.push(Box::pin(async move {
                run.await;
                i
            }));
            running.push(Running {
                index: i,
                control: started.control,
            });
        }
        if futures.is_empty() {
            return None;
        }
        tokio::select! {
            Some(done) = futures.next() => {
                progress[done] = Progress::Done;
                running.retain(|r| r.index != done);
            }
            cmd = commands.recv(), if *open => match cmd {
                None => *open = false,
                Some(Command::Abort { reason }) => {
                    cx.rec.emit(Event::operator_action(

                        &cx.id.operator,

                        ActionKind::Abort,

                        None,

                        Some(reason.clone()),

                    ));
                    // Stopped and dropped; the fold marks them interrupted
                    // when the run finishes.
                    for r in &running {
                        r.control.cancel();
                    }
                    return Some(reason);
                }
                Some(cmd) => {
                    let (who, cmd) = cmd.split();
                    let acting_id = acting(cx.id, who);
                    let acting_cx = Cx {
                        id: &acting_id,
                        ..cx.borrowed()
                    };
                    let mut taken = false;
                    for r in &running {
                        if r.control.command(&acting_cx, &cmd).await == Routed::Taken {
                            taken = true;
                            break;
                        }
                    }
                    if !taken {
                        commands::while_running(&acting_cx, cmd).await;
                    }
                }
            },
        }
    }
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
