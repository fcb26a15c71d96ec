//! Earlier runs that crashed with their canary's flag moved (orphans):
//! found when a run starts, told in its journal, and settled by
//! `canary.on_orphan` or by the operator (the TUI's dialog). The recovery
//! itself, and its record in the crashed run's journal, is
//! [`crate::canary::recover`]; this run's journal records who decided what.

use crate::canary::OnOrphan;
use crate::canary::recover::{RecoverError, Recoverer, find, recover};
use crate::core::actor::Actor;
use crate::core::event::{ActionKind, Event};
use crate::core::recovery::OrphanResolution;
use crate::engine::Cx;

/// The actor of what the config's policy does without a person.
const POLICY_ACTOR: &str = "flightdeck";

/// At the run's start: journal every orphan of the state directory, then
/// apply `canary.on_orphan` (`ask` leaves them to the operator's dialog, or
/// to `flightdeck recover` when nobody is there to ask).
pub async fn at_start(cx: &Cx<'_>) {
    let found = find(&cx.cfg.state_dir, Some(&cx.id.run_id));
    for o in &found {
        cx.rec.emit(Event::OrphanFound { orphan: o.clone() });
    }
    let policy = cx.cfg.canary.on_orphan.unwrap_or(OnOrphan::Ask);
    for o in &found {
        match policy {
            OnOrphan::Ask => {}
            OnOrphan::Leave => {
                resolve(
                    cx,
                    &o.run_id,
                    false,
                    &Actor::automatic(POLICY_ACTOR),
                    "canary.on_orphan = \"leave\"",
                )
                .await
            }
            OnOrphan::Rollback => {
                resolve(
                    cx,
                    &o.run_id,
                    true,
                    &Actor::automatic(POLICY_ACTOR),
                    "canary.on_orphan = \"rollback\"",
                )
                .await
            }
        }
    }
}

/// Settle one orphan: roll its flag back, or leave it. Journalled first as
/// an operator action with the actor, then its outcome. Read-only runs
/// change nothing.
pub async fn resolve(cx: &Cx<'_>, run_id: &str, rollback: bool, actor: &Actor, reason: &str) {
    let settled = |resolution| {
        cx.rec.emit(Event::OrphanResolved {
            run_id: run_id.to_string(),
            actor: actor.name.clone(),
            resolution,
        });
    };
    if rollback && cx.cfg.run.read_only {
        settled(OrphanResolution::Refused {
            why: "this run is read-only (--read-only or run.read_only)".into(),
        });
        return;
    }
    cx.rec.emit(Event::operator_action(
        actor,
        if rollback {
            ActionKind::RecoverRollback
        } else {
            ActionKind::LeaveOrphan
        },
        Some(run_id.to_string()),
        Some(reason.to_string()),
    ));
    if !rollback {
        settled(OrphanResolution::Left);
        return;
    }
    let who = Recoverer {
        actor,
        reason,
        by_run: Some(&cx.id.run_id),
    };
    settled(match recover(&cx.cfg.state_dir, run_id, &who).await {
        Ok(r) => OrphanResolution::Recovered { action: r.action },
        Err(
            e @ (RecoverError::Alive { .. }
            | RecoverError::Busy { .. }
            | RecoverError::NotOrphan { .. }
            | RecoverError::NotFound { .. }),
        ) => OrphanResolution::Refused { why: e.to_string() },
        Err(e) => OrphanResolution::Failed {
            error: e.to_string(),
        },
    });
}
