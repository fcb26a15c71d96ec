//! Waiting for sign-offs: when the gate reaches GO and `[[gate.signoffs]]`
//! holds a required role, the run asks (`signoff_requested`, naming who is
//! needed) and waits, serving commands meanwhile (a rollback still rolls
//! back), until every required role is signed, one is rejected, or
//! `signoff_timeout` runs out. The gate then decides from the sign-offs
//! too (`crate::gate::decision`).

use tokio::sync::mpsc::UnboundedReceiver;

use crate::core::command::Command;
use crate::core::event::{ActionKind, Event, Outcome, StageKind};
use crate::engine::commands;
use crate::engine::{Cx, acting};
use crate::gate::signoff::{Attempt, check, needs};

/// Ask for the sign-offs a GO needs and wait for them. Returns the abort
/// reason if the run was aborted (or nobody could answer any more).
pub async fn wait(
    cx: &Cx<'_>,
    commands_rx: &mut UnboundedReceiver<Command>,
    open: &mut bool,
) -> Option<String> {
    let g = &cx.cfg.gate;
    if !g.signoffs.iter().any(|r| r.required) {
        return None;
    }
    let decision = cx.rec.read(crate::gate::provisional)?;
    if decision.outcome != Outcome::Go {
        // Nothing to sign: the release does not go anyway.
        return None;
    }
    if let Some(gate) = cx.cfg.stages.iter().find(|s| s.kind == StageKind::Gate) {
        cx.rec.emit(Event::StageStarted {
            stage: gate.id.clone(),
        });
    }
    let timeout = g.signoff_timeout.get();
    let deadline = chrono::Utc::now()
        + chrono::Duration::from_std(timeout).unwrap_or_else(|_| chrono::Duration::hours(1));
    cx.rec.emit(Event::SignoffRequested {
        needed: needs(g),
        score: decision.score,
        rationale: decision.rationale.clone(),
        timeout_s: timeout.as_secs(),
        deadline,
    });
    let until = tokio::time::Instant::now() + timeout;
    loop {
        if cx.rec.read(|s| s.awaiting_signoff().is_none()) {
            return None;
        }
        let cmd = tokio::select! {
            _ = tokio::time::sleep_until(until) => {
                let missing = cx.rec.read(|s| {
                    s.signoffs.as_ref().map(|v| v.missing().iter().map(|n| n.role.clone()).collect())
                });
                cx.rec.emit(Event::SignoffTimedOut { missing: missing.unwrap_or_default() });
                return None;
            }
            c = commands_rx.recv(), if *open => c,
        };
        let Some(cmd) = cmd else {
            *open = false;
            return Some("the control room closed while sign-offs were awaited".into());
        };
        let (who, cmd) = cmd.split();
        let acting_id = acting(cx.id, who);
        let acting_cx = Cx {
            id: &acting_id,
            ..cx.borrowed()
        };
        match cmd {
            Command::Abort { reason } if acting_id.operator == cx.id.operator => {
                cx.rec.emit(Event::operator_action(
                    &cx.id.operator,
                    ActionKind::Abort,
                    None,
                    Some(reason.clone()),
                ));
                return Some(reason);
            }
            Command::Signoff {
                role,
                decision,
                comment,
                report_sha256,
                seen_seq,
                signature,
            } => {
                let state = cx.rec.snapshot();
                let attempt = Attempt {
                    role: &role,
                    decision,
                    comment: &comment,
                    report_sha256: &report_sha256,
                    seen_seq,
                    signature: signature.as_deref(),
                };
                match check(g, &state, &acting_id.operator, attempt).await {
                    Ok(s) => {
                        cx.rec.emit(Event::SignoffGiven(s));
                    }
                    Err(reason) => {
                        cx.rec.emit(Event::SignoffRefused {
                            role,
                            actor: acting_id.operator.clone(),
                            reason,
                        });
                    }
                }
            }
            other => commands::while_running(&acting_cx, other).await,
        }
    }
}
