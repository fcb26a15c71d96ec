//! Operator commands: what the engine does with each one that no running
//! stage took, and the flag, hold and approval actions that running stages
//! share. Every action that changes something is journalled as an
//! `operator_action` with the actor before it is carried out; read-only
//! runs refuse those, and say so in the log.

use tokio::sync::mpsc::UnboundedSender;

use crate::canary::auto::HoldOp;
use crate::core::command::Command;
use crate::core::event::{ActionKind, Event, LogLevel, StageKind, TeardownTrigger};
use crate::core::state::canary::AutoRollbackView;
use crate::engine::Cx;
use crate::iac::approval::ApprovalAnswer;
use crate::record::recorder::Recorder;

/// A flag action on the operator's word.
pub enum FlagCommand {
    /// Roll back, with the reason journalled.
    Rollback(String),
    /// Promote, with the reason journalled (an override says so).
    Promote(Option<String>),
}

/// Log and return true when the run is read-only.
pub fn refuse_read_only(cx: &Cx<'_>, what: &str) -> bool {
    if cx.cfg.run.read_only {
        cx.rec.log(
            LogLevel::Warn,
            None,
            format!("{what} refused: the run is read-only (--read-only or run.read_only)"),
        );
    }
    cx.cfg.run.read_only
}

/// What the engine does with a command while stages run and none of them
/// took it.
pub async fn while_running(cx: &Cx<'_>, cmd: Command) {
    let rec = cx.rec;
    match cmd {
        Command::Rollback { reason } => {
            flag_command(cx, FlagCommand::Rollback(reason)).await;
        }
        Command::Promote => promote(cx, None).await,
        Command::Hold { reason } => hold(cx, None, false, &reason),
        Command::Release { reason } => hold(cx, None, true, &reason),
        Command::StopLoad => rec.log(LogLevel::Info, None, "no load is running"),
        Command::AbortDrill { .. } => rec.log(LogLevel::Info, None, "no drill is running"),
        Command::AnswerApply { approve, .. } => {
            let what = if approve {
                "apply approval"
            } else {
                "apply decline"
            };
            if !refuse_read_only(cx, what) {
                rec.log(
                    LogLevel::Info,
                    None,
                    format!("{what}: no apply awaits approval"),
                );
            }
        }
        Command::DestroyEnvironment => rec.log(
            LogLevel::Warn,
            None,
            "destroy ignored while a stage runs: wait until the run has decided",
        ),
        Command::RerunStage { stage } => rec.log(
            LogLevel::Warn,
            None,
            format!("rerun of `{stage}` ignored: wait until the run has decided"),
        ),
        Command::ResolveOrphan { run_id, rollback } => {
            crate::engine::orphans::resolve(
                cx,
                &run_id,
                rollback,
                &cx.id.operator,
                "operator dialog",
            )
            .await
        }
        // The scheduler handles the run operator's abort before offering
        // commands anywhere; an attached operator cannot stop the run.
        Command::Abort { .. } => {}
        Command::Grant { peer } => grant(cx, peer),
        Command::Signoff { role, .. } => {
            cx.rec.emit(Event::SignoffRefused {
                role,
                actor: cx.id.operator.clone(),
                reason: "the run does not wait for a sign-off".into(),
            });
        }
        // The engine unwraps the actor before it gets here.
        Command::By { .. } => {}
    }
}

/// The owner gives an attached viewer the operator role: journalled as
/// `role_granted`. Only the run's own operator grants, never an attached one.
pub fn grant(cx: &Cx<'_>, peer: u64) {
    let owner = cx
        .rec
        .read(|s| s.info.as_ref().and_then(|i| i.operator_identity.clone()));
    if owner.as_ref().is_some_and(|o| o != &cx.id.operator) {
        cx.rec.log(
            LogLevel::Warn,
            None,
            format!(
                "grant refused: only the run's owner gives control ({} asked)",
                cx.id.operator.described()
            ),
        );
        return;
    }
    let target = cx.rec.read(|s| s.peer(peer).cloned());
    match target {
        None => cx.rec.log(
            LogLevel::Info,
            None,
            format!("grant: nobody is attached as #{peer} now"),
        ),
        Some(p) if p.role == crate::core::share::Role::Operator => cx.rec.log(
            LogLevel::Info,
            None,
            format!("grant: {} is already an operator", p.actor.described()),
        ),
        Some(p) => {
            cx.rec.emit(Event::RoleGranted {
                id: p.id,
                name: p.actor.name.clone(),
                role: crate::core::share::Role::Operator,
                by: cx.id.operator.clone(),
            });
        }
    }
}

/// Forward the operator's answer to the stage waiting for it, journalled
/// first. Read-only runs refuse; with no request pending, say so.
pub fn answer_apply(
    cx: &Cx<'_>,
    answers: &UnboundedSender<ApprovalAnswer>,
    approve: bool,
    reason: Option<String>,
) {
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
    cx.rec.emit(Event::operator_action(
        &cx.id.operator,
        if approve {
            ActionKind::ApproveApply
        } else {
            ActionKind::DeclineApply
        },
        Some(stage),
        reason.clone(),
    ));
    let _ = answers.send(ApprovalAnswer {
        approve,
        actor: cx.id.operator.name.clone(),
        reason,
    });
}

/// Roll back or promote on the operator's word. Read-only runs refuse.
/// Returns whether the provider confirmed the change.
pub async fn flag_command(cx: &Cx<'_>, cmd: FlagCommand) -> bool {
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
    if let FlagCommand::Rollback(_) = &cmd
        && let Some(done) = already_rolled_back(cx.rec)
    {
        // Two people pressing R at once roll back once; the second hears
        // that it is done (both see the one confirmation).
        cx.rec.log(
            LogLevel::Info,
            None,
            format!(
                "rollback asked by {}: {done}; nothing more to do",
                cx.id.operator.described()
            ),
        );
        return true;
    }
    match cmd {
        FlagCommand::Rollback(reason) => ctl.rollback(cx.rec, &cx.id.operator, &reason).await,
        FlagCommand::Promote(reason) => {
            ctl.promote(cx.rec, &cx.id.operator, reason.as_deref())
                .await
        }
    }
}

/// The canary's confirmed rollback, while the flag is still at 0% / off:
/// who did it, in words.
fn already_rolled_back(rec: &Recorder) -> Option<String> {
    use crate::core::state::canary::RollbackStatus;
    rec.read(|s| {
        let c = s.canary.as_ref()?;
        let r = c.rollback.as_ref()?;
        let at_zero = !c.enabled || c.percent.is_none_or(|p| p <= 0.0);
        (r.status == RollbackStatus::Confirmed && at_zero).then(|| {
            format!(
                "{} is already rolled back by {} (confirmed)",
                c.flag, r.actor
            )
        })
    })
}

/// The canary's pending automatic rollback, if any: (flag, view).
pub fn pending_auto(rec: &Recorder) -> Option<(String, AutoRollbackView)> {
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
pub async fn promote(cx: &Cx<'_>, ops: Option<&UnboundedSender<HoldOp>>) {
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
            actor: cx.id.operator.name.clone(),
        });
    }
}

/// Hold or release the pending automatic rollback: journal the operator's
/// action, then tell the canary stage (which owns the countdown). Without a
/// pending rollback there is nothing to hold, and the log says so.
pub fn hold(cx: &Cx<'_>, ops: Option<&UnboundedSender<HoldOp>>, release: bool, reason: &str) {
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
    cx.rec.emit(Event::operator_action(
        &cx.id.operator,
        if release {
            ActionKind::Release
        } else {
            ActionKind::Hold
        },
        Some(flag),
        Some(format!("{reason}; {}", a.cause())),
    ));
    let op = if release {
        HoldOp::Release
    } else {
        HoldOp::Hold {
            actor: cx.id.operator.name.clone(),
        }
    };
    let _ = ops.send(op);
}

/// Destroy every environment stage's ephemeral environment.
pub async fn destroy_environments(cx: &Cx<'_>, why: TeardownTrigger) {
    for st in cx
        .cfg
        .stages
        .iter()
        .filter(|s| s.kind == StageKind::Environment)
    {
        crate::environment::teardown(&cx.cfg.environment, &st.id, cx.rec, why).await;
    }
}
